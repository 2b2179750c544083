// bench.mjs: make bench.  Every row of issue 12's targets, measured side by
// side in one run, and one table with each target and the ratio measured.
//
//   node bench/bench.mjs build/visitsd            (scripts/bench.sh; make bench)
//
// Each server runs pinned to one CPU (taskset -c $BENCH_SERVER_CPU, 0), and
// wrk, the AWS test peer and this script on the other ($BENCH_LOAD_CPU, 1).
// The contenders, all started here on free loopback ports:
//   mhd       bench/mhd_static.c: libmicrohttpd alone, a static JSON answer
//             behind the same x-api-key check, 2-thread epoll pool
//   nginx     1 worker, the same static answer and key check (`if`), its
//             default access log to a file, keep-alive without a request cap
//   sqlite    visitsd on SQLite (group commit, fsync), JSON log to a file
//   express   bench/express-app.mjs: Express + AWS SDK v3 against the peer
//   flask     bench/flask_app.py: Flask + boto3 under gunicorn (gthread)
//   dynamodb  visitsd on DynamoDB against the peer
// The peer (tests/harness/aws-peer.mjs) answers every DynamoDB call 5 ms
// late (--latency-ms) and counts the calls.
//
// A row: wrk -t$BENCH_THREADS -c<N> -d$BENCH_DURATION with a Lua script
// (POST or GET, the x-api-key header, an id drawn from 100, or one hot id);
// req/s from wrk; CPU per request = the server's (and its children's)
// utime + stime from /proc/<pid>/stat over the row / wrk's requests; peak
// RSS = VmHWM from /proc/<pid>/status (summed over the process tree) after
// the server's last row, which is its 512-connection one.  Startup = ms
// from spawn to the first 200 on /healthz, median of $BENCH_STARTS fresh
// starts (fresh database each).
//
// Environment: BENCH_QUICK=1 (2 s rows, 3 starts: a smoke run, no figure
// to keep), BENCH_DURATION (10s), BENCH_WARMUP (a server's first, uncounted
// run, 3s), BENCH_THREADS (wrk threads, 2),
// BENCH_STARTS (11), BENCH_LATENCY_MS (5), BENCH_ONLY (comma-separated
// contender names), BENCH_SERVER_CPU / BENCH_LOAD_CPU (0 / 1),
// BENCH_JSON=FILE (the rows as JSON too); VISITSD_* pass through to visitsd.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const bin = path.resolve(process.argv[2] ?? 'build/visitsd');
const mhdBin = path.resolve(process.argv[3] ?? 'build/bench/mhd_static');
const env = process.env;
const QUICK = env.BENCH_QUICK === '1';
const DURATION = env.BENCH_DURATION ?? (QUICK ? '2s' : '10s');
const THREADS = env.BENCH_THREADS ?? '2';
const WARMUP = env.BENCH_WARMUP ?? (QUICK ? '1s' : '3s');
const STARTS = Number(env.BENCH_STARTS ?? (QUICK ? 3 : 11));
const LATENCY_MS = env.BENCH_LATENCY_MS ?? '5';
const SERVER_CPU = env.BENCH_SERVER_CPU ?? '0';
const LOAD_CPU = env.BENCH_LOAD_CPU ?? '1';
const ONLY = env.BENCH_ONLY ? new Set(env.BENCH_ONLY.split(',')) : null;
const KEY = `bench-${process.pid}`;
const IDS = 100;
const HZ = Number(spawnSync('getconf', ['CLK_TCK']).stdout.toString().trim() || 100);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'visitsd-bench-'));
const children = new Set();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const want = (name) => ONLY === null || ONLY.has(name);

function cleanup() {
  for (const c of children) c.kill('SIGKILL');
  if (env.BENCH_KEEP_TMP !== "1") fs.rmSync(tmp, { recursive: true, force: true });
  else console.error(`bench: left ${tmp}`);
}
process.on('exit', cleanup);
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(130));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/** Spawn cmd pinned to cpu, output to logName in tmp; the ChildProcess. */
function start(cpu, cmd, args, opts = {}) {
  const log = fs.openSync(path.join(tmp, opts.log ?? 'log'), 'a');
  const child = spawn('taskset', ['-c', cpu, cmd, ...args], {
    env: opts.env ?? env, cwd: opts.cwd, stdio: ['ignore', opts.stdout ?? log, log],
  });
  fs.closeSync(log);
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10000);
  await gone;
  clearTimeout(t);
}

