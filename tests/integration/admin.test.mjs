// admin.test.mjs: the admin API against the real daemon, on SQLite and on
// the DynamoDB test peer (tests/harness): Bearer auth (missing, wrong, the
// API key used as the admin key -> 401 with WWW-Authenticate), PUT and
// DELETE on /api/visits/<id>, the streamed NDJSON export, the validated
// import (a bad line -> 400 naming it, nothing written), 405/404 without
// an admin key, SIGHUP reload of the admin key file, and the round trip
// SQLite -> DynamoDB -> SQLite of 100,000 ids through `visitsd export` and
// `visitsd import`.
//
// Every store runs the same tests (STORES below).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHarness } from '../harness/client.mjs';
import { startDaemon, tempDir, TEST_KEY } from './lib/daemon.mjs';

const BIN = process.env.VISITSD_BIN ?? 'build/visitsd';
const ADMIN = 'integration-admin-key-9876543210';

/** One request: { status, headers, text, body (parsed JSON or text) }. */
function req(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const r = http.request(url, { method, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        let parsed = text;
        try { parsed = JSON.parse(text); } catch { /* NDJSON or empty */ }
        resolve({ status: res.statusCode, headers: res.headers, text, body: parsed });
      });
    });
    r.setTimeout(120000, () => r.destroy(new Error('no answer within 120 s')));
    r.on('error', reject);
    if (body !== undefined) r.write(body);
    r.end();
  });
}

const bearer = (key) => ({ authorization: `Bearer ${key}` });
const put = (d, id, body, key = ADMIN) => req(`${d.url}/api/visits/${id}`, {
  method: 'PUT', headers: { ...bearer(key), 'content-type': 'application/json' }, body: JSON.stringify(body),
});
const del = (d, id, key = ADMIN) => req(`${d.url}/api/visits/${id}`, { method: 'DELETE', headers: bearer(key) });
const get = (d, id) => req(`${d.url}/api/visits/${id}`, { headers: { 'x-api-key': TEST_KEY } });
const exportAll = (d, key = ADMIN) => req(`${d.url}/api/admin/export`, { headers: bearer(key) });
const importBody = (d, text, key = ADMIN) => req(`${d.url}/api/admin/import`, {
  method: 'POST', headers: { ...bearer(key), 'content-type': 'application/x-ndjson' }, body: text,
});

/** The export's lines as a Map id -> {visits, unique}. */
function parseExport(text) {
  const m = new Map();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const o = JSON.parse(line);
    assert.deepEqual(Object.keys(o), ['user', 'visits', 'unique']);
    m.set(o.user, { visits: o.visits, unique: o.unique });
  }
  return m;
}

/** Run `visitsd args` to completion; stdin from, stdout to a file when given. */
function cli(args, env, { stdinFile, stdoutFile, timeoutMs = 600000 } = {}) {
  return new Promise((resolve, reject) => {
    const out = stdoutFile ? openSync(stdoutFile, 'w') : 'pipe';
    const inp = stdinFile ? openSync(stdinFile, 'r') : 'ignore';
    const t0 = performance.now();
    const p = spawn(BIN, args, { env: { PATH: process.env.PATH, ...env }, stdio: [inp, out, 'pipe'] });
    let stderr = '';
    let stdout = '';
    p.stderr.setEncoding('utf8').on('data', (c) => { stderr += c; });
    if (!stdoutFile) p.stdout.setEncoding('utf8').on('data', (c) => { stdout += c; });
    const timer = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`visitsd ${args[0]} timed out; ${stderr}`)); }, timeoutMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      if (stdoutFile) closeSync(out);
      if (stdinFile) closeSync(inp);
      resolve({ code, stderr, stdout, ms: performance.now() - t0 });
    });
  });
}

// --- the stores ------------------------------------------------------

let harness;
async function peer() {
  if (!harness) harness = await startHarness();
  return harness;
}

/** Environment selecting each store (the CLI and the daemon alike). */
const STORES = {
  sqlite: async () => ({}),
  dynamodb: async () => {
    const h = await peer();
    const env = { ...h.env('env'), VISITSD_API_KEY_PARAMETER: undefined, VISITSD_API_KEY: TEST_KEY };
    for (const k of ['AWS_SESSION_TOKEN', 'AWS_PROFILE']) env[k] = undefined;
    return env;
  },
};

