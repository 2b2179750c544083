// core.test.mjs: the core issue's answers, over real HTTP, from the real
// daemon on its SQLite store.
//
// Requests go through node:http rather than fetch because fetch normalises
// paths ("/api/visits/.." never reaches the server) and tests here must
// send exactly the bytes a hostile client would.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import { runDaemon, startDaemon, tempDir } from './lib/daemon.mjs';

const ORIGIN_A = 'https://a.example';
const ORIGIN_B = 'https://b.example';
const JSON_TYPE = /^application\/json\b/;

/**
 * One request to daemon d.  opts: key (sent as x-api-key when defined),
 * headers, body, agent.  Resolves { status, headers, text, json() }.
 */
function call(d, method, path, { key, headers = {}, body, agent } = {}) {
  const u = new URL(d.url);
  const h = { ...headers };
  if (key !== undefined) h['x-api-key'] = key;
  if (body === undefined && method === 'POST') h['content-length'] = '0';
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, method, path, headers: h, agent },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => { text += c; });
        res.on('end', () => resolve({
          status: res.statusCode,
          headers: res.headers,
          text,
          json: () => JSON.parse(text),
        }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function assertJson(res, status) {
  assert.equal(res.status, status, `status ${res.status}, body ${res.text}`);
  assert.match(res.headers['content-type'] ?? '', JSON_TYPE);
  return res.json();
}

function assertMessage(res, status) {
  const body = assertJson(res, status);
  assert.equal(typeof body.message, 'string', `no "message" in ${res.text}`);
  assert.ok(body.message.length > 0);
}

function varyHasOrigin(res) {
  return (res.headers.vary ?? '').split(',').map((s) => s.trim().toLowerCase()).includes('origin');
}

function listHeader(res, name) {
  return (res.headers[name] ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
}

/** The visits route's 200 counter in the Prometheus text. */
function visits200(text) {
  const m = text.match(/^visitsd_http_requests_total\{(?=[^}]*route="visits")(?=[^}]*(?:code|status)="200")[^}]*\} (\d+)$/m);
  return m ? Number(m[1]) : 0;
}

/*
 * /metrics once it shows at least n visit 200s.  A request is counted in
 * its completed-notification, which may run just after the client has its
 * answer, so the count may lag an answer by a moment.
 */
