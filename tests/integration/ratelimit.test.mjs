// ratelimit.test.mjs: the per-client rate limit, the client identity
// behind trusted proxies and the origin guard, against the real daemon on
// loopback.  Clients are told apart by their source address: node's
// http.request binds localAddress (127.0.1.x), every one of them loopback.
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { startDaemon } from './lib/daemon.mjs';

/** One request; resolves { status, headers, body }. */
function request(d, { method = 'GET', path = '/api/visits/rl', headers = {},
  localAddress = '127.0.0.1', agent } = {}) {
  const url = new URL(path, d.url);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname, port: url.port, path: url.pathname, method,
      localAddress, agent,
      headers: { 'x-api-key': d.key, ...(method === 'POST' ? { 'content-length': '0' } : {}), ...headers },
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** n requests, at most width in flight, over keep-alive connections. */
async function many(d, n, width, opts) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: width });
  const out = [];
  let next = 0;
  async function worker() {
    while (next < n) {
      const i = next++;
      out[i] = await request(d, { agent, ...(typeof opts === 'function' ? opts(i) : opts) });
    }
  }
  await Promise.all(Array.from({ length: width }, worker));
  agent.destroy();
  return out;
}

function residentKiB(pid) {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
  return Number(m[1]);
}

test('a burst of 1,000 POSTs: 429 past the burst, with the fields, and nothing past the limit counted', async (t) => {
  const rate = 2;
  const burst = 20;
  const d = await startDaemon({ env: {
    VISITSD_RATE_LIMIT: String(rate), VISITSD_RATE_BURST: String(burst),
    VISITSD_ALLOWED_ORIGINS: 'https://www.example.com',
  } });
  t.after(() => d.stop());

  const started = process.hrtime.bigint();
  const answers = await many(d, 1000, 20, {
    method: 'POST', localAddress: '127.0.1.1', headers: { origin: 'https://www.example.com' },
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  const ok = answers.filter((a) => a.status === 200);
  const limited = answers.filter((a) => a.status === 429);
  assert.equal(ok.length + limited.length, 1000, `statuses: ${[...new Set(answers.map((a) => a.status))]}`);
  // The burst, plus what the bucket refilled while the test ran.
  const bound = burst + Math.ceil(rate * seconds) + 1;
  // The first burst requests to arrive all pass; 20 in flight may arrive
  // in another order than they were issued, so count rather than index.
  assert.ok(ok.length >= burst, `${ok.length} answered 200`);
  assert.ok(ok.length <= bound, `${ok.length} answered 200 in ${seconds.toFixed(2)} s; at most ${bound}`);

  for (const a of limited) {
    assert.deepEqual(JSON.parse(a.body), { message: 'Too Many Requests' });
    assert.match(a.headers['retry-after'], /^[1-9][0-9]*$/);
    assert.ok(Number(a.headers['retry-after']) <= Math.ceil(1 / rate));
    assert.match(a.headers.ratelimit, /^"default";r=0;t=[1-9][0-9]*$/);
    assert.equal(a.headers.ratelimit.split('t=')[1], a.headers['retry-after']);
    assert.equal(a.headers['ratelimit-policy'], `"default";q=${burst};w=${Math.ceil(burst / rate)}`);
    // CORS stays on the 429, and a page may read the fields.
    assert.equal(a.headers['access-control-allow-origin'], 'https://www.example.com');
    assert.equal(a.headers['access-control-expose-headers'], 'RateLimit, RateLimit-Policy, Retry-After');
  }
  // The successful answers carry the fields too, counting down.
  assert.match(ok[0].headers.ratelimit, /^"default";r=\d+;t=\d+$/);
  assert.equal(ok[0].headers['ratelimit-policy'], `"default";q=${burst};w=${Math.ceil(burst / rate)}`);

  // Read the count from another address (the first one's bucket is empty).
  const count = await request(d, { localAddress: '127.0.1.2' });
  assert.equal(count.status, 200);
  assert.equal(JSON.parse(count.body).visits, ok.length, 'every 200 counted once, no 429 counted');
  const visits = ok.map((a) => JSON.parse(a.body).visits).sort((x, y) => x - y);
  assert.deepEqual(visits, Array.from({ length: ok.length }, (_, i) => i + 1));
});

test('two source addresses have separate buckets; /healthz, /readyz and /metrics are not limited', async (t) => {
  const d = await startDaemon({
    env: { VISITSD_RATE_LIMIT: '0.01', VISITSD_RATE_BURST: '3', VISITSD_METRICS_PUBLIC: 'true' },
  });
  t.after(() => d.stop());

  const a = [];
  for (let i = 0; i < 4; i++) a.push((await request(d, { localAddress: '127.0.1.3' })).status);
  assert.deepEqual(a, [200, 200, 200, 429]);
  const b = [];
  for (let i = 0; i < 3; i++) b.push((await request(d, { localAddress: '127.0.1.4' })).status);
  assert.deepEqual(b, [200, 200, 200]);
  // A preflight and a 404 are limited too; the operational routes are not.
  assert.equal((await request(d, { method: 'OPTIONS', localAddress: '127.0.1.3' })).status, 429);
  for (const path of ['/healthz', '/readyz', '/metrics']) {
    for (let i = 0; i < 5; i++) {
      const r = await request(d, { path, localAddress: '127.0.1.3' });
      assert.equal(r.status, 200, path);
      assert.equal(r.headers.ratelimit, undefined, path);
    }
  }
});

test('behind a trusted proxy: X-Forwarded-For names the client, and the table stays bounded', async (t) => {
  const d = await startDaemon({ env: {
    VISITSD_RATE_LIMIT: '0.01', VISITSD_RATE_BURST: '2', VISITSD_RATE_TABLE_SIZE: '1024',
    VISITSD_TRUSTED_PROXIES: '127.0.0.1/32',
    // Under make check-asan the allocator's quarantine keeps every freed
    // request for a while: that is ASan's memory, not the table's.
    ...(process.env.ASAN_OPTIONS !== undefined ? {
      ASAN_OPTIONS: `${process.env.ASAN_OPTIONS}:quarantine_size_mb=0:thread_local_quarantine_size_kb=0`,
    } : {}),
  } });
  t.after(() => d.stop());

  // The client prepends junk; the right-most untrusted entry counts.
  const via = (client, local = '127.0.0.1') => request(d, {
    localAddress: local, headers: { 'x-forwarded-for': `6.6.6.6, ${client}` },
  });
  assert.deepEqual([(await via('198.51.100.7')).status, (await via('198.51.100.7')).status,
    (await via('198.51.100.7')).status], [200, 200, 429]);
  assert.equal((await via('198.51.100.8')).status, 200);
  // The same header from an untrusted peer is ignored: one bucket.
  const spoofed = [];
  for (let i = 0; i < 3; i++) spoofed.push((await via(`203.0.113.${i}`, '127.0.1.5')).status);
  assert.deepEqual(spoofed, [200, 200, 429]);

  // 20,000 distinct clients through a table of 1,024: memory stays put.
  const before = residentKiB(d.proc.pid);
  const answers = await many(d, 20000, 16, (i) => ({
    headers: { 'x-forwarded-for': `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` },
  }));
  const after = residentKiB(d.proc.pid);
  assert.equal(answers.filter((a) => a.status === 200).length, 20000);
  assert.ok(after - before < 16 * 1024, `resident memory grew from ${before} to ${after} KiB`);
  // 198.51.100.7 was forgotten long ago: back with a full bucket.
  assert.equal((await via('198.51.100.7')).status, 200);
});

test('CloudFront-Viewer-Address names the client when configured, X-Forwarded-For is then ignored', async (t) => {
  const d = await startDaemon({ env: {
    VISITSD_RATE_LIMIT: '0.01', VISITSD_RATE_BURST: '1',
    VISITSD_TRUSTED_PROXIES: '127.0.0.0/8', VISITSD_CLIENT_ADDRESS_HEADER: 'cloudfront-viewer-address',
  } });
  t.after(() => d.stop());

  const viewer = (v, xff) => request(d, { headers: {
    'cloudfront-viewer-address': v, ...(xff ? { 'x-forwarded-for': xff } : {}),
  } }).then((r) => r.status);
  assert.equal(await viewer('2001:db8::1:44321'), 200);
  assert.equal(await viewer('2001:db8::1:50000'), 429, 'the port is not part of the client');
  assert.equal(await viewer('198.51.100.9:1234', '192.0.2.1'), 200);
  assert.equal(await viewer('198.51.100.9:1235', '192.0.2.2'), 429, 'X-Forwarded-For is not read');
});

test('origin guard: 403 without the secret or with a wrong one, 200 with it; /healthz exempt', async (t) => {
  const secret = 'origin-secret-0123456789abcdef';
  const d = await startDaemon({ env: {
    VISITSD_ORIGIN_VERIFY: secret, VISITSD_RATE_LIMIT: '0.01', VISITSD_RATE_BURST: '2',
    VISITSD_ALLOWED_ORIGINS: '*',
  } });
  t.after(() => d.stop());

  // Refused requests take no token from the bucket.
  for (let i = 0; i < 5; i++) {
    const none = await request(d, { method: 'POST', headers: { origin: 'https://a.example' } });
    assert.equal(none.status, 403);
    assert.deepEqual(JSON.parse(none.body), { message: 'Forbidden' });
    assert.equal(none.headers['access-control-allow-origin'], '*');
    const wrong = await request(d, { method: 'POST', headers: { 'x-origin-verify': `${secret}x` } });
    assert.equal(wrong.status, 403);
  }
  const right = await request(d, { method: 'POST', headers: { 'x-origin-verify': secret } });
  assert.equal(right.status, 200);
  assert.deepEqual(JSON.parse(right.body), { user: 'rl', visits: 1, unique: 1 });
  assert.equal((await request(d, { method: 'POST', headers: { 'x-origin-verify': secret } })).status, 200);
  assert.equal((await request(d, { path: '/healthz' })).status, 200);
  // The secret is never logged.
  await request(d, { path: '/healthz' });
  assert.ok(!d.logs.some((l) => l.includes(secret)), 'the secret appears in the log');
});
