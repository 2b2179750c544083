// countapi.test.mjs: the CountAPI-compatible routes (VISITSD_COUNTAPI=true)
// on the real daemon -- /hit and /get with one and two segments, 404
// {"value":null} for a key never hit, the 400s of bad names and callbacks,
// JSONP that always answers 200, CORS "*" whatever the origin list says,
// keyless use under the rate limit, and the ns~key id a keyed client sees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from './lib/daemon.mjs';

const ON = {
  VISITSD_COUNTAPI: 'true',
  VISITSD_RATE_LIMIT: '1000',
  VISITSD_RATE_BURST: '1000',
  // A list that does not name the test's origin: CountAPI is "*" anyway.
  VISITSD_ALLOWED_ORIGINS: 'https://only.example',
};
const ORIGIN = { origin: 'https://elsewhere.example' };

async function get(d, path) {
  const r = await fetch(`${d.url}${path}`, { headers: ORIGIN });
  return { status: r.status, type: r.headers.get('content-type'), acao: r.headers.get('access-control-allow-origin'), text: await r.text() };
}

test('hit creates at 1 and counts; get reads; one segment is "default"', async (t) => {
  const d = await startDaemon({ env: ON });
  t.after(() => d.stop());
  let r = await get(d, '/get/mysite/home');
  assert.equal(r.status, 404);
  assert.deepEqual(JSON.parse(r.text), { value: null });
  r = await get(d, '/hit/mysite/home');
  assert.equal(r.status, 200);
  assert.equal(r.type, 'application/json');
  assert.equal(r.acao, '*');
  assert.deepEqual(JSON.parse(r.text), { value: 1 });
  r = await get(d, '/hit/mysite/home');
  assert.deepEqual(JSON.parse(r.text), { value: 2 });
  r = await get(d, '/get/mysite/home');
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.text), { value: 2 });

  // A crawler's /hit is a read (VISITSD_COUNT_BOTS=false), but still a value.
  const bot = await fetch(`${d.url}/hit/robots/page`, { headers: { ...ORIGIN, 'user-agent': 'curl/8.0' } });
  assert.equal(bot.status, 200);
  assert.deepEqual(await bot.json(), { value: 0 });
  r = await get(d, '/hit/page.v1');
  assert.deepEqual(JSON.parse(r.text), { value: 1 });
  assert.deepEqual(JSON.parse((await get(d, '/get/default/page.v1')).text), { value: 1 });

  // The ids are ns~key for a keyed client, and need the key there.
  const k = await fetch(`${d.url}/api/visits/mysite~home`, { headers: { 'x-api-key': d.key } });
  const body = await k.json();
  assert.equal(body.user, 'mysite~home');
  assert.equal(body.visits, 2);
  assert.equal((await fetch(`${d.url}/api/visits/mysite~home`)).status, 403);
});

test('bad names and callbacks are 400; JSONP is always 200', async (t) => {
  const d = await startDaemon({ env: ON });
  t.after(() => d.stop());
  for (const path of ['/hit/ab', '/hit/abc/de', '/get/a~b/key', '/hit/abc/d%20f', '/hit', '/hit/', '/get/abc/def/ghi',
    `/hit/${'n'.repeat(65)}/key`, `/hit/${'n'.repeat(64)}/${'k'.repeat(64)}`]) {
    const r = await get(d, path);
    assert.equal(r.status, 400, path);
    assert.equal(r.acao, '*');
    const body = JSON.parse(r.text);
    assert.equal(body.value, null, path);
    assert.equal(typeof body.message, 'string');
  }
  // 64 + 63 characters still fit an id.
  assert.equal((await get(d, `/hit/${'n'.repeat(64)}/${'k'.repeat(63)}`)).status, 200);

  for (const cb of ['a.b', '1a', 'alert(1)//', 'x%3By', '']) {
    const r = await get(d, `/hit/abc?callback=${cb}`);
    assert.equal(r.status, 400, cb);
    assert.equal(r.type, 'application/json');
    assert.match(JSON.parse(r.text).message, /invalid callback/);
  }

  let r = await get(d, '/hit/abc?callback=cb_1');
  assert.equal(r.status, 200);
  assert.equal(r.type, 'application/javascript');
  assert.equal(r.text, 'cb_1({"value":1});');
  r = await get(d, '/get/never/seen?callback=$cb');
  assert.equal(r.status, 200);
  assert.equal(r.text, '$cb({"value":null});');
  r = await get(d, '/hit/ab?callback=cb');
  assert.equal(r.status, 200);
  assert.match(r.text, /^cb\(\{"value":null,"message":"invalid namespace or key/);
  // The JSONP text runs as a script and hands over the value.
  let seen;
  new Function('cb_1', (await get(d, '/get/abc?callback=cb_1')).text)((v) => { seen = v; });
  assert.deepEqual(seen, { value: 1 });

  const p = await fetch(`${d.url}/hit/abc`, { method: 'POST', headers: ORIGIN });
  assert.equal(p.status, 405);
  assert.equal(p.headers.get('allow'), 'GET');
});

test('keyless and rate-limited; a 429 under JSONP is still 200', async (t) => {
  const d = await startDaemon({ env: { ...ON, VISITSD_RATE_LIMIT: '1', VISITSD_RATE_BURST: '2' } });
  t.after(() => d.stop());
  assert.equal((await get(d, '/hit/abc')).status, 200);
  assert.equal((await get(d, '/hit/abc')).status, 200);
  const r = await get(d, '/hit/abc');
  assert.equal(r.status, 429);
  assert.equal(r.acao, '*');
  assert.deepEqual(JSON.parse(r.text), { value: null, message: 'Too Many Requests' });
  const j = await get(d, '/hit/abc?callback=cb');
  assert.equal(j.status, 200);
  assert.equal(j.text, 'cb({"value":null,"message":"Too Many Requests"});');
});

test('off by default: the routes are 404', async (t) => {
  const d = await startDaemon({ env: {} });
  t.after(() => d.stop());
  assert.equal((await get(d, '/hit/abc/def')).status, 404);
  assert.equal((await get(d, '/get/abc/def')).status, 404);
});