async function metricsWith(target, n) {
  let res;
  for (let i = 0; i < 50; i++) {
    res = await call(target, 'GET', '/metrics');
    if (res.status !== 200 || visits200(res.text) >= n) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return res;
}

describe('visits API on one daemon', () => {
  let d;
  const KEYS = ['key-one', 'key-two'];
  const key = KEYS[0];

  before(async () => {
    d = await startDaemon({
      env: {
        VISITSD_API_KEY: KEYS.join(','),
        VISITSD_ALLOWED_ORIGINS: `${ORIGIN_A},${ORIGIN_B}`,
        VISITSD_CORS_MAX_AGE: '600',
        VISITSD_METRICS_PUBLIC: 'true',
      },
    });
  });
  after(() => d?.stop());

  test('POST creates the record at 1, then counts up, in the API Gateway JSON shape', async () => {
    const first = await call(d, 'POST', '/api/visits/alice', { key });
    assert.deepEqual(assertJson(first, 200), { user: 'alice', visits: 1, unique: 1 });
    const second = await call(d, 'POST', '/api/visits/alice', { key });
    assert.deepEqual(assertJson(second, 200), { user: 'alice', visits: 2, unique: 1 });
  });

  test('GET answers the current count and changes nothing', async () => {
    const unseen = await call(d, 'GET', '/api/visits/nobody-yet', { key });
    assert.deepEqual(assertJson(unseen, 200), { user: 'nobody-yet', visits: 0, unique: 0 });
    await call(d, 'POST', '/api/visits/gina', { key });
    await call(d, 'POST', '/api/visits/gina', { key });
    for (let i = 0; i < 3; i++) {
      const res = await call(d, 'GET', '/api/visits/gina', { key });
      assert.deepEqual(assertJson(res, 200), { user: 'gina', visits: 2, unique: 1 });
    }
    const unseenAgain = await call(d, 'GET', '/api/visits/nobody-yet', { key });
    assert.deepEqual(assertJson(unseenAgain, 200), { user: 'nobody-yet', visits: 0, unique: 0 });
  });

  test('ids are percent-decoded: %41 and A are the same id', async () => {
    const a = await call(d, 'POST', '/api/visits/%41pct', { key });
    assert.deepEqual(assertJson(a, 200), { user: 'Apct', visits: 1, unique: 1 });
    const b = await call(d, 'POST', '/api/visits/Apct', { key });
    assert.deepEqual(assertJson(b, 200), { user: 'Apct', visits: 2, unique: 1 });
    const c = await call(d, 'GET', '/api/visits/%41%70%63%74', { key });
    assert.deepEqual(assertJson(c, 200), { user: 'Apct', visits: 2, unique: 1 });
    const tilde = await call(d, 'POST', '/api/visits/a%7Eb', { key });
    assert.deepEqual(assertJson(tilde, 200), { user: 'a~b', visits: 1, unique: 1 });
  });

  test('every allowed character, and 128 characters, make a valid id', async () => {
    const res = await call(d, 'POST', '/api/visits/Az09._~-', { key });
    assert.deepEqual(assertJson(res, 200), { user: 'Az09._~-', visits: 1, unique: 1 });
    const id = 'x'.repeat(128);
    const long = await call(d, 'POST', `/api/visits/${id}`, { key });
    assert.deepEqual(assertJson(long, 200), { user: id, visits: 1, unique: 1 });
  });

  test('bad ids are 400 with a JSON message, and are not counted', async () => {
    const bad = [
      'a%2Fb', 'a%2fb', '.', '..', '%2E', '%2e%2E', 'x'.repeat(129), '%41'.repeat(129),
      'a%20b', 'a@b', 'a%00b', '%', 'a%4', 'a%zz', '%C3%A9', 'a+b', 'a:b',
    ];
    for (const id of bad) {
      for (const method of ['POST', 'GET']) {
        const res = await call(d, method, `/api/visits/${id}`, { key });
        assert.equal(res.status, 400, `${method} ${id}: ${res.status} ${res.text}`);
        assertMessage(res, 400);
      }
    }
    // a%2Fb was refused, not counted as "a/b" or anything else.
    const res = await call(d, 'GET', '/api/visits/a', { key });
    assert.deepEqual(assertJson(res, 200), { user: 'a', visits: 0, unique: 0 });
  });

  test('a missing or wrong key is 403 {"message":"Forbidden"}, exactly', async () => {
    const cases = [
      ['POST', undefined], ['GET', undefined], ['POST', 'wrong'], ['GET', 'wrong'],
      ['POST', ''], ['POST', `${key}x`], ['POST', key.slice(0, -1)], ['POST', KEYS.join(',')],
    ];
    for (const [method, k] of cases) {
      const res = await call(d, method, '/api/visits/mallory', { key: k });
      assert.equal(res.status, 403, `${method} key=${k}: ${res.status}`);
      assert.match(res.headers['content-type'] ?? '', JSON_TYPE);
      assert.equal(res.text, '{"message":"Forbidden"}');
    }
    const res = await call(d, 'GET', '/api/visits/mallory', { key });
    assert.deepEqual(assertJson(res, 200), { user: 'mallory', visits: 0, unique: 0 });
  });

  test('several keys are valid at once', async () => {
    for (const k of KEYS) {
      const res = await call(d, 'POST', '/api/visits/rotation', { key: k });
      assert.equal(res.status, 200, `key ${k}`);
    }
    const res = await call(d, 'GET', '/api/visits/rotation', { key: KEYS[1] });
    assert.deepEqual(assertJson(res, 200), { user: 'rotation', visits: 2, unique: 1 });
  });

  test('an allowed Origin gets Access-Control-Allow-Origin and Vary on every answer', async () => {
    const answers = [
      [200, await call(d, 'POST', '/api/visits/cors', { key, headers: { origin: ORIGIN_A } })],
      [200, await call(d, 'GET', '/api/visits/cors', { key, headers: { origin: ORIGIN_B } })],
      [403, await call(d, 'POST', '/api/visits/cors', { headers: { origin: ORIGIN_A } })],
      [403, await call(d, 'POST', '/api/visits/cors', { key: 'wrong', headers: { origin: ORIGIN_B } })],
      [400, await call(d, 'POST', '/api/visits/..', { key, headers: { origin: ORIGIN_A } })],
      [404, await call(d, 'GET', '/nope', { key, headers: { origin: ORIGIN_A } })],
      [405, await call(d, 'DELETE', '/api/visits/cors', { key, headers: { origin: ORIGIN_A } })],
    ];
    for (const [status, res] of answers) {
      assert.equal(res.status, status, res.text);
      const origin = res.headers['access-control-allow-origin'];
      assert.ok(origin === ORIGIN_A || origin === ORIGIN_B, `${status}: ACAO ${origin}`);
      assert.ok(varyHasOrigin(res), `${status}: Vary is ${res.headers.vary}`);
    }
    assert.equal(answers[1][1].headers['access-control-allow-origin'], ORIGIN_B);
  });

  test('a disallowed Origin gets no Access-Control-Allow-Origin', async () => {
    for (const origin of ['https://evil.example', `${ORIGIN_A}.evil.example`, 'null']) {
      const ok = await call(d, 'POST', '/api/visits/cors-no', { key, headers: { origin } });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers['access-control-allow-origin'], undefined, origin);
      const denied = await call(d, 'POST', '/api/visits/cors-no', { headers: { origin } });
      assert.equal(denied.status, 403);
      assert.equal(denied.headers['access-control-allow-origin'], undefined, origin);
    }
  });

  test('an OPTIONS preflight is 204 without a key', async () => {
    const res = await call(d, 'OPTIONS', '/api/visits/anyone', {
      headers: {
        origin: ORIGIN_A,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-api-key,content-type',
      },
    });
    assert.equal(res.status, 204);
    assert.equal(res.text, '');
    assert.equal(res.headers['access-control-allow-origin'], ORIGIN_A);
    assert.ok(varyHasOrigin(res));
    assert.equal(res.headers['access-control-allow-methods'], 'GET, POST, OPTIONS');
    const allowed = listHeader(res, 'access-control-allow-headers');
    assert.ok(allowed.includes('x-api-key'), `Allow-Headers: ${allowed}`);
    assert.ok(allowed.includes('content-type'), `Allow-Headers: ${allowed}`);
    assert.equal(res.headers['access-control-max-age'], '600');
    // Nothing was counted.
    const get = await call(d, 'GET', '/api/visits/anyone', { key });
    assert.deepEqual(assertJson(get, 200), { user: 'anyone', visits: 0, unique: 0 });
  });

  test('other methods are 405 with Allow', async () => {
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const res = await call(d, method, '/api/visits/someone', { key, body: method === 'DELETE' ? undefined : '{}' });
      assert.equal(res.status, 405, `${method}: ${res.status}`);
      const allow = listHeader(res, 'allow');
      for (const m of ['get', 'post', 'options']) assert.ok(allow.includes(m), `${method}: Allow ${res.headers.allow}`);
    }
  });

  test('unknown paths are 404 with a JSON message', async () => {
    for (const path of ['/nope', '/api/other/x', '/api/visitsx/a', '/']) {
      const res = await call(d, 'GET', path, { key });
      assert.equal(res.status, 404, `${path}: ${res.status}`);
      assertMessage(res, 404);
    }
  });

  test('/healthz and /readyz answer 200 without a key', async () => {
    const health = await call(d, 'GET', '/healthz');
    assert.equal(health.status, 200);
    const ready = await call(d, 'GET', '/readyz');
    assert.equal(ready.status, 200);
  });

  test('/metrics is Prometheus text counting requests by route and status', async () => {
    const before0 = await call(d, 'GET', '/metrics');
    assert.equal(before0.status, 200);
    assert.match(before0.headers['content-type'] ?? '', /^text\/plain\b/);
    assert.match(before0.text, /^# TYPE visitsd_http_requests_total counter$/m);
    const n0 = visits200(before0.text);
    for (let i = 0; i < 3; i++) await call(d, 'POST', '/api/visits/metered', { key });
    const after0 = await metricsWith(d, n0 + 3);
    assert.equal(visits200(after0.text), n0 + 3, after0.text);
  });
});

