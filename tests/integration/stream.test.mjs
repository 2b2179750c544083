// stream.test.mjs: GET /api/visits/<id>/stream, live counts as server-sent
// events, against the real daemon: the events another client's increments
// cause (on SQLite, and across two instances on the DynamoDB test peer),
// the limits in all and per client, 100 open streams beside a normal POST,
// a client that stops reading (dropped, the others keep flowing), the
// maximum age, and SIGTERM with streams open.
//
// The SSE client is http.request with its own parser, so that the tests
// can stop reading a socket (Node 18's fetch could not) and see comments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startHarness } from '../harness/client.mjs';
import { startDaemon } from './lib/daemon.mjs';
import { request } from './lib/request.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

const post = (d, id) => request(`${d.url}/api/visits/${id}`, { method: 'POST', key: d.key, agent });

/** The sum of a metric's series on d (its main listener serves /metrics). */
async function metric(d, name, labels = '') {
  const r = await request(`${d.url}/metrics`);
  let sum = 0;
  for (const line of String(r.body).split('\n')) {
    if (line.startsWith(`${name}{${labels}`) || (!labels && line.startsWith(`${name} `))) {
      sum += Number(line.split(' ').pop());
    }
  }
  return sum;
}

/**
 * Open a stream; resolves once the answer's head is in:
 * { status, headers, events (parsed data), comments, retry, ended, body,
 *   waitFor(pred, ms), close(), req, res }.
 */
function openStream(d, id, { key = d.key, localAddress, headers = {}, query } = {}) {
  const q = query ?? (key ? `?key=${encodeURIComponent(key)}` : '');
  return new Promise((resolve, reject) => {
    const req = http.request(`${d.url}/api/visits/${id}/stream${q}`,
      { agent: false, localAddress, headers }, (res) => {
        const s = {
          req, res, status: res.statusCode, headers: res.headers, events: [], comments: 0,
          retry: null, ended: false, body: '', waiters: new Set(),
        };
        let buf = '';
        const notify = () => { for (const w of s.waiters) w(); };
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          s.body += chunk;
          buf += chunk;
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            for (const line of block.split('\n')) {
              if (line.startsWith('data: ')) s.events.push(JSON.parse(line.slice(6)));
              else if (line.startsWith('retry: ')) s.retry = Number(line.slice(7));
              else if (line.startsWith(':')) s.comments++;
            }
          }
          notify();
        });
        const done = () => { s.ended = true; notify(); };
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
        s.waitFor = (pred, ms = 10000) => new Promise((ok, fail) => {
          if (pred(s)) { ok(s); return; }
          const timer = setTimeout(() => {
            s.waiters.delete(w);
            fail(new Error(`stream ${id}: condition not met within ${ms} ms; ` +
              `events ${JSON.stringify(s.events.slice(-3))}, ended ${s.ended}`));
          }, ms);
          const w = () => {
            if (!pred(s)) return;
            clearTimeout(timer);
            s.waiters.delete(w);
            ok(s);
          };
          s.waiters.add(w);
        });
        s.close = () => req.destroy();
        resolve(s);
      });
    req.on('error', reject);
    req.end();
  });
}

const lastVisits = (s) => (s.events.length ? s.events[s.events.length - 1].visits : -1);

