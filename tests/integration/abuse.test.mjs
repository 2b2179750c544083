// abuse.test.mjs: slow clients and shutdown (issue 9 part B), against the
// real daemon on loopback.
//
// - slowloris: 2,000 connections from 100 loopback addresses trickle a
//   header one byte a second (lib/trickle.mjs, its own process) while a
//   normal client makes 20 requests, each answered within 1 s; every
//   trickled header is cut by the deadline (2 s here); one address opening
//   more connections than its cap gets the excess refused; a keep-alive
//   connection trickling its second request is cut too.
// - store stalled (the AWS peer's latency fault): waiting requests get 503
//   with Retry-After after the store timeout, and /healthz answers within
//   1 s even with every ordinary slot taken.
// - SIGTERM under load: every request sent before the signal is answered
//   200 or 503, the daemon exits 0, and the peer applied exactly the 200s
//   plus at most the answers whose outcome the client cannot know; and
//   with new connections arriving at the signal, none is reset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { startHarness } from '../harness/client.mjs';
import { startDaemon } from './lib/daemon.mjs';
import { request } from './lib/request.mjs';

const TRICKLE = fileURLToPath(new URL('./lib/trickle.mjs', import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function metric(d, name, labels = '') {
  const r = await request(`${d.url}/metrics`);
  let sum = 0;
  for (const line of String(r.body).split('\n')) {
    if (line.startsWith(`${name}{${labels}`) || (labels === '' && line.startsWith(`${name} `)))
      sum += Number(line.split(' ').pop());
  }
  return sum;
}

/** Run lib/trickle.mjs with room for its sockets; resolves its statistics. */
function trickle(opts) {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', 'ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"',
      process.execPath, TRICKLE, JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c) => { out += c; });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`trickle.mjs exited ${code}: ${out}`));
      else resolve(JSON.parse(out));
    });
  });
}

/** A socket from localAddress; resolves once connected, records its close time. */
function rawSocket(port, localAddress) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress });
    s.closedAt = 0;
    s.received = '';
    s.on('data', (c) => { s.received += c; });
    s.on('error', () => {});
    s.on('close', () => { s.closedAt = performance.now(); });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

test('slowloris: 2,000 trickling connections from 100 addresses do not stop a normal client; ' +
  'trickled headers are cut at the deadline; one address past its cap is refused', async (t) => {
  const DEADLINE_MS = 2000;
  // The built-in limits, but for the deadline: 1024 connections, 64 per address.
  const d = await startDaemon({
    env: { VISITSD_METRICS_PUBLIC: 'true', VISITSD_HEADER_TIMEOUT: DEADLINE_MS / 1000, VISITSD_MAX_CONNECTIONS_PER_CLIENT: undefined },
  });
  t.after(() => d.stop());
  const port = Number(d.address.split(':').pop());
  const load = trickle({
    host: '127.0.0.1', port, conns: 2000, addrs: 100, intervalMs: 1000, durationMs: 24000,
    reconnectMs: 1000,
  });
  await sleep(3000);		// ramped up, and past one deadline

  // The normal client: 20 requests over ~18 s, each on a new connection.
  const times = [];
  for (let i = 0; i < 20; i++) {
    const r = i % 2 === 0
      ? await request(`${d.url}/api/visits/normal`, { method: 'POST', key: d.key })
      : await request(`${d.url}/healthz`);
    assert.equal(r.status, 200, `request ${i}: ${r.status} ${JSON.stringify(r.body)}`);
    times.push(Math.round(r.ms));

    if (i === 6) {
      // One address (not a trickler's) opens 80 connections; its cap is 64.
      const socks = await Promise.all(Array.from({ length: 80 }, () => rawSocket(port, '127.0.1.250')));
      await sleep(700);
      const refused = socks.filter((s) => s.closedAt !== 0 && s.received === '').length;
      for (const s of socks) s.destroy();
      assert.ok(refused >= 16, `refused ${refused} of 80 past the cap of 64`);
    }
    await sleep(700);
  }
  const stats = await load;
  t.diagnostic(`normal client ms: ${times.join(' ')}; trickle: ${JSON.stringify(stats)}`);
  assert.ok(Math.max(...times) <= 1000, `slowest normal answer ${Math.max(...times)} ms`);
  assert.ok(stats.connected >= 2000, `trickle connected ${stats.connected}`);
  assert.ok(stats.maxOpen >= 1000, `trickle held at most ${stats.maxOpen} at once`);
  assert.equal(stats.answered, 0, 'no trickled header was answered');
  assert.ok(stats.closedByServer >= 2000, `the server closed ${stats.closedByServer}`);
  assert.ok(stats.maxLifetimeMs <= DEADLINE_MS + 1500,
    `a trickled connection lived ${stats.maxLifetimeMs} ms (deadline ${DEADLINE_MS} ms)`);
  // Past max_connections (1024) the oldest trickler makes room for each
  // newcomer, so here most are evicted before their deadline.
  assert.ok(await metric(d, 'visitsd_http_connections_cut_total') >= stats.closedByServer);
});

