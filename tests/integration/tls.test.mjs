// tls.test.mjs: visitsd talking to DynamoDB and SSM over HTTPS signed by a
// private CA.  The AWS test peer (tests/harness/aws-peer.mjs --tls-cert)
// serves its AWS endpoint over HTTPS with a server certificate for
// 127.0.0.1/localhost issued by a CA made here with the openssl CLI.
// visitsd must trust it only through AWS_CA_BUNDLE (the AWS SDKs'
// variable), and refuse it with libcurl's default trust store or a bundle
// that does not hold the CA, with a log line naming the certificate problem.
//
// AWS_CA_BUNDLE may be set in the environment the tests run in (it is on
// the CI machine), so every daemon here gets it set or removed explicitly.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { startHarness } from '../harness/client.mjs';
import { runDaemon, startDaemon, tempDir } from './lib/daemon.mjs';

const openssl = (dir, ...args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });

/** A CA and a server certificate for 127.0.0.1 and localhost, in dir. */
function makePki(dir, name) {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(dir, 'req', '-x509', ...ec, '-keyout', `${name}-ca.key`, '-out', `${name}-ca.pem`, '-days', '2',
    '-subj', `/CN=visitsd test CA ${name}`, '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  openssl(dir, 'req', ...ec, '-keyout', `${name}-server.key`, '-out', `${name}-server.csr`, '-subj', '/CN=localhost');
  writeFileSync(join(dir, `${name}-ext.cnf`),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl(dir, 'x509', '-req', '-in', `${name}-server.csr`, '-CA', `${name}-ca.pem`, '-CAkey', `${name}-ca.key`,
    '-CAcreateserial', '-out', `${name}-server.pem`, '-days', '2', '-extfile', `${name}-ext.cnf`);
  return {
    ca: join(dir, `${name}-ca.pem`),
    cert: join(dir, `${name}-server.pem`),
    key: join(dir, `${name}-server.key`),
  };
}

let dir, pki, other, h;

before(async () => {
  dir = tempDir();
  pki = makePki(dir, 'peer');
  other = makePki(dir, 'other');       // a CA that did not sign the peer's certificate
  h = await startHarness({ tlsCert: pki.cert, tlsKey: pki.key });
  assert.match(h.endpoint, /^https:\/\/127\.0\.0\.1:\d+$/);
});
after(() => h?.stop());

test('the DynamoDB and SSM endpoints trusted through AWS_CA_BUNDLE serve counts', async (t) => {
  await h.resetCounters();
  const d = await startDaemon({ env: { ...h.env('env'), VISITSD_API_KEY: undefined, AWS_CA_BUNDLE: pki.ca } });
  t.after(() => d.stop());
  const post = await fetch(`${d.url}/api/visits/tls-page`, { method: 'POST', headers: { 'x-api-key': h.apiKey } });
  assert.equal(post.status, 200);
  assert.deepEqual(await post.json(), { user: 'tls-page', visits: 1, unique: 0 });
  const c = await h.counters();
  assert.equal(c.ops.UpdateItem?.applied, 1, JSON.stringify(c));
  assert.equal(c.ops.GetParameter?.status?.['200'], 1, JSON.stringify(c));
  assert.ok(d.logs.some((l) => l.includes(`CA bundle ${pki.ca}`)), d.logs.join('\n'));
  assert.deepEqual(await d.stop(), { code: 0, signal: null });
});

// Refusals.  With the key in SSM, the startup's first AWS call (the key)
// fails its TLS handshake; visitsd logs why and retries the key with
// backoff (as for any unreachable SSM), never listening, until stopped
// (SIGTERM here: exit 0, "Terminated during startup").  Nothing reaches
// the peer: the handshake fails before a request is sent.
async function refusedAtStartup(env) {
  await h.resetCounters();
  const r = await runDaemon({
    env: { ...h.env('env'), VISITSD_LISTEN: '127.0.0.1:0', VISITSD_LOG_FORMAT: 'json', ...env },
    timeoutMs: 20000,
    signalOn: { log: /API key parameter .*SSL certificate problem: unable to get local issuer certificate/, signal: 'SIGTERM' },
  });
  const lines = (r.stdout + r.stderr).split('\n').filter(Boolean);
  assert.ok(lines.some((l) => /"level":"warn".*aws ssm GetParameter: unavailable after \d+ attempts: SSL certificate problem: unable to get local issuer certificate/.test(l)),
    `no log line names the certificate problem:\n${lines.join('\n')}`);
  assert.ok(!lines.some((l) => /listening on/.test(l)), lines.join('\n'));
  // SIGTERM while waiting for the key is an orderly stop (exit 0).
  assert.equal(r.code, 0, lines.join('\n'));
  assert.ok(lines.some((l) => /Terminated during startup: API key parameter/.test(l)), lines.join('\n'));
  const c = await h.counters();
  assert.equal(c.ops.GetParameter, undefined, `a request got through: ${JSON.stringify(c)}`);
  return r;
}

test('without AWS_CA_BUNDLE the private CA is not trusted: the key is never fetched, no listener', async () => {
  await refusedAtStartup({ AWS_CA_BUNDLE: undefined });
});

test('an AWS_CA_BUNDLE without the signing CA refuses the peer: the key is never fetched, no listener', async () => {
  await refusedAtStartup({ AWS_CA_BUNDLE: other.ca });
});

// With the key in the environment there is no AWS call at startup: the
// daemon listens, and a POST fails with 503 + Retry-After, the log line
// naming the certificate problem; no write reaches DynamoDB.
test('a store-only daemon refuses the untrusted DynamoDB peer: POST answers 503, the log says why', async (t) => {
  await h.resetCounters();
  const d = await startDaemon({ env: { ...h.env('env'), VISITSD_API_KEY_PARAMETER: undefined, AWS_CA_BUNDLE: undefined } });
  t.after(() => d.stop());
  const r = await fetch(`${d.url}/api/visits/tls-page`, { method: 'POST', headers: { 'x-api-key': d.key } });
  assert.equal(r.status, 503, await r.text());
  assert.ok(r.headers.get('retry-after'), 'a 503 carries Retry-After');
  await d.waitForLog(/aws dynamodb UpdateItem: unavailable after \d+ attempts: SSL certificate problem: unable to get local issuer certificate/, 5000);
  const c = await h.counters();
  assert.equal(c.ops.UpdateItem, undefined, `a request got through: ${JSON.stringify(c)}`);
  assert.equal((await d.stop()).code, 0);
});

test('an AWS_CA_BUNDLE naming a missing file: POST answers 503, the log names the bundle problem', async (t) => {
  await h.resetCounters();
  const d = await startDaemon({ env: { ...h.env('env'), VISITSD_API_KEY_PARAMETER: undefined,
    AWS_CA_BUNDLE: `${dir}/no-such-bundle.pem` } });
  t.after(() => d.stop());
  const r = await fetch(`${d.url}/api/visits/tls-page`, { method: 'POST', headers: { 'x-api-key': d.key } });
  assert.equal(r.status, 503, await r.text());
  await d.waitForLog(/aws dynamodb UpdateItem: unavailable after \d+ attempts: error setting certificate file: .*no-such-bundle\.pem/, 5000);
  assert.equal((await h.counters()).ops.UpdateItem, undefined);
  assert.equal((await d.stop()).code, 0);
});