/** One GET; the status, or 0 when nothing answered. */
function probe(port, p, headers = {}) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(0));
  });
}

async function waitReady(child, port, p, what) {
  const t0 = Date.now();
  while (Date.now() - t0 < 30000) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}); see its log`);
    if (await probe(port, p) === 200) return;
    await sleep(20);
  }
  throw new Error(`${what} did not answer 200 on ${p}`);
}

// ---------------------------------------------------------------- /proc
function procTree(pid) {
  const parent = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* gone */ }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) for (const [p, pp] of parent) if (pp === tree[i]) tree.push(p);
  return tree;
}
/** utime + stime in seconds of pid and its descendants (children that exited count in cutime). */
function cpuSeconds(pid) {
  let t = 0;
  for (const p of procTree(pid)) {
    try {
      const s = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      t += Number(f[11]) + Number(f[12]);       // fields 14 and 15
    } catch { /* gone */ }
  }
  return t / HZ;
}
function hwmMB(pid) {
  let kb = 0;
  for (const p of procTree(pid)) {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) kb += Number(m[1]);
    } catch { /* gone */ }
  }
  return kb / 1024;
}
function rssMB(pid) {
  let kb = 0;
  for (const p of procTree(pid)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) kb += Number(m[1]);
    } catch { /* gone */ }
  }
  return kb / 1024;
}

// ---------------------------------------------------------------- wrk
function luaScript(method, hot) {
  const file = path.join(tmp, `${method}-${hot ? 'hot' : 'ids'}.lua`);
  // In init, after wrk.init has put the Host header into wrk.headers.
  fs.writeFileSync(file, `-- ${method}, ${hot ? 'one hot id' : `an id drawn from ${IDS}`}
local reqs = {}
function init(args)
  wrk.headers["x-api-key"] = "${KEY}"
${method === 'POST' ? '  wrk.headers["Content-Length"] = "0"\n' : ''}  for i = 1, ${hot ? 1 : IDS} do
    reqs[i] = wrk.format("${method}", "/api/visits/bench-" .. (i - 1))
  end
end
request = function() return reqs[math.random(1, #reqs)] end
`);
  return file;
}

function wrk(port, conns, script, duration = DURATION) {
  const t = Math.min(Number(THREADS), conns);
  // A 10 s timeout, not wrk's 2 s: an overloaded contender's late answers
  // count, instead of wrk reconnecting and the server working for nobody.
  const r = spawnSync('taskset', ['-c', LOAD_CPU, 'wrk', `-t${t}`, `-c${conns}`, `-d${duration}`,
    '--timeout', '10s', '-s', script, `http://127.0.0.1:${port}/`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr}${r.stdout}`);
  const out = r.stdout;
  const num = (re) => { const m = re.exec(out); return m ? Number(m[1]) : 0; };
  const errs = /Socket errors: (.*)/.exec(out);
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    total: num(/(\d+) requests in/),
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
    errors: errs ? errs[1] : '',
    latency: (/Latency\s+(\S+)/.exec(out) ?? [])[1] ?? '',
  };
}

// ---------------------------------------------------------------- rows
const rows = [];
const fmt = (x, d = 0) => (x === undefined || Number.isNaN(x) ? '-' :
  x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));

/**
 * One wrk run against server; a row with CPU µs per request.  A server's
 * first row starts after a warm-up run of WARMUP at the same load, not
 * counted (JIT compilers, connection pools, the first SQLite pages).
 */
