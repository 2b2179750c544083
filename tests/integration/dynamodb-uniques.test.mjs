// dynamodb-uniques.test.mjs: unique visitors and daily history through the
// daemon on the DynamoDB store (the AWS test peer), and what the table then
// holds.
//
// Two daemons share one table, as instances behind a load balancer do:
// they must share the day's salt (one conditional put, read back by the
// other), so a visitor seen by one is a repeat on the other.  The next UTC
// day is a daemon started with VISITSD_TEST_DAY_OFFSET=1.  Afterwards every
// item of the peer's table is read back (GET /__harness/items) and must hold
// neither the client addresses nor the User-Agents sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startHarness } from '../harness/client.mjs';
import { startDaemon, TEST_KEY } from './lib/daemon.mjs';

/** One request with a User-Agent and a forwarded client address. */
function visit(d, method, path, { ua, addr } = {}) {
  return new Promise((resolve, reject) => {
    const headers = { 'x-api-key': TEST_KEY, 'user-agent': ua ?? 'node-test' };
    if (addr) headers['x-forwarded-for'] = addr;
    const req = http.request(`${d.url}${path}`, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => {
        let json;
        try { json = JSON.parse(body); } catch { json = body; }
        resolve({ status: res.statusCode, body: json });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const UA1 = 'Mozilla/5.0 (X11; Linux x86_64; PrivacyProbeOne/1.0) Firefox/140.0';
const UA2 = 'Mozilla/5.0 (Macintosh; PrivacyProbeTwo/2.0) Safari/605.1.15';
const ADDR1 = '198.51.100.23';
const ADDR2 = '203.0.113.199';

async function post(d, who, want) {
  const r = await visit(d, 'POST', '/api/visits/page', who);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(r.body, { user: 'page', visits: want[0], unique: want[1] });
}

test('dynamodb: uniques shared by two instances, the next day, history, nothing identifying stored',
  async (t) => {
    const h = await startHarness();
    t.after(() => h.stop());
    const env = {
      ...h.env('env'),
      VISITSD_API_KEY_PARAMETER: undefined,
      VISITSD_TRUSTED_PROXIES: '127.0.0.1/32',
    };
    const a = await startDaemon({ env });
    t.after(() => a.stop());
    const b = await startDaemon({ env });
    t.after(() => b.stop());

    await post(a, { ua: UA1, addr: ADDR1 }, [1, 1]);
    await post(a, { ua: UA1, addr: ADDR1 }, [2, 1]);
    await post(a, { ua: UA2, addr: ADDR1 }, [3, 2]);	// another browser
    await post(b, { ua: UA1, addr: ADDR1 }, [4, 2]);	// the other instance
    await post(b, { ua: UA1, addr: ADDR2 }, [5, 3]);	// another address
    // A visitor put whose answer is lost is re-sent and still counts once.
    await h.fault('PutItem', 'drop-after-apply', { count: 1 });
    await post(a, { ua: UA2, addr: ADDR2 }, [6, 4]);
    await post(b, { ua: UA2, addr: ADDR2 }, [7, 4]);

    const next = await startDaemon({ env: { ...env, VISITSD_TEST_DAY_OFFSET: '1' } });
    t.after(() => next.stop());
    await post(next, { ua: UA1, addr: ADDR1 }, [8, 5]);	// a new day
    await post(next, { ua: UA1, addr: ADDR1 }, [9, 5]);

    const hist = await visit(next, 'GET', '/api/visits/page/history?days=3');
    assert.equal(hist.status, 200, JSON.stringify(hist.body));
    assert.equal(hist.body.days.length, 3);
    assert.deepEqual(hist.body.days.map((d) => [d.visits, d.unique]), [[0, 0], [7, 4], [2, 1]]);
    const today = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
    assert.equal(hist.body.days[2].date, today);

    const { items } = await h.controlApi('GET', `/items?table=${h.table}`);
    const text = JSON.stringify(items);
    assert.ok(items.some((i) => i.user.S.startsWith('s#')), 'a salt item');
    assert.equal(items.filter((i) => i.user.S.startsWith('v#')).length, 5, text);
    for (const needle of [ADDR1, ADDR2, '198.51.100', '203.0.113', 'PrivacyProbe', 'Firefox',
      'Safari', 'Mozilla', 'node-test', '127.0.0.1']) {
      assert.ok(!text.includes(needle), `${needle} is stored: ${text}`);
    }
    assert.equal(await h.rejections(), 0);
  });
