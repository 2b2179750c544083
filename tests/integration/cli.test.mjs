// The daemon's command line and configuration errors, driven through the
// real binary ($VISITSD_BIN): `-n`, exit status 78 naming the key,
// --version, refusals at startup.  Signals (SIGHUP reload, SIGTERM/SIGINT)
// are tested on a serving daemon in core.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';

const BIN = process.env.VISITSD_BIN ?? 'build/visitsd';

// Run the binary to completion with only the given environment.
function run(args, env = {}) {
  const r = spawnSync(BIN, args, { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tmp() {
  return mkdtempSync(join(tmpdir(), 'visitsd-cli-'));
}

test('-n accepts config.example.ini in a clean environment', () => {
  const r = run(['-n', '-c', 'config.example.ini']);
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, 'configuration OK\n');
  assert.equal(r.status, 0);
});

test('--version prints the version', () => {
  const r = run(['--version']);
  assert.match(r.stdout, /^visitsd \d+\.\d+\.\d+\n$/);
  assert.equal(r.status, 0);
});

test('a bad value exits 78 naming the key and why', () => {
  let r = run(['-n'], { VISITSD_THREADS: '1', VISITSD_AUTH: 'none' });
  assert.equal(r.status, 78);
  assert.equal(r.stderr, 'visitsd: VISITSD_THREADS: 1 is below the minimum 2\n');
  r = run(['-n', '--auth=none', '--store=mysql']);
  assert.equal(r.status, 78);
  assert.match(r.stderr, /--store: "mysql" is not one of sqlite, dynamodb/);
  r = run(['-n', '--auth=none', '--no-such-flag']);
  assert.equal(r.status, 78);
  // Not only -n: a daemon started with a bad value exits 78 before serving.
  const dir = tmp();
  try {
    const base = { VISITSD_API_KEY: 'k', VISITSD_LISTEN: '127.0.0.1:0', VISITSD_SQLITE_PATH: join(dir, 'v.db') };
    for (const [env, name] of [
      [{ VISITSD_THREADS: '1' }, /VISITSD_THREADS/],
      [{ VISITSD_THREADS: 'many' }, /VISITSD_THREADS/],
      [{ VISITSD_STORE: 'postgres' }, /VISITSD_STORE/],
      [{ VISITSD_LOG_LEVEL: 'loud' }, /VISITSD_LOG_LEVEL/],
    ]) {
      r = run([], { ...base, ...env });
      assert.equal(r.status, 78, `${JSON.stringify(env)}: ${r.stderr}`);
      assert.match(r.stderr, name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('-n refuses an origin list that startup would refuse, exit 78 naming it', () => {
  // One grammar for -n and startup: a query in an origin once passed -n
  // and then failed startup with exit 1.
  const r = run(['-n', '--auth=none'], { VISITSD_ALLOWED_ORIGINS: 'https://a.example?x' });
  assert.equal(r.status, 78);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^visitsd: VISITSD_ALLOWED_ORIGINS: "https:\/\/a\.example\?x" is not an origin/);
});

test('an unknown VISITSD_* variable is a warning, not an error', () => {
  const r = run(['-n', '--auth=none'], { VISITSD_THREADZ: '8', VISITSD_LOG_FORMAT: 'text' });
  assert.equal(r.status, 0);
  assert.equal(r.stdout, 'configuration OK\n');
  assert.match(r.stderr, / warn ignoring environment variables that are not settings: VISITSD_THREADZ\n/);
});

test('no key source and no opt-out refuses to start, saying how', () => {
  const r = run([]);
  assert.equal(r.status, 78);
  assert.match(r.stderr, /VISITSD_API_KEY_FILE/);
  assert.match(r.stderr, /VISITSD_AUTH=none/);
});

test('an unknown INI key names the file and line', () => {
  const dir = tmp();
  try {
    const ini = join(dir, 'v.ini');
    writeFileSync(ini, '[server]\nthreads = 4\nthread = 5\n');
    const r = run(['-n', '-c', ini, '--auth=none']);
    assert.equal(r.status, 78);
    assert.equal(r.stderr, `visitsd: ${ini}:3: unknown key "thread" in [server]\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing key file is a startup error (exit 1), not a configuration one', () => {
  const dir = tmp();
  try {
    const r = run([], {
      VISITSD_API_KEY_FILE: join(dir, 'absent'),
      VISITSD_LISTEN: '127.0.0.1:0',
      VISITSD_SQLITE_PATH: join(dir, 'v.db'),
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot load the API key: API key file .*absent: No such file/);
    // -n checks the configuration, not the world.
    const n = run(['-n'], { VISITSD_API_KEY_FILE: join(dir, 'absent') });
    assert.equal(n.status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a listen address in use is a startup error (exit 1) naming that address', async () => {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const dir = tmp();
  try {
    const r = run([], {
      VISITSD_API_KEY: 'k',
      VISITSD_LISTEN: `127.0.0.1:${port}`,
      VISITSD_SQLITE_PATH: join(dir, 'v.db'),
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}\\b`));
    // libmicrohttpd's own line must name the port asked for, not "port 0".
    assert.doesNotMatch(r.stderr, /port 0\b/);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--health-check: exit 0 while /healthz answers 200, 1 once nothing listens', async () => {
  const { startDaemon, TEST_KEY } = await import('./lib/daemon.mjs');
  const { spawn } = await import('node:child_process');
  const d = await startDaemon();
  const port = d.address.slice(d.address.lastIndexOf(':') + 1);
  const check = (listen) => new Promise((resolve) => {
    const p = spawn(BIN, ['--health-check'], {
      env: { PATH: process.env.PATH, VISITSD_API_KEY: TEST_KEY, VISITSD_LISTEN: listen },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    p.stderr.on('data', (c) => { err += c; });
    p.on('close', (code) => resolve({ code, err }));
  });
  // A wildcard listen address is reached on loopback.
  assert.equal((await check(`0.0.0.0:${port}`)).code, 0);
  assert.equal((await check(`127.0.0.1:${port}`)).code, 0);
  await d.stop();
  const after = await check(`127.0.0.1:${port}`);
  assert.equal(after.code, 1);
  assert.match(after.err, /health-check: 127\.0\.0\.1:\d+: Connection refused/);
});
