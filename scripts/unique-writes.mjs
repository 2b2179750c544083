#!/usr/bin/env node
// unique-writes.mjs: DynamoDB writes per visit with unique visitors on, and
// POST throughput with them on and off, measured against the AWS test peer
// (dynalite behind a SigV4 front, tests/harness) with two visitsd instances
// on one table.  Figures for docs/performance.md, not a test.
//
//   node scripts/unique-writes.mjs      (after make and cd tests && npm ci)
//
// Bursts (all requests at once, one id, shared between the two daemons):
// 500 visits of one visitor, then 500 visits of 500 distinct visitors (one
// forwarded address each).  Throughput: 64 closed-loop connections on one id
// for UW_RUN_MS (5 s), every request a new visitor (the worst case for
// uniques: one visitor put each) or the same one, with uniques on and off.
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { startHarness } from '../tests/harness/client.mjs';

process.env.VISITSD_BIN ??= fileURLToPath(new URL('../build/visitsd', import.meta.url));
const { startDaemon } = await import('../tests/integration/lib/daemon.mjs');

const RUN_MS = Number(process.env.UW_RUN_MS ?? 5000);
const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
const post = (d, id, key, addr) => new Promise((resolve) => {
  const req = http.request(`${d.url}/api/visits/${id}`, {
    method: 'POST', agent,
    headers: { 'x-api-key': key, 'user-agent': 'unique-writes/1', 'x-forwarded-for': addr },
  }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
  req.on('error', () => resolve(0));
  req.end();
});
const addrOf = (i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

const h = await startHarness();
const base = {
  ...h.env('env'), VISITSD_API_KEY: undefined, VISITSD_LOG_LEVEL: 'info',
  VISITSD_MAX_CONNECTIONS: '2048', VISITSD_TRUSTED_PROXIES: '127.0.0.1/32',
};
const on = [await startDaemon({ env: base }), await startDaemon({ env: base })];
const off = [await startDaemon({ env: { ...base, VISITSD_UNIQUE_VISITORS: 'false' } }),
  await startDaemon({ env: { ...base, VISITSD_UNIQUE_VISITORS: 'false' } })];

async function ops() {
  const c = (await h.counters()).ops;
  return Object.fromEntries(['PutItem', 'UpdateItem', 'GetItem'].map((op) => [op, c[op]?.requests ?? 0]));
}

const get = (d, id, key) => new Promise((resolve) => {
  http.get(`${d.url}/api/visits/${id}`, { agent, headers: { 'x-api-key': key } }, (res) => {
    let b = '';
    res.on('data', (c) => { b += c; });
    res.on('end', () => resolve(JSON.parse(b)));
  });
});

async function measure(name, id, fn) {
  const o0 = await ops();
  const t0 = performance.now();
  const statuses = await fn();
  const s = (performance.now() - t0) / 1000;
  const o1 = await ops();
  const ok = statuses.filter((x) => x === 200).length;
  const stored = await get(on[0], id, h.apiKey);
  const d = Object.fromEntries(Object.keys(o1).map((k) => [k, o1[k] - o0[k]]));
  console.log(`${name.padEnd(40)} ${String(ok).padStart(6)} visits ${String(statuses.length - ok).padStart(3)} not 2xx ` +
    `${String(d.PutItem).padStart(6)} PutItem ${String(d.UpdateItem).padStart(5)} UpdateItem ` +
    `${String(d.GetItem).padStart(5)} GetItem  ${((d.PutItem + d.UpdateItem) / ok).toFixed(3)} writes/visit  ` +
    `${Math.round(ok / s)} visits/s  stored ${stored.visits} visits ${stored.unique} unique`);
}

const burst = (ds, id, who) => Promise.all(Array.from({ length: 500 },
  (_, k) => post(ds[k % 2], id, h.apiKey, addrOf(who(k)))));
await measure('burst: 500 visits, one visitor', 'b1', () => burst(on, 'b1', () => 1));
await measure('burst: 500 visits, 500 visitors', 'b500', () => burst(on, 'b500', (k) => 1000 + k));

let next = 100000;
async function loop(ds, id, distinct) {
  const statuses = [];
  const end = performance.now() + RUN_MS;
  await Promise.all(Array.from({ length: 64 }, async (_, k) => {
    while (performance.now() < end) {
      statuses.push(await post(ds[k % 2], id, h.apiKey, addrOf(distinct ? next++ : 7)));
    }
  }));
  return statuses;
}
await measure('64 conns, new visitor each, uniques on', 'l-on', () => loop(on, 'l-on', true));
await measure('64 conns, one visitor, uniques on', 'l-one', () => loop(on, 'l-one', false));
await measure('64 conns, uniques off', 'l-off', () => loop(off, 'l-off', true));

for (const d of [...on, ...off]) await d.stop();
await h.stop();
agent.destroy();