test('with VISITSD_ALLOWED_ORIGINS=* every Origin is allowed', async (t) => {
  const d = await startDaemon({ env: { VISITSD_ALLOWED_ORIGINS: '*' } });
  t.after(() => d.stop());
  for (const status of [200, 403]) {
    const res = await call(d, 'POST', '/api/visits/star', {
      key: status === 200 ? d.key : 'wrong', headers: { origin: 'https://anyone.example' },
    });
    assert.equal(res.status, status);
    const acao = res.headers['access-control-allow-origin'];
    assert.ok(acao === '*' || (acao === 'https://anyone.example' && varyHasOrigin(res)),
      `ACAO ${acao}, Vary ${res.headers.vary}`);
  }
});

test('the GET-increments switch makes GET count, for classic frontends', async (t) => {
  const d = await startDaemon({ env: { VISITSD_GET_INCREMENTS: 'true' } });
  t.after(() => d.stop());
  for (const want of [1, 2]) {
    const res = await call(d, 'GET', '/api/visits/classic', { key: d.key });
    assert.deepEqual(assertJson(res, 200), { user: 'classic', visits: want, unique: 1 });
  }
  const res = await call(d, 'POST', '/api/visits/classic', { key: d.key });
  assert.deepEqual(assertJson(res, 200), { user: 'classic', visits: 3, unique: 1 });
});

