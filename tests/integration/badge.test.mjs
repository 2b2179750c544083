// badge.test.mjs: GET /api/visits/{id}/badge.svg and /shields.json on the
// real daemon -- the SVG parses as XML with its <title>, the cache headers
// Camo honours, ?count=1 counting only on a public id, a non-public id
// 403 without a key, the shields.io body exactly as pinned, and keyless
// requests under the rate limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { startDaemon, runDaemon, TEST_KEY } from './lib/daemon.mjs';

// Keyless requests need the limiter on (VISITSD_RATE_LIMIT=0 is refused
// with public ids): generous here, small in the test that measures it.
const PUBLIC = {
  VISITSD_PUBLIC_IDS: 'home,blog-*',
  VISITSD_RATE_LIMIT: '1000',
  VISITSD_RATE_BURST: '1000',
};

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' });

function parseSvg(text) {
  assert.equal(XMLValidator.validate(text), true, `not XML: ${text}`);
  return parser.parse(text).svg;
}

// n visits of id with the key, 50 at a time.
async function post(d, id, n = 1) {
  for (let done = 0; done < n;) {
    const batch = Math.min(50, n - done);
    const rs = await Promise.all(Array.from({ length: batch }, () =>
      fetch(`${d.url}/api/visits/${id}`, { method: 'POST', headers: { 'x-api-key': d.key } })));
    for (const r of rs) { assert.equal(r.status, 200); await r.arrayBuffer(); }
    done += batch;
  }
}

test('badge.svg: XML with a title, flat layout, cache headers', async (t) => {
  const d = await startDaemon({ env: PUBLIC });
  t.after(() => d.stop());
  await post(d, 'home', 1234);

  const r = await fetch(`${d.url}/api/visits/home/badge.svg`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'image/svg+xml; charset=utf-8');
  assert.equal(r.headers.get('cache-control'), 'max-age=0, no-cache, no-store, must-revalidate');
  assert.equal(r.headers.get('expires'), '0');
  const svg = parseSvg(await r.text());
  assert.equal(svg.title, 'visits: 1,234');
  assert.equal(svg['@role'], 'img');
  assert.equal(svg['@aria-label'], 'visits: 1,234');
  assert.equal(svg['@height'], '20');
  const texts = svg.g[1].text.map((x) => x['#text']);
  assert.deepEqual(texts, ['visits', 'visits', '1,234', '1,234']);
  // The two parts add up to the width.
  const rects = svg.g[0].rect;
  assert.equal(Number(rects[0]['@width']) + Number(rects[1]['@width']), Number(svg['@width']));
  assert.equal(rects[1]['@fill'], '#007ec6');
});

test('badge.svg: ?count=1 counts on a public id, reads otherwise', async (t) => {
  const d = await startDaemon({ env: PUBLIC });
  t.after(() => d.stop());
  const title = async (path, headers = {}) => {
    const r = await fetch(`${d.url}${path}`, { headers });
    assert.equal(r.status, 200, path);
    return parseSvg(await r.text()).title;
  };
  assert.equal(await title('/api/visits/home/badge.svg?count=1'), 'visits: 1');
  assert.equal(await title('/api/visits/home/badge.svg?count=1'), 'visits: 2');
  assert.equal(await title('/api/visits/home/badge.svg'), 'visits: 2');
  assert.equal(await title('/api/visits/blog-7/badge.svg?count=1'), 'visits: 1');
  // GitHub's Camo is on the crawler list, but a badge fetch is the visit.
  assert.equal(await title('/api/visits/blog-7/badge.svg?count=1', { 'user-agent': 'github-camo (876de43e)' }), 'visits: 2');
  // HEAD never counts.
  const h = await fetch(`${d.url}/api/visits/home/badge.svg?count=1`, { method: 'HEAD' });
  assert.equal(h.status, 200);
  assert.equal(await title('/api/visits/home/badge.svg'), 'visits: 2');

  // A non-public id: 403 without a key, read only with one.
  const r = await fetch(`${d.url}/api/visits/secret/badge.svg?count=1`);
  assert.equal(r.status, 403);
  assert.deepEqual(await r.json(), { message: 'Forbidden' });
  await post(d, 'secret', 3);
  assert.equal(await title('/api/visits/secret/badge.svg?count=1', { 'x-api-key': d.key }), 'visits: 3');
  assert.equal(await title('/api/visits/secret/badge.svg', { 'x-api-key': d.key }), 'visits: 3');
  // The plain routes too: public ids without a key, others 403.
  const p = await fetch(`${d.url}/api/visits/home`, { method: 'POST' });
  assert.equal(p.status, 200);
  assert.equal((await p.json()).visits, 3);
  assert.equal((await fetch(`${d.url}/api/visits/secret`, { method: 'POST' })).status, 403);
  assert.equal((await fetch(`${d.url}/api/visits/blog`)).status, 403);
});

