#!/usr/bin/env node
// The AWS peer: one loopback process that plays AWS for visitsd in tests.
//
//  - DynamoDB: dynalite (in memory, in this process) behind a front that
//    verifies the SigV4 signature of every request (sigv4-verify.mjs) and
//    forwards only verified ones, unchanged, to dynalite.
//  - SSM: GetParameter for fixture parameters (SecureString decrypted only
//    WithDecryption=true), same signature checks.
//  - Credentials: ECS container credentials and EC2 IMDSv2, issuing
//    short-lived rotating key pairs; one static key pair for the
//    environment / shared-file sources.
//  - Faults on demand and counters, through a control API under /__harness/.
//
// Everything is served on one loopback port. On start it prints ONE JSON line
// to stdout describing itself, then serves until SIGTERM/SIGINT or until its
// stdin (when a pipe) closes. See README.md here for the control API.
//
// It is a test peer, not an emulator of AWS: only what visitsd uses is here.

import http from 'node:http';
import https from 'node:https';
import { randomBytes, randomUUID } from 'node:crypto';
import { fstatSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import dynalite from 'dynalite';
import { crc32 } from './crc32.mjs';
import { verifySigV4 } from './sigv4-verify.mjs';
import { createKeyBudget } from './key-budget.mjs';

const { values: opt } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    region: { type: 'string', default: 'us-east-1' },
    'cred-lifetime-s': { type: 'string', default: '900' },
    'max-skew-s': { type: 'string', default: '300' },
    'container-token': { type: 'string' },
    table: { type: 'string', default: 'visits' },
    'key-attribute': { type: 'string', default: 'user' },
    'no-table': { type: 'boolean', default: false },
    parameter: { type: 'string', default: '/visitsd/api-key' },
    'api-key': { type: 'string' },
    role: { type: 'string', default: 'visitsd-role' },
    log: { type: 'boolean', default: false },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'latency-ms': { type: 'string', default: '0' },
  },
});

const REGION = opt.region;
// Added before every verified DynamoDB answer, as a network and a real
// DynamoDB would (make bench's "5 ms" rows); faults add to it.
const LATENCY_MS = Number(opt['latency-ms']);
const ACCOUNT = '123456789012';
const CRED_LIFETIME_MS = Number(opt['cred-lifetime-s']) * 1000;
const MAX_SKEW_MS = Number(opt['max-skew-s']) * 1000;
const CONTAINER_TOKEN = opt['container-token'] ?? randomBytes(18).toString('base64url');
const CONTAINER_PATH = `/v2/credentials/${randomUUID()}`;
const MAX_BODY = 1 << 20;

// ---------------------------------------------------------------- clock
let clockOffsetMs = 0;              // the harness's idea of "now" may be skewed on purpose
const now = () => Date.now() + clockOffsetMs;

// ---------------------------------------------------------------- credentials
const keys = new Map();             // accessKeyId -> { secret, token, expiresAt, source }
const current = { container: null, imds: null };
const rotateNext = { container: false, imds: false };

const alnum = (n) => {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return [...randomBytes(n)].map((b) => chars[b & 31]).join('');
};

function issueKey(source, temporary) {
  const accessKeyId = (temporary ? 'ASIA' : 'AKIA') + alnum(16);
  const key = {
    secret: randomBytes(30).toString('base64'),
    token: temporary ? randomBytes(120).toString('base64') : null,
    expiresAt: temporary ? now() + CRED_LIFETIME_MS : null,
    source,
  };
  keys.set(accessKeyId, key);
  return { accessKeyId, ...key };
}

// A fetch gets the current pair, or a new one when it has used half its life
// or a rotation was asked for; older pairs stay valid until they expire.
function temporaryCredentials(source) {
  let c = current[source];
  if (!c || rotateNext[source] || c.expiresAt - now() < CRED_LIFETIME_MS / 2 ||
      keys.get(c.accessKeyId).expiresAt <= now()) {
    c = current[source] = issueKey(source, true);
    rotateNext[source] = false;
    counters.credentials.issued++;
  }
  return { ...c, expiresAt: keys.get(c.accessKeyId).expiresAt };
}

