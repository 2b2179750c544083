// pool.test.mjs: each connection's libmicrohttpd pool is bounded
// (HTTP_CONN_MEMORY in src/http.c, 16 KiB), and a maximal legitimate
// request still fits: a browser's full header set, a 4 KiB Cookie, the
// x-api-key, an Authorization and a body, about 6 KB of headers.  A header
// block past the pool is answered 431, not dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startDaemon } from './lib/daemon.mjs';

function browserRequest(key, { cookie = 4096, method = 'POST', body = '' } = {}) {
  const site = 'https://www.example-website-with-a-long-name.com';
  const lines = [
    `${method} /api/visits/${'a'.repeat(64)} HTTP/1.1`,
    'Host: counter.example-website-with-a-long-name.com:8443',
    'Connection: keep-alive',
    'sec-ch-ua: "Chromium";v="131", "Not_A Brand";v="24", "Google Chrome";v="131"',
    'sec-ch-ua-mobile: ?0',
    'sec-ch-ua-platform: "Windows"',
    'sec-ch-ua-full-version-list: "Chromium";v="131.0.6778.86", "Not_A Brand";v="24.0.0.0", "Google Chrome";v="131.0.6778.86"',
    'User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    'Accept: application/json, text/plain, */*',
    'Accept-Encoding: gzip, deflate, br, zstd',
    'Accept-Language: de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7,fr;q=0.6,es;q=0.5,it;q=0.4,nl;q=0.3',
    `Origin: ${site}`,
    `Referer: ${site}/blog/2026/12/01/${'a-long-article-slug-'.repeat(12)}?utm_source=newsletter&utm_content=${'x'.repeat(200)}`,
    'Sec-Fetch-Site: same-site', 'Sec-Fetch-Mode: cors', 'Sec-Fetch-Dest: empty',
    'Priority: u=1, i', 'DNT: 1', 'Pragma: no-cache', 'Cache-Control: no-cache',
    'X-Forwarded-For: 203.0.113.7, 198.51.100.23, 192.0.2.44',
    'X-Forwarded-Proto: https',
    `X-Request-Id: ${'f'.repeat(36)}`,
    `Cookie: ${('session_' + 'c'.repeat(90) + '; ').repeat(Math.ceil(cookie / 100)).slice(0, cookie)}`,
    `x-api-key: ${key}`,
    `Authorization: Bearer ${'b'.repeat(64)}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** Send raw on a new connection; the status line's code of the answer (0: closed without one). */
function statusOf(address, raw) {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(port), host, () => s.write(raw));
    let out = '';
    const timer = setTimeout(() => { s.destroy(); reject(new Error('no answer within 10 s')); }, 10000);
    s.setEncoding('latin1');
    s.on('data', (d) => {
      out += d;
      const m = /^HTTP\/1\.1 (\d{3})/.exec(out);
      if (m) { clearTimeout(timer); s.destroy(); resolve(Number(m[1])); }
    });
    s.on('close', () => { clearTimeout(timer); resolve(0); });
    s.on('error', () => {});
  });
}

test('a maximal legitimate request fits the bounded pool', async (t) => {
  const d = await startDaemon();
  t.after(() => d.stop());
  const post = browserRequest(d.key);
  assert.ok(post.length > 5900, `the request is ${post.length} bytes`);
  assert.equal(await statusOf(d.address, post), 200);
  assert.equal(await statusOf(d.address, browserRequest(d.key, { method: 'GET' })), 200);
  // A body beside those headers (the admin PUT's size) does not need more.
  const body = JSON.stringify({ visits: 123456789012, unique: 123456789 });
  assert.equal(await statusOf(d.address, browserRequest(d.key, { body })), 200);
});

test('a header block past the pool is answered 431', async (t) => {
  const d = await startDaemon();
  t.after(() => d.stop());
  assert.equal(await statusOf(d.address, browserRequest(d.key, { cookie: 16384 })), 431);
  // The daemon goes on serving.
  assert.equal(await statusOf(d.address, browserRequest(d.key, { cookie: 0 })), 200);
});
