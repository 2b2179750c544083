// conformance.mjs: every answer a test process receives from a test daemon,
// checked against docs/openapi.yaml.
//
// daemon.mjs imports this module and registers each daemon it starts
// (watchDaemon) until it exits, so every integration test that uses
// startDaemon is covered without changing the test: answers to node:http
// and node:https requests are tapped through the "http.client.response.finish"
// diagnostics channel (Node 18 has it) and answers to fetch() through a
// wrapper around globalThis.fetch that checks a clone of the body.  The tap
// only watches what the test itself reads: it wraps the answer's emit to
// see its 'data' and 'end' events and never reads, pauses or resumes the
// stream, so a test that stops reading (a slow SSE client) still does.
// Answers from anything else (the AWS test peer, a static page server)
// are not checked.
//
// A non-conforming answer is printed on stderr at once, with the method,
// the target and every fault, and makes the test file fail: the process
// exits non-zero, which node --test reports as a failed file.  A helper
// that wants the failure inside the test (request.mjs) asks verdict(res)
// in its 'end' handler, which runs after the check.
//
// With VISITSD_OPENAPI_SEEN=<file> every process appends the documented
// answers it saw ({"route","status"} per line) for openapi-coverage.mjs.
//
// Raw-socket tests (badinput, logsafety) are not covered: they write bytes
// no client library would and parse the answers themselves.
import dc from 'node:diagnostics_channel';
import { appendFileSync } from 'node:fs';

import { loadSpec } from './openapi.mjs';

const MAX_BODY = 64 * 1024 * 1024;	// past this the body is not kept

/*
 * A node:http request sent with this header set to "skip" is not checked:
 * for a probe that asks whether a route exists at all (openapi.test.mjs),
 * whose answer on a daemon without the route is not the route's.
 */
export const SKIP_HEADER = 'x-visitsd-openapi';

const daemons = new Set();	// "127.0.0.1:1234", "[::1]:1234"
const verdicts = new WeakMap();	// IncomingMessage -> errors
const seen = new Set();		// "route\tstatus"
let spec;
let checked = 0;

/** Every non-conforming answer so far: { route, method, url, status, errors }. */
export const violations = [];

/*
 * The document, loaded and every schema compiled on first use: about a
 * second of parsing and compiling, which watchDaemon spends at startup so
 * that no test's timing pays it.
 */
function theSpec() {
  if (!spec) {
    spec = loadSpec();
    spec.compileAll();
  }
  return spec;
}

function hostPort(address, port) {
  if (address === undefined || port === undefined) return undefined;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return a.includes(':') ? `[${a}]:${port}` : `${a}:${port}`;
}

/** Check the answers of the daemon listening on address ("host:port"). */
export function watchDaemon(address) {
  theSpec();
  daemons.add(address);
}

/** Stop checking address (the daemon exited; the port may be reused). */
export function unwatchDaemon(address) {
  daemons.delete(address);
}

/** The faults found in a node:http answer, once its 'end' was emitted. */
export function verdict(res) {
  return verdicts.get(res);
}

/** Check one answer and record the outcome; returns the faults. */
export function checkAnswer({ method, url, status, headers, body }) {
  const { route, errors } = theSpec().check({ method, url, status, headers, body });
  checked++;
  if (errors.length === 0) {
    seen.add(`${route}\t${status}`);
    return errors;
  }
  violations.push({ route, method, url, status, errors });
  process.stderr.write(`openapi: ${method} ${url} answered ${status}, which does not conform to `
    + `docs/openapi.yaml (${route}):\n${errors.map((e) => `  - ${e}`).join('\n')}\n`);
  return errors;
}

function isEventStream(headers) {
  const ct = headers['content-type'];
  return typeof ct === 'string' && /^text\/event-stream\b/i.test(ct);
}

dc.subscribe('http.client.response.finish', ({ request, response }) => {
  const sock = response.socket;
  const where = hostPort(sock?.remoteAddress, sock?.remotePort);
  if (where === undefined || !daemons.has(where)) return;
  if (request.getHeader(SKIP_HEADER) === 'skip') return;
  const chunks = [];
  let size = 0;
  let done = false;
  const finish = (complete) => {
    if (done) return;
    done = true;
    let body;
    if (size <= MAX_BODY && (complete || isEventStream(response.headers))) {
      body = chunks.every((c) => typeof c === 'string') ? chunks.join('')
        : Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))).toString('utf8');
    }
    chunks.length = 0;
    verdicts.set(response, checkAnswer({
      method: request.method, url: request.path, status: response.statusCode,
      headers: response.headers, body,
    }));
  };
  const emit = response.emit;
  response.emit = function tapped(event, ...args) {
    if (event === 'data' && !done) {
      size += args[0].length;
      if (size <= MAX_BODY) chunks.push(args[0]);
    } else if (event === 'end') {
      finish(true);
    } else if (event === 'close' || event === 'aborted' || event === 'error') {
      finish(false);
    }
    return emit.call(this, event, ...args);
  };
});

const realFetch = globalThis.fetch;
if (typeof realFetch === 'function') {
  globalThis.fetch = async function fetch(input, init) {
    const res = await realFetch(input, init);
    let url;
    try {
      url = new URL(input instanceof Request ? input.url : String(input));
    } catch {
      return res;
    }
    if (!daemons.has(url.host)) return res;
    const method = String(init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const headers = Object.fromEntries(res.headers);
    const answer = { method, url: url.pathname + url.search, status: res.status, headers };
    if (isEventStream(headers) || res.body === null || method === 'HEAD') {
      checkAnswer({ ...answer, body: res.body === null ? '' : undefined });
      return res;
    }
    res.clone().text().then(
      (body) => checkAnswer({ ...answer, body }),
      () => checkAnswer({ ...answer, body: undefined }),
    );
    return res;
  };
}

process.on('exit', () => {
  const file = process.env.VISITSD_OPENAPI_SEEN;
  if (file && seen.size > 0) {
    try {
      appendFileSync(file, [...seen].map((s) => {
        const [route, status] = s.split('\t');
        return `${JSON.stringify({ route, status: Number(status) })}\n`;
      }).join(''));
    } catch { /* coverage is a report, not a test */ }
  }
  if (checked === 0) return;
  if (violations.length === 0) {
    process.stderr.write(`openapi: ${checked} answers from test daemons conform to docs/openapi.yaml\n`);
    return;
  }
  process.stderr.write(`openapi: ${violations.length} of ${checked} answers from test daemons do not `
    + `conform to docs/openapi.yaml:\n${violations.map((v) => `  ${v.method} ${v.url} ${v.status}: `
    + `${v.errors.join('; ')}`).join('\n')}\n`);
  process.exitCode = 1;
});
