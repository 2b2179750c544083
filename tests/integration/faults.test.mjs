// faults.test.mjs: three visitsd instances against one DynamoDB test peer
// (tests/harness/aws-peer.mjs), concurrent POSTs on a few shared ids while
// the peer injects throttling storms, 500s (applied, then refused), latency
// spikes and dropped answers (applied, then the socket closed).  Checked:
//
//  - for every id: acknowledged <= applied <= acknowledged + unknown, where
//    acknowledged counts the 200 answers for it, applied is the count
//    DynamoDB holds at the end, and unknown is the number of increments
//    the instances answered with an unknown outcome, summed over the three
//    (visitsd_store_operations_total{result="unknown_outcome"}: one per
//    visit; visitsd_aws_unknown_outcomes_total counts UpdateItem calls,
//    one per batch, and is reported alongside);
//  - the counts returned in 200 answers are distinct across all instances
//    for each id (no increment is answered twice, none re-sent);
//  - every answer is 200 or 503, and every 503 carries Retry-After;
//  - full recovery: once the faults end, every instance answers a POST
//    with 200 within RECOVERY_MS.
//
// Each instance serves /metrics on its own listener (VISITSD_METRICS_LISTEN),
// which works whether or not the main listener also serves it.
// Loopback only, bounded: about 40 s on the 2-core machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { startHarness } from '../harness/client.mjs';
import { startDaemon } from './lib/daemon.mjs';

const INSTANCES = 3;
const WORKERS = 6;                 // concurrent POST loops per instance
const IDS = ['hot-a', 'hot-b', 'hot-c', 'hot-d'];
const RECOVERY_MS = 10000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The fault schedule: [label, duration ms, faults on UpdateItem].
const PHASES = [
  ['calm', 2000, []],
  ['throttling storm', 3000, [{ kind: 'throttle' }]],
  ['throttling storm (ProvisionedThroughputExceeded)', 1500,
    [{ kind: 'throttle', error: 'ProvisionedThroughputExceededException' }]],
  ['500s', 3000, [{ kind: '500', p: 0.3 }]],
  ['latency spikes', 3000, [{ kind: 'latency', ms: 1500, p: 0.3 }]],
  ['dropped answers', 3000, [{ kind: 'drop-after-apply', p: 0.3 }]],
  ['everything at once', 4000, [
    { kind: 'throttle', p: 0.15 }, { kind: '500', p: 0.15 },
    { kind: 'latency', ms: 800, p: 0.15 }, { kind: 'drop-after-apply', p: 0.15 },
  ]],
];

async function metric(d, re) {
  const r = await fetch(`${d.metricsUrl}/metrics`);
  assert.equal(r.status, 200);
  const text = await r.text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = line.match(re);
    if (m) sum += Number(m[1]);
  }
  return sum;
}

