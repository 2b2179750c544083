// unique.test.mjs: unique visitors, counted by the real daemon on each
// store of lib/stores.mjs: a visitor is its client address (as the rate
// limiter sees it, trusted proxies honoured) and its User-Agent, once per
// UTC day; VISITSD_TEST_DAY_OFFSET=1 on a restarted daemon is "the next
// day"; VISITSD_UNIQUE_VISITORS=false stops counting; and neither an
// address nor a User-Agent is in any byte of the SQLite files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { startDaemon } from './lib/daemon.mjs';
import { STORES, openStore } from './lib/stores.mjs';

/** One request with the given User-Agent, source address and headers. */
function visit(d, key, id, { method = 'POST', ua = 'ua-one', from, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const h = { 'x-api-key': key, ...headers };
    if (ua !== null) h['user-agent'] = ua;
    const req = http.request(`${d.url}/api/visits/${id}`,
      { method, agent: false, headers: h, localAddress: from }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => { text += c; });
        res.on('end', () => {
          assert.equal(res.statusCode, 200, text);
          resolve(JSON.parse(text));
        });
      });
    req.setTimeout(30000, () => req.destroy(new Error('no answer')));
    req.on('error', reject);
    req.end();
  });
}

const counts = (user, visits, unique) => ({ user, visits, unique });

for (const store of STORES) {
  test(`${store}: the same visitor counts once, another User-Agent or address again`, async (t) => {
    const s = await openStore(store, t);
    const d = await startDaemon({ env: s.env() });
    t.after(() => d.stop());
    assert.deepEqual(await visit(d, s.key, 'page'), counts('page', 1, 1));
    assert.deepEqual(await visit(d, s.key, 'page'), counts('page', 2, 1));
    assert.deepEqual(await visit(d, s.key, 'page', { ua: 'ua-two' }), counts('page', 3, 2));
    assert.deepEqual(await visit(d, s.key, 'page', { ua: 'ua-two' }), counts('page', 4, 2));
    // Another client address (every 127/8 address is this host's).
    assert.deepEqual(await visit(d, s.key, 'page', { from: '127.0.1.7' }), counts('page', 5, 3));
    assert.deepEqual(await visit(d, s.key, 'page', { from: '127.0.1.7' }), counts('page', 6, 3));
    // No User-Agent at all is a User-Agent of its own.
    assert.deepEqual(await visit(d, s.key, 'page', { ua: null }), counts('page', 7, 4));
    // The visitor of one id is new on another.
    assert.deepEqual(await visit(d, s.key, 'other'), counts('other', 1, 1));
    // GET reads both, increments neither.
    assert.deepEqual(await visit(d, s.key, 'page', { method: 'GET' }), counts('page', 7, 4));
  });

  test(`${store}: behind a trusted proxy the forwarded address is the visitor`, async (t) => {
    const s = await openStore(store, t);
    const d = await startDaemon({ env: s.env({ VISITSD_TRUSTED_PROXIES: '127.0.0.1/32' }) });
    t.after(() => d.stop());
    const xff = (a) => ({ headers: { 'x-forwarded-for': a } });
    assert.deepEqual(await visit(d, s.key, 'px', xff('203.0.113.5')), counts('px', 1, 1));
    assert.deepEqual(await visit(d, s.key, 'px', xff('203.0.113.5')), counts('px', 2, 1));
    assert.deepEqual(await visit(d, s.key, 'px', xff('203.0.113.6')), counts('px', 3, 2));
    // From an untrusted peer the header is ignored: the peer is the client.
    assert.deepEqual(await visit(d, s.key, 'px', { from: '127.0.1.9', ...xff('203.0.113.5') }),
      counts('px', 4, 3));
    assert.deepEqual(await visit(d, s.key, 'px', { from: '127.0.1.9', ...xff('203.0.113.77') }),
      counts('px', 5, 3));
  });

  test(`${store}: the next UTC day the same visitor counts again`, async (t) => {
    const s = await openStore(store, t);
    const d1 = await startDaemon({ env: s.env() });
    assert.deepEqual(await visit(d1, s.key, 'daily'), counts('daily', 1, 1));
    assert.deepEqual(await visit(d1, s.key, 'daily'), counts('daily', 2, 1));
    await d1.stop();
    const d2 = await startDaemon({ env: s.env({ VISITSD_TEST_DAY_OFFSET: 1 }) });
    t.after(() => d2.stop());
    assert.deepEqual(await visit(d2, s.key, 'daily'), counts('daily', 3, 2));
    assert.deepEqual(await visit(d2, s.key, 'daily'), counts('daily', 4, 2));
  });

  test(`${store}: with unique_visitors off unique stays where it was`, async (t) => {
    const s = await openStore(store, t);
    const d1 = await startDaemon({ env: s.env() });
    assert.deepEqual(await visit(d1, s.key, 'off'), counts('off', 1, 1));
    await d1.stop();
    const d2 = await startDaemon({ env: s.env({ VISITSD_UNIQUE_VISITORS: 'false' }) });
    t.after(() => d2.stop());
    assert.deepEqual(await visit(d2, s.key, 'off', { ua: 'new-ua' }), counts('off', 2, 1));
    assert.deepEqual(await visit(d2, s.key, 'off', { from: '127.0.1.8' }), counts('off', 3, 1));
    assert.deepEqual(await visit(d2, s.key, 'fresh'), counts('fresh', 1, 0));
  });
}