test('with VISITSD_METRICS_LISTEN, /metrics is served only on that address', async (t) => {
  const d = await startDaemon({ env: { VISITSD_METRICS_LISTEN: '127.0.0.1:0' } });
  t.after(() => d.stop());
  const [, address] = await d.waitForLog(/metrics on (127\.0\.0\.1:\d+)/);
  assert.notEqual(address, d.address);
  const m = { url: `http://${address}` };
  await call(d, 'POST', '/api/visits/separate', { key: d.key });
  const res = await metricsWith(m, 1);
  assert.equal(res.status, 200);
  assert.match(res.headers['content-type'] ?? '', /^text\/plain\b/);
  assert.equal(visits200(res.text), 1, res.text);
  assertMessage(await call(d, 'GET', '/metrics'), 404);
  assert.notEqual((await call(m, 'POST', '/api/visits/separate', { key: d.key })).status, 200);
});

test('VISITSD_AUTH=none serves without a key', async (t) => {
  const d = await startDaemon({ env: { VISITSD_AUTH: 'none', VISITSD_API_KEY: undefined } });
  t.after(() => d.stop());
  const res = await call(d, 'POST', '/api/visits/open');
  assert.deepEqual(assertJson(res, 200), { user: 'open', visits: 1, unique: 1 });
});