/** A clean env object for the CLI (no undefined values). */
function defined(env) {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined));
}

after(() => harness?.stop());

for (const [name, storeEnv] of Object.entries(STORES)) {
  test(`${name}: PUT, DELETE, export and import behind the admin key`, async (t) => {
    const d = await startDaemon({ env: { ...(await storeEnv()), VISITSD_ADMIN_KEY: ADMIN } });
    t.after(() => d.stop());
    const pre = `${name}-${Date.now()}-`;

    let r = await put(d, `${pre}a`, { visits: 42, unique: 7 });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { user: `${pre}a`, visits: 42, unique: 7 });
    r = await get(d, `${pre}a`);
    assert.deepEqual(r.body, { user: `${pre}a`, visits: 42, unique: 7 });
    // unique absent: 0.
    r = await put(d, `${pre}b`, { visits: 5 });
    assert.deepEqual(r.body, { user: `${pre}b`, visits: 5, unique: 0 });

    // 401: missing, wrong, the API key as admin key, a malformed scheme.
    for (const headers of [{}, bearer('wrong'), bearer(TEST_KEY), { authorization: `Basic ${ADMIN}` },
      { authorization: `Bearer  ${ADMIN}` }, { 'x-api-key': ADMIN }]) {
      r = await req(`${d.url}/api/visits/${pre}a`, { method: 'PUT', headers, body: '{"visits":1}' });
      assert.equal(r.status, 401, JSON.stringify(headers));
      assert.deepEqual(r.body, { message: 'Unauthorized' });
      assert.equal(r.headers['www-authenticate'], 'Bearer');
    }
    r = await req(`${d.url}/api/admin/export`, { headers: bearer(TEST_KEY) });
    assert.equal(r.status, 401);
    r = await req(`${d.url}/api/admin/import`, { method: 'POST', headers: {}, body: '' });
    assert.equal(r.status, 401);
    r = await req(`${d.url}/api/visits/${pre}a`, { method: 'DELETE', headers: bearer('nope') });
    assert.equal(r.status, 401);
    // The scheme is case-insensitive.
    r = await req(`${d.url}/api/visits/${pre}a`, { method: 'DELETE', headers: { authorization: `bEARER ${ADMIN}` } });
    assert.equal(r.status, 204);
    assert.equal(r.text, '');
    r = await get(d, `${pre}a`);
    assert.deepEqual(r.body, { user: `${pre}a`, visits: 0, unique: 0 });

    // Bad PUT bodies.
    for (const body of [{ visits: -1 }, { visits: 1.5 }, { visits: '3' }, { visits: 2 ** 53 }, {},
      { visits: 1, unique: 2 }, { visits: 1, extra: 1 }]) {
      r = await put(d, `${pre}b`, body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(typeof r.body.message, 'string');
    }
    r = await get(d, `${pre}b`);
    assert.equal(r.body.visits, 5);

    // Import, then export sees it.
    const lines = [];
    for (let i = 0; i < 50; i++) lines.push(JSON.stringify({ user: `${pre}i${i}`, visits: i * 2, unique: i }));
    r = await importBody(d, lines.join('\n') + '\n');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { imported: 50 });
    r = await exportAll(d);
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /^application\/x-ndjson/);
    const all = parseExport(r.text);
    for (let i = 0; i < 50; i++) assert.deepEqual(all.get(`${pre}i${i}`), { visits: i * 2, unique: i });
    assert.deepEqual(all.get(`${pre}b`), { visits: 5, unique: 0 });

    // A bad line: 400 naming it, nothing written (line 1 is not put).
    const bad = [
      JSON.stringify({ user: `${pre}n1`, visits: 1 }),
      '',
      JSON.stringify({ user: `${pre}n2`, visits: 2 }),
      JSON.stringify({ user: `${pre}n3`, visits: -3 }),
    ].join('\n');
    r = await importBody(d, bad);
    assert.equal(r.status, 400);
    assert.equal(r.body.message, 'line 4: "visits" must be an integer from 0 to 9007199254740991');
    r = await importBody(d, `${lines[0]}\n${lines[1]}\n${lines[0]}\n`);
    assert.equal(r.status, 400);
    assert.match(r.body.message, /^line 3: duplicate user ".*" \(first on line 1\)$/);
    r = await importBody(d, '{"user":"a b","visits":1}');
    assert.match(r.body.message, /^line 1: "user": invalid id/);
    r = await get(d, `${pre}n1`);
    assert.deepEqual(r.body, { user: `${pre}n1`, visits: 0, unique: 0 });

    // CORS preflight lists the admin methods and header.
    r = await req(`${d.url}/api/visits/${pre}a`, { method: 'OPTIONS', headers: { origin: 'https://a.example' } });
    assert.equal(r.status, 204);
    assert.equal(r.headers['access-control-allow-methods'], 'GET, POST, PUT, DELETE, OPTIONS');
    assert.match(r.headers['access-control-allow-headers'], /authorization/);
    r = await req(`${d.url}/api/visits/${pre}a`, { method: 'PATCH', headers: bearer(ADMIN) });
    assert.equal(r.status, 405);
    assert.equal(r.headers.allow, 'GET, POST, PUT, DELETE, OPTIONS');
  });
}