const staticKey = issueKey('static', false);

// ---------------------------------------------------------------- SSM fixtures
const parameters = new Map();       // name -> { type, value, version, modified }
function setParameter(name, value, type = 'SecureString') {
  const old = parameters.get(name);
  parameters.set(name, { type, value, version: (old?.version ?? 0) + 1, modified: now() / 1000 });
  return { name, type, version: parameters.get(name).version };
}
const apiKey = opt['api-key'] ?? 'vk-' + randomBytes(16).toString('hex');
setParameter(opt.parameter, apiKey);

// ---------------------------------------------------------------- counters and faults
const counters = newCounters();
function newCounters() {
  return { ops: {}, rejections: 0, credentials: { container: 0, imdsToken: 0, imdsCredentials: 0, issued: 0 } };
}
function opCounter(op) {
  return (counters.ops[op] ??= { requests: 0, applied: 0, status: {}, rejected: {}, faults: {}, bySource: {} });
}
const bump = (obj, k) => { obj[k] = (obj[k] ?? 0) + 1; };

const FAULT_KINDS = ['throttle', '500', 'latency', 'drop-after-apply', 'reset-before'];
let faults = [];                    // { op, kind, remaining, until?, p, ms, error }
// The first live fault for op, if its dice say so; used up after `count`
// requests, gone after `until` (a storm: every request for forMs), and
// applied to each request with probability p.
function takeFault(op) {
  const t = Date.now();
  faults = faults.filter((x) => x.until === undefined || x.until > t);
  for (const f of faults) {
    if (f.op !== op && f.op !== '*') continue;
    if (f.p < 1 && Math.random() >= f.p) continue;
    if (--f.remaining <= 0) faults = faults.filter((x) => x !== f);
    return f;
  }
  return null;
}

// ---------------------------------------------------------------- HTTP helpers
function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) { req.destroy(); reject(new Error('body too large')); } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res, status, body, headers = {}) {
  const buf = Buffer.isBuffer(body) ? body
    : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  res.writeHead(status, {
    Date: new Date(now()).toUTCString(),
    'Content-Type': 'application/json',
    'Content-Length': buf.length,
    ...headers,
  });
  res.end(buf);
}