function row(server, label, conns, method, hot, extra = {}, peer = null) {
  server.posts ??= 0;
  if (!server.warm) {
    const w0 = wrk(server.port, conns, luaScript(method, hot), WARMUP);
    if (method === 'POST') server.posts += w0.total - w0.non2xx;
    server.warm = true;
  }
  const c0 = cpuSeconds(server.pid);
  const p0 = peer ? cpuSeconds(peer.child.pid) : 0;
  const t0 = process.hrtime.bigint();
  const w = wrk(server.port, conns, luaScript(method, hot));
  const cpu = cpuSeconds(server.pid) - c0;
  // The peer's share of its CPU over the row: near 100 %, the row measures the peer.
  const peerPct = peer ? (cpuSeconds(peer.child.pid) - p0) / (Number(process.hrtime.bigint() - t0) / 1e9) * 100 : NaN;
  if (method === 'POST') server.posts += w.total - w.non2xx;
  const r = { contender: server.name, row: label, conns, method, ...w, cpuUs: w.total ? cpu * 1e6 / w.total : NaN, peerPct, ...extra };
  rows.push(r);
  console.log(`  ${server.name.padEnd(9)} ${label.padEnd(22)} c=${String(conns).padEnd(4)} ${fmt(w.rps).padStart(9)} req/s ` +
    `${fmt(r.cpuUs, 1).padStart(7)} µs CPU/req  latency ${w.latency}  (${w.total} requests, ${w.non2xx} non-2xx` +
    `${w.errors ? `, socket errors ${w.errors}` : ''}${peer ? `; the peer used ${fmt(peerPct)} % of its CPU` : ''})`);
  return r;
}

function visitsdEnv(port, extra) {
  const e = { PATH: env.PATH, HOME: env.HOME ?? '/', AWS_EC2_METADATA_DISABLED: 'true' };
  for (const [k, v] of Object.entries(env)) if (k.startsWith('VISITSD_')) e[k] = v;
  return {
    ...e,
    VISITSD_LISTEN: `127.0.0.1:${port}`, VISITSD_API_KEY: KEY, VISITSD_AUTH: 'key',
    // wrk is one client on one address: no per-address caps.
    VISITSD_MAX_CONNECTIONS_PER_CLIENT: env.VISITSD_MAX_CONNECTIONS_PER_CLIENT ?? '0',
    VISITSD_RATE_LIMIT: env.VISITSD_RATE_LIMIT ?? '0',
    VISITSD_LOG_FORMAT: 'json',
    ...extra,
  };
}

async function startVisitsd(name, extra) {
  const port = await freePort();
  const child = start(SERVER_CPU, bin, [], { env: visitsdEnv(port, extra), log: `${name}.log` });
  await waitReady(child, port, '/healthz', `visitsd (${name})`);
  return { name, port, pid: child.pid, child };
}

async function startMhd() {
  const port = await freePort();
  const child = start(SERVER_CPU, mhdBin, [String(port), KEY], { log: 'mhd.log' });
  // It answers 401 without the key: wait for any answer.
  for (let i = 0; i < 500 && await probe(port, '/') === 0; i++) await sleep(10);
  return { name: 'mhd', port, pid: child.pid, child };
}

async function nginxConf(port) {
  const d = path.join(tmp, 'nginx');
  fs.mkdirSync(d, { recursive: true });
  const conf = path.join(d, 'nginx.conf');
  fs.writeFileSync(conf, `worker_processes 1;
daemon off;
pid ${d}/nginx.pid;
error_log ${d}/error.log warn;
worker_rlimit_nofile 8192;
events { worker_connections 4096; use epoll; }
http {
  access_log ${d}/access.log;
  client_body_temp_path ${d}/body;
  proxy_temp_path ${d}/proxy;
  fastcgi_temp_path ${d}/fastcgi;
  uwsgi_temp_path ${d}/uwsgi;
  scgi_temp_path ${d}/scgi;
  keepalive_requests 100000000;
  server {
    listen 127.0.0.1:${port};
    location = /healthz { default_type application/json; return 200 '{"status":"ok"}'; }
    location / {
      if ($http_x_api_key != "${KEY}") { return 401; }
      default_type application/json;
      return 200 '{"id":"bench","visits":1}';
    }
  }
}
`);
  return conf;
}

