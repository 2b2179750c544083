// The AWS peer itself, tested: it must accept what AWS accepts, refuse what
// AWS refuses (with AWS's error shapes), and inject each fault as documented.
// If these fail, every daemon test built on the peer proves nothing.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { startHarness } from '../harness/client.mjs';
import { crc32 } from '../harness/crc32.mjs';

let h;
before(async () => { h = await startHarness({ credLifetimeS: 3600 }); });
after(async () => { await h?.stop(); });

const CORAL = 'com.amazon.coral.service#';
const DDB = 'com.amazonaws.dynamodb.v20120810#';

const incr = (user, opts) => h.call('DynamoDB_20120810.UpdateItem', {
  TableName: h.table,
  Key: { user: { S: user } },
  UpdateExpression: 'ADD #c :n',
  ExpressionAttributeNames: { '#c': 'visits' },
  ExpressionAttributeValues: { ':n': { N: '1' } },
  ReturnValues: 'UPDATED_NEW',
}, opts);

async function count(user) {
  const r = await h.call('DynamoDB_20120810.GetItem', {
    TableName: h.table, Key: { user: { S: user } }, ConsistentRead: true,
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return Number(r.body.Item?.visits?.N ?? 0);
}

async function containerCredentials() {
  const r = await fetch(h.containerFullUri, { headers: { authorization: h.containerToken } });
  assert.equal(r.status, 200);
  const c = await r.json();
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.Token, raw: c };
}

async function imdsToken() {
  const r = await fetch(`${h.imdsEndpoint}/latest/api/token`, {
    method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '21600' },
  });
  assert.equal(r.status, 200);
  return r.text();
}

function assertRefused(r, type, messagePattern) {
  assert.equal(r.status, 400, JSON.stringify(r.body));
  assert.equal(r.body.__type, type);
  if (messagePattern) assert.match(r.body.message, messagePattern);
  assert.ok(r.headers.get('date'), 'every answer carries a Date header');
}