test('SIGHUP reloads VISITSD_API_KEY_FILE without dropping requests', { timeout: 60000 }, async (t) => {
  const dir = tempDir();
  const keyFile = join(dir, 'keys');
  const replace = (text) => {
    writeFileSync(`${keyFile}.new`, text, { mode: 0o600 });
    renameSync(`${keyFile}.new`, keyFile);
  };
  replace('old-key\n');
  const d = await startDaemon({ env: { VISITSD_API_KEY: undefined, VISITSD_API_KEY_FILE: keyFile } });
  t.after(() => d.stop());
  assert.equal(d.logs.filter((l) => l.includes('"level":"info"')).length, 1, 'one startup line at info');
  assert.equal((await call(d, 'POST', '/api/visits/hup', { key: 'old-key' })).status, 200);
  assert.equal((await call(d, 'POST', '/api/visits/hup', { key: 'new-key' })).status, 403);

  // Traffic through the reload: every request must get an answer.
  let running = true;
  let answered = 0;
  const failures = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const traffic = Array.from({ length: 4 }, async () => {
    while (running) {
      try {
        const res = await call(d, 'GET', '/api/visits/hup', { key: 'old-key', agent });
        if (res.status !== 200 && res.status !== 403) failures.push(`status ${res.status}`);
        answered++;
      } catch (err) {
        failures.push(err.message);
      }
    }
  });

  replace('new-key, newer-key\n');
  d.proc.kill('SIGHUP');
  let reloaded = false;
  for (let i = 0; i < 200 && !reloaded; i++) {
    reloaded = (await call(d, 'GET', '/api/visits/hup', { key: 'new-key' })).status === 200;
    if (!reloaded) await delay(50);
  }
  const during = answered;
  await delay(200);
  running = false;
  await Promise.all(traffic);
  agent.destroy();

  assert.ok(reloaded, `new key not accepted after SIGHUP; logs:\n${d.logs.join('\n')}`);
  assert.deepEqual(failures, []);
  assert.ok(answered > during, 'no traffic after the reload');
  assert.equal((await call(d, 'POST', '/api/visits/hup', { key: 'newer-key' })).status, 200);
  assert.equal((await call(d, 'POST', '/api/visits/hup', { key: 'old-key' })).status, 403);
  assert.equal(d.proc.exitCode, null, 'the daemon exited on SIGHUP');

  // A reload that fails keeps the keys in use and the daemon running.
  unlinkSync(keyFile);
  d.proc.kill('SIGHUP');
  await d.waitForLog(/key reload failed, keeping the old keys/);
  assert.equal(d.proc.exitCode, null, 'a failed reload must not stop the daemon');
  assert.equal((await call(d, 'POST', '/api/visits/hup', { key: 'new-key' })).status, 200);

  assert.deepEqual(await d.stop(), { code: 0, signal: null });
  for (const line of d.logs) {
    assert.doesNotMatch(line, /old-key|new-key|newer-key/, 'a key reached the log');
  }
});

test('SIGTERM and SIGINT stop the daemon with exit status 0', async () => {
  for (const signal of ['SIGTERM', 'SIGINT']) {
    const d = await startDaemon();
    assert.equal((await call(d, 'POST', '/api/visits/bye', { key: d.key })).status, 200);
    assert.deepEqual(await d.stop(signal), { code: 0, signal: null }, d.logs.join('\n'));
    assert.ok(d.logs.some((l) => l.includes('"msg":"stopped"')), `no "stopped" line: ${d.logs.join('\n')}`);
  }
});

test('counts survive a restart', async () => {
  const first = await startDaemon();
  for (let i = 0; i < 3; i++) await call(first, 'POST', '/api/visits/durable', { key: first.key });
  assert.deepEqual(await first.stop(), { code: 0, signal: null });
  const second = await startDaemon({ env: { VISITSD_SQLITE_PATH: first.sqlitePath } });
  try {
    const res = await call(second, 'GET', '/api/visits/durable', { key: second.key });
    assert.deepEqual(assertJson(res, 200), { user: 'durable', visits: 3, unique: 1 });
    const more = await call(second, 'POST', '/api/visits/durable', { key: second.key });
    assert.deepEqual(assertJson(more, 200), { user: 'durable', visits: 4, unique: 1 });
  } finally {
    await second.stop();
  }
});

