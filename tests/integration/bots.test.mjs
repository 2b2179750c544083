// bots.test.mjs: a crawler's POST is answered like a GET (current count,
// nothing incremented) and counted in visitsd_http_bot_visits_total;
// VISITSD_COUNT_BOTS=true counts it.  The real daemon on each store of
// lib/stores.mjs (SQLite and the DynamoDB test peer), since a crawler's
// POST takes the store's read path instead of its increment; the cases that
// never reach a store (no User-Agent, a wrong key) run on SQLite only.  The
// matcher itself is tests/check_bot.c's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';

import { startDaemon } from './lib/daemon.mjs';
import { STORES, openStore } from './lib/stores.mjs';

const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const GPTBOT = 'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)';
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const SAFARI_IOS = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_2_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1';

/** One request with the given User-Agent (none when ua is undefined). */
function call(d, method, path, { ua, key = d.key } = {}) {
  const headers = { 'content-length': '0' };
  if (ua !== undefined) headers['user-agent'] = ua;
  if (key !== undefined) headers['x-api-key'] = key;
  return new Promise((resolve, reject) => {
    const req = http.request(`${d.url}${path}`, { method, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        let body = text;
        try { body = JSON.parse(text); } catch { /* keep the text */ }
        resolve({ status: res.statusCode, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

// key: the store's API key (openStore's s.key); the daemon's own by default.
const post = (d, id, ua, key = d.key) => call(d, 'POST', `/api/visits/${id}`, { ua, key });
const get = (d, id, key = d.key) => call(d, 'GET', `/api/visits/${id}`, { key });
const counts = (user, visits, unique) => ({ user, visits, unique });

/** The bot counter's value for outcome, from /metrics. */
async function botMetric(d, outcome) {
  const r = await call(d, 'GET', '/metrics', { key: undefined });
  assert.equal(r.status, 200);
  const m = r.body.match(new RegExp(`^visitsd_http_bot_visits_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm'));
  assert.ok(m, `no ${outcome} series in:\n${r.body}`);
  return Number(m[1]);
}

for (const store of STORES) {
  test(`${store}: a crawler POST reads the counts; a browser POST counts`, async (t) => {
    const s = await openStore(store, t);
    const d = await startDaemon({ env: s.env({ VISITSD_METRICS_PUBLIC: 'true' }) });
    t.after(() => d.stop());
    assert.equal(await botMetric(d, 'ignored'), 0);

    let r = await post(d, 'page', CHROME, s.key);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, counts('page', 1, 1));
    for (const ua of [GOOGLEBOT, GPTBOT, 'curl/8.5.0', 'python-requests/2.31.0']) {
      r = await post(d, 'page', ua, s.key);
      assert.equal(r.status, 200, ua);
      // Neither visits nor unique moves: a crawler is not a new visitor either.
      assert.deepEqual(r.body, counts('page', 1, 1), `${ua} incremented`);
    }
    assert.deepEqual((await get(d, 'page', s.key)).body, counts('page', 1, 1));
    // A crawler on an id never seen reads 0, and it stays unseen.
    r = await post(d, 'fresh', GOOGLEBOT, s.key);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, counts('fresh', 0, 0));
    assert.deepEqual((await get(d, 'fresh', s.key)).body, counts('fresh', 0, 0));

    // Another browser is another visitor: both counts move.
    r = await post(d, 'page', SAFARI_IOS, s.key);
    assert.deepEqual(r.body, counts('page', 2, 2));
    assert.deepEqual((await get(d, 'page', s.key)).body, counts('page', 2, 2));
    assert.equal(await botMetric(d, 'ignored'), 5);
    assert.equal(await botMetric(d, 'counted'), 0);
  });

  test(`${store}: VISITSD_COUNT_BOTS=true counts crawlers, and the metric says so`, async (t) => {
    const s = await openStore(store, t);
    const d = await startDaemon({
      env: s.env({ VISITSD_COUNT_BOTS: 'true', VISITSD_METRICS_PUBLIC: 'true' }),
    });
    t.after(() => d.stop());
    assert.deepEqual((await post(d, 'all', GOOGLEBOT, s.key)).body, counts('all', 1, 1));
    assert.deepEqual((await post(d, 'all', 'curl/8.5.0', s.key)).body, counts('all', 2, 2));
    assert.deepEqual((await post(d, 'all', CHROME, s.key)).body, counts('all', 3, 3));
    // The same crawler again is a repeat visitor, as any other.
    assert.deepEqual((await post(d, 'all', GOOGLEBOT, s.key)).body, counts('all', 4, 3));
    assert.equal(await botMetric(d, 'counted'), 3);
    assert.equal(await botMetric(d, 'ignored'), 0);
  });
}

test('no User-Agent at all is not a crawler: it counts', async (t) => {
  const d = await startDaemon();
  t.after(() => d.stop());
  assert.equal((await post(d, 'bare', undefined)).body.visits, 1);
  assert.equal((await post(d, 'bare', '')).body.visits, 2);
});

test('a crawler POST without a valid key is still refused', async (t) => {
  const d = await startDaemon();
  t.after(() => d.stop());
  const r = await call(d, 'POST', '/api/visits/page', { ua: GOOGLEBOT, key: 'wrong' });
  assert.equal(r.status, 403);
});