test('a correctly signed request reaches dynalite: CreateTable, UpdateItem, GetItem round trip', async () => {
  await h.resetCounters();
  const create = await h.call('DynamoDB_20120810.CreateTable', {
    TableName: 'roundtrip',
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
  assert.equal(create.status, 200, JSON.stringify(create.body));
  assert.equal(create.body.TableDescription.TableName, 'roundtrip');

  const first = await incr('alice');
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.deepEqual(first.body, { Attributes: { visits: { N: '1' } } });
  assert.ok(first.headers.get('date'));
  assert.ok(first.headers.get('x-amz-crc32'), 'dynalite answer relayed with its checksum');
  assert.equal((await incr('alice')).body.Attributes.visits.N, '2');
  assert.equal(await count('alice'), 2);

  const c = await h.counters();
  assert.equal(c.rejections, 0);
  assert.equal(c.ops.UpdateItem.requests, 2);
  assert.equal(c.ops.UpdateItem.applied, 2);
  assert.equal(c.ops.UpdateItem.bySource.static, 2);
  assert.equal(c.ops.CreateTable.applied, 1);
});

test('a request signed by libcurl (the signer visitsd sends with) is accepted too',
  { skip: !existsSync('/usr/bin/curl') && 'no /usr/bin/curl' }, async () => {
    const { stdout } = await promisify(execFile)('/usr/bin/curl', [
      '-sS', '--aws-sigv4', `aws:amz:${h.region}:dynamodb`, '--user', `${h.accessKeyId}:${h.secretAccessKey}`,
      '-H', 'content-type: application/x-amz-json-1.0', '-H', 'x-amz-target: DynamoDB_20120810.DescribeTable',
      '--data-binary', JSON.stringify({ TableName: h.table }), h.endpoint + '/',
    ]);
    assert.equal(JSON.parse(stdout).Table.TableStatus, 'ACTIVE');
  });

test('a wrong secret is refused with InvalidSignatureException and not applied', async () => {
  await h.resetCounters();
  const r = await incr('wrong-secret', { credentials: { accessKeyId: h.accessKeyId, secretAccessKey: 'not-the-secret' } });
  assertRefused(r, CORAL + 'InvalidSignatureException', /^The request signature we calculated does not match/);
  assert.match(r.body.message, /The Canonical String for this request should have been/);
  assert.equal(await count('wrong-secret'), 0);
  const c = await h.counters();
  assert.equal(c.rejections, 1);
  assert.equal(c.ops.UpdateItem.rejected['signature-mismatch'], 1);
  assert.equal(c.ops.UpdateItem.applied, 0);
});

test('an unknown access key id is refused with UnrecognizedClientException', async () => {
  const r = await incr('unknown-key', {
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
  });
  assertRefused(r, CORAL + 'UnrecognizedClientException', /^The security token included in the request is invalid\.$/);
  assert.equal(await count('unknown-key'), 0);
});

test('a body changed after signing is refused, whether or not its hash was signed', async () => {
  const tamper = (req) => { req.body = req.body.replace('"N":"1"', '"N":"1000"'); };
  const r1 = await incr('tampered', { tamper });
  assertRefused(r1, CORAL + 'InvalidSignatureException', /does not match the signature you provided/);
  const r2 = await incr('tampered', {
    tamper: (req) => { delete req.headers['x-amz-content-sha256']; tamper(req); },
  });
  assertRefused(r2, CORAL + 'InvalidSignatureException', /does not match the signature you provided/);
  assert.equal(await count('tampered'), 0);
});

test('a signed header changed after signing is refused', async () => {
  const r = await incr('tampered-header', {
    tamper: (req) => { req.headers['x-amz-target'] = 'DynamoDB_20120810.PutItem'; },
  });
  assertRefused(r, CORAL + 'InvalidSignatureException', /does not match the signature you provided/);
});

test('a date skewed more than the allowed skew is refused as "Signature expired" / "not yet current"', async () => {
  const past = await incr('skewed', { signingDate: new Date(Date.now() - 10 * 60_000) });
  assertRefused(past, CORAL + 'InvalidSignatureException',
    /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/);
  const future = await incr('skewed', { signingDate: new Date(Date.now() + 10 * 60_000) });
  assertRefused(future, CORAL + 'InvalidSignatureException', /^Signature not yet current: /);
  assert.equal(await count('skewed'), 0);
  const c = await h.counters();
  assert.equal(c.ops.UpdateItem.rejected['signature-expired'], 2);
});

test('a skewed harness clock refuses a correct signature and tells the true time in Date', async () => {
  await h.setClockOffset(20 * 60_000);
  try {
    const r = await incr('clock');
    assertRefused(r, CORAL + 'InvalidSignatureException', /^Signature expired: /);
    const serverTime = Date.parse(r.headers.get('date'));
    assert.ok(serverTime - Date.now() > 15 * 60_000, 'Date header carries the server clock');
    const corrected = await incr('clock', { signingDate: new Date(serverTime) });
    assert.equal(corrected.status, 200, JSON.stringify(corrected.body));
  } finally {
    await h.setClockOffset(0);
  }
});

test('the credential scope must name this region and the service of the target', async () => {
  const region = await incr('scope', { region: 'eu-west-1' });
  assertRefused(region, CORAL + 'InvalidSignatureException', /^Credential should be scoped to a valid region, not 'eu-west-1'\./);
  const service = await incr('scope', { service: 'ssm' });
  assertRefused(service, CORAL + 'InvalidSignatureException', /^Credential should be scoped to correct service: 'dynamodb'\./);
  const ssm = await h.call('AmazonSSM.GetParameter', { Name: h.parameter }, { service: 'dynamodb' });
  assertRefused(ssm, CORAL + 'InvalidSignatureException', /scoped to correct service: 'ssm'/);
});

test('a request without Authorization is refused with MissingAuthenticationTokenException', async () => {
  const r = await fetch(h.endpoint + '/', {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables' },
    body: '{}',
  });
  assert.equal(r.status, 400);
  assert.deepEqual(await r.json(), {
    __type: CORAL + 'MissingAuthenticationTokenException', message: 'Request is missing Authentication Token',
  });
});

test('container credentials: token required, keys work with their session token, expired keys refused', async () => {
  const denied = await fetch(h.containerFullUri);
  assert.equal(denied.status, 401);
  const wrong = await fetch(h.containerFullUri, { headers: { authorization: 'nope' } });
  assert.equal(wrong.status, 401);

  const creds = await containerCredentials();
  assert.match(creds.accessKeyId, /^ASIA/);
  assert.ok(Date.parse(creds.raw.Expiration) > Date.now());
  assert.match(creds.raw.RoleArn, /^arn:aws:iam::\d{12}:role\//);

  await h.resetCounters();
  const ok = await incr('container', { credentials: creds });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal((await h.counters()).ops.UpdateItem.bySource.container, 1);

  const noToken = await incr('container', {
    credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey },
  });
  assertRefused(noToken, CORAL + 'UnrecognizedClientException', /security token included in the request is invalid/);
  const badToken = await incr('container', { credentials: { ...creds, sessionToken: 'forged' } });
  assertRefused(badToken, CORAL + 'UnrecognizedClientException', /security token included in the request is invalid/);

  const { expired } = await h.expireCredentials({ accessKeyId: creds.accessKeyId });
  assert.deepEqual(expired, [creds.accessKeyId]);
  const late = await incr('container', { credentials: creds });
  assertRefused(late, CORAL + 'ExpiredTokenException', /^The security token included in the request is expired$/);
  assert.equal(await count('container'), 1);
  assert.equal((await h.counters()).ops.UpdateItem.rejected['expired-token'], 1);

  const fresh = await containerCredentials();
  assert.notEqual(fresh.accessKeyId, creds.accessKeyId, 'an expired pair is replaced on the next fetch');
});

test('rotation issues a new pair and the previous one stays valid until it expires', async () => {
  const a = await containerCredentials();
  assert.equal((await containerCredentials()).accessKeyId, a.accessKeyId, 'no rotation without cause');
  await h.rotateCredentials('container');
  const b = await containerCredentials();
  assert.notEqual(b.accessKeyId, a.accessKeyId);
  assert.equal((await incr('rotation', { credentials: a })).status, 200);
  assert.equal((await incr('rotation', { credentials: b })).status, 200);
  assert.equal(await count('rotation'), 2);
});

test('IMDSv2: token required (401 without), TTL checked, role, credentials and region served', async () => {
  const creds = `${h.imdsEndpoint}/latest/meta-data/iam/security-credentials/`;
  assert.equal((await fetch(creds)).status, 401);
  assert.equal((await fetch(creds + h.imdsRole)).status, 401);
  assert.equal((await fetch(creds, { headers: { 'x-aws-ec2-metadata-token': 'forged' } })).status, 401);
  for (const ttl of [undefined, '0', '21601']) {
    const r = await fetch(`${h.imdsEndpoint}/latest/api/token`, {
      method: 'PUT', headers: ttl ? { 'x-aws-ec2-metadata-token-ttl-seconds': ttl } : {},
    });
    assert.equal(r.status, 400, `ttl ${ttl}`);
  }
  const token = await imdsToken();
  const headers = { 'x-aws-ec2-metadata-token': token };
  assert.equal(await (await fetch(creds, { headers })).text(), h.imdsRole);
  const region = await fetch(`${h.imdsEndpoint}/latest/meta-data/placement/region`, { headers });
  assert.equal(await region.text(), h.region);
  const c = await (await fetch(creds + h.imdsRole, { headers })).json();
  assert.equal(c.Code, 'Success');
  assert.equal(c.Type, 'AWS-HMAC');
  assert.ok(Date.parse(c.Expiration) > Date.now());

  await h.resetCounters();
  const credentials = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.Token };
  assert.equal((await incr('imds', { credentials })).status, 200);
  assert.equal((await h.counters()).ops.UpdateItem.bySource.imds, 1);
});

test('SSM GetParameter: SecureString decrypted only WithDecryption, ParameterNotFound, updates bump Version', async () => {
  const plain = await h.call('AmazonSSM.GetParameter', { Name: h.parameter, WithDecryption: true });
  assert.equal(plain.status, 200);
  assert.equal(plain.headers.get('content-type'), 'application/x-amz-json-1.1');
  const p = plain.body.Parameter;
  assert.deepEqual(Object.keys(p).sort(),
    ['ARN', 'DataType', 'LastModifiedDate', 'Name', 'Type', 'Value', 'Version']);
  assert.equal(p.Name, h.parameter);
  assert.equal(p.Type, 'SecureString');
  assert.equal(p.Value, h.apiKey);
  assert.equal(typeof p.LastModifiedDate, 'number');

  const cipher = await h.call('AmazonSSM.GetParameter', { Name: h.parameter, WithDecryption: false });
  assert.equal(cipher.status, 200);
  assert.notEqual(cipher.body.Parameter.Value, h.apiKey);

  const missing = await h.call('AmazonSSM.GetParameter', { Name: '/no/such', WithDecryption: true });
  assert.equal(missing.status, 400);
  assert.deepEqual(missing.body, { __type: 'ParameterNotFound' });

  await h.setParameter(h.parameter, 'key-one,key-two');
  const changed = await h.call('AmazonSSM.GetParameter', { Name: h.parameter, WithDecryption: true });
  assert.equal(changed.body.Parameter.Value, 'key-one,key-two');
  assert.equal(changed.body.Parameter.Version, p.Version + 1);
  await h.setParameter(h.parameter, h.apiKey);

  const byArn = await h.call('AmazonSSM.GetParameter', { Name: p.ARN, WithDecryption: true });
  assert.equal(byArn.body.Parameter.Value, h.apiKey);
});

test('fault throttle: 400 ThrottlingException / ProvisionedThroughputExceededException, write not applied', async () => {
  await h.resetCounters();
  await h.fault('UpdateItem', 'throttle');
  await h.fault('UpdateItem', 'throttle', { error: 'ProvisionedThroughputExceededException' });
  const a = await incr('throttled');
  assertRefused(a, DDB + 'ThrottlingException');
  const b = await incr('throttled');
  assertRefused(b, DDB + 'ProvisionedThroughputExceededException');
  assert.equal(await count('throttled'), 0);
  assert.equal((await incr('throttled')).status, 200, 'the queue holds only the faults asked for');
  const c = await h.counters();
  assert.equal(c.ops.UpdateItem.faults.throttle, 2);
  assert.equal(c.ops.UpdateItem.applied, 1);
  assert.equal(c.rejections, 0);
});

test('fault 500: InternalServerError after the write was applied (unknown outcome)', async () => {
  await h.fault('UpdateItem', '500');
  const r = await incr('five-hundred');
  assert.equal(r.status, 500);
  assert.equal(r.body.__type, DDB + 'InternalServerError');
  assert.equal(await count('five-hundred'), 1);
});

test('fault latency: the request is delayed but answered normally', async () => {
  await h.resetCounters();
  await h.fault('UpdateItem', 'latency', { ms: 50 });
  const r = await incr('slow');
  assert.equal(r.status, 200);
  assert.equal((await h.counters()).ops.UpdateItem.faults.latency, 1);
  assert.equal(await count('slow'), 1);
});

test('fault drop-after-apply: no answer, yet the write was applied', async () => {
  await h.resetCounters();
  await h.fault('UpdateItem', 'drop-after-apply');
  await assert.rejects(incr('dropped'));
  assert.equal(await count('dropped'), 1);
  const c = await h.counters();
  assert.equal(c.ops.UpdateItem.applied, 1);
  assert.equal(c.ops.UpdateItem.faults['drop-after-apply'], 1);
});

test('fault reset-before: connection reset, write not applied', async () => {
  await h.resetCounters();
  await h.fault('UpdateItem', 'reset-before');
  await assert.rejects(incr('reset'));
  assert.equal(await count('reset'), 0);
  const c = await h.counters();
  assert.equal(c.ops.UpdateItem.applied, 0);
  assert.equal(c.ops.UpdateItem.faults['reset-before'], 1);
});

test('faults apply only to their operation and count; GetParameter can be throttled too', async () => {
  await h.fault('GetParameter', 'throttle', { count: 2 });
  assert.equal((await incr('other-op')).status, 200);
  for (let i = 0; i < 2; i++) {
    const r = await h.call('AmazonSSM.GetParameter', { Name: h.parameter, WithDecryption: true });
    assert.equal(r.status, 400);
    assert.equal(r.body.__type, 'ThrottlingException');
  }
  const ok = await h.call('AmazonSSM.GetParameter', { Name: h.parameter, WithDecryption: true });
  assert.equal(ok.status, 200);
});

test('credential endpoints take faults too: a failed fetch, then the next one works', async () => {
  await h.fault('ContainerCredentials', '500');
  const failed = await fetch(h.containerFullUri, { headers: { authorization: h.containerToken } });
  assert.equal(failed.status, 500);
  await h.fault('IMDS', 'reset-before');
  await assert.rejects(fetch(`${h.imdsEndpoint}/latest/api/token`, {
    method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' },
  }));
  assert.ok((await containerCredentials()).accessKeyId);
  assert.ok(await imdsToken());
});

test('concurrent UpdateItems on one key are atomic in dynalite: distinct counts 1..n', async () => {
  const n = 200;
  const answers = await Promise.all(Array.from({ length: n }, () => incr('burst')));
  const counts = answers.map((r) => Number(r.body.Attributes.visits.N)).sort((a, b) => a - b);
  assert.deepEqual(counts, Array.from({ length: n }, (_, i) => i + 1));
  assert.equal(await count('burst'), n);
});

test('the peer\'s CRC-32 is zlib\'s: published check values, and zlib.crc32 itself where Node has it', () => {
  assert.equal(crc32(Buffer.alloc(0)), 0);
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  assert.equal(crc32(Buffer.from('The quick brown fox jumps over the lazy dog')), 0x414fa339);
  assert.equal(crc32(Buffer.alloc(32, 0xff)), 0xff6cab0b);
  if (typeof zlib.crc32 !== 'function') return; // Node.js < 20.15
  for (let len = 0; len < 300; len += 7) {
    const buf = randomBytes(len);
    assert.equal(crc32(buf), zlib.crc32(buf), `length ${len}`);
  }
});