test('a trickled header is cut at the deadline: on a new connection, and on a keep-alive one ' +
  'from the first byte of its next request', async (t) => {
    const DEADLINE_MS = 2000;
    const d = await startDaemon({ env: { VISITSD_METRICS_PUBLIC: 'true', VISITSD_HEADER_TIMEOUT: DEADLINE_MS / 1000 } });
    t.after(() => d.stop());
    const port = Number(d.address.split(':').pop());
    const fresh = await rawSocket(port, '127.0.1.252');
    const t1 = performance.now();
    fresh.write('POST /api/visits/slow HTTP/1.1\r\n');
    const trickler = setInterval(() => fresh.write('X'), 300);
    for (let w = 0; w < 100 && fresh.closedAt === 0; w++) await sleep(50);
    clearInterval(trickler);
    fresh.destroy();
    assert.ok(fresh.closedAt !== 0, 'the trickled header was never cut');
    assert.ok(fresh.closedAt - t1 >= DEADLINE_MS - 300 && fresh.closedAt - t1 <= DEADLINE_MS + 1000,
      `trickled header lived ${Math.round(fresh.closedAt - t1)} ms (deadline ${DEADLINE_MS} ms)`);
    assert.equal(fresh.received, '', 'cut without an answer');

    const s = await rawSocket(port, '127.0.1.251');
    s.write('GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n');
    for (let w = 0; w < 50 && !/\{"status":"ok"\}/.test(s.received); w++) await sleep(20);
    assert.match(s.received, /^HTTP\/1\.1 200/);
    await sleep(1500);		// idle: not part of the next request's deadline
    const t0 = performance.now();
    s.write('G');
    const timer = setInterval(() => s.write('E'), 300);
    for (let w = 0; w < 100 && s.closedAt === 0; w++) await sleep(50);
    clearInterval(timer);
    const lived = s.closedAt - t0;
    s.destroy();
    assert.ok(s.closedAt !== 0, 'the trickled keep-alive request was never cut');
    assert.ok(lived >= DEADLINE_MS - 300 && lived <= DEADLINE_MS + 1000,
      `keep-alive trickle lived ${Math.round(lived)} ms (deadline ${DEADLINE_MS} ms)`);
    assert.equal(await metric(d, 'visitsd_http_connections_cut_total', 'reason="request_deadline"'), 2);
  });

/** Daemon environment on the AWS peer h. */
function awsEnv(h, extra = {}) {
  const env = { ...h.env('env'), VISITSD_API_KEY: undefined, ...extra };
  for (const k of ['AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI',
    'AWS_CONTAINER_AUTHORIZATION_TOKEN', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
    'AWS_EC2_METADATA_SERVICE_ENDPOINT']) {
    if (!(k in env)) env[k] = undefined;
  }
  return env;
}