test('kill -9 loses no acknowledged increment', { timeout: 60000 }, async () => {
  const d = await startDaemon();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const acked = [];
  const odd = [];
  let sent = 0;
  let running = true;
  const workers = Array.from({ length: 32 }, async () => {
    while (running) {
      sent++;
      try {
        const res = await call(d, 'POST', '/api/visits/crash', { key: d.key, agent });
        if (res.status === 200) acked.push(res.json().visits);
        else odd.push(res.status);
      } catch {
        // The connection died with the process: not acknowledged.
      }
    }
  });
  for (let i = 0; i < 3000 && acked.length < 500; i++) await delay(10);
  const killed = d.kill9();
  running = false;
  assert.deepEqual(await killed, { code: null, signal: 'SIGKILL' });
  await Promise.all(workers);
  agent.destroy();
  assert.ok(acked.length >= 500, `only ${acked.length} answers before the kill`);
  assert.deepEqual(odd, []);

  const again = await startDaemon({ env: { VISITSD_SQLITE_PATH: d.sqlitePath } });
  try {
    const res = await call(again, 'GET', '/api/visits/crash', { key: again.key });
    const { visits } = assertJson(res, 200);
    const highest = Math.max(...acked);
    assert.equal(new Set(acked).size, acked.length, 'a count was answered twice');
    assert.ok(visits >= highest, `count ${visits} after restart, but ${highest} was acknowledged`);
    assert.ok(visits <= sent, `count ${visits} but only ${sent} requests were sent`);
  } finally {
    await again.stop();
  }
});

test('2,000 concurrent POSTs on one id: every 200 counted once, every count distinct', { timeout: 120000 }, async (t) => {
  const d = await startDaemon();
  t.after(() => d.stop());
  const N = 2000;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const answers = await Promise.all(Array.from({ length: N }, () =>
    call(d, 'POST', '/api/visits/crowd', { key: d.key, agent })));
  agent.destroy();

  const counts = [];
  for (const res of answers) {
    if (res.status === 200) counts.push(res.json().visits);
    else {
      // The only other honest answer under load is "try again later".
      assert.equal(res.status, 503, `unexpected ${res.status}: ${res.text}`);
      assert.ok(res.headers['retry-after'], '503 without Retry-After');
    }
  }
  const final = assertJson(await call(d, 'GET', '/api/visits/crowd', { key: d.key }), 200).visits;
  assert.ok(counts.length > 0);
  assert.equal(final, counts.length, `final count ${final}, ${counts.length} answers were 200`);
  assert.equal(new Set(counts).size, counts.length, 'a count was answered twice');
  for (const c of counts) assert.ok(c >= 1 && c <= final, `count ${c} outside 1..${final}`);
});

test('a store failure is 503 with Retry-After and CORS, never a made-up count', { timeout: 60000 }, async (t) => {
  const d = await startDaemon({ env: { VISITSD_ALLOWED_ORIGINS: ORIGIN_A } });
  t.after(() => d.stop());
  assert.equal((await call(d, 'POST', '/api/visits/locked', { key: d.key })).status, 200);

  // Another process (the sqlite3 shell) holds the write lock past the
  // daemon's busy timeout.
  const shell = spawn('sqlite3', [d.sqlitePath], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.after(() => shell.kill());
  const locked = new Promise((resolve, reject) => {
    shell.on('error', reject);
    shell.stdout.setEncoding('utf8').on('data', (c) => { if (c.includes('locked')) resolve(); });
  });
  shell.stdin.write("BEGIN IMMEDIATE;\nSELECT 'locked';\n");
  await locked;

  const res = await call(d, 'POST', '/api/visits/locked', { key: d.key, headers: { origin: ORIGIN_A } });
  shell.stdin.end('ROLLBACK;\n');
  assertMessage(res, 503);
  assert.ok(/^\d+$/.test(res.headers['retry-after'] ?? ''), `Retry-After: ${res.headers['retry-after']}`);
  assert.equal(res.headers['access-control-allow-origin'], ORIGIN_A);
  await new Promise((resolve) => shell.on('close', resolve));

  const after0 = await call(d, 'POST', '/api/visits/locked', { key: d.key });
  assert.deepEqual(assertJson(after0, 200), { user: 'locked', visits: 2, unique: 1 });
});
