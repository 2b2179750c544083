// openapi.test.mjs: docs/openapi.yaml is a valid OpenAPI 3.1 document that
// describes every route, the checker (lib/openapi.mjs) refuses answers that
// do not conform, the tap (lib/conformance.mjs) fails a test process that
// received one, and a walk over every route of a real daemon conforms.
//
// The other integration tests are checked by the tap as they run (every
// daemon started through lib/daemon.mjs); this file proves the checker and
// the tap can fail, and exercises the routes whatever the other tests do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { parse } from 'yaml';

import { SKIP_HEADER } from './lib/conformance.mjs';
import { startDaemon, tempDir } from './lib/daemon.mjs';
import { SPEC_PATH, loadSpec, specFrom } from './lib/openapi.mjs';

const LIB = new URL('./lib/', import.meta.url);
const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };

/*
 * The routes the issues pin (1, 10, 11): each must be in the document with
 * these methods, so a route cannot silently drop out of it.
 */
const ROUTES = {
  '/api/visits/{id}': ['get', 'post', 'put', 'delete', 'options'],
  '/api/visits/{id}/history': ['get', 'options'],
  '/api/visits/{id}/badge.svg': ['get', 'head'],
  '/api/visits/{id}/shields.json': ['get', 'head'],
  '/api/visits/{id}/stream': ['get'],
  '/api/admin/export': ['get', 'options'],
  '/api/admin/import': ['post', 'options'],
  '/hit/{ns}/{key}': ['get'],
  '/hit/{key}': ['get'],
  '/get/{ns}/{key}': ['get'],
  '/get/{key}': ['get'],
  '/healthz': ['get', 'head'],
  '/readyz': ['get', 'head'],
  '/metrics': ['get', 'head'],
};

test('docs/openapi.yaml is valid OpenAPI 3.1 (@seriousme/openapi-schema-validator), and a broken copy is refused', async () => {
  const v = new Validator();
  const res = await v.validate(SPEC_PATH);
  assert.equal(v.version, '3.1');
  assert.ok(res.valid, `not valid: ${JSON.stringify(res.errors, null, 2)}`);

  // The validator is not a rubber stamp: a dangling $ref and a wrong type.
  const doc = parse(readFileSync(SPEC_PATH, 'utf8'));
  doc.paths['/healthz'].get.responses['200'] = { $ref: '#/components/responses/NoSuchThing' };
  const dangling = await v.validate(doc);
  assert.equal(dangling.valid, false);
  const doc2 = parse(readFileSync(SPEC_PATH, 'utf8'));
  doc2.paths['/healthz'].get.operationId = 5;
  const typed = await v.validate(doc2);
  assert.equal(typed.valid, false);
});

test('every pinned route and method is described; every schema compiles (ajv 2020, strict)', (t) => {
  const spec = loadSpec();
  const n = spec.compileAll();
  t.diagnostic(`${n} distinct schemas compiled`);
  const doc = spec.doc;
  for (const [path, methods] of Object.entries(ROUTES)) {
    assert.ok(doc.paths[path], `${path} is missing`);
    for (const m of methods) assert.ok(doc.paths[path][m], `${m.toUpperCase()} ${path} is missing`);
  }
  assert.deepEqual(Object.keys(doc.paths).sort(), Object.keys(ROUTES).sort(), 'a path the test does not know');
  const ids = new Set();
  const schemes = Object.keys(doc.components.securitySchemes);
  assert.deepEqual(schemes.sort(), ['AdminBearer', 'ApiKey', 'StreamKey']);
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [m, op] of Object.entries(item)) {
      if (m === 'parameters' || m.startsWith('x-')) continue;
      assert.ok(op.operationId && !ids.has(op.operationId), `${m} ${path}: operationId`);
      ids.add(op.operationId);
      assert.ok(Array.isArray(op.security), `${m} ${path} says nothing about keys`);
      for (const req of op.security) for (const s of Object.keys(req)) assert.ok(schemes.includes(s), s);
      for (const [status, r] of Object.entries(op.responses)) {
        assert.match(status, /^[1-5][0-9][0-9]$/, `${m} ${path}: ${status}: no ranges or default`);
        const resp = spec.deref(r);
        if (status !== '204') assert.ok(resp.content, `${m} ${path} ${status} has no content`);
        for (const media of Object.values(resp.content ?? {})) {
          assert.ok(media.schema, `${m} ${path} ${status}: a media type without a schema`);
        }
      }
    }
  }
  // The admin and stream schemes are the ones the issues name.
  assert.equal(doc.components.securitySchemes.AdminBearer.type, 'http');
  assert.equal(doc.components.securitySchemes.AdminBearer.scheme, 'bearer');
  assert.equal(doc.components.securitySchemes.ApiKey.name, 'x-api-key');
  assert.equal(doc.components.securitySchemes.StreamKey.in, 'query');
  assert.equal(doc.components.securitySchemes.StreamKey.name, 'key');
});

