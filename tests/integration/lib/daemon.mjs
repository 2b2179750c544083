// daemon.mjs: start the real visitsd for an integration test.
//
// startDaemon() spawns process.env.VISITSD_BIN (set by `make
// check-integration`) on a free loopback port with JSON logs, a fresh
// SQLite file in its own temporary folder and a known API key, waits for
// the startup line "visitsd <version> listening on <host:port> (store
// <name>)" and returns a handle:
//
//   const d = await startDaemon({ env: { VISITSD_ALLOWED_ORIGINS: 'https://a.example' } });
//   t.after(() => d.stop());            // always stop it, or the test file hangs
//   await fetch(`${d.url}/api/visits/x`, { method: 'POST', headers: { 'x-api-key': d.key } });
//
// The child gets the parent's environment without any VISITSD_* variable,
// then the defaults below, then opts.env; a value of undefined in opts.env
// removes a default (e.g. { VISITSD_API_KEY: undefined } for "no key").
// The per-client rate limit is off by default here (VISITSD_RATE_LIMIT=0):
// every test client is 127.0.0.1, so load and fault tests would measure
// the limiter; ratelimit.test.mjs turns it on.
// To restart on the same data pass { VISITSD_SQLITE_PATH: d.sqlitePath }.
//
// Every answer the test process then gets from the daemon's listener is
// checked against docs/openapi.yaml (conformance.mjs): a non-conforming
// one fails the test file.
//
// runDaemon() runs the binary to completion (for -n, --help, refusals) and
// returns { code, signal, stdout, stderr }.  Temporary folders are removed
// when the test process exits.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { unwatchDaemon, watchDaemon } from './conformance.mjs';

export const TEST_KEY = 'integration-test-key-0123456789';

const tempDirs = [];
process.on('exit', () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A new temporary folder, removed when the test process exits. */
export function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'visitsd-test-'));
  tempDirs.push(dir);
  return dir;
}

function binary() {
  const bin = process.env.VISITSD_BIN;
  if (!bin) throw new Error('VISITSD_BIN is not set (run through `make check-integration`)');
  return bin;
}

function childEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('VISITSD_')) env[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = String(v);
  }
  return env;
}

/**
 * Start visitsd and resolve once it logs its bound address.
 * opts.env: variables over the defaults; opts.args: command-line arguments;
 * opts.timeoutMs: how long to wait for the startup line (default 15 s).
 * Resolves { url, address, proc, logs, key, dir, sqlitePath, exited,
 * stop(signal = 'SIGTERM'), kill9(), waitForLog(re, ms) }; logs is the live
 * array of output lines (stderr and stdout).  Rejects, with the logs in the
 * message, if the process exits first or the timeout passes.
 */
export function startDaemon({ env = {}, args = [], timeoutMs = 15000 } = {}) {
  const dir = tempDir();
  const defaults = {
    VISITSD_LISTEN: '127.0.0.1:0',
    VISITSD_LOG_FORMAT: 'json',
    VISITSD_SQLITE_PATH: join(dir, 'visits.db'),
    VISITSD_API_KEY: TEST_KEY,
    VISITSD_RATE_LIMIT: '0',
    // The tests play many clients from 127.0.0.1, as a proxy would: no
    // per-address cap (abuse.test.mjs tests the default one).
    VISITSD_MAX_CONNECTIONS_PER_CLIENT: 0,
  };
  const merged = { ...defaults, ...env };
  const proc = spawn(binary(), args, {
    env: childEnv(merged),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs = [];
  const watchers = new Set();
  const exited = new Promise((resolve) => {
    proc.on('close', (code, signal) => resolve({ code, signal }));
  });

  for (const stream of [proc.stdout, proc.stderr]) {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop();
      for (const line of lines) {
        logs.push(line);
        for (const w of watchers) w(line);
      }
    });
  }

  /** Resolve with the match of the first line (past or future) matching re. */
  function waitForLog(re, ms = timeoutMs) {
    for (const line of logs) {
      const m = line.match(re);
      if (m) return Promise.resolve(m);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        watchers.delete(watch);
        reject(new Error(`no log line matching ${re} within ${ms} ms; logs:\n${logs.join('\n')}`));
      }, ms);
      function watch(line) {
        const m = line.match(re);
        if (!m) return;
        clearTimeout(timer);
        watchers.delete(watch);
        resolve(m);
      }
      watchers.add(watch);
    });
  }

  /** Send signal and resolve { code, signal } once the process has exited. */
  function stop(signal = 'SIGTERM') {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    return exited;
  }

  const handle = {
    proc,
    logs,
    key: merged.VISITSD_API_KEY,
    dir,
    sqlitePath: merged.VISITSD_SQLITE_PATH,
    exited,
    waitForLog,
    stop,
    kill9: () => stop('SIGKILL'),
  };

  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err, m) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      watchers.delete(watch);
      if (err) {
        stop('SIGKILL');
        reject(err);
        return;
      }
      handle.address = m[1];
      handle.url = `http://${m[1]}`;
      watchDaemon(m[1]);
      exited.then(() => unwatchDaemon(m[1]));
      resolve(handle);
    };
    const timer = setTimeout(() => finish(new Error(
      `visitsd did not log "listening on" within ${timeoutMs} ms; logs:\n${logs.join('\n')}`)), timeoutMs);
    const watch = (line) => {
      const m = line.match(/listening on (\S+)/);
      if (m) finish(null, m);
    };
    watchers.add(watch);
    proc.on('error', (err) => finish(new Error(`cannot start ${binary()}: ${err.message}`)));
    exited.then(({ code, signal }) => finish(new Error(
      `visitsd exited (code ${code}, signal ${signal}) before listening; logs:\n${logs.join('\n')}`)));
  });
}

/**
 * Run visitsd to completion with the same environment rules as startDaemon
 * (but no defaults unless given).  Resolves { code, signal, stdout, stderr };
 * kills the process and rejects after opts.timeoutMs (default 15 s).
 * opts.signalOn { log: RegExp, signal }: send signal once, as soon as the
 * output so far matches log.
 */
export function runDaemon({ env = {}, args = [], timeoutMs = 15000, signalOn } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(binary(), args, { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    const maybeSignal = () => {
      if (signalOn && !signalled && signalOn.log.test(stdout + stderr)) {
        signalled = true;
        proc.kill(signalOn.signal);
      }
    };
    proc.stdout.setEncoding('utf8').on('data', (c) => { stdout += c; maybeSignal(); });
    proc.stderr.setEncoding('utf8').on('data', (c) => { stderr += c; maybeSignal(); });
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`visitsd ${args.join(' ')} did not exit within ${timeoutMs} ms; stderr:\n${stderr}`));
    }, timeoutMs);
    proc.on('error', (err) => { clearTimeout(timer); reject(err); });
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