test('sqlite: without an admin key PUT/DELETE are 405 and /api/admin/* 404', async (t) => {
  const d = await startDaemon();
  t.after(() => d.stop());
  for (const method of ['PUT', 'DELETE']) {
    const r = await req(`${d.url}/api/visits/x`, { method, headers: bearer(ADMIN), body: '{"visits":1}' });
    assert.equal(r.status, 405);
    assert.equal(r.headers.allow, 'GET, POST, OPTIONS');
  }
  for (const path of ['/api/admin/export', '/api/admin/import', '/api/admin']) {
    const r = await req(`${d.url}${path}`, { method: path.endsWith('import') ? 'POST' : 'GET', headers: bearer(ADMIN) });
    assert.equal(r.status, 404, path);
  }
  const r = await req(`${d.url}/api/visits/x`, { method: 'OPTIONS', headers: { origin: 'https://a.example' } });
  assert.equal(r.headers['access-control-allow-methods'], 'GET, POST, OPTIONS');
  assert.equal(r.headers['access-control-allow-headers'], 'content-type, x-api-key');
});

test('sqlite: the admin key file is re-read on SIGHUP; an admin key equal to an API key is refused', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'admin-key');
  writeFileSync(file, 'first-admin-key-000000\n', { mode: 0o600 });
  const d = await startDaemon({ env: { VISITSD_ADMIN_KEY_FILE: file } });
  t.after(() => d.stop());
  assert.equal((await put(d, 'h', { visits: 1 }, 'first-admin-key-000000')).status, 200);
  writeFileSync(file, 'second-admin-key-11111\n', { mode: 0o600 });
  d.proc.kill('SIGHUP');
  await d.waitForLog(/SIGHUP: loaded 1 admin key\(s\) from file/);
  assert.equal((await put(d, 'h', { visits: 2 }, 'first-admin-key-000000')).status, 401);
  assert.equal((await put(d, 'h', { visits: 2 }, 'second-admin-key-11111')).status, 200);
  // The API key as the new admin key: refused, the old one kept.
  writeFileSync(file, `${TEST_KEY}\n`, { mode: 0o600 });
  d.proc.kill('SIGHUP');
  await d.waitForLog(/admin key reload refused, keeping the old admin keys/);
  assert.equal((await put(d, 'h', { visits: 3 }, TEST_KEY)).status, 401);
  assert.equal((await put(d, 'h', { visits: 3 }, 'second-admin-key-11111')).status, 200);
  // No key in any log line.
  for (const line of d.logs) assert.ok(!/first-admin-key|second-admin-key/.test(line), line);
});

test('the admin key may not equal an API key at startup', async () => {
  const r = await cli(['-n'], { VISITSD_API_KEY: 'same-key-0123', VISITSD_ADMIN_KEY: 'same-key-0123' });
  assert.equal(r.code, 78);
  assert.match(r.stderr, /admin key must differ from every API key/);
  assert.ok(!r.stderr.includes('same-key-0123'));
});

