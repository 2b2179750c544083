// bots.test.mjs: a crawler's POST is answered like a GET (current count,
// nothing incremented) and counted in visitsd_http_bot_visits_total;
// VISITSD_COUNT_BOTS=true counts it.  The real daemon on SQLite; the
// matcher itself is tests/check_bot.c's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';

import { startDaemon } from './lib/daemon.mjs';

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

const post = (d, id, ua) => call(d, 'POST', `/api/visits/${id}`, { ua });
const get = (d, id) => call(d, 'GET', `/api/visits/${id}`);

/** The bot counter's value for outcome, from /metrics. */
async function botMetric(d, outcome) {
  const r = await call(d, 'GET', '/metrics', { key: undefined });
  assert.equal(r.status, 200);
  const m = r.body.match(new RegExp(`^visitsd_http_bot_visits_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm'));
  assert.ok(m, `no ${outcome} series in:\n${r.body}`);
  return Number(m[1]);
}

test('a crawler POST reads the count; a browser POST counts', async (t) => {
  const d = await startDaemon({ env: { VISITSD_METRICS_PUBLIC: 'true' } });
  t.after(() => d.stop());
  assert.equal(await botMetric(d, 'ignored'), 0);

  let r = await post(d, 'page', CHROME);
  assert.equal(r.status, 200);
  assert.equal(r.body.visits, 1);
  for (const ua of [GOOGLEBOT, GPTBOT, 'curl/8.5.0', 'python-requests/2.31.0']) {
    r = await post(d, 'page', ua);
    assert.equal(r.status, 200, ua);
    assert.equal(r.body.user, 'page');
    assert.equal(r.body.visits, 1, `${ua} incremented`);
  }
  // A crawler on an id never seen reads 0, and it stays unseen.
  r = await post(d, 'fresh', GOOGLEBOT);
  assert.equal(r.status, 200);
  assert.equal(r.body.visits, 0);
  assert.equal((await get(d, 'fresh')).body.visits, 0);

  r = await post(d, 'page', SAFARI_IOS);
  assert.equal(r.body.visits, 2);
  assert.equal((await get(d, 'page')).body.visits, 2);
  assert.equal(await botMetric(d, 'ignored'), 5);
  assert.equal(await botMetric(d, 'counted'), 0);
});

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

test('VISITSD_COUNT_BOTS=true counts crawlers, and the metric says so', async (t) => {
  const d = await startDaemon({ env: { VISITSD_COUNT_BOTS: 'true', VISITSD_METRICS_PUBLIC: 'true' } });
  t.after(() => d.stop());
  assert.equal((await post(d, 'all', GOOGLEBOT)).body.visits, 1);
  assert.equal((await post(d, 'all', 'curl/8.5.0')).body.visits, 2);
  assert.equal((await post(d, 'all', CHROME)).body.visits, 3);
  assert.equal(await botMetric(d, 'counted'), 2);
  assert.equal(await botMetric(d, 'ignored'), 0);
});
