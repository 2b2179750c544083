// history.test.mjs: GET /api/visits/<id>/history?days=N on each store of
// lib/stores.mjs: oldest first, UTC dates, zeros for days without visits,
// today last; "the next day" is a daemon restarted with
// VISITSD_TEST_DAY_OFFSET=1 on the same data.  Then the route's edges
// (days out of range, methods, preflight, the key) on SQLite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from './lib/daemon.mjs';
import { request } from './lib/request.mjs';
import { STORES, openStore } from './lib/stores.mjs';

const DAY_MS = 86400000;

/** "YYYY-MM-DD" of the UTC day `offset` days from today. */
const date = (offset = 0) => new Date(Date.now() + offset * DAY_MS).toISOString().slice(0, 10);

const post = (d, key, id) => request(`${d.url}/api/visits/${id}`, { method: 'POST', key });
const history = (d, key, id, query = '') =>
  request(`${d.url}/api/visits/${id}/history${query}`, { key });

for (const store of STORES) {
  test(`${store}: history is oldest first, zero-filled, today last`, async (t) => {
    const s = await openStore(store, t);
    const d1 = await startDaemon({ env: s.env() });
    for (let i = 0; i < 3; i++) assert.equal((await post(d1, s.key, 'hist')).status, 200);
    const r = await history(d1, s.key, 'hist');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /^application\/json/);
    assert.equal(r.body.user, 'hist');
    assert.equal(r.body.days.length, 30);
    assert.deepEqual(r.body.days.at(-1), { date: date(0), visits: 3, unique: 1 });
    assert.deepEqual(r.body.days[0], { date: date(-29), visits: 0, unique: 0 });
    for (let i = 0; i < 29; i++) {
      assert.deepEqual(r.body.days[i], { date: date(i - 29), visits: 0, unique: 0 });
    }
    await d1.stop();

    // The next day: yesterday keeps its counts, today starts over.
    const d2 = await startDaemon({ env: s.env({ VISITSD_TEST_DAY_OFFSET: 1 }) });
    t.after(() => d2.stop());
    assert.equal((await post(d2, s.key, 'hist')).status, 200);
    const r2 = await history(d2, s.key, 'hist', '?days=3');
    assert.equal(r2.status, 200);
    assert.deepEqual(r2.body, {
      user: 'hist',
      days: [
        { date: date(-1), visits: 0, unique: 0 },
        { date: date(0), visits: 3, unique: 1 },
        { date: date(1), visits: 1, unique: 1 },
      ],
    });
    const one = await history(d2, s.key, 'hist', '?days=1');
    assert.deepEqual(one.body.days, [{ date: date(1), visits: 1, unique: 1 }]);
    const all = await history(d2, s.key, 'hist', '?days=366');
    assert.equal(all.body.days.length, 366);
    assert.equal(all.body.days[0].date, date(1 - 365));
    const none = await history(d2, s.key, 'never-seen', '?days=2');
    assert.deepEqual(none.body, {
      user: 'never-seen',
      days: [{ date: date(0), visits: 0, unique: 0 }, { date: date(1), visits: 0, unique: 0 }],
    });
  });
}

test('history: bad days are 400, only GET, preflight and CORS, the key as for GET', async (t) => {
  const d = await startDaemon({ env: { VISITSD_ALLOWED_ORIGINS: 'https://site.example' } });
  t.after(() => d.stop());
  for (const q of ['?days=0', '?days=367', '?days=abc', '?days=-1', '?days=', '?days=1e2']) {
    const r = await history(d, d.key, 'x', q);
    assert.equal(r.status, 400, q);
    assert.deepEqual(r.body, { message: 'invalid days: use days=N with N from 1 to 366' }, q);
  }
  const post405 = await request(`${d.url}/api/visits/x/history`, { method: 'POST', key: d.key });
  assert.equal(post405.status, 405);
  assert.equal(post405.headers.allow, 'GET, OPTIONS');
  const noKey = await history(d, undefined, 'x');
  assert.equal(noKey.status, 403);
  const badId = await history(d, d.key, 'a%20b');
  assert.equal(badId.status, 400);

  const pre = await fetch(`${d.url}/api/visits/x/history`, {
    method: 'OPTIONS',
    headers: { origin: 'https://site.example', 'access-control-request-method': 'GET' },
  });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), 'https://site.example');
  assert.match(pre.headers.get('access-control-allow-methods'), /GET/);
  const got = await fetch(`${d.url}/api/visits/x/history?days=2`, {
    headers: { origin: 'https://site.example', 'x-api-key': d.key },
  });
  assert.equal(got.status, 200);
  assert.equal(got.headers.get('access-control-allow-origin'), 'https://site.example');
  assert.equal((await got.json()).days.length, 2);
});
