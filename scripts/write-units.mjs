#!/usr/bin/env node
// write-units.mjs: DynamoDB write units per visit under coalescing and
// pacing, measured against the AWS test peer (dynalite behind a SigV4 front,
// tests/harness) with two visitsd instances. A figure for docs/scaling.md,
// not a test. Every UpdateItem of a count item (< 1 KB) is one write unit.
//
//   node scripts/write-units.mjs        (after make and cd tests && npm ci)
//
// Shapes: steady (open loop, 300 visits/s over 10,000 ids), bursty (400
// concurrent visits on 10 ids every 500 ms), viral (2 x 64 closed-loop
// connections on one id), viral under a 100 writes/s key budget (paced).
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { startHarness } from '../tests/harness/client.mjs';

process.env.VISITSD_BIN ??= fileURLToPath(new URL('../build/visitsd', import.meta.url));
const { startDaemon } = await import('../tests/integration/lib/daemon.mjs');

const RUN_MS = Number(process.env.WU_RUN_MS ?? 5000);
const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
const post = (d, id, key) => new Promise((resolve) => {
  const req = http.request(`${d.url}/api/visits/${id}`, { method: 'POST', agent, headers: { 'x-api-key': key } },
    (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
  req.on('error', () => resolve(0));
  req.end();
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const h = await startHarness();
const env = { ...h.env('env'), VISITSD_API_KEY: undefined, VISITSD_LOG_LEVEL: 'info', VISITSD_MAX_CONNECTIONS: '2048' };
const ds = [await startDaemon({ env }), await startDaemon({ env })];
const calls = async () => (await h.counters()).ops.UpdateItem?.requests ?? 0;

async function measure(name, fn) {
  const c0 = await calls();
  const t0 = performance.now();
  const r = await fn();
  const s = (performance.now() - t0) / 1000;
  const n = (await calls()) - c0;
  console.log(`${name.padEnd(34)} ${String(r.ok).padStart(7)} visits ${String(r.bad).padStart(4)} not 2xx ` +
    `${String(n).padStart(6)} UpdateItem  ${(n / r.ok).toFixed(3)} WCU/visit  ${Math.round(r.ok / s)} visits/s`);
}

function tally(statuses) {
  return { ok: statuses.filter((s) => s === 200).length, bad: statuses.filter((s) => s !== 200).length };
}

await measure('steady: 300/s over 10,000 ids', async () => {
  const p = [];
  const end = performance.now() + RUN_MS;
  let i = 0;
  while (performance.now() < end) {
    for (let k = 0; k < 3; k++, i++) p.push(post(ds[i % 2], `page-${Math.floor(Math.random() * 10000)}`, h.apiKey));
    await sleep(10);
  }
  return tally(await Promise.all(p));
});

await measure('bursty: 400 on 10 ids every 500 ms', async () => {
  const p = [];
  for (let b = 0; b < RUN_MS / 500; b++) {
    for (let k = 0; k < 400; k++) p.push(post(ds[k % 2], `burst-${k % 10}`, h.apiKey));
    await sleep(500);
  }
  return tally(await Promise.all(p));
});

async function viral(id) {
  const statuses = [];
  const end = performance.now() + RUN_MS;
  await Promise.all(Array.from({ length: 128 }, async (_, k) => {
    while (performance.now() < end) statuses.push(await post(ds[k % 2], id, h.apiKey));
  }));
  return tally(statuses);
}
await measure('viral: 2 x 64 connections, one id', () => viral('viral'));
await h.controlApi('PUT', '/key-budget', { writesPerSecond: 100 });
await measure('viral, key budget 100 writes/s', () => viral('viral-paced'));
const kb = await h.controlApi('GET', '/key-budget');
console.log(`key budget: ${kb.throttled} of ${kb.checked} writes throttled`);

agent.destroy();
await Promise.all(ds.map((d) => d.stop()));
await h.stop();