test('the checker accepts conforming answers and refuses each kind of fault', () => {
  const spec = loadSpec();
  const ok = (a) => assert.deepEqual(spec.check(a).errors, [], JSON.stringify(a));
  const bad = (a, re) => {
    const { errors } = spec.check(a);
    assert.ok(errors.length > 0, `accepted: ${JSON.stringify(a)}`);
    assert.match(errors.join('\n'), re);
  };
  const visits = { method: 'POST', url: '/api/visits/home', status: 200, headers: JSON_HEADERS };

  ok({ ...visits, body: '{"user":"home","visits":3,"unique":2}' });
  bad({ ...visits, body: '{"user":"home","visits":3}' }, /required property 'unique'/);
  // Deliberately wrong bodies.
  bad({ ...visits, body: '{"user":"home","visits":"3"}' }, /\/visits must be integer/);
  bad({ ...visits, body: '{"user":"home","visits":-1}' }, /\/visits must be >= 0/);
  bad({ ...visits, body: '{"user":"home"}' }, /required property 'visits'/);
  bad({ ...visits, body: '{"user":"home","visits":3,"extra":1}' }, /additional properties \("extra"\)/);
  bad({ ...visits, body: '{"user":"a/b","visits":3}' }, /\/user must match pattern/);
  bad({ ...visits, body: 'visits=3' }, /body is not JSON/);
  // Status, content type and headers.
  bad({ ...visits, status: 201, body: '{}' }, /status 201 is not documented \(documented: 200, 400, 403, 413, 429, 503\)/);
  bad({ ...visits, headers: { ...JSON_HEADERS, 'content-type': 'text/plain' }, body: '{"user":"home","visits":3}' },
    /Content-Type text\/plain is not documented/);
  bad({ ...visits, headers: { 'cache-control': 'no-store' }, body: '{"user":"home","visits":3}' }, /no Content-Type/);
  bad({ ...visits, headers: { 'content-type': 'application/json' }, body: '{"user":"home","visits":3}' },
    /required header Cache-Control is missing/);
  bad({ ...visits, headers: { ...JSON_HEADERS, ratelimit: 'default;r=1' }, body: '{"user":"home","visits":3}' },
    /header RateLimit/);
  ok({ ...visits, headers: { ...JSON_HEADERS, ratelimit: '"default";r=9;t=0', 'ratelimit-policy': '"default";q=10;w=1' },
    body: '{"user":"home","visits":3,"unique":1}' });
  // Errors are {"message"}, with the exact API Gateway words where pinned.
  ok({ ...visits, status: 403, body: '{"message":"Forbidden"}' });
  bad({ ...visits, status: 403, body: '{"message":"forbidden"}' }, /\/message must be equal to constant/);
  bad({ ...visits, status: 503, body: '{"message":"down"}' }, /required header Retry-After is missing/);
  ok({ ...visits, status: 503, headers: { ...JSON_HEADERS, 'retry-after': '1' }, body: '{"message":"down"}' });
  ok({ ...visits, status: 429, headers: { ...JSON_HEADERS, 'retry-after': '2', ratelimit: '"default";r=0;t=2', 'ratelimit-policy': '"default";q=5;w=3' },
    body: '{"message":"Too Many Requests"}' });
  bad({ ...visits, status: 429, headers: { ...JSON_HEADERS, 'retry-after': '2' }, body: '{"message":"Too Many Requests"}' },
    /required header RateLimit is missing/);
  // A preflight has no body.
  const pre = { method: 'OPTIONS', url: '/api/visits/home', status: 204,
    headers: { 'access-control-allow-methods': 'GET, POST, OPTIONS', 'access-control-allow-headers': 'content-type, x-api-key',
      'access-control-max-age': '600', 'cache-control': 'no-store' } };
  ok({ ...pre, body: '' });
  bad({ ...pre, body: '{}' }, /has no body in the document/);
  // The two rules for what the paths do not list.
  ok({ method: 'PATCH', url: '/api/visits/home', status: 405, headers: { ...JSON_HEADERS, allow: 'GET, POST, OPTIONS' },
    body: '{"message":"Method Not Allowed"}' });
  bad({ method: 'PATCH', url: '/api/visits/home', status: 200, headers: JSON_HEADERS, body: '{"user":"home","visits":1}' },
    /status 200 is not documented/);
  ok({ method: 'GET', url: '/nowhere?x=1', status: 404, headers: JSON_HEADERS, body: '{"message":"Not Found"}' });
  bad({ method: 'GET', url: '/nowhere', status: 200, headers: JSON_HEADERS, body: '{}' }, /status 200 is not documented/);
  assert.equal(spec.check({ method: 'GET', url: 'http://127.0.0.1:1/api/visits/a%2Fb?x', status: 400, headers: JSON_HEADERS,
    body: '{"message":"invalid id"}' }).route, 'GET /api/visits/{id}');
  // The new routes' pinned shapes.
  ok({ method: 'GET', url: '/api/visits/a/history?days=2', status: 200, headers: JSON_HEADERS,
    body: '{"user":"a","days":[{"date":"2026-11-30","visits":0,"unique":0},{"date":"2026-12-01","visits":2,"unique":1}]}' });
  bad({ method: 'GET', url: '/api/visits/a/history', status: 200, headers: JSON_HEADERS,
    body: '{"user":"a","days":[{"date":"1 Dec","visits":0,"unique":0}]}' }, /\/days\/0\/date must match/);
  const BADGE_CACHE = { 'cache-control': 'max-age=0, no-cache, no-store, must-revalidate', expires: '0' };
  const shields = { method: 'GET', url: '/api/visits/a/shields.json', status: 200, headers: { 'content-type': 'application/json', ...BADGE_CACHE } };
  ok({ ...shields, body: '{"schemaVersion":1,"label":"visits","message":"1,234","color":"blue"}' });
  bad({ ...shields, body: '{"schemaVersion":1,"label":"visits","message":"1234","color":"blue","cacheSeconds":300}' },
    /additional properties \("cacheSeconds"\).*\/message must match pattern/);
  const hit = { method: 'GET', url: '/hit/site/page', status: 200, headers: { 'content-type': 'application/json' } };
  ok({ ...hit, body: '{"value":7}' });
  ok({ ...hit, url: '/hit/page?callback=show', headers: { 'content-type': 'application/javascript' }, body: 'show({"value":7});' });
  bad({ ...hit, headers: { 'content-type': 'application/javascript' }, body: 'show({"value":7})' }, /must match pattern/);
  bad({ ...shields, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: '{"schemaVersion":1,"label":"visits","message":"1,234","color":"blue"}' }, /header Cache-Control[\s\S]*required header Expires is missing/);
  ok({ ...shields, status: 403, body: '{"message":"Forbidden"}' });
  bad({ ...shields, status: 403, headers: JSON_HEADERS, body: '{"message":"Forbidden"}' }, /header Cache-Control/);
  ok({ ...hit, url: '/hit/ab', status: 400, body: '{"value":null,"message":"invalid namespace or key"}' });
  bad({ ...hit, url: '/hit/ab', status: 400, body: '{"value":0,"message":"invalid namespace or key"}' }, /anyOf/);
  ok({ ...hit, url: '/hit/a/b/c', status: 400, body: '{"value":null,"message":"invalid namespace or key"}' });
  ok({ ...hit, method: 'POST', status: 405, headers: { ...hit.headers, allow: 'GET' }, body: '{"value":null,"message":"Method Not Allowed"}' });
  bad({ ...hit, method: 'POST', status: 405, body: '{"value":null,"message":"Method Not Allowed"}' }, /required header Allow/);
  ok({ method: 'GET', url: '/get/site/page', status: 404, headers: { 'content-type': 'application/json' }, body: '{"value":null}' });
  bad({ method: 'GET', url: '/get/site/page', status: 404, headers: { 'content-type': 'application/json' }, body: '{"value":0}' },
    /must match a schema in anyOf/);
  const exp = { method: 'GET', url: '/api/admin/export', status: 200, headers: { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' } };
  ok({ ...exp, body: '{"user":"a","visits":2,"unique":1}\n{"user":"b","visits":0,"unique":0}\n' });
  ok({ ...exp, body: '' });
  bad({ ...exp, body: '{"user":"a","visits":2,"unique":1}\n{"user":"b","visits":0}\n' }, /line 2: .*required property 'unique'/);
  bad({ ...exp, body: '{"user":"a","visits":2,"unique":1}' }, /the last line has no newline/);
  ok({ method: 'POST', url: '/api/admin/import', status: 400, headers: JSON_HEADERS, body: '{"message":"line 3: visits must be a number"}' });
  bad({ method: 'POST', url: '/api/admin/import', status: 400, headers: JSON_HEADERS, body: '{"message":"bad line"}' },
    /must match pattern/);
  bad({ method: 'PUT', url: '/api/visits/a', status: 401, headers: JSON_HEADERS, body: '{"message":"Forbidden"}' },
    /must be equal to constant/);
  const sse = { method: 'GET', url: '/api/visits/a/stream?key=k', status: 200,
    headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' } };
  ok({ ...sse, body: 'retry: 3000\n\ndata: {"user":"a","visits":1,"unique":1}\n\n: keep-alive\n\ndata: {"user":"a","vis' });
  bad({ ...sse, body: 'data: {"user":"a","visits":"1"}\n\n' }, /event 1: .*\/visits must be integer/);
  bad({ ...sse, body: 'data: 5 visits\n\n' }, /event 1: data is not JSON/);
  bad({ ...sse, body: 'hello\n\n' }, /not a field line/);
  bad({ ...sse, headers: { 'content-type': 'text/event-stream' }, body: '' }, /required header Cache-Control/);
  const svg = { method: 'GET', url: '/api/visits/a/badge.svg?label=hi', status: 200,
    headers: { 'content-type': 'image/svg+xml; charset=utf-8', 'cache-control': 'max-age=0, no-cache, no-store, must-revalidate', expires: '0' } };
  ok({ ...svg, body: '<svg xmlns="http://www.w3.org/2000/svg" width="80" height="20"><title>hi: 1</title></svg>' });
  bad({ ...svg, body: '<svg xmlns="http://www.w3.org/2000/svg"></svg>' }, /must match pattern/);
  bad({ ...svg, headers: { ...svg.headers, 'cache-control': 'no-store' }, body: '<svg><title>x</title></svg>' },
    /header Cache-Control/);
  // HEAD and a body that did not arrive whole: no body check.
  ok({ method: 'HEAD', url: '/healthz', status: 200, headers: JSON_HEADERS, body: '' });
  ok({ method: 'GET', url: '/healthz', status: 200, headers: JSON_HEADERS, body: undefined });
  bad({ method: 'GET', url: '/healthz', status: 200, headers: JSON_HEADERS, body: '{"status":"fine"}' }, /constant/);
});

test('the checker refuses a document whose schema ajv cannot compile (strict mode)', () => {
  const doc = parse(readFileSync(SPEC_PATH, 'utf8'));
  doc.components.schemas.Visits.properties.visits = { type: 'integer', minimun: 0 };
  assert.throws(() => specFrom(doc).compileAll(), /strict mode: unknown keyword: "minimun"/);
});

/** Run a script in a child node; resolves { code, stderr }. */
function runNode(file) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    p.stderr.setEncoding('utf8').on('data', (c) => { stderr += c; });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stderr }));
  });
}