async function startNginx() {
  const port = await freePort();
  const conf = await nginxConf(port);
  const child = start(SERVER_CPU, 'nginx', ['-c', conf, '-p', path.dirname(conf)], { log: 'nginx.log' });
  await waitReady(child, port, '/healthz', 'nginx');
  return { name: 'nginx', port, pid: child.pid, child };
}

async function startPeer() {
  const child = start(LOAD_CPU, process.execPath, [path.join(root, 'tests/harness/aws-peer.mjs'),
    '--latency-ms', LATENCY_MS], { log: 'peer.log', stdout: 'pipe' });
  const info = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (l) => { lines.close(); resolve(JSON.parse(l)); });
    child.once('exit', (c) => reject(new Error(`aws-peer exited (${c}); is tests/node_modules installed?`)));
  });
  child.stdout.resume();
  // The control API; null when the peer does not answer (a row then says
  // "not measured" instead of ending the run).
  // Three tries: fetch may reuse a kept-alive socket the peer has just
  // closed ("other side closed") after a 10 s row.
  const control = async (method, p) => {
    for (let i = 1; ; i++) {
      try {
        return await (await fetch(info.control + p, { method, signal: AbortSignal.timeout(30000) })).json();
      } catch (e) {
        if (i < 3) continue;
        console.log(`  the peer's control API failed (${method} ${p}): ${e.cause?.message ?? e.message}`);
        return null;
      }
    }
  };
  return { ...info, child, control };
}

function awsEnv(peer) {
  return {
    AWS_ENDPOINT_URL: peer.endpoint, AWS_REGION: peer.region,
    AWS_ACCESS_KEY_ID: peer.accessKeyId, AWS_SECRET_ACCESS_KEY: peer.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials', AWS_CONFIG_FILE: '/nonexistent/config',
  };
}

async function startExpress(peer) {
  const port = await freePort();
  const child = start(SERVER_CPU, process.execPath, [path.join(here, 'express-app.mjs'), String(port), KEY,
    peer.table, peer.keyAttribute], { env: { PATH: env.PATH, HOME: env.HOME ?? '/', ...awsEnv(peer) }, log: 'express.log' });
  await waitReady(child, port, '/healthz', 'express');
  return { name: 'express', port, pid: child.pid, child };
}

async function startFlask(peer) {
  const port = await freePort();
  const child = start(SERVER_CPU, 'gunicorn', ['--bind', `127.0.0.1:${port}`, '--workers', '1',
    '--worker-class', 'gthread', '--threads', '64', '--chdir', here, 'flask_app:app'], {
    env: { PATH: env.PATH, HOME: env.HOME ?? '/', ...awsEnv(peer), BENCH_KEY: KEY, BENCH_TABLE: peer.table,
      BENCH_KEY_ATTRIBUTE: peer.keyAttribute, AWS_DEFAULT_REGION: peer.region,
      PYTHONDONTWRITEBYTECODE: '1' }, log: 'flask.log',
  });
  // Any answer (401 without the key) means it is serving.
  const t0 = Date.now();
  while (await probe(port, '/api/visits/x') === 0) {
    if (child.exitCode !== null || Date.now() - t0 > 30000) throw new Error('gunicorn did not start; see its log');
    await sleep(50);
  }
  return { name: 'flask', port, pid: child.pid, child };
}