test('store stalled: waiting requests get 503 with Retry-After after the store timeout; ' +
  '/healthz answers within 1 s with every slot taken', async (t) => {
  const h = await startHarness();
  t.after(() => h.stop());
  const d = await startDaemon({
    env: awsEnv(h, {
      VISITSD_METRICS_PUBLIC: 'true', VISITSD_STORE_TIMEOUT: 1, VISITSD_MAX_CONNECTIONS: 8,
      VISITSD_AWS_REQUEST_TIMEOUT_MS: 20000,
    }),
  });
  t.after(() => d.stop());
  assert.equal((await request(`${d.url}/api/visits/warm`, { method: 'POST', key: h.apiKey })).status, 200);
  await h.fault('UpdateItem', 'latency', { count: 100, ms: 4000 });

  const posts = Array.from({ length: 12 }, (_, i) =>
    request(`${d.url}/api/visits/stall${i}`, { method: 'POST', key: h.apiKey }));
  await sleep(300);
  const probes = [];
  for (let i = 0; i < 3; i++) {
    const r = await request(`${d.url}/healthz`);
    probes.push(Math.round(r.ms));
    assert.equal(r.status, 200);
    await sleep(200);
  }
  const rs = await Promise.all(posts);
  t.diagnostic(`healthz ms: ${probes}; posts: ${rs.map((r) => `${r.status}/${Math.round(r.ms)}`)}`);
  assert.ok(Math.max(...probes) <= 1000, `healthz took ${Math.max(...probes)} ms`);
  let timedOut = 0;
  for (const r of rs) {
    assert.equal(r.status, 503, JSON.stringify(r.body));
    assert.ok(r.headers['retry-after'], '503 carries Retry-After');
    assert.ok(r.ms < 3500, `answered after ${Math.round(r.ms)} ms`);
    if (/did not answer in time/.test(r.body.message)) {
      timedOut++;
      assert.ok(r.ms >= 900, `timed out after only ${Math.round(r.ms)} ms`);
    }
  }
  assert.ok(timedOut >= 1, 'some request waited on the store and timed out');
  assert.equal(await metric(d, 'visitsd_http_store_gave_up_total', 'op="increment",reason="timeout"'),
    timedOut);
  await h.clearFaults();
});