/** Does any file of the database (the file, its -wal and -shm) hold needle? */
function scan(dbPath, needles) {
  const dir = dirname(dbPath);
  const found = [];
  for (const name of readdirSync(dir)) {
    if (!name.startsWith('visits.db')) continue;
    const bytes = readFileSync(join(dir, name));
    for (const [what, needle] of needles) {
      if (bytes.indexOf(needle) !== -1) found.push(`${what} in ${name}`);
    }
  }
  return found;
}

if (STORES.includes('sqlite')) {
  test('sqlite: no address and no User-Agent in any stored byte, WAL included', async (t) => {
    const s = await openStore('sqlite', t);
    const ua = 'visitsd-privacy-probe/7f3a9c Mozilla/5.0';
    const d = await startDaemon({ env: s.env({ VISITSD_TRUSTED_PROXIES: '127.0.0.1/32' }) });
    t.after(() => d.stop());
    await visit(d, s.key, 'private', { ua, from: '127.0.1.7' });
    await visit(d, s.key, 'private', { ua, from: '127.0.1.7' });
    await visit(d, s.key, 'private', { ua, headers: { 'x-forwarded-for': '198.51.100.23' } });
    const needles = [
      ['User-Agent', Buffer.from(ua)],
      ['User-Agent prefix', Buffer.from('visitsd-privacy-probe')],
      ['address text', Buffer.from('127.0.1.7')],
      ['forwarded address text', Buffer.from('198.51.100.23')],
      ['address bytes (v4-mapped)', Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 1, 7])],
      ['forwarded bytes (v4-mapped)', Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 51, 100, 23])],
    ];
    // The scan does see what is stored: the id is there.
    assert.notDeepEqual(scan(s.sqlitePath, [['id', Buffer.from('private')]]), []);
    assert.deepEqual(scan(s.sqlitePath, needles), [], 'while serving (WAL)');
    await d.stop();
    assert.deepEqual(scan(s.sqlitePath, needles), [], 'after the checkpoint');
  });
}

test('the log holds no address or User-Agent unless VISITSD_LOG_CLIENT_ADDRESS=true', async () => {
  const ua = 'visitsd-log-probe/51c2 Mozilla/5.0';
  for (const [on, want] of [[false, false], [true, true]]) {
    const d = await startDaemon({ env: on ? { VISITSD_LOG_CLIENT_ADDRESS: 'true' } : {} });
    await visit(d, d.key, 'logged', { ua, from: '127.0.1.9' });
    await d.stop();
    const text = d.logs.join('\n');
    assert.match(text, /"path":"\/api\/visits\/logged"/, 'the request line is there');
    assert.equal(text.includes('127.0.1.9'), want, `address in the log with the setting ${on}`);
    assert.equal(text.includes('visitsd-log-probe'), false, 'a User-Agent is never logged');
  }
});