test('a stream sees the increments of another client, with the SSE headers, ?key= never logged',
  async (t) => {
    const d = await startDaemon({
      env: { VISITSD_METRICS_PUBLIC: 'true', VISITSD_ALLOWED_ORIGINS: 'https://page.example' },
    });
    t.after(() => d.stop());

    const s = await openStream(d, 'live-a', { headers: { Origin: 'https://page.example' } });
    t.after(() => s.close());
    assert.equal(s.status, 200);
    assert.equal(s.headers['content-type'], 'text/event-stream');
    assert.equal(s.headers['cache-control'], 'no-cache');
    assert.equal(s.headers['x-accel-buffering'], 'no');
    assert.equal(s.headers['access-control-allow-origin'], 'https://page.example');
    await s.waitFor((x) => x.events.length === 1);
    assert.equal(s.retry, 5000);
    assert.deepEqual(s.events[0], { user: 'live-a', visits: 0, unique: 0 });

    for (let i = 1; i <= 3; i++) {
      const r = await post(d, 'live-a');
      assert.equal(r.status, 200);
      await s.waitFor((x) => lastVisits(x) === i);
    }
    assert.deepEqual(s.events.map((e) => e.visits), [0, 1, 2, 3]);
    // Another id's increments are not this stream's.
    await post(d, 'live-other');
    await sleep(400);
    assert.equal(s.events.length, 4);

    // The key: wrong or missing is 403, as a header it works too.
    const bad = await openStream(d, 'live-a', { key: 'wrong-key' });
    assert.equal(bad.status, 403);
    const none = await openStream(d, 'live-a', { key: null });
    assert.equal(none.status, 403);
    const hdr = await openStream(d, 'live-a', { key: null, headers: { 'x-api-key': d.key } });
    assert.equal(hdr.status, 200);
    hdr.close();
    // ?key= is the stream route's only: elsewhere it is no key.
    const elsewhere = await request(`${d.url}/api/visits/live-a?key=${encodeURIComponent(d.key)}`);
    assert.equal(elsewhere.status, 403);
    // ... and on the id "stream" too, which ends in /stream.
    const idStream = await request(`${d.url}/api/visits/stream?key=${encodeURIComponent(d.key)}`);
    assert.equal(idStream.status, 403);
    const wrongMethod = await request(`${d.url}/api/visits/live-a/stream`, { method: 'POST', key: d.key });
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.allow, 'GET, OPTIONS');

    // A client that left is noticed within a second or two, though its
    // connection is suspended (MHD does not watch it then).
    const until = Date.now() + 5000;
    while (await metric(d, 'visitsd_streams_open') !== 1 && Date.now() < until) await sleep(100);
    assert.equal(await metric(d, 'visitsd_streams_open'), 1);
    assert.ok(d.logs.some((l) => l.includes('/api/visits/live-a/stream')), 'the stream is logged');
    for (const line of d.logs) assert.ok(!line.includes(d.key) && !line.includes('key='), `key logged: ${line}`);
    assert.ok(await metric(d, 'visitsd_stream_events_total') >= 4);
    assert.ok(await metric(d, 'visitsd_streams_ended_total', 'reason="client"') >= 1);
  });

test('the next stream over a limit is refused: per client, then in all', async (t) => {
  const d = await startDaemon({
    env: { VISITSD_METRICS_PUBLIC: 'true', VISITSD_STREAM_MAX: '3', VISITSD_STREAM_MAX_PER_CLIENT: '2' },
  });
  t.after(() => d.stop());
  const open = [];
  t.after(() => { for (const s of open) s.close(); });

  // Client 127.0.0.1: two, then refused.
  for (let i = 0; i < 2; i++) {
    const s = await openStream(d, `lim-${i}`, { localAddress: '127.0.0.1' });
    open.push(s);
    assert.equal(s.status, 200);
  }
  const third = await openStream(d, 'lim-x', { localAddress: '127.0.0.1' });
  await third.waitFor((x) => x.ended);
  assert.equal(third.status, 503);
  assert.ok(third.headers['retry-after']);
  assert.match(JSON.parse(third.body).message, /from this client/);

  // Client 127.0.0.2: one (three in all), then the server is full.
  const other = await openStream(d, 'lim-2', { localAddress: '127.0.0.2' });
  open.push(other);
  assert.equal(other.status, 200);
  const full = await openStream(d, 'lim-y', { localAddress: '127.0.0.2' });
  await full.waitFor((x) => x.ended);
  assert.equal(full.status, 503);
  assert.match(JSON.parse(full.body).message, /on this server/);
  assert.equal(await metric(d, 'visitsd_streams_refused_total', 'reason="client"'), 1);
  assert.equal(await metric(d, 'visitsd_streams_refused_total', 'reason="full"'), 1);

  // A slot given back is a slot again.
  open[0].close();
  const until = Date.now() + 5000;
  while (await metric(d, 'visitsd_streams_open') !== 2 && Date.now() < until) await sleep(100);
  const again = await openStream(d, 'lim-z', { localAddress: '127.0.0.1' });
  open.push(again);
  assert.equal(again.status, 200);
});