test('badge.svg: a hostile label is escaped; label and color are checked', async (t) => {
  const d = await startDaemon({ env: PUBLIC });
  t.after(() => d.stop());
  const hostile = `<script>alert("x")</script> & 'y'`;
  const r = await fetch(`${d.url}/api/visits/home/badge.svg?label=${encodeURIComponent(hostile)}&color=%23FE7D37`);
  assert.equal(r.status, 200);
  const text = await r.text();
  assert.ok(!text.includes('<script'), text);
  const svg = parseSvg(text);
  assert.equal(svg.title, `${hostile}: 0`);
  assert.equal(svg.g[0].rect[1]['@fill'], '#fe7d37');
  const utf = parseSvg(await (await fetch(`${d.url}/api/visits/home/badge.svg?label=caf%C3%A9+%E8%A8%AA%E5%95%8F`)).text());
  assert.equal(utf.title, 'café 訪問: 0');

  for (const q of ['label=', 'label=%00', 'label=%C3', `label=${'a'.repeat(65)}`, 'color=purple', 'color=abcd', 'color=']) {
    const b = await fetch(`${d.url}/api/visits/home/badge.svg?${q}`);
    assert.equal(b.status, 400, q);
    assert.match((await b.json()).message, /^invalid (label|color)/);
  }
  assert.equal((await fetch(`${d.url}/api/visits/home/badge.svg?label=${'a'.repeat(64)}`)).status, 200);
});

test('shields.json: exactly the pinned shape, read only', async (t) => {
  const d = await startDaemon({ env: PUBLIC });
  t.after(() => d.stop());
  await post(d, 'home', 1234);
  const r = await fetch(`${d.url}/api/visits/home/shields.json?count=1`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'application/json');
  const body = await r.json();
  assert.deepEqual(Object.keys(body), ['schemaVersion', 'label', 'message', 'color']);
  assert.deepEqual(body, { schemaVersion: 1, label: 'visits', message: '1,234', color: 'blue' });
  // Still 1,234: shields.json never counts.
  const again = await (await fetch(`${d.url}/api/visits/home/shields.json?label=hits&color=green`)).json();
  assert.deepEqual(again, { schemaVersion: 1, label: 'hits', message: '1,234', color: 'green' });
  assert.equal((await fetch(`${d.url}/api/visits/secret/shields.json`)).status, 403);
});

test('keyless requests are under the rate limit', async (t) => {
  const d = await startDaemon({ env: { VISITSD_PUBLIC_IDS: 'home', VISITSD_RATE_LIMIT: '1', VISITSD_RATE_BURST: '3' } });
  t.after(() => d.stop());
  const statuses = [];
  for (let i = 0; i < 5; i++) {
    const r = await fetch(`${d.url}/api/visits/home/badge.svg?count=1`);
    statuses.push(r.status);
    if (r.status === 429) assert.ok(r.headers.get('retry-after'));
  }
  assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
  // Nothing past the limit was counted.
  await new Promise((res) => setTimeout(res, 1500));
  const r = await fetch(`${d.url}/api/visits/home`, { headers: { 'x-api-key': d.key } });
  assert.equal(r.status, 200);
  assert.equal((await r.json()).visits, 3);
});

test('public ids or CountAPI with VISITSD_RATE_LIMIT=0 are refused', async () => {
  for (const env of [{ VISITSD_PUBLIC_IDS: 'home' }, { VISITSD_COUNTAPI: 'true' }]) {
    const r = await runDaemon({ env: { ...env, VISITSD_API_KEY: TEST_KEY, VISITSD_RATE_LIMIT: '0' }, args: ['-n'] });
    assert.equal(r.code, 78, r.stderr);
    assert.match(r.stderr, /needs the rate limit/);
  }
  const bad = await runDaemon({ env: { VISITSD_API_KEY: TEST_KEY, VISITSD_PUBLIC_IDS: 'home,*', VISITSD_RATE_LIMIT: '1' }, args: ['-n'] });
  assert.equal(bad.code, 78);
  assert.match(bad.stderr, /VISITSD_PUBLIC_IDS/);
});
