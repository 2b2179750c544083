// browser.test.mjs: the frontend client (web/) in a real browser.
//
// Debian's headless Chromium, driven by playwright-core, loads the example
// pages from a static server on one loopback origin and counts on the real
// visitsd on another, so every request is cross-origin and preflighted just
// as on a real site.  Each test uses its own counter id; the server's count
// is read back over HTTP to check what the page shows.  A screenshot of the
// example page is saved to build/screenshots/example.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { existsSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startDaemon, tempDir } from './lib/daemon.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WEB = join(ROOT, 'web');
const SCREENSHOT = join(ROOT, 'build', 'screenshots', 'example.png');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage',
];
const PLACEHOLDER = '\u2013';

let site;     // static server for web/
let origin;   // its origin, e.g. http://127.0.0.1:40000
let daemon;   // the visitsd under test
let browser;  // persistent Chromium context

/** Serve the files under web/ (GET only), like any static host would. */
function startSite() {
  const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    const file = join(WEB, path.endsWith('/') ? join(path, 'index.html') : path);
    try {
      if (!file.startsWith(WEB + '/')) throw new Error('outside web/');
      const body = await readFile(file);
      res.writeHead(200, { 'Content-Type': types[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found\n');
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/deps.sh check`);
  site = await startSite();
  origin = `http://127.0.0.1:${site.address().port}`;
  // COUNT_BOTS: headless Chromium says "HeadlessChrome", which the crawler
  // list names; this test is about the client, not the bot filter.
  daemon = await startDaemon({ env: { VISITSD_ALLOWED_ORIGINS: origin, VISITSD_COUNT_BOTS: 'true' } });
  browser = await chromium.launchPersistentContext(tempDir(), {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS,
  });
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
  site?.closeAllConnections();
  site?.close();
});

let ids = 0;
/** A counter id no other test uses. */
function freshUser(name) {
  return `${name}-${process.pid}-${++ids}`;
}

/** The count visitsd holds for user, read over HTTP. */
async function serverCount(user) {
  const res = await fetch(`${daemon.url}/api/visits/${user}`, { headers: { 'x-api-key': daemon.key } });
  assert.equal(res.status, 200);
  return (await res.json()).visits;
}

/** Count `times` visits for user straight at the API (to reach large numbers). */
async function seed(user, times) {
  const post = () => fetch(`${daemon.url}/api/visits/${user}`, {
    method: 'POST', headers: { 'x-api-key': daemon.key },
  }).then((r) => assert.equal(r.status, 200));
  for (let done = 0; done < times; done += 50) {
    await Promise.all(Array.from({ length: Math.min(50, times - done) }, post));
  }
}

/**
 * A new tab that records its console messages, page errors and the requests
 * it makes to visitsd (method and status; preflights are seen through CDP,
 * as Playwright's own request events leave them out).
 */
async function openTab(t) {
  const page = await browser.newPage();
  t.after(() => page.close());
  const tab = { page, console: [], errors: [], api: [] };
  page.on('console', (m) => tab.console.push(m.text()));
  page.on('pageerror', (e) => tab.errors.push(String(e)));
  const cdp = await browser.newCDPSession(page);
  await cdp.send('Network.enable');
  const byId = new Map();
  cdp.on('Network.requestWillBeSent', (e) => {
    if (!e.request.url.includes('/api/visits/')) return;
    const r = { method: e.request.method, preflight: e.initiator.type === 'preflight',
                headers: e.request.headers, status: null, responseHeaders: null };
    byId.set(e.requestId + (r.preflight ? ':pre' : ''), r);
    tab.api.push(r);
  });
  cdp.on('Network.responseReceived', (e) => {
    const r = byId.get(e.requestId + (e.type === 'Preflight' ? ':pre' : ''));
    if (r) {
      r.status = e.response.status;
      r.responseHeaders = e.response.headers;
    }
  });
  return tab;
}

/** The example page's address for these settings. */
function exampleUrl(params, page = '') {
  const q = new URLSearchParams({ endpoint: daemon.url, key: daemon.key, ...params });
  return `${origin}/example/${page}?${q}`;
}

/** Wait until the counter has rendered; return its text and state. */
async function counter(page) {
  const el = await page.waitForSelector('#visits[data-visitsd-state]');
  return { text: await el.textContent(), state: await el.getAttribute('data-visitsd-state') };
}

/** The console messages the client wrote (those starting "visitsd:"). */
function clientMessages(tab) {
  return tab.console.filter((m) => m.startsWith('visitsd:'));
}

test('counts one visit per page view and formats it with the locale', async (t) => {
  const user = freshUser('fmt');
  await seed(user, 999);
  const tab = await openTab(t);

  await tab.page.goto(exampleUrl({ user, locale: 'en-US' }));
  assert.deepEqual(await counter(tab.page), { text: '1,000', state: 'ok' });
  assert.equal(await serverCount(user), 1000);
  mkdirSync(dirname(SCREENSHOT), { recursive: true });
  await tab.page.screenshot({ path: SCREENSHOT, fullPage: true });

  await tab.page.goto(exampleUrl({ user, locale: 'de-DE' }));
  assert.deepEqual(await counter(tab.page), { text: '1.001', state: 'ok' });
  assert.equal(await serverCount(user), 1001);

  const posts = tab.api.filter((r) => !r.preflight);
  assert.deepEqual(posts.map((r) => `${r.method} ${r.status}`), ['POST 200', 'POST 200']);
  assert.deepEqual(clientMessages(tab), []);
  assert.deepEqual(tab.errors, []);
});

test('the CORS preflight passes without the key and allows x-api-key', async (t) => {
  const user = freshUser('cors');
  const tab = await openTab(t);
  await tab.page.goto(exampleUrl({ user }));
  assert.deepEqual(await counter(tab.page), { text: '1', state: 'ok' });

  const preflight = tab.api.find((r) => r.preflight);
  assert.ok(preflight, `no preflight seen: ${JSON.stringify(tab.api)}`);
  assert.equal(preflight.method, 'OPTIONS');
  assert.equal(preflight.status, 204);
  const lower = (h) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
  const asked = lower(preflight.headers);
  assert.equal(asked['access-control-request-method'], 'POST');
  assert.match(asked['access-control-request-headers'], /x-api-key/);
  assert.equal(asked['x-api-key'], undefined);
  const answered = lower(preflight.responseHeaders);
  assert.equal(answered['access-control-allow-origin'], origin);
  assert.match(answered['access-control-allow-headers'].toLowerCase(), /x-api-key/);

  const post = tab.api.find((r) => !r.preflight);
  assert.equal(`${post.method} ${post.status}`, 'POST 200');
  assert.equal(lower(post.responseHeaders)['access-control-allow-origin'], origin);
  assert.equal(await serverCount(user), 1);
});

test('a reload within the de-duplication window reads instead of counting', async (t) => {
  const user = freshUser('dedupe');
  const tab = await openTab(t);
  await tab.page.goto(exampleUrl({ user, dedupe: '3600' }));
  assert.deepEqual(await counter(tab.page), { text: '1', state: 'ok' });
  await tab.page.reload();
  assert.deepEqual(await counter(tab.page), { text: '1', state: 'ok' });
  assert.equal(await serverCount(user), 1);

  // Move the remembered visit out of the window: the next view counts again.
  await tab.page.evaluate(() => {
    for (const k of Object.keys(sessionStorage)) {
      if (k.startsWith('visitsd:')) sessionStorage.setItem(k, String(Date.now() - 3601e3));
    }
  });
  await tab.page.reload();
  assert.deepEqual(await counter(tab.page), { text: '2', state: 'ok' });
  assert.equal(await serverCount(user), 2);

  const calls = tab.api.filter((r) => !r.preflight).map((r) => `${r.method} ${r.status}`);
  assert.deepEqual(calls, ['POST 200', 'GET 200', 'POST 200']);
});

test('the script-tag variant fills data-visitsd elements', async (t) => {
  const user = freshUser('tag');
  await seed(user, 1233);
  const tab = await openTab(t);
  await tab.page.goto(exampleUrl({ user, locale: 'en-US' }, 'script-tag.html'));
  assert.deepEqual(await counter(tab.page), { text: '1,234', state: 'ok' });
  assert.equal(await serverCount(user), 1234);
  assert.deepEqual(tab.errors, []);
});

test('a wrong key shows the placeholder and the console names the 403, not CORS', async (t) => {
  const user = freshUser('badkey');
  const tab = await openTab(t);
  await tab.page.goto(exampleUrl({ user, key: 'not-the-key' }));
  assert.deepEqual(await counter(tab.page), { text: PLACEHOLDER, state: 'error' });

  const messages = clientMessages(tab);
  assert.equal(messages.length, 1, `client messages: ${JSON.stringify(tab.console)}`);
  assert.match(messages[0], /^visitsd: 403 Forbidden\b/);
  assert.deepEqual(tab.console.filter((m) => /CORS|Access-Control/i.test(m)), []);
  assert.deepEqual(tab.errors, []);
  assert.equal(await tab.page.textContent('h1'), 'visitsd example');
  assert.equal(await serverCount(user), 0);
});

test('a store failure shows the placeholder and the console names the 503', { timeout: 60000 }, async (t) => {
  const user = freshUser('locked');
  // Another process (the sqlite3 shell) holds the write lock past visitsd's
  // busy timeout, so the count cannot be stored.
  const shell = spawn('sqlite3', [daemon.sqlitePath], { stdio: ['pipe', 'pipe', 'inherit'] });
  const closed = new Promise((resolve) => shell.on('close', resolve));
  t.after(() => shell.kill());
  await new Promise((resolve, reject) => {
    shell.on('error', reject);
    shell.stdout.setEncoding('utf8').on('data', (c) => { if (c.includes('locked')) resolve(); });
    shell.stdin.write("BEGIN IMMEDIATE;\nSELECT 'locked';\n");
  });
  const tab = await openTab(t);
  await tab.page.goto(exampleUrl({ user, timeout: '30000' }));
  const shown = await counter(tab.page);
  shell.stdin.end('ROLLBACK;\n');
  assert.deepEqual(shown, { text: PLACEHOLDER, state: 'error' });

  const messages = clientMessages(tab);
  assert.equal(messages.length, 1, `client messages: ${JSON.stringify(tab.console)}`);
  assert.match(messages[0], /^visitsd: 503 Service Unavailable\b/);
  assert.deepEqual(tab.console.filter((m) => /CORS|Access-Control/i.test(m)), []);
  assert.deepEqual(tab.errors, []);
  await closed;
  assert.equal(await serverCount(user), 0);
});

test('with visitsd stopped the page still renders, with the placeholder', async (t) => {
  const gone = await startDaemon({ env: { VISITSD_ALLOWED_ORIGINS: origin } });
  await gone.stop();
  const tab = await openTab(t);
  await tab.page.goto(`${origin}/example/?${new URLSearchParams({ endpoint: gone.url, key: gone.key })}`);
  assert.deepEqual(await counter(tab.page), { text: PLACEHOLDER, state: 'error' });

  const messages = clientMessages(tab);
  assert.equal(messages.length, 1, `client messages: ${JSON.stringify(tab.console)}`);
  assert.match(messages[0], /^visitsd: network error\b/);
  assert.deepEqual(tab.errors, []);
  assert.equal(await tab.page.textContent('h1'), 'visitsd example');
  assert.match(await tab.page.textContent('#mode'), /Every page view counts/);
  assert.match(await tab.page.textContent('footer'), /the rest\s+of the page is unaffected/);
});

test('unique visitors from the real daemon: the page shows the answer\'s "unique"', async (t) => {
  const user = freshUser('uniq');
  const tab = await openTab(t);
  await tab.page.goto(exampleUrl({ user, unique: '1', locale: 'en-US' }));
  const shown = await counter(tab.page);
  const res = await fetch(`${daemon.url}/api/visits/${user}`, { headers: { 'x-api-key': daemon.key } });
  const body = await res.json();
  assert.equal(typeof body.unique, 'number', `no "unique" in ${JSON.stringify(body)}`);
  assert.deepEqual(shown, { text: new Intl.NumberFormat('en-US').format(body.unique), state: 'ok' });
  assert.equal(body.visits, 1);
  assert.deepEqual(clientMessages(tab), []);
  assert.deepEqual(tab.errors, []);
});

/*
 * A stand-in for visitsd's issue-10 and issue-11 routes, with known
 * answers: counts {"visits":1233+n,"unique":566+n}, a history whose day i
 * has visits 2i and unique i, and a stream that sends whatever send()
 * is given.  CORS as visitsd answers it.  Records every request.
 */
async function startFakeApi(t) {
  const seen = [];
  const streams = new Set();
  let n = 0;
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    seen.push(`${req.method} ${url.pathname}${url.search}`);
    const cors = { 'Access-Control-Allow-Origin': origin, Vary: 'Origin', 'Cache-Control': 'no-store' };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...cors, 'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
        'Access-Control-Allow-Headers': 'content-type, x-api-key', 'Access-Control-Max-Age': '600' });
      res.end();
      return;
    }
    const m = url.pathname.match(/^\/api\/visits\/([^/]+)(?:\/(history|stream))?$/);
    const json = (body) => {
      res.writeHead(200, { ...cors, 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!m) {
      res.writeHead(404, cors);
      res.end();
    } else if (m[2] === 'history') {
      const days = Number(url.searchParams.get('days') || 30);
      json({ user: m[1], days: Array.from({ length: days }, (_, i) => ({
        date: new Date(Date.UTC(2026, 10, 1 + i)).toISOString().slice(0, 10), visits: 2 * i, unique: i })) });
    } else if (m[2] === 'stream') {
      res.writeHead(200, { ...cors, 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' });
      res.write(`retry: 1000\n\ndata: ${JSON.stringify({ user: m[1], visits: 1233 + n, unique: 566 + n })}\n\n`);
      streams.add(res);
      res.on('close', () => streams.delete(res));
    } else {
      if (req.method === 'POST') n++;
      json({ user: m[1], visits: 1233 + n, unique: 566 + n });
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const s of streams) s.destroy();
    server.closeAllConnections();
    server.close();
  });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    seen,
    streams,
    send(body) { for (const s of streams) s.write(`data: ${JSON.stringify(body)}\n\n`); },
  };
}

/** The sparkline's polyline points for values v, as visits.global.js draws them. */
function sparkPoints(v) {
  const max = Math.max(1, ...v);
  return v.map((x, i) => `${i},${Math.round(100 - 100 * x / max) / 10}`).join(' ');
}

test('unique and a sparkline of the history: the count, then an inline SVG of the days', async (t) => {
  const api = await startFakeApi(t);
  const tab = await openTab(t);
  await tab.page.goto(exampleUrl({ endpoint: api.url, key: 'k', user: 'spark', locale: 'en-US', unique: '1', history: '7' }));
  assert.deepEqual(await counter(tab.page), { text: '567', state: 'ok' });
  const points = await tab.page.waitForSelector('#visits svg.visitsd-sparkline polyline')
    .then((el) => el.getAttribute('points'));
  assert.equal(points, sparkPoints([0, 1, 2, 3, 4, 5, 6]));
  assert.equal(await tab.page.getAttribute('#visits svg', 'viewBox'), '0 0 6 10');
  assert.equal(await tab.page.getAttribute('#visits svg', 'aria-label'), 'last 7 days');
  assert.equal(await tab.page.textContent('#visits'), '567', 'the SVG adds no text');
  assert.deepEqual(api.seen.filter((r) => !r.startsWith('OPTIONS')),
    ['POST /api/visits/spark', 'GET /api/visits/spark/history?days=7']);
  mkdirSync(dirname(SCREENSHOT), { recursive: true });
  await tab.page.screenshot({ path: join(dirname(SCREENSHOT), 'sparkline.png'), fullPage: true });

  // Without unique: the visits, and the visits' line (2i); the script-tag
  // variant reads the same from data- attributes.
  const tag = await openTab(t);
  await tag.page.goto(`${origin}/example/script-tag.html?${new URLSearchParams({
    endpoint: api.url, key: 'k', user: 'spark', locale: 'en-US', history: '30' })}`);
  assert.deepEqual(await counter(tag.page), { text: '1,235', state: 'ok' });
  const tagPoints = await tag.page.waitForSelector('#visits svg.visitsd-sparkline polyline')
    .then((el) => el.getAttribute('points'));
  assert.equal(tagPoints, sparkPoints(Array.from({ length: 30 }, (_, i) => 2 * i)));
  assert.deepEqual(clientMessages(tab), []);
  assert.deepEqual(clientMessages(tag), []);
  assert.deepEqual([...tab.errors, ...tag.errors], []);
});

test('history: N on the real daemon: the sparkline of the last days, today\'s visit in the last point', async (t) => {
  const user = freshUser('hist');
  const tab = await openTab(t);
  await tab.page.goto(exampleUrl({ user, history: '3', locale: 'en-US' }));
  assert.deepEqual(await counter(tab.page), { text: '1', state: 'ok' });
  const points = await tab.page.waitForSelector('#visits svg.visitsd-sparkline polyline')
    .then((el) => el.getAttribute('points'));
  const res = await fetch(`${daemon.url}/api/visits/${user}/history?days=3`, { headers: { 'x-api-key': daemon.key } });
  const days = (await res.json()).days.map((d) => d.visits);
  assert.equal(days.length, 3);
  assert.equal(days[2], 1, `history ${JSON.stringify(days)}`);
  assert.equal(points, sparkPoints(days));
  assert.deepEqual(clientMessages(tab), []);
  assert.deepEqual(tab.errors, []);
});

test('live: true follows the count over EventSource, the key in the query', async (t) => {
  const api = await startFakeApi(t);
  const tab = await openTab(t);
  await tab.page.goto(exampleUrl({ endpoint: api.url, key: 'k e y', user: 'live', locale: 'en-US', live: '1' }));
  assert.deepEqual(await counter(tab.page), { text: '1,234', state: 'ok' });
  const deadline = Date.now() + 5000;
  while (api.streams.size === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(api.streams.size, 1, `no stream opened: ${JSON.stringify(api.seen)}`);
  assert.ok(api.seen.includes('GET /api/visits/live/stream?key=k%20e%20y'), JSON.stringify(api.seen));
  for (const visits of [1240, 1250, 1300]) {
    api.send({ user: 'live', visits, unique: 600 });
    await tab.page.waitForFunction((want) => document.querySelector('#visits').textContent === want,
      new Intl.NumberFormat('en-US').format(visits), { timeout: 5000 });
  }
  api.send({ user: 'live', visits: 'not a count' });
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await tab.page.textContent('#visits'), '1,300', 'a bad event leaves the count');
  await tab.page.screenshot({ path: join(dirname(SCREENSHOT), 'live.png'), fullPage: true });
  assert.deepEqual(tab.errors, []);
});

test('live: true on the real daemon: three increments from another client show up in the page', async (t) => {
  const user = freshUser('live');
  const tab = await openTab(t);
  await tab.page.goto(exampleUrl({ user, live: '1', locale: 'en-US' }));
  assert.deepEqual(await counter(tab.page), { text: '1', state: 'ok' });
  // The stream's first event is the count the page already shows; wait
  // until it is open, then count three visits elsewhere.
  const opened = Date.now() + 10000;
  while (!tab.api.some((r) => r.method === 'GET' && r.status === 200) && Date.now() < opened) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(tab.api.some((r) => r.method === 'GET' && r.status === 200), `no stream: ${JSON.stringify(tab.api)}`);
  for (const want of ['2', '3', '4']) {
    await seed(user, 1);
    await tab.page.waitForFunction((w) => document.querySelector('#visits').textContent === w, want, { timeout: 10000 });
  }
  assert.equal(await serverCount(user), 4);
  await tab.page.screenshot({ path: join(dirname(SCREENSHOT), 'live-daemon.png'), fullPage: true });
  assert.deepEqual(clientMessages(tab), []);
  assert.deepEqual(tab.errors, []);
});

// A stuck upstream, in two ways: the connection is accepted but nothing is
// ever answered; or the preflight and the answer's headers arrive but the
// body stalls.  Nothing real hangs on demand, so these are plain sockets.
for (const [name, stall] of [
  ['accepts and never answers', () => {}],
  ['sends headers, then the body stalls', (sock) => {
    let buf = '';
    sock.on('data', (c) => {
      buf += c;
      const origin = /^origin: (.*)\r$/im.exec(buf)?.[1] ?? '*';
      const cors = `Access-Control-Allow-Origin: ${origin}\r\nVary: Origin\r\n`;
      if (!buf.includes('\r\n\r\n')) return;
      if (buf.startsWith('OPTIONS ')) {
        sock.write(`HTTP/1.1 204 No Content\r\n${cors}Access-Control-Allow-Methods: GET, POST, OPTIONS\r\n` +
                   'Access-Control-Allow-Headers: x-api-key\r\nContent-Length: 0\r\n\r\n');
      } else {
        sock.write(`HTTP/1.1 200 OK\r\n${cors}Content-Type: application/json\r\nContent-Length: 40\r\n\r\n{"user":`);
      }
      buf = '';
    });
  }],
]) {
  test(`a hung API times out to the placeholder: ${name}`, async (t) => {
    const sockets = new Set();
    const hung = createTcpServer((s) => {
      sockets.add(s);
      stall(s);
    });
    await new Promise((resolve) => hung.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      for (const s of sockets) s.destroy();
      hung.close();
    });
    const endpoint = `http://127.0.0.1:${hung.address().port}`;
    const tab = await openTab(t);
    await tab.page.goto(`${origin}/example/?${new URLSearchParams({ endpoint, key: 'k', timeout: '500' })}`);
    assert.deepEqual(await counter(tab.page), { text: PLACEHOLDER, state: 'error' });
    const messages = clientMessages(tab);
    assert.equal(messages.length, 1, `client messages: ${JSON.stringify(tab.console)}`);
    assert.match(messages[0], /^visitsd: timeout after 500 ms\b/);
    assert.deepEqual(tab.errors, []);
    assert.equal(await tab.page.textContent('h1'), 'visitsd example');
  });
}