test('100 streams open do not slow a normal POST beyond 1 s, and all of them see it', async (t) => {
  const d = await startDaemon({
    env: { VISITSD_METRICS_PUBLIC: 'true', VISITSD_STREAM_MAX_PER_CLIENT: '0', VISITSD_MAX_CONNECTIONS: '64' },
  });
  t.after(() => d.stop());
  const streams = await Promise.all(Array.from({ length: 100 }, (_, i) => openStream(d, `many-${i % 10}`)));
  t.after(() => { for (const s of streams) s.close(); });
  for (const s of streams) assert.equal(s.status, 200);
  await Promise.all(streams.map((s) => s.waitFor((x) => x.events.length === 1)));
  assert.equal(await metric(d, 'visitsd_streams_open'), 100);

  // 100 streams on a server of max_connections 64: they are not in its count.
  const r = await post(d, 'many-3');
  console.log(`# POST with 100 streams open: ${r.ms.toFixed(1)} ms`);
  assert.equal(r.status, 200);
  assert.ok(r.ms < 1000, `POST took ${r.ms} ms`);
  const mine = streams.filter((_, i) => i % 10 === 3);
  await Promise.all(mine.map((s) => s.waitFor((x) => lastVisits(x) === 1)));
  const others = await Promise.all(Array.from({ length: 20 }, () => post(d, 'many-plain')));
  for (const o of others) assert.equal(o.status, 200);
});

test('a client that stops reading is dropped; the other streams keep flowing', { timeout: 90000 }, async (t) => {
  const d = await startDaemon({
    env: {
      VISITSD_METRICS_PUBLIC: 'true',
      // At most 200 events a second, 4 KiB of slack for a reader that
      // keeps up on a loaded machine; a stopped one fills its socket's
      // buffers (the kernel's, about 130 KiB on loopback) in seconds.
      VISITSD_STREAM_INTERVAL_MS: '5',
      VISITSD_STREAM_BUFFER: '4096',
    },
  });
  t.after(() => d.stop());
  // The longest id: about 190 bytes an event.
  const id = 'slow-'.padEnd(128, 'x');
  const slow = await openStream(d, id);
  const fast = await openStream(d, id);
  t.after(() => { slow.close(); fast.close(); });
  await slow.waitFor((x) => x.events.length === 1);
  slow.res.pause();
  slow.res.socket.pause();

  // Increments from 32 connections until the slow stream overflows.
  let stop = false;
  let sent = 0;
  const workers = Array.from({ length: 32 }, async () => {
    while (!stop) {
      const r = await post(d, id);
      assert.equal(r.status, 200);
      sent++;
    }
  });
  const until = Date.now() + 60000;
  let dropped = 0;
  while (Date.now() < until) {
    await sleep(250);
    dropped = await metric(d, 'visitsd_streams_ended_total', 'reason="overflow"');
    if (dropped > 0) break;
  }
  stop = true;
  await Promise.all(workers);
  console.log(`# slow reader dropped after ${sent} increments; the fast stream had ${fast.events.length} events`);
  assert.ok(dropped >= 1, 'the slow reader was dropped');
  assert.ok(!fast.ended, 'the reading stream goes on');
  const before = lastVisits(fast);
  await fast.waitFor((x) => lastVisits(x) === sent, 5000);
  assert.ok(lastVisits(fast) > before || before === sent);
  const r = await post(d, id);
  await fast.waitFor((x) => lastVisits(x) === r.body.visits, 5000);
  // The slow client, reading again, finds its connection closed.
  slow.res.resume();
  slow.res.socket.resume();
  await slow.waitFor((x) => x.ended, 10000);
  assert.ok(lastVisits(slow) < sent, 'the slow stream did not get everything');
  assert.equal(await metric(d, 'visitsd_streams_open'), 1);
});

