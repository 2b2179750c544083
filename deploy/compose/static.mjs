// static.mjs: the page server of deploy/compose.yaml.  Serves web/
// (mounted read-only at /srv/web) on STATIC_LISTEN (host:port, default
// 0.0.0.0:8081) and, at /, a page with one live counter per visitsd of the
// stack, each an <iframe> of web/example/ pointed at that visitsd.
// COUNTERS lists them as "label=url" pairs separated by spaces, with the
// URLs as the browser reaches them; API_KEY is the key the widget sends
// (a development key: this is a local trial stack).
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const root = process.env.STATIC_ROOT ?? '/srv/web';
const [host, port] = (process.env.STATIC_LISTEN ?? '0.0.0.0:8081').split(/:(?=\d+$)/);
const key = process.env.API_KEY ?? '';
const counters = (process.env.COUNTERS ?? 'sqlite=http://127.0.0.1:8080').split(/\s+/)
  .filter(Boolean).map((c) => c.split(/=(.*)/s).slice(0, 2));
const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
};
const esc = (s) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function index() {
  const frames = counters.map(([label, url]) => {
    const q = new URLSearchParams({ endpoint: url, key, user: 'compose' });
    return `<h2>${esc(label)} <small>(${esc(url)})</small></h2>\n` +
      `<iframe src="/example/?${esc(q.toString())}" title="${esc(label)}"></iframe>`;
  }).join('\n');
  return '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">' +
    '<title>visitsd compose stack</title><style>body{font:16px/1.5 system-ui,sans-serif;' +
    'max-width:48rem;margin:2rem auto;padding:0 1rem}iframe{width:100%;height:16rem;' +
    'border:1px solid #ddd;border-radius:.5rem}</style></head><body>\n' +
    '<h1>visitsd compose stack</h1>\n<p>Each reload counts one visit. A dash means that ' +
    'visitsd does not answer (the DynamoDB one runs with <code>--profile dynamodb</code>).</p>\n' +
    `${frames}\n</body></html>\n`;
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/') {
    res.writeHead(200, { 'content-type': types['.html'] });
    return res.end(index());
  }
  let file = path.normalize(path.join(root, decodeURIComponent(url.pathname)));
  if (!file.startsWith(root + path.sep)) { res.writeHead(403); return res.end(); }
  if (file.endsWith(path.sep)) file = path.join(file, 'index.html');
  try {
    const body = await readFile(file);
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
    res.end(body);
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  }
});
server.listen(Number(port), host, () => console.log(`static: serving ${root} on ${host}:${port}`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