/** ms from spawn to the first 200 on /healthz; the median of STARTS fresh starts. */
async function startupMs(name, launch) {
  const times = [];
  for (let i = 0; i < STARTS; i++) {
    const port = await freePort();
    const t0 = process.hrtime.bigint();
    const child = launch(port, i);
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${name} exited during the startup row`);
      if (await probe(port, '/healthz') === 200) break;
    }
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    await stop(child);
  }
  times.sort((a, b) => a - b);
  const med = times[Math.floor(times.length / 2)];
  rows.push({ contender: name, row: 'startup', ms: med, min: times[0], max: times[times.length - 1] });
  console.log(`  ${name.padEnd(9)} startup to the first 200 on /healthz: median ${fmt(med, 1)} ms ` +
    `(${fmt(times[0], 1)}–${fmt(times[times.length - 1], 1)}, ${STARTS} starts)`);
  return med;
}

function loadavg() { return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '); }

// ---------------------------------------------------------------- the run
async function main() {
  if (!fs.existsSync(bin)) throw new Error(`${bin} is not built (make)`);
  const cpu = (/model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8')) ?? [])[1];
  console.log(`visitsd bench: ${os.arch()}, ${os.cpus().length} CPU (${cpu}), server on CPU ${SERVER_CPU}, ` +
    `wrk -t${THREADS} and the peer on CPU ${LOAD_CPU}, ${DURATION} per row${QUICK ? ' (BENCH_QUICK: a smoke run)' : ''}`);
  const loads = [loadavg()];
  console.log(`load average before: ${loads[0]} (other work on the machine skews every absolute figure; ratios are what count)`);
  const res = {};

  console.log('static answers and SQLite (POST and GET, ids drawn from 100):');
  if (want('mhd')) {
    const s = await startMhd();
    res.mhd32 = row(s, 'POST 100 ids', 32, 'POST', false);
    res.mhd256 = row(s, 'POST 100 ids', 256, 'POST', false);
    res.mhdGet = row(s, 'GET 100 ids', 32, 'GET', false);
    res.mhdRss = hwmMB(s.pid);
    await stop(s.child);
  }
  if (want('nginx')) {
    const s = await startNginx();
    res.nginx32 = row(s, 'POST 100 ids', 32, 'POST', false);
    res.nginx256 = row(s, 'POST 100 ids', 256, 'POST', false);
    res.nginxGet = row(s, 'GET 100 ids', 32, 'GET', false);
    res.nginxIdle = rssMB(s.pid);
    row(s, 'POST 100 ids', 512, 'POST', false);
    res.nginxRss = hwmMB(s.pid);
    await stop(s.child);
  }
  if (want('sqlite')) {
    const s = await startVisitsd('sqlite', { VISITSD_SQLITE_PATH: path.join(tmp, 'visits.db') });
    res.sqliteIdle = rssMB(s.pid);
    res.sqlite32 = row(s, 'POST 100 ids', 32, 'POST', false);
    res.sqlite256 = row(s, 'POST 100 ids', 256, 'POST', false);
    res.sqliteGet = row(s, 'GET 100 ids', 32, 'GET', false);
    res.sqlite512 = row(s, 'POST 100 ids', 512, 'POST', false);
    res.sqliteRss = hwmMB(s.pid);
    // Every POST answered 200 is a stored visit: the sum of the 100 counts.
    let sum = 0;
    for (let i = 0; i < IDS; i++) {
      const body = await new Promise((resolve) => http.get({ host: '127.0.0.1', port: s.port,
        path: `/api/visits/bench-${i}`, headers: { 'x-api-key': KEY } }, (r) => {
        let t = ''; r.on('data', (c) => { t += c; }); r.on('end', () => resolve(t));
      }));
      sum += JSON.parse(body).visits ?? 0;
    }
    console.log(`  sqlite    stored visits after the run: ${sum} (wrk saw ${s.posts} POSTs answered 2xx, warm-up ` +
      'included; requests cut off at wrk\'s deadline may add a few)');
    await stop(s.child);
  }
  loads.push(loadavg());

  const needPeer = ['express', 'flask', 'dynamodb'].some(want);
  if (needPeer) {
    const peer = await startPeer();
    console.log(`DynamoDB path (the peer answers ${LATENCY_MS} ms late; POST, ids drawn from 100, 512 connections):`);
    if (want('express')) {
      const s = await startExpress(peer);
      res.express = row(s, 'POST 100 ids', 512, 'POST', false, {}, peer);
      res.expressRss = hwmMB(s.pid);
      await stop(s.child);
    }
    if (want('flask')) {
      const s = await startFlask(peer);
      res.flask = row(s, 'POST 100 ids', 512, 'POST', false, {}, peer);
      res.flaskRss = hwmMB(s.pid);
      await stop(s.child);
    }
    if (want('dynamodb')) {
      const s = await startVisitsd('dynamodb', { VISITSD_STORE: 'dynamodb', VISITSD_DYNAMODB_TABLE: peer.table,
        ...awsEnv(peer) });
      res.dynIdle = rssMB(s.pid);
      res.dyn = row(s, 'POST 100 ids', 512, 'POST', false, {}, peer);
      for (const c of [64, 512]) {
        await peer.control('POST', '/counters/reset');
        const r = row(s, 'POST one hot id', c, 'POST', true, {}, peer);
        const n = (await peer.control('GET', '/counters'))?.ops?.UpdateItem?.requests ?? NaN;
        r.updatesPerVisit = r.total ? n / r.total : NaN;
        console.log(`  ${''.padEnd(9)} ${''.padEnd(22)}        ${n} UpdateItem calls: ${fmt(r.updatesPerVisit, 4)} per visit`);
        res[`hot${c}`] = r;
      }
      res.dynRss = hwmMB(s.pid);
      await stop(s.child);
    }
    await stop(peer.child);
  }
  loads.push(loadavg());

  console.log('startup:');
  if (want('sqlite')) {
    res.startVisitsd = await startupMs('sqlite', (port, i) => start(SERVER_CPU, bin, [],
      { env: visitsdEnv(port, { VISITSD_SQLITE_PATH: path.join(tmp, `start-${i}.db`) }), log: 'startup.log' }));
  }
  if (want('nginx')) {
    res.startNginx = await startupMs('nginx', (port) => {
      const conf = path.join(tmp, 'nginx', 'nginx.conf');
      fs.writeFileSync(conf, fs.readFileSync(conf, 'utf8').replace(/listen 127\.0\.0\.1:\d+;/, `listen 127.0.0.1:${port};`));
      return start(SERVER_CPU, 'nginx', ['-c', conf, '-p', path.dirname(conf)], { log: 'nginx.log' });
    });
  }
  loads.push(loadavg());
  console.log(`load average after each part: ${loads.join(' | ')}`);

  printTables(res);
  if (env.BENCH_JSON) fs.writeFileSync(env.BENCH_JSON, JSON.stringify({ loads, rows, res }, null, 2));
}

function printTables(res) {
  const line = (cells) => console.log(`| ${cells.join(' | ')} |`);
  console.log('\nmeasured (one run; req/s from wrk, CPU µs per request from /proc, peak RSS = VmHWM after the 512-connection row):\n');
  line(['contender', 'row', 'connections', 'req/s', 'CPU µs/request', 'non-2xx', 'peak RSS MB', 'peer CPU %']);
  line(['---', '---', '---:', '---:', '---:', '---:', '---:', '---:']);
  const rss = { mhd: res.mhdRss, nginx: res.nginxRss, sqlite: res.sqliteRss, express: res.expressRss,
    flask: res.flaskRss, dynamodb: res.dynRss };
  for (const r of rows) {
    if (r.row === 'startup') continue;
    line([r.contender, r.row, r.conns, fmt(r.rps), fmt(r.cpuUs, 1), fmt(r.non2xx),
      r.conns === 512 || (r.contender === 'mhd' && r.conns === 256) ? fmt(rss[r.contender], 1) : '',
      Number.isNaN(r.peerPct) ? '' : fmt(r.peerPct)]);
  }
  const ratio = (a, b) => (a && b ? a / b : NaN);
  const t = [];
  const target = (name, measured, shown, goal, met, today) =>
    t.push([name, goal, shown, today ?? '', Number.isNaN(measured) || measured === undefined ? 'not measured' : met ? 'met' : 'not met']);
  // The req/s ratio is the target; on a loaded machine it also measures
  // how the scheduler shares the CPU among 1 nginx worker and visitsd's
  // threads, so the inverse CPU-per-request ratio is shown beside it, and
  // the target counts as met only when both are.
  const r1 = ratio(res.sqlite32?.rps, res.nginx32?.rps);
  const c1 = ratio(res.nginx32?.cpuUs, res.sqlite32?.cpuUs);
  target('POST on SQLite at 32 connections ÷ nginx (req/s; CPU per request nginx ÷ SQLite)', r1,
    `${fmt(r1, 3)} (CPU ${fmt(c1, 3)})`, '≥ 0.6', r1 >= 0.6 && c1 >= 0.6, '0.19');
  const r2 = ratio(res.sqliteGet?.rps, res.nginxGet?.rps);
  const c2 = ratio(res.nginxGet?.cpuUs, res.sqliteGet?.cpuUs);
  target('GET on SQLite at 32 connections ÷ nginx (req/s; CPU per request nginx ÷ SQLite)', r2,
    `${fmt(r2, 3)} (CPU ${fmt(c2, 3)})`, '≥ 0.8', r2 >= 0.8 && c2 >= 0.8);
  const r3 = ratio(res.dyn?.cpuUs, res.express?.cpuUs);
  target(`DynamoDB, ${LATENCY_MS} ms, 512 connections: CPU per request ÷ Express + SDK v3`, r3,
    Number.isNaN(r3) ? '-' : `${fmt(r3, 4)} (1/${fmt(1 / r3, 1)})`, '≤ 1/30 (0.0333)', r3 <= 1 / 30, '1/18');
  for (const c of [64, 512]) {
    const u = res[`hot${c}`]?.updatesPerVisit;
    target(`hot id at ${c} connections: UpdateItem per visit`, u, fmt(u, 4), '≤ 0.05', u <= 0.05, '0.004–0.031');
  }
  const h = res.hot64?.rps;
  target(`hot id at 64 connections, ${LATENCY_MS} ms: req/s`, h, fmt(h), '≥ 16,500 (3 × 5,500)', h >= 16500, '5,500');
  target('peak RSS, 512 connections, SQLite (MB)', res.sqliteRss, fmt(res.sqliteRss, 1), '≤ 16', res.sqliteRss <= 16, '33–41');
  target('peak RSS, 512 connections, DynamoDB (MB)', res.dynRss, fmt(res.dynRss, 1), '≤ 16', res.dynRss <= 16, '33–41');
  target('startup to the first 200 on /healthz (ms, median)', res.startVisitsd, fmt(res.startVisitsd, 1), '≤ 20',
    res.startVisitsd <= 20, '12');
  console.log('\nissue 12 targets (ratios from this run):\n');
  line(['target', 'goal', 'measured', 'issue 12 "today"', 'verdict']);
  line(['---', '---', '---:', '---:', '---']);
  for (const x of t) line(x);
  console.log('\nfor reference, from the same run:\n');
  line(['ratio', 'measured']);
  line(['---', '---:']);
  const ref = (name, v, d = 3) => line([name, fmt(v, d)]);
  ref('mhd ÷ nginx, POST c32', ratio(res.mhd32?.rps, res.nginx32?.rps));
  ref('SQLite ÷ mhd, POST c32', ratio(res.sqlite32?.rps, res.mhd32?.rps));
  ref('SQLite ÷ nginx, POST c256', ratio(res.sqlite256?.rps, res.nginx256?.rps));
  ref('SQLite CPU per request ÷ mhd\'s, POST c32', ratio(res.sqlite32?.cpuUs, res.mhd32?.cpuUs), 1);
  ref('DynamoDB req/s ÷ Express\'s', ratio(res.dyn?.rps, res.express?.rps), 1);
  ref('DynamoDB req/s ÷ Flask\'s', ratio(res.dyn?.rps, res.flask?.rps), 1);
  ref('Express CPU per request ÷ Flask\'s', ratio(res.express?.cpuUs, res.flask?.cpuUs), 2);
  ref('visitsd startup ÷ nginx\'s', ratio(res.startVisitsd, res.startNginx), 2);
  ref('idle RSS MB: SQLite', res.sqliteIdle, 1);
  ref('idle RSS MB: DynamoDB', res.dynIdle, 1);
  ref('idle RSS MB: nginx (master + worker)', res.nginxIdle, 1);
  ref('KiB per connection at 512, SQLite ((peak − idle) ÷ 512)', (res.sqliteRss - res.sqliteIdle) * 1024 / 512, 1);
  ref('KiB per connection at 512, DynamoDB ((peak − idle) ÷ 512)', (res.dynRss - res.dynIdle) * 1024 / 512, 1);
}

main().catch((e) => { console.error(`bench: ${e.message}`); process.exit(1); });