test('three instances, one peer, injected faults: no lost or doubled acknowledgement, 503s with ' +
  'Retry-After, full recovery', async (t) => {
  const h = await startHarness();
  t.after(() => h.stop());
  const daemons = [];
  for (let i = 0; i < INSTANCES; i++) {
    const d = await startDaemon({
      env: {
        ...h.env('env'),
        VISITSD_API_KEY_PARAMETER: undefined,   // key from the environment: no SSM in the way
        VISITSD_METRICS_LISTEN: '127.0.0.1:0',
        VISITSD_MAX_CONNECTIONS: '256',
        VISITSD_RATE_LIMIT: '0',                // one client address sends all of it (issue 9 part A)
      },
    });
    t.after(() => d.stop());
    const m = d.logs.join('\n').match(/metrics on (\S+?)\)/);
    d.metricsUrl = m ? `http://${m[1]}` : d.url;
    daemons.push(d);
  }

  const ack = Object.fromEntries(IDS.map((id) => [id, []]));   // returned counts of the 200s
  const statuses = {};
  const problems = [];
  let stop = false;
  let rnd = 1;
  const nextId = () => IDS[((rnd = (Math.imul(rnd, 1103515245) + 12345) >>> 0) >>> 16) % IDS.length];

  async function post(d, id) {
    const r = await fetch(`${d.url}/api/visits/${id}`, {
      method: 'POST', headers: { 'x-api-key': d.key }, signal: AbortSignal.timeout(30000),
    });
    const body = await r.text();
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (r.status === 200) {
      const j = JSON.parse(body);
      if (j.user !== id || !Number.isInteger(j.visits)) problems.push(`bad 200 body ${body}`);
      ack[id].push(j.visits);
    } else if (r.status === 503) {
      if (!/^\d+$/.test(r.headers.get('retry-after') ?? '')) problems.push(`503 without Retry-After: ${body}`);
    } else {
      problems.push(`status ${r.status}: ${body}`);
    }
    return r.status;
  }

  const workers = daemons.flatMap((d) => Array.from({ length: WORKERS }, async () => {
    while (!stop) {
      try {
        await post(d, nextId());
      } catch (e) {
        problems.push(`POST failed: ${e.message}`);   // an abort would be an outcome we cannot count
      }
    }
  }));

  const started = Date.now();
  for (const [label, ms, faults] of PHASES) {
    await h.clearFaults();
    for (const f of faults) await h.fault('UpdateItem', f.kind, { forMs: ms, ...f });
    t.diagnostic(`${((Date.now() - started) / 1000).toFixed(1)} s: ${label}`);
    await sleep(ms);
  }
  await h.clearFaults();
  const faultsEnded = Date.now();

  // Recovery: every instance answers a POST with 200 within RECOVERY_MS.
  await Promise.all(daemons.map(async (d, i) => {
    for (;;) {
      if (await post(d, IDS[i % IDS.length]) === 200) return;
      assert.ok(Date.now() - faultsEnded < RECOVERY_MS,
        `instance ${i} still not answering 200 ${RECOVERY_MS} ms after the faults ended`);
      await sleep(200);
    }
  }));
  const recoveredMs = Date.now() - faultsEnded;
  stop = true;
  await Promise.all(workers);

  assert.deepEqual(problems.slice(0, 10), [], `${problems.length} problems; statuses ${JSON.stringify(statuses)}`);

  let unknown = 0;
  let unknownCalls = 0;
  for (const d of daemons) {
    unknown += await metric(d, /^visitsd_store_operations_total\{[^}]*result="unknown_outcome"[^}]*\} (\d+)/);
    unknownCalls += await metric(d, /^visitsd_aws_unknown_outcomes_total\{[^}]*UpdateItem[^}]*\} (\d+)/);
  }

  const c = await h.counters();
  const f = c.ops.UpdateItem?.faults ?? {};
  for (const kind of ['throttle', '500', 'latency', 'drop-after-apply']) {
    assert.ok(f[kind] > 0, `fault ${kind} injected: ${JSON.stringify(f)}`);
  }
  assert.equal(c.rejections, 0, `signature rejections: ${JSON.stringify(c.ops)}`);

  let sumAck = 0;
  let sumApplied = 0;
  const table = [];
  for (const id of IDS) {
    const g = await h.call('DynamoDB_20120810.GetItem', { TableName: h.table, Key: { [h.keyAttribute]: { S: id } },
      ConsistentRead: true });
    assert.equal(g.status, 200, JSON.stringify(g.body));
    const applied = Number(g.body.Item?.visits?.N ?? 0);
    const counts = ack[id];
    const distinct = new Set(counts);
    assert.equal(distinct.size, counts.length, `${id}: a count was returned twice`);
    assert.ok(counts.every((n) => n >= 1 && n <= applied), `${id}: a returned count above the final ${applied}`);
    assert.ok(counts.length <= applied, `${id}: acknowledged ${counts.length} > applied ${applied}`);
    assert.ok(applied <= counts.length + unknown,
      `${id}: applied ${applied} > acknowledged ${counts.length} + unknown outcomes ${unknown}`);
    sumAck += counts.length;
    sumApplied += applied;
    table.push(`${id}: ack ${counts.length} applied ${applied}`);
  }
  assert.ok(sumApplied <= sumAck + unknown, `applied ${sumApplied} > acknowledged ${sumAck} + unknown ${unknown}`);
  assert.ok(statuses[503] > 0, `the faults made some POSTs fail: ${JSON.stringify(statuses)}`);

  t.diagnostic(`statuses ${JSON.stringify(statuses)}; ${table.join(', ')}; unknown outcomes ${unknown} ` +
    `(${unknownCalls} UpdateItem calls); faults ${JSON.stringify(f)}; recovered in ${recoveredMs} ms`);
  for (const d of daemons) assert.equal((await d.stop()).code, 0);
});
