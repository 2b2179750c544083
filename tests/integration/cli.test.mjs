// The daemon's command line, configuration errors and signal handling,
// driven through the real binary ($VISITSD_BIN): `-n`, exit status 78
// naming the key, --version, SIGHUP key reload and SIGTERM's clean exit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, renameSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

// Start the daemon; resolves with the child and a function returning the
// stderr seen so far once the startup line has appeared.
function start(env) {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, [], {
      env: { PATH: process.env.PATH, VISITSD_LISTEN: '127.0.0.1:0', VISITSD_LOG_FORMAT: 'text', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => {
      log += d;
      const m = /listening on (\S+)/.exec(log);
      if (m) resolve({ child, address: m[1], log: () => log });
    });
    child.on('exit', (code) => reject(new Error(`visitsd exited ${code} before listening:\n${log}`)));
  });
}

// Wait until the daemon's log matches re.
async function waitLog(d, re) {
  for (let i = 0; i < 200; i++) {
    if (re.test(d.log())) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`log never matched ${re}:\n${d.log()}`);
}

test('SIGHUP reloads the key file, keeps the old keys on failure; SIGTERM exits 0', async () => {
  const dir = tmp();
  const keyfile = join(dir, 'key');
  writeFileSync(keyfile, 'first-key\n', { mode: 0o600 });
  let d;
  try {
    d = await start({ VISITSD_API_KEY_FILE: keyfile, VISITSD_SQLITE_PATH: join(dir, 'v.db') });
    assert.match(d.log(), /visitsd \S+ listening on \S+ \(store sqlite/);
    assert.equal(d.log().match(/ info /g).length, 1, 'one startup line at info');
    assert.doesNotMatch(d.log(), /first-key/);

    const status = async (key) =>
      (await fetch(`http://${d.address}/api/visits/rotation`, { headers: { 'x-api-key': key } })).status;
    assert.equal(await status('first-key'), 200);
    assert.equal(await status('second-key'), 403);

    writeFileSync(join(dir, 'key.new'), 'second-key, third-key\n', { mode: 0o600 });
    renameSync(join(dir, 'key.new'), keyfile);
    d.child.kill('SIGHUP');
    await waitLog(d, /SIGHUP: loaded 2 API key\(s\)/);
    assert.equal(await status('first-key'), 403);
    assert.equal(await status('second-key'), 200);
    assert.equal(await status('third-key'), 200);

    unlinkSync(keyfile);
    d.child.kill('SIGHUP');
    await waitLog(d, /key reload failed, keeping the old keys/);
    assert.equal(d.child.exitCode, null, 'a failed reload must not stop the daemon');
    assert.equal(await status('second-key'), 200);

    const exited = new Promise((r) => d.child.on('exit', (code, sig) => r({ code, sig })));
    d.child.kill('SIGTERM');
    const { code, sig } = await exited;
    assert.equal(sig, null);
    assert.equal(code, 0);
    assert.match(d.log(), /stopped/);
    assert.doesNotMatch(d.log(), /second-key|third-key/);
  } finally {
    if (d && d.child.exitCode === null) d.child.kill('SIGKILL');
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
