// log.test.mjs: request log lines are buffered (src/log.c) and never lost
// on a clean exit: the line of the last request before SIGTERM is in the
// log, and a line shows up without any exit within the flush interval.
// (The order of buffered and other lines: check_log.c.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from './lib/daemon.mjs';
import { request } from './lib/request.mjs';

const requestLine = (id) => (l) => l.includes('"msg":"request"') && l.includes(`"path":"/api/visits/${id}"`);

test('the last request line before SIGTERM is in the log', async (t) => {
  const d = await startDaemon();
  t.after(() => d.stop());
  const r = await request(`${d.url}/api/visits/last-one`, { method: 'POST', key: d.key });
  assert.equal(r.status, 200);
  assert.deepEqual(await d.stop('SIGTERM'), { code: 0, signal: null });
  const at = d.logs.findIndex(requestLine('last-one'));
  assert.ok(at >= 0, `no request line for the last POST:\n${d.logs.join('\n')}`);
  assert.ok(at < d.logs.findIndex((l) => l.includes('"msg":"stopped"')), 'the request line comes before "stopped"');
});

test('a request line is written within the flush interval, without an exit', async (t) => {
  const d = await startDaemon();
  t.after(() => d.stop());
  const r = await request(`${d.url}/api/visits/soon`, { method: 'POST', key: d.key });
  assert.equal(r.status, 200);
  // LOG_FLUSH_MS is 100; a loaded machine gets ten times that.
  await d.waitForLog(/"path":"\/api\/visits\/soon"/, 2000);
});