test('the tap: a test process that received a non-conforming answer from a watched daemon fails, and request() rejects', async () => {
  const dir = tempDir();
  const script = (body) => `
    import http from 'node:http';
    import { watchDaemon } from ${JSON.stringify(new URL('conformance.mjs', LIB).href)};
    import { request } from ${JSON.stringify(new URL('request.mjs', LIB).href)};
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(${JSON.stringify(body)});
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const addr = '127.0.0.1:' + server.address().port;
    // An unwatched server is not checked.
    await request('http://' + addr + '/api/visits/a');
    watchDaemon(addr);
    let rejected = '';
    await request('http://' + addr + '/api/visits/a').catch((e) => { rejected = e.message; });
    console.error('request: ' + (rejected || 'resolved'));
    const f = await fetch('http://' + addr + '/api/visits/a', { method: 'POST' });
    await f.text();
    await new Promise((r) => setTimeout(r, 50));
    server.close();
  `;
  const bad = join(dir, 'bad.mjs');
  writeFileSync(bad, script('{"user":"a","visits":"one"}'));
  const b = await runNode(bad);
  assert.equal(b.code, 1, b.stderr);
  assert.match(b.stderr, /request: GET http:\/\/127\.0\.0\.1:\d+\/api\/visits\/a answered 200, not as docs\/openapi\.yaml says: body .*\/visits must be integer/);
  assert.match(b.stderr, /openapi: POST \/api\/visits\/a answered 200, which does not conform/);
  assert.match(b.stderr, /openapi: 2 of 2 answers from test daemons do not conform/);

  const good = join(dir, 'good.mjs');
  writeFileSync(good, script('{"user":"a","visits":1,"unique":1}'));
  const g = await runNode(good);
  assert.equal(g.code, 0, g.stderr);
  assert.match(g.stderr, /request: resolved/);
  assert.match(g.stderr, /openapi: 2 answers from test daemons conform/);
});

