// logsafety: hostile bytes sent over a raw socket (CR, ESC, DEL, C1
// controls, bytes >= 0x80, overlong and surrogate sequences) in the request
// line, the method, a header and a line libmicrohttpd cannot parse (it logs
// an error of its own) never reach the log raw: in the JSON format every
// line is one valid UTF-8 JSON object, in the text format one line of
// printable text starting with a timestamp, and the escaped forms show up.
// And a NUL inside the x-api-key header does not pass for the key.
//
// The daemon is spawned here rather than with lib/daemon.mjs because the
// check is on the raw bytes: a UTF-8 decoding stream would hide invalid
// sequences behind U+FFFD.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

import { TEST_KEY, tempDir } from './lib/daemon.mjs';

function start(format) {
  const dir = tempDir();
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('VISITSD_')) env[k] = v;
  Object.assign(env, {
    VISITSD_LISTEN: '127.0.0.1:0',
    VISITSD_LOG_FORMAT: format,
    VISITSD_LOG_LEVEL: 'debug',
    VISITSD_SQLITE_PATH: join(dir, 'visits.db'),
    VISITSD_API_KEY: TEST_KEY,
  });
  const proc = spawn(process.env.VISITSD_BIN, [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks = [];
  proc.stdout.on('data', (c) => chunks.push(c));
  proc.stderr.on('data', (c) => chunks.push(c));
  const exited = new Promise((resolve) => proc.on('close', (code) => resolve(code)));
  const address = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no startup line: ${Buffer.concat(chunks)}`)), 15000);
    const look = () => {
      const m = Buffer.concat(chunks).toString('latin1').match(/listening on (127\.0\.0\.1:\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      } else setTimeout(look, 20);
    };
    look();
  });
  return { proc, chunks, exited, address };
}

/** Send raw bytes, resolve with whatever comes back when the peer closes (or after 2 s). */
function rawRequest(address, bytes) {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const got = [];
    const s = net.connect({ host, port: Number(port) }, () => s.end(bytes));
    s.setTimeout(2000, () => s.destroy());
    s.on('data', (c) => got.push(c));
    s.on('error', (e) => (e.code === 'ECONNRESET' ? resolve(Buffer.concat(got)) : reject(e)));
    s.on('close', () => resolve(Buffer.concat(got)));
  });
}

const b = (...parts) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

const payloads = [
  // ESC, a bare CR, DEL and invalid UTF-8 in the request target.
  b('GET /api/visits/a\x1b[2Jb\rc\x7f\x80\xff HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'),
  // A forged line after CR LF inside what a naive log would print.
  b('GET /x\r\n2026-01-01T00:00:00Z error forged HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'),
  // ESC in the method; overlong '/' and a surrogate in the path.
  b('G\x1bT /api/visits/\xc0\xaf\xed\xa0\x80 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'),
  // A header line without a colon: libmicrohttpd logs its own error.
  b('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\x1b]0;pwned\x07evil\xc2\x9b2J\x80 line\r\n\r\n'),
  // Valid UTF-8 passes; C1 and terminal controls in a header value.
  b('POST /api/visits/caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\nConnection: close\r\nx-api-key: ', TEST_KEY,
    '\r\nX-Evil: \x1b[31m\xc2\x9b\r\nContent-Length: 0\r\n\r\n'),
  // Nothing parseable at all.
  b('\x1b[2J\x80\xfe\xff\r\n\r\n'),
];

for (const format of ['json', 'text']) {
  test(`${format} log: every line stays one valid, escaped line`, async (t) => {
    const d = start(format);
    t.after(() => d.proc.kill('SIGKILL'));
    const address = await d.address;
    for (const p of payloads) await rawRequest(address, p);
    d.proc.kill('SIGTERM');
    assert.equal(await d.exited, 0);

    const raw = Buffer.concat(d.chunks);
    assert.equal(raw[raw.length - 1], 0x0a, 'the log ends with a newline');
    const lines = [];
    let from = 0;
    for (let i = 0; i < raw.length; i++) {
      if (raw[i] === 0x0a) {
        lines.push(raw.subarray(from, i));
        from = i + 1;
      }
    }
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const texts = [];
    for (const line of lines) {
      for (const byte of line) {
        assert.ok(byte >= 0x20 && byte !== 0x7f, `raw control byte 0x${byte.toString(16)} in ${line.toString('latin1')}`);
      }
      const text = decoder.decode(line);
      assert.ok(!/[\u0080-\u009f]/.test(text), `C1 control in ${text}`);
      if (format === 'json') {
        const j = JSON.parse(text);
        assert.equal(typeof j.ts, 'string');
        assert.equal(typeof j.msg, 'string');
        texts.push([j.msg, j.method, j.path].filter((x) => x !== undefined).join(' '));
      } else {
        assert.match(text, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (debug|info|warn|error) /);
        texts.push(text);
      }
    }
    const all = texts.join('\n');
    // The hostile parts arrived and were logged in their escaped form.
    assert.match(all, /libmicrohttpd: /, all);
    assert.match(all, /\/api\/visits\/a\\x1b\[2Jb/, all);
    assert.match(all, /G\\x1bT/, all);
    assert.ok(!/^2026-01-01T00:00:00Z error forged/m.test(all), all);
    assert.ok(all.includes('/api/visits/caf\u00e9'), all);
  });
}

// The key header as raw bytes: libmicrohttpd 0.9.75 hands visitsd a value
// cut at a NUL, and visitsd refuses a cut value like a wrong key.  A value
// that ends in the NUL ("<key>\0" then CR LF) looks whole and the key in it
// is right, so it is not part of the contract either way.
test('an x-api-key value with a NUL inside is refused like a wrong key', async (t) => {
  const d = start('json');
  t.after(() => d.proc.kill('SIGKILL'));
  const address = await d.address;
  const post = async (value) => {
    const got = await rawRequest(address, b('POST /api/visits/nul HTTP/1.1\r\nHost: a\r\nConnection: close\r\n',
      'x-api-key: ', value, '\r\nContent-Length: 0\r\n\r\n'));
    return got.toString('latin1').split('\r\n')[0];
  };
  assert.equal(await post(TEST_KEY), 'HTTP/1.1 200 OK');
  assert.equal(await post(`${TEST_KEY}\0junk`), 'HTTP/1.1 403 Forbidden');
  assert.equal(await post(`${TEST_KEY}\0${TEST_KEY}`), 'HTTP/1.1 403 Forbidden');
  assert.equal(await post(`\0${TEST_KEY}`), 'HTTP/1.1 403 Forbidden');
  assert.equal(await post(`${TEST_KEY.slice(0, 8)}\0${TEST_KEY.slice(8)}`), 'HTTP/1.1 403 Forbidden');
  assert.equal(await post(TEST_KEY), 'HTTP/1.1 200 OK');
  d.proc.kill('SIGTERM');
  assert.equal(await d.exited, 0);
});