test('visitsd import refuses a bad line by number and writes nothing', async () => {
  const dir = tempDir();
  const env = { VISITSD_AUTH: 'none', VISITSD_SQLITE_PATH: join(dir, 'v.db') };
  const file = join(dir, 'in.ndjson');
  writeFileSync(file, '{"user":"a","visits":1}\n{"user":"b","visits":2,"unique":3}\n');
  let r = await cli(['import', file], env);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `visitsd: import ${file}: line 2: "unique" (3) exceeds "visits" (2); nothing imported\n`);
  r = await cli(['export'], env);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, '');
});

test('round trip SQLite -> DynamoDB -> SQLite of 100,000 ids through visitsd export / import', async (t) => {
  const N = 100000;
  const dir = tempDir();
  const src = join(dir, 'src.ndjson');
  const lines = [];
  for (let i = 0; i < N; i++) lines.push(JSON.stringify({ user: `rt-${i}`, visits: i * 7 + 1, unique: i }));
  writeFileSync(src, lines.join('\n') + '\n');
  const sqliteA = { VISITSD_AUTH: 'none', VISITSD_SQLITE_PATH: join(dir, 'a.db') };
  const sqliteB = { VISITSD_AUTH: 'none', VISITSD_SQLITE_PATH: join(dir, 'b.db') };
  const dynamo = defined({ ...(await STORES.dynamodb()), VISITSD_AUTH: 'none', VISITSD_API_KEY: undefined });

  const step = async (label, args, env, opts) => {
    const r = await cli(args, env, opts);
    t.diagnostic(`${label}: ${(r.ms / 1000).toFixed(2)} s`);
    return r;
  };
  let r = await step('import into SQLite A', ['import', src], sqliteA);
  assert.equal(r.code, 0, r.stderr);
  r = await step('export SQLite A', ['export'], sqliteA, { stdoutFile: join(dir, 'a.ndjson') });
  assert.equal(r.code, 0, r.stderr);
  r = await step('import into DynamoDB', ['import', join(dir, 'a.ndjson')], dynamo);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /100000 ids imported/);
  r = await step('export DynamoDB', ['export'], dynamo, { stdoutFile: join(dir, 'd.ndjson') });
  assert.equal(r.code, 0, r.stderr);
  // From stdin ("-"): spooled to a temporary file, then validated and put.
  r = await step('import into SQLite B (stdin)', ['import', '-'], sqliteB, { stdinFile: join(dir, 'd.ndjson') });
  assert.equal(r.code, 0, r.stderr);
  r = await step('export SQLite B', ['export'], sqliteB, { stdoutFile: join(dir, 'b.ndjson') });
  assert.equal(r.code, 0, r.stderr);
  const back = parseExport(readFileSync(join(dir, 'b.ndjson'), 'utf8'));
  const mine = new Map([...back].filter(([id]) => id.startsWith('rt-')));
  assert.equal(mine.size, N);
  for (let i = 0; i < N; i++) {
    const c = mine.get(`rt-${i}`);
    if (c.visits !== i * 7 + 1 || c.unique !== i) assert.fail(`rt-${i}: ${JSON.stringify(c)}`);
  }
});

test('sqlite: an import past VISITSD_ADMIN_IMPORT_MAX_BYTES and a PUT past VISITSD_MAX_BODY are 413', async (t) => {
  const d = await startDaemon({ env: { VISITSD_ADMIN_KEY: ADMIN, VISITSD_ADMIN_IMPORT_MAX_BYTES: 1024 } });
  t.after(() => d.stop());
  const lines = [];
  for (let i = 0; i < 40; i++) lines.push(JSON.stringify({ user: `big${i}`, visits: i }));
  const body = lines.join('\n');
  assert.ok(body.length > 1024);
  let r = await importBody(d, body);
  assert.equal(r.status, 413);
  r = await get(d, 'big0');
  assert.equal(r.body.visits, 0);
  // Under the limit: the same lines, fewer of them, go in.
  r = await importBody(d, lines.slice(0, 10).join('\n'));
  assert.deepEqual(r.body, { imported: 10 });
  r = await put(d, 'big0', { visits: 1, pad: 'x'.repeat(2000) });
  assert.equal(r.status, 413);
});