function sendAws(res, service, status, body, extra = {}) {
  const buf = Buffer.from(JSON.stringify(body));
  send(res, status, buf, {
    'Content-Type': service === 'ssm' ? 'application/x-amz-json-1.1' : 'application/x-amz-json-1.0',
    'x-amzn-RequestId': randomUUID(),
    ...(service === 'dynamodb' ? { 'x-amz-crc32': String(crc32(buf)) } : {}),
    ...extra,
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => { if (opt.log) console.error('[aws-peer]', ...a); };

// ---------------------------------------------------------------- dynalite
const dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
await new Promise((r) => dynamo.listen(0, '127.0.0.1', r));
// The front keeps its connections to dynalite alive; without a server-side
// idle timeout none is closed under a request the agent is reusing it for
// (a "socket hang up" race seen on Node 18 with pauses in the traffic).
dynamo.keepAliveTimeout = 0;
const dynamoAgent = new http.Agent({ keepAlive: true });

function toDynalite(headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: dynamo.address().port, method: 'POST', path: '/', agent: dynamoAgent,
      headers: { ...headers, 'content-length': body.length },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

// The harness's own calls (table setup): dynalite only wants an Authorization header to exist.
async function dynamoCall(op, input) {
  const r = await toDynalite({
    'content-type': 'application/x-amz-json-1.0',
    'x-amz-target': `DynamoDB_20120810.${op}`,
    'x-amz-date': '20000101T000000Z',
    authorization: `AWS4-HMAC-SHA256 Credential=harness/20000101/${REGION}/dynamodb/aws4_request, ` +
      'SignedHeaders=host, Signature=0',
  }, Buffer.from(JSON.stringify(input)));
  return { status: r.status, body: JSON.parse(r.body.toString() || '{}') };
}

async function createTable(name, keyAttribute) {
  const r = await dynamoCall('CreateTable', {
    TableName: name,
    AttributeDefinitions: [{ AttributeName: keyAttribute, AttributeType: 'S' }],
    KeySchema: [{ AttributeName: keyAttribute, KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
  if (r.status !== 200 && !/ResourceInUseException/.test(r.body.__type)) return r;
  for (;;) {
    const d = await dynamoCall('DescribeTable', { TableName: name });
    if (d.body.Table?.TableStatus === 'ACTIVE') return d;
    await sleep(5);
  }
}

// ---------------------------------------------------------------- SSM
function ssmGetParameter(res, body) {
  let input;
  try { input = JSON.parse(body.toString() || '{}'); } catch {
    return sendAws(res, 'ssm', 400, { __type: 'SerializationException' });
  }
  if (typeof input.Name !== 'string' || input.Name === '') {
    return sendAws(res, 'ssm', 400, {
      __type: 'ValidationException',
      message: "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null",
    });
  }
  const arnPrefix = `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter`;
  let name = input.Name.startsWith(arnPrefix) ? input.Name.slice(arnPrefix.length) : input.Name;
  if (input.Name.startsWith(arnPrefix) && !name.startsWith('/')) name = name.slice(1);
  const p = parameters.get(name);
  if (!p) return sendAws(res, 'ssm', 400, { __type: 'ParameterNotFound' });
  const decrypt = input.WithDecryption === true;
  const value = p.type === 'SecureString' && !decrypt
    ? Buffer.concat([Buffer.from('AQICAHh', 'latin1'), Buffer.from(p.value)]).toString('base64')
    : p.value;
  sendAws(res, 'ssm', 200, {
    Parameter: {
      Name: name,
      Type: p.type,
      Value: value,
      Version: p.version,
      LastModifiedDate: p.modified,
      ARN: `${arnPrefix}${name.startsWith('/') ? '' : '/'}${name}`,
      DataType: 'text',
    },
  });
}

// ---------------------------------------------------------------- AWS front
const SERVICES = { DynamoDB_20120810: 'dynamodb', AmazonSSM: 'ssm' };
const DYNAMO_THROTTLE = {
  ThrottlingException: 'Rate of requests exceeds the allowed throughput.',
  ProvisionedThroughputExceededException: 'The level of configured provisioned throughput for the table was ' +
    'exceeded. Consider increasing your provisioning level with the UpdateTable API.',
  RequestLimitExceeded: 'Throughput exceeds the current throughput limit for your account. Please contact AWS ' +
    'Support at https://aws.amazon.com/support request a limit increase',
};

async function handleAws(req, res, url, body) {
  const [prefix, op = 'Unknown'] = String(req.headers['x-amz-target'] ?? '').split('.');
  const service = SERVICES[prefix];
  const c = opCounter(service ? op : 'Unknown');
  c.requests++;
  if (!service) {
    bump(c.status, 400);
    return sendAws(res, 'dynamodb', 400, { __type: 'com.amazon.coral.service#UnknownOperationException' });
  }

  const headers = {};
  for (const [k, v] of Object.entries(req.headersDistinct)) headers[k] = v.join(',');
  const verdict = await verifySigV4(
    { method: req.method, path: url.pathname, rawQuery: url.search.slice(1), headers, body },
    { region: REGION, service, nowMs: now(), maxSkewMs: MAX_SKEW_MS, lookupKey: (id) => keys.get(id) },
  );
  if (!verdict.ok) {
    counters.rejections++;
    bump(c.rejected, verdict.reason);
    bump(c.status, verdict.status);
    console.error(`[aws-peer] ${op}: refused (${verdict.reason}): ${verdict.body.__type}: ` +
      (opt.log ? verdict.body.message : verdict.body.message.split('\n')[0]));
    return sendAws(res, service, verdict.status, verdict.body);
  }
  bump(c.bySource, verdict.key.source);

  const fault = takeFault(op);
  if (fault) bump(c.faults, fault.kind);
  if (fault?.kind === 'latency') await sleep(fault.ms);
  if (LATENCY_MS > 0 && service === 'dynamodb') await sleep(LATENCY_MS);
  if (fault?.kind === 'reset-before') {
    log(op, 'fault reset-before');
    return req.socket.resetAndDestroy();
  }
  if (fault?.kind === 'throttle') {
    const type = fault.error ?? 'ThrottlingException';
    bump(c.status, 400);
    log(op, 'fault throttle', type);
    return service === 'ssm'
      ? sendAws(res, service, 400, { __type: type, message: 'Rate exceeded' })
      : sendAws(res, service, 400, {
        __type: `com.amazonaws.dynamodb.v20120810#${type}`,
        message: DYNAMO_THROTTLE[type] ?? 'Rate exceeded',
      });
  }

  const overBudget = service === 'dynamodb' ? keyBudget.check(op, body) : null;
  if (overBudget) {
    bump(c.status, 400);
    log(op, 'key budget: throttled');
    return sendAws(res, service, 400, overBudget);
  }

  let answer;
  if (service === 'ssm') {
    if (op !== 'GetParameter') {
      answer = () => sendAws(res, service, 400, { __type: 'com.amazon.coral.service#UnknownOperationException' });
    } else {
      answer = () => ssmGetParameter(res, body);
    }
  } else {
    const pass = {};
    for (const k of ['content-type', 'x-amz-target', 'authorization', 'x-amz-date']) {
      if (req.headers[k] !== undefined) pass[k] = req.headers[k];
    }
    const r = await toDynalite(pass, body);
    if (r.status === 200) c.applied++;
    answer = () => send(res, r.status, r.body, {
      'Content-Type': r.headers['content-type'] ?? 'application/x-amz-json-1.0',
      'x-amzn-RequestId': r.headers['x-amzn-requestid'] ?? randomUUID(),
      ...(r.headers['x-amz-crc32'] ? { 'x-amz-crc32': r.headers['x-amz-crc32'] } : {}),
    });
  }

  if (fault?.kind === 'drop-after-apply') {
    log(op, 'fault drop-after-apply');
    return req.socket.destroy();
  }
  if (fault?.kind === '500') {
    bump(c.status, 500);
    log(op, 'fault 500');
    return service === 'ssm'
      ? sendAws(res, service, 500, { __type: 'InternalServerError', message: 'Internal Server Error' })
      : sendAws(res, service, 500, {
        __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Internal server error',
      });
  }
  answer();
  bump(c.status, res.statusCode);
  log(op, res.statusCode, verdict.key.source);
}

// ---------------------------------------------------------------- credential endpoints
function credentialFault(res, op) {
  const fault = takeFault(op);
  if (!fault) return Promise.resolve(false);
  bump(opCounter(op).faults, fault.kind);
  if (fault.kind === 'latency') return sleep(fault.ms).then(() => false);
  if (fault.kind === 'reset-before' || fault.kind === 'drop-after-apply') {
    res.socket.resetAndDestroy();
  } else {
    send(res, fault.kind === 'throttle' ? 429 : 500, { Code: 'InternalError', Message: 'injected fault' });
  }
  return Promise.resolve(true);
}

async function handleContainer(req, res) {
  counters.credentials.container++;
  opCounter('ContainerCredentials').requests++;
  if (await credentialFault(res, 'ContainerCredentials')) return;
  if (req.method !== 'GET') return send(res, 405, { Code: 'MethodNotAllowed', Message: 'GET only' });
  if (CONTAINER_TOKEN !== '' && req.headers.authorization !== CONTAINER_TOKEN) {
    return send(res, 401, { Code: 'AccessDenied', Message: 'Authorization header missing or wrong' });
  }
  const c = temporaryCredentials('container');
  send(res, 200, {
    AccessKeyId: c.accessKeyId,
    SecretAccessKey: c.secret,
    Token: c.token,
    Expiration: new Date(c.expiresAt).toISOString().replace(/\.\d{3}/, ''),
    RoleArn: `arn:aws:iam::${ACCOUNT}:role/${opt.role}`,
  });
}

const imdsTokens = new Map();       // token -> expiresAt (real time)
async function handleImds(req, res, url) {
  const text = (status, s, headers = {}) => send(res, status, s, { 'Content-Type': 'text/plain', ...headers });
  opCounter('IMDS').requests++;
  if (await credentialFault(res, 'IMDS')) return;
  if (url.pathname === '/latest/api/token') {
    if (req.method !== 'PUT') return text(405, '');
    const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) return text(400, '');
    if (req.headers['x-forwarded-for']) return text(403, '');
    counters.credentials.imdsToken++;
    const token = randomBytes(42).toString('base64');
    imdsTokens.set(token, Date.now() + ttl * 1000);
    return text(200, token, { 'x-aws-ec2-metadata-token-ttl-seconds': String(ttl) });
  }
  if (req.method !== 'GET') return text(405, '');
  const t = req.headers['x-aws-ec2-metadata-token'];
  if (!t || !(imdsTokens.get(t) > Date.now())) return text(401, '');
  const base = '/latest/meta-data/iam/security-credentials/';
  if (url.pathname === base) return text(200, opt.role);
  if (url.pathname === base + opt.role) {
    counters.credentials.imdsCredentials++;
    const c = temporaryCredentials('imds');
    return send(res, 200, {
      Code: 'Success',
      LastUpdated: new Date(now()).toISOString().replace(/\.\d{3}/, ''),
      Type: 'AWS-HMAC',
      AccessKeyId: c.accessKeyId,
      SecretAccessKey: c.secret,
      Token: c.token,
      Expiration: new Date(c.expiresAt).toISOString().replace(/\.\d{3}/, ''),
    }, { 'Content-Type': 'text/plain' });
  }
  if (url.pathname === '/latest/meta-data/placement/region') return text(200, REGION);
  if (url.pathname === '/latest/dynamic/instance-identity/document') {
    return send(res, 200, { region: REGION, accountId: ACCOUNT, instanceId: 'i-0harness0000000000' });
  }
  return text(404, '');
}

// ---------------------------------------------------------------- control API
let info;
const keyBudget = createKeyBudget({ region: REGION });

async function handleControl(req, res, url, body) {
  let input = {};
  if (body.length) {
    try { input = JSON.parse(body.toString()); } catch { return send(res, 400, { error: 'body is not JSON' }); }
  }
  const route = `${req.method} ${url.pathname.slice('/__harness'.length)}`;
  if (url.pathname.startsWith('/__harness/key-budget')) {
    return keyBudget.control(req.method, url.pathname.slice('/__harness'.length), input,
      (status, json) => send(res, status, json));
  }
  switch (route) {
    case 'GET /info':
      return send(res, 200, info);
    case 'GET /counters':
      return send(res, 200, counters);
    case 'POST /counters/reset':
      Object.assign(counters, newCounters());
      return send(res, 200, counters);
    case 'GET /faults':
      return send(res, 200, faults);
    case 'DELETE /faults':
      faults = [];
      return send(res, 200, faults);
    case 'POST /faults': {
      const timed = input.forMs !== undefined;
      const count = input.count ?? (timed ? Infinity : 1);
      const p = input.p ?? 1;
      if (typeof input.op !== 'string' || !FAULT_KINDS.includes(input.kind) ||
          !(count === Infinity || (Number.isInteger(count) && count >= 1)) ||
          (timed && !(Number.isFinite(input.forMs) && input.forMs > 0)) ||
          !(typeof p === 'number' && p > 0 && p <= 1)) {
        return send(res, 400, {
          error: `want {op, kind: ${FAULT_KINDS.join('|')}, count>=1?, forMs>0?, p in (0,1]?, ms?, error?}`,
        });
      }
      faults.push({
        op: input.op, kind: input.kind, remaining: count, p, ms: input.ms ?? 1000, error: input.error,
        ...(timed ? { until: Date.now() + input.forMs } : {}),
      });
      return send(res, 200, faults);
    }
    case 'PUT /parameters':
      if (typeof input.name !== 'string' || typeof input.value !== 'string') {
        return send(res, 400, { error: 'want {name, value, type?}' });
      }
      return send(res, 200, setParameter(input.name, input.value, input.type ?? 'SecureString'));
    case 'DELETE /parameters':
      parameters.delete(url.searchParams.get('name'));
      return send(res, 200, {});
    case 'GET /credentials':
      return send(res, 200, [...keys].map(([id, k]) => ({
        accessKeyId: id, source: k.source,
        expiration: k.expiresAt && new Date(k.expiresAt).toISOString(),
        expired: k.expiresAt != null && k.expiresAt <= now(),
      })));
    case 'POST /credentials/rotate':
      for (const s of Object.keys(rotateNext)) if (!input.source || input.source === s) rotateNext[s] = true;
      return send(res, 200, rotateNext);
    case 'POST /credentials/expire': {
      const expired = [];
      for (const [id, k] of keys) {
        if (k.expiresAt != null && (!input.accessKeyId || input.accessKeyId === id) &&
            (!input.source || input.source === k.source)) {
          k.expiresAt = Math.min(k.expiresAt, now());
          expired.push(id);
        }
      }
      return send(res, 200, { expired });
    }
    case 'POST /clock':
      if (!Number.isFinite(input.offsetMs)) return send(res, 400, { error: 'want {offsetMs}' });
      clockOffsetMs = input.offsetMs;
      return send(res, 200, { offsetMs: clockOffsetMs });
    case 'POST /tables': {
      const r = await createTable(input.name ?? opt.table, input.key ?? opt['key-attribute']);
      return send(res, r.status, r.body);
    }
    default:
      return send(res, 404, { error: `no control route ${route}` });
  }
}

// ---------------------------------------------------------------- server
async function handle(req, res) {
  const url = new URL(req.url, 'http://x');
  try {
    const body = await readBody(req);
    if (url.pathname.startsWith('/__harness/')) return await handleControl(req, res, url, body);
    if (url.pathname.startsWith('/latest/')) return await handleImds(req, res, url);
    if (url.pathname.startsWith('/v2/credentials/')) {
      if (url.pathname === CONTAINER_PATH) return await handleContainer(req, res);
      return send(res, 400, { code: 'InvalidIdInRequest', message: 'Credentials not found' });
    }
    return await handleAws(req, res, url, body);
  } catch (err) {
    console.error('[aws-peer] internal error:', err);
    if (!res.headersSent && !req.socket.destroyed) send(res, 500, { error: String(err.message) });
  }
}
const server = http.createServer(handle);
await new Promise((r) => server.listen(Number(opt.port), '127.0.0.1', r));
// With --tls-cert/--tls-key the AWS endpoint is served over HTTPS on a
// second port; the control API and the credential endpoints stay on the
// plain one (so tests reach them without trusting the test CA).
let tlsServer = null;
if (opt['tls-cert'] || opt['tls-key']) {
  tlsServer = https.createServer({ cert: readFileSync(opt['tls-cert']), key: readFileSync(opt['tls-key']) }, handle);
  await new Promise((r) => tlsServer.listen(0, '127.0.0.1', r));
}

if (!opt['no-table']) await createTable(opt.table, opt['key-attribute']);

const base = `http://127.0.0.1:${server.address().port}`;
info = {
  endpoint: tlsServer ? `https://127.0.0.1:${tlsServer.address().port}` : base,
  httpEndpoint: base,
  control: `${base}/__harness`,
  region: REGION,
  accessKeyId: staticKey.accessKeyId,
  secretAccessKey: staticKey.secret,
  containerUri: CONTAINER_PATH,
  containerFullUri: base + CONTAINER_PATH,
  containerToken: CONTAINER_TOKEN,
  imdsEndpoint: base,
  imdsRole: opt.role,
  table: opt.table,
  keyAttribute: opt['key-attribute'],
  parameter: opt.parameter,
  apiKey,
  credLifetimeS: CRED_LIFETIME_MS / 1000,
  maxSkewS: MAX_SKEW_MS / 1000,
  pid: process.pid,
};
process.stdout.write(JSON.stringify(info) + '\n');

function stop() {
  for (const srv of [server, tlsServer]) {
    if (!srv) continue;
    srv.closeAllConnections();
    srv.close();
  }
  dynamo.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
const stdin = fstatSync(0);
if (stdin.isFIFO() || stdin.isSocket()) {
  process.stdin.on('end', stop);
  process.stdin.resume();
}