test('a stream ends at its maximum age, with comments while idle', async (t) => {
  const d = await startDaemon({
    env: { VISITSD_METRICS_PUBLIC: 'true', VISITSD_STREAM_MAX_AGE: '3', VISITSD_STREAM_PING: '1' },
  });
  t.after(() => d.stop());
  const t0 = Date.now();
  const s = await openStream(d, 'aged');
  t.after(() => s.close());
  await s.waitFor((x) => x.ended, 8000);
  const secs = (Date.now() - t0) / 1000;
  assert.ok(secs >= 2.5 && secs < 6, `ended after ${secs} s`);
  assert.ok(s.comments >= 2, `${s.comments} comments in 3 s of stream_ping 1`);
  assert.equal(s.events.length, 1);
  assert.equal(await metric(d, 'visitsd_streams_ended_total', 'reason="max_age"'), 1);
});

test('SIGTERM with streams open exits promptly and cleanly', async (t) => {
  const d = await startDaemon({ env: { VISITSD_SHUTDOWN_TIMEOUT: '10', VISITSD_STREAM_MAX_PER_CLIENT: '0' } });
  t.after(() => d.kill9());
  const streams = await Promise.all(Array.from({ length: 20 }, (_, i) => openStream(d, `term-${i % 4}`)));
  t.after(() => { for (const s of streams) s.close(); });
  await Promise.all(streams.map((s) => s.waitFor((x) => x.events.length === 1)));
  const t0 = Date.now();
  const { code } = await d.stop('SIGTERM');
  const secs = (Date.now() - t0) / 1000;
  console.log(`# exit with 20 streams open: ${secs.toFixed(2)} s`);
  assert.equal(code, 0);
  assert.ok(secs < 5, `exit took ${secs} s (shutdown_timeout 10)`);
  await Promise.all(streams.map((s) => s.waitFor((x) => x.ended, 2000)));
});

test('dynamodb: increments on instance A reach a stream on instance B (polling)', { timeout: 60000 }, async (t) => {
  const h = await startHarness();
  t.after(() => h.stop());
  const env = {
    ...h.env('env'),
    VISITSD_API_KEY: undefined,
    VISITSD_METRICS_PUBLIC: 'true',
    VISITSD_STREAM_POLL_MS: '200',
  };
  for (const k of ['AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI',
    'AWS_CONTAINER_AUTHORIZATION_TOKEN', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
    'AWS_EC2_METADATA_SERVICE_ENDPOINT']) env[k] = undefined;
  const [a, b] = await Promise.all([startDaemon({ env }), startDaemon({ env })]);
  t.after(() => Promise.all([a.stop(), b.stop()]));
  const key = h.apiKey;
  a.key = key;
  b.key = key;

  const id = `cross-${Date.now()}`;
  const s = await openStream(b, id, { key });
  t.after(() => s.close());
  assert.equal(s.status, 200);
  await s.waitFor((x) => x.events.length === 1);
  for (let i = 1; i <= 3; i++) {
    const r = await post(a, id);
    assert.equal(r.status, 200);
    assert.equal(r.body.visits, i);
    await s.waitFor((x) => lastVisits(x) === i, 5000);
  }
  // One GetItem per open id per interval, not per stream.
  const s2 = await openStream(b, id, { key });
  t.after(() => s2.close());
  const p0 = await metric(b, 'visitsd_stream_polls_total');
  await sleep(2000);
  const polls = (await metric(b, 'visitsd_stream_polls_total')) - p0;
  console.log(`# 2 streams on one id, stream_poll_ms 200: ${polls} polls in 2 s`);
  assert.ok(polls >= 5 && polls <= 12, `${polls} polls in 2 s`);
  assert.equal(await metric(a, 'visitsd_stream_polls_total'), 0);
});
