// trickle.mjs: a slowloris load, run as its own process by abuse.test.mjs
// (so that its thousands of sockets neither share the test's event loop,
// which times the normal client, nor its file descriptor limit).
//
//   node trickle.mjs '{"host":"127.0.0.1","port":8080,"conns":2000,"addrs":100,
//                      "intervalMs":1000,"durationMs":20000,"reconnectMs":1000}'
//
// Keeps `conns` connections open from `addrs` loopback source addresses
// (127.0.0.2, 127.0.0.3, ...), each sending a request header one byte per
// intervalMs and never finishing it; a connection the server closes is
// opened again after reconnectMs.  After durationMs it prints one JSON line
// of statistics and exits: opened, connected, closedByServer, the longest
// lifetime of a connection the server closed (maxLifetimeMs), errors by
// code, answered (connections that got any byte back: none should).
import net from 'node:net';

const o = JSON.parse(process.argv[2]);
const stats = {
  opened: 0, connected: 0, closedByServer: 0, maxLifetimeMs: 0, errors: {}, answered: 0,
  maxOpen: 0,
};
const sockets = new Set();
let running = true;
let open = 0;

function address(i) {
  const a = 2 + (i % o.addrs);
  return `127.0.${Math.floor(a / 256)}.${a % 256}`;
}

function start(i) {
  if (!running) return;
  stats.opened++;
  const s = net.connect({ host: o.host, port: o.port, localAddress: address(i) });
  let t0 = 0;
  let timer = null;
  sockets.add(s);
  s.on('connect', () => {
    t0 = Date.now();
    stats.connected++;
    stats.maxOpen = Math.max(stats.maxOpen, ++open);
    s.write('GET /healthz HTTP/1.1\r\nHost: slow\r\nX-Slow: ');
    timer = setInterval(() => s.write('a'), o.intervalMs);
  });
  s.on('data', () => { stats.answered++; });
  s.on('error', (e) => { stats.errors[e.code] = (stats.errors[e.code] ?? 0) + 1; });
  s.on('close', () => {
    sockets.delete(s);
    if (timer) clearInterval(timer);
    if (t0 === 0) {
      if (running) setTimeout(() => start(i), o.reconnectMs);
      return;
    }
    open--;
    if (!running) return;
    stats.closedByServer++;
    stats.maxLifetimeMs = Math.max(stats.maxLifetimeMs, Date.now() - t0);
    setTimeout(() => start(i), o.reconnectMs);
  });
}

// Ramp up over about two seconds rather than in one burst.
for (let i = 0; i < o.conns; i++) setTimeout(() => start(i), Math.floor(i * 2000 / o.conns));
setTimeout(() => {
  running = false;
  for (const s of sockets) s.destroy();
  process.stdout.write(`${JSON.stringify(stats)}\n`);
  process.exit(0);
}, o.durationMs);