for (const store of ['dynamodb', 'sqlite']) {
  test(`SIGTERM under load (${store}): every request answered 200 or 503, exit 0, ` +
    'nothing counted past the 200s and the unknown outcomes', async (t) => {
    const h = store === 'dynamodb' ? await startHarness() : null;
    if (h) t.after(() => h.stop());
    // On DynamoDB every write takes 3 s and the drain only 1 s: at the
    // signal (4 s in) one write per id is in flight (answered "shutting
    // down" when the drain ends: unknown outcome) and the other increments
    // are queued behind them (answered "unavailable" at once, never sent).
    const d = await startDaemon({
      env: h ? awsEnv(h, { VISITSD_METRICS_PUBLIC: 'true', VISITSD_SHUTDOWN_TIMEOUT: 1, VISITSD_AWS_REQUEST_TIMEOUT_MS: 20000 })
        : { VISITSD_METRICS_PUBLIC: 'true', VISITSD_SHUTDOWN_TIMEOUT: 2 },
    });
    t.after(() => d.stop());
    const key = h ? h.apiKey : d.key;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    // Open the connections first: every request below goes on an
    // accepted connection, so none may be refused or reset.
    await Promise.all(Array.from({ length: 64 }, () => request(`${d.url}/healthz`, { agent })));
    if (h) await h.fault('UpdateItem', 'latency', { count: 1000, ms: 3000 });
    const IDS = 8;

    let signalled = false;
    const statuses = { 200: 0, 503: 0 };
    const messages = {};
    const failures = [];
    const client = async (_, i) => {
      while (!signalled) {
        try {
          const r = await request(`${d.url}/api/visits/term${i % IDS}`, { method: 'POST', key, agent });
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
          if (r.status === 503) {
            assert.ok(r.headers['retry-after'], '503 carries Retry-After');
            messages[r.body.message] = (messages[r.body.message] ?? 0) + 1;
          }
        } catch (e) {
          failures.push(e.message);
        }
      }
    };
    const clients = Array.from({ length: 64 }, client);
    await sleep(h ? 4000 : 1500);
    signalled = true;
    const exit = d.stop('SIGTERM');
    await Promise.all(clients);
    const { code } = await exit;
    agent.destroy();
    t.diagnostic(`statuses ${JSON.stringify(statuses)}; 503 messages ${JSON.stringify(messages)}`);
    assert.deepEqual(failures, [], 'no request reset or unanswered');
    assert.equal(code, 0);
    assert.ok(statuses[200] > 0, 'some requests were served before the signal');
    const keys = Object.keys(statuses).filter((s) => s !== '200' && s !== '503');
    assert.deepEqual(keys, [], 'only 200 and 503');
    // Not applied for sure: the store refused, or dropped it before sending.
    const unapplied = messages['The counter store is unavailable; retry later.'] ?? 0;
    const unknown = statuses[503] - unapplied;
    let applied = 0;
    const again = h ? null : await startDaemon({ env: { VISITSD_METRICS_PUBLIC: 'true', VISITSD_SQLITE_PATH: d.sqlitePath } });
    for (let i = 0; i < IDS; i++) {
      if (h) {
        const r = await h.call('DynamoDB_20120810.GetItem', {
          TableName: h.table, Key: { [h.keyAttribute]: { S: `term${i}` } }, ConsistentRead: true,
        });
        applied += Number(r.body?.Item?.visits?.N ?? 0);
      } else {
        applied += (await request(`${again.url}/api/visits/term${i}`, { key: again.key })).body.visits;
      }
    }
    if (again) await again.stop();
    t.diagnostic(`applied ${applied}, 200s ${statuses[200]}, unknown ${unknown}`);
    if (h) {
      // Nothing reaches the peer once the daemon is gone.
      const sent = (await h.counters()).ops.UpdateItem?.requests ?? 0;
      await sleep(2000);
      assert.equal((await h.counters()).ops.UpdateItem?.requests ?? 0, sent);
      assert.ok(unapplied > 0 && unknown > 0, 'both kinds of 503 were exercised');
    }
    assert.ok(applied >= statuses[200] && applied <= statuses[200] + unknown,
      `applied ${applied}, 200s ${statuses[200]}, unknown outcomes ${unknown}`);
  });
}

test('SIGTERM while new connections keep arriving: each is answered or refused, none reset', async (t) => {
  // Connections completed by the kernel just before the listener closes
  // are handed to the server and answered, not reset with the socket.
  const d = await startDaemon({ env: { VISITSD_METRICS_PUBLIC: 'true' } });
  t.after(() => d.stop());
  let stop = false;
  const statuses = {};
  const errors = {};
  const one = () => request(`${d.url}/api/visits/arrive`, { method: 'POST', key: d.key })
    .then((r) => { statuses[r.status] = (statuses[r.status] ?? 0) + 1; })
    .catch((e) => { errors[e.code ?? e.message] = (errors[e.code ?? e.message] ?? 0) + 1; });
  const loops = Array.from({ length: 100 }, async () => { while (!stop) await one(); });
  await sleep(1500);
  const exit = d.stop('SIGTERM');
  await sleep(300);
  stop = true;
  await Promise.all(loops);
  assert.equal((await exit).code, 0);
  t.diagnostic(`statuses ${JSON.stringify(statuses)}; errors ${JSON.stringify(errors)}`);
  assert.ok(statuses[200] > 0);
  for (const code of Object.keys(errors)) assert.equal(code, 'ECONNREFUSED', `errors: ${JSON.stringify(errors)}`);
});