/** One request to d; resolves { status, headers, text }. */
function call(d, method, path, { headers = {}, body } = {}) {
  const u = new URL(d.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** GET path's status and body; an event stream is closed at its head. */
function probe(d, path, headers) {
  const u = new URL(d.url);
  return new Promise((resolve, reject) => {
    const req = http.get({ host: u.hostname, port: u.port, path, headers }, (res) => {
      if (/event-stream/.test(res.headers['content-type'] ?? '')) {
        req.destroy();
        resolve({ status: res.statusCode, text: '' });
        return;
      }
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
  });
}

const ADMIN_KEY = 'openapi-walk-admin-key-0123456789';

test('a walk over every documented route of a real daemon: each answer conforms', async (t) => {
  const origin = 'https://page.example';
  const d = await startDaemon({ env: {
    VISITSD_ALLOWED_ORIGINS: origin, VISITSD_METRICS_PUBLIC: 'true', VISITSD_MAX_BODY: '64',
    VISITSD_RATE_LIMIT: '1', VISITSD_RATE_BURST: '100',
    // The other branches' settings; a daemon without them ignores them.
    VISITSD_COUNTAPI: 'true', VISITSD_PUBLIC_IDS: 'walk*', VISITSD_ADMIN_KEY: ADMIN_KEY,
  } });
  t.after(() => d.stop());
  const spec = loadSpec();
  const key = { 'x-api-key': d.key };
  const steps = [
    ['POST', '/api/visits/walk', key], ['GET', '/api/visits/walk', key], ['GET', '/api/visits/never-seen', key],
    ['GET', '/api/visits/walk', {}], ['POST', '/api/visits/walk', { 'x-api-key': 'wrong' }],
    ['OPTIONS', '/api/visits/walk', { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-api-key' }],
    ['PUT', '/api/visits/walk', { ...key, 'content-type': 'application/json' }, '{"visits":5}'],
    ['DELETE', '/api/visits/walk', key], ['PATCH', '/api/visits/walk', key], ['HEAD', '/api/visits/walk', key],
    ['GET', '/api/visits/a%2Fb', key], ['GET', '/api/visits/..', key], ['GET', '/api/visits/', key], ['GET', '/api/visits', key],
    ['GET', '/api/visits/%zz', key], ['GET', `/api/visits/${'x'.repeat(129)}`, key],
    ['POST', '/api/visits/walk', { ...key, 'content-type': 'text/plain' }, 'x'.repeat(65)],
    ['GET', '/api/visits/walk/history?days=7', key], ['GET', '/api/visits/walk/history?days=0', key],
    ['OPTIONS', '/api/visits/walk/history', { origin, 'access-control-request-method': 'GET' }],
    ['GET', '/api/visits/walk/badge.svg', {}], ['GET', '/api/visits/walk/badge.svg?label=%3Cb%3E', key],
    ['GET', '/api/visits/walk/shields.json', key],
    ['PUT', '/api/visits/walk-admin', { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, '{"visits":5}'],
    ['PUT', '/api/visits/walk-admin', { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, '{"visits":"5"}'],
    ['DELETE', '/api/visits/walk-admin', { authorization: `Bearer ${ADMIN_KEY}` }],
    ['GET', '/api/admin/export', { authorization: `Bearer ${ADMIN_KEY}` }],
    ['POST', '/api/admin/import', { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/x-ndjson' }, '{"user":"b","visits":2,"unique":1}\n'],
    ['POST', '/api/admin/import', { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/x-ndjson' }, '{"user":"b"}\nnot json\n'],
    ['OPTIONS', '/api/admin/export', { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' }],
    ['GET', '/api/visits/walk/badge.svg?count=1', {}], ['HEAD', '/api/visits/walk/badge.svg', {}],
    ['GET', '/api/visits/secret/badge.svg', {}], ['GET', '/api/visits/walk/shields.json', {}],
    ['GET', '/get/walk-ns/walk-key?callback=cb', {}], ['GET', '/hit/no?callback=cb', {}], ['POST', '/hit/walk-key', {}],
    ['GET', '/api/admin/export', { authorization: 'Bearer wrong' }],
    ['POST', '/api/admin/import', { authorization: 'Bearer wrong', 'content-type': 'application/x-ndjson' }, '{"user":"a","visits":1,"unique":1}\n'],
    ['GET', '/hit/walk-ns/walk-key', {}], ['GET', '/hit/walk-key?callback=cb', {}], ['GET', '/hit/no', {}],
    ['GET', '/get/walk-ns/walk-key', {}], ['GET', '/get/never-hit', {}],
    ['GET', '/healthz', {}], ['HEAD', '/healthz', {}], ['POST', '/healthz', {}],
    ['GET', '/readyz', {}], ['HEAD', '/readyz', {}], ['GET', '/metrics', {}], ['HEAD', '/metrics', {}],
    ['GET', '/', {}], ['GET', '/api/visits/a/b/c', key], ['DELETE', '/nowhere', { origin }],
  ];
  /*
   * A sub-route another branch builds (history, badge.svg, shields.json,
   * stream) is, on a daemon without it, the counter's route with an id
   * holding '/': 400 with the key.  Its other steps are then left out, as
   * the document describes the route, not the counter's stand-in.
   */
  const missing = new Set();
  for (const sub of ['history', 'badge.svg', 'shields.json', 'stream']) {
    const res = await probe(d, `/api/visits/probe/${sub}`, { ...key, [SKIP_HEADER]: 'skip' });
    if (res.status === 400 && /'\/'/.test(res.text)) missing.add(sub);
  }
  t.diagnostic(`sub-routes not built here: ${[...missing].join(', ') || 'none'}`);
  const seen = [];
  for (const [method, path, headers, body] of steps) {
    const sub = path.match(/^\/api\/visits\/[^/]+\/([^/?]+)/)?.[1];
    if (sub && missing.has(sub)) continue;
    const h = { origin, ...headers };
    if (body !== undefined) h['content-length'] = String(Buffer.byteLength(body));
    else if (method === 'POST' || method === 'PUT') h['content-length'] = '0';
    const res = await call(d, method, path, { headers: h, body });
    const { route, errors } = spec.check({ method, url: path, status: res.status, headers: res.headers,
      body: method === 'HEAD' ? undefined : res.text });
    assert.deepEqual(errors, [], `${method} ${path} -> ${res.status} ${res.text}`);
    seen.push(`${route} ${res.status}`);
  }
  // A burst past the limit: 429 with its fields.
  let limited;
  for (let i = 0; i < 200 && !limited; i++) {
    const res = await call(d, 'GET', '/api/visits/walk', { headers: key });
    if (res.status === 429) limited = res;
  }
  assert.ok(limited, 'no 429 within 200 requests');
  assert.deepEqual(spec.check({ method: 'GET', url: '/api/visits/walk', status: 429, headers: limited.headers, body: limited.text }).errors, []);
  seen.push('GET /api/visits/{id} 429');
  // The stream is read for its first event only (its body never ends).
  const u = new URL(d.url);
  if (missing.has('stream')) {
    t.diagnostic(`${seen.length} answers: ${[...new Set(seen)].join(', ')}`);
    return;
  }
  const stream = await new Promise((resolve, reject) => {
    const req = http.get({ host: u.hostname, port: u.port, path: `/api/visits/walk/stream?key=${encodeURIComponent(d.key)}` }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      const done = () => { req.destroy(); resolve({ status: res.statusCode, headers: res.headers, text }); };
      if (!/event-stream/.test(res.headers['content-type'] ?? '')) {
        res.on('data', (c) => { text += c; });
        res.on('end', done);
        return;
      }
      const timer = setTimeout(done, 3000);
      res.on('data', (c) => { text += c; if (/\n\n/.test(text) && /data:/.test(text)) { clearTimeout(timer); done(); } });
    });
    req.on('error', reject);
  });
  const s = spec.check({ method: 'GET', url: '/api/visits/walk/stream?key=k', status: stream.status, headers: stream.headers, body: stream.text });
  assert.deepEqual(s.errors, [], `stream -> ${stream.status} ${stream.text}`);
  seen.push(`${s.route} ${stream.status}`);
  t.diagnostic(`${seen.length} answers: ${[...new Set(seen)].join(', ')}`);
});
