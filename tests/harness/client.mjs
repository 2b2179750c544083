// Test-side handle on the AWS peer (aws-peer.mjs): start it, read its
// description, drive its control API, sign requests to it, stop it.
// For node:test files; no state beyond the returned handle.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';

const PEER = fileURLToPath(new URL('./aws-peer.mjs', import.meta.url));

const FLAGS = {
  credLifetimeS: '--cred-lifetime-s', maxSkewS: '--max-skew-s', containerToken: '--container-token',
  table: '--table', keyAttribute: '--key-attribute', parameter: '--parameter', apiKey: '--api-key',
  role: '--role', region: '--region', port: '--port', tlsCert: '--tls-cert', tlsKey: '--tls-key',
  latencyMs: '--latency-ms',
};

/**
 * Start a peer. opts: any of the FLAGS keys above, plus noTable, log (booleans).
 * Resolves to a handle: the peer's description (endpoint, region, keys, ...)
 * plus control helpers and stop(). Rejects if the peer dies before describing itself.
 */
export async function startHarness(opts = {}) {
  const args = [PEER];
  for (const [k, flag] of Object.entries(FLAGS)) if (opts[k] !== undefined) args.push(flag, String(opts[k]));
  if (opts.noTable) args.push('--no-table');
  if (opts.log) args.push('--log');
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const info = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => { lines.close(); resolve(JSON.parse(line)); });
    child.once('exit', (code) => reject(new Error(`aws-peer exited (${code}) before starting`)));
  });
  child.stdout.resume();
  return new Harness(info, child);
}

class Harness {
  constructor(info, child) {
    Object.assign(this, info);
    this.child = child;
  }

  async controlApi(method, path, body) {
    const r = await fetch(this.control + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await r.json();
    if (!r.ok) throw new Error(`control ${method} ${path}: ${r.status} ${JSON.stringify(json)}`);
    return json;
  }

  counters() { return this.controlApi('GET', '/counters'); }
  resetCounters() { return this.controlApi('POST', '/counters/reset'); }
  /**
   * kind: throttle | 500 | latency | drop-after-apply | reset-before;
   * extra: {count, ms, error, forMs (a storm: every request for forMs ms, count
   * then defaults to unlimited), p (probability per request, default 1)}
   */
  fault(op, kind, extra = {}) { return this.controlApi('POST', '/faults', { op, kind, ...extra }); }
  clearFaults() { return this.controlApi('DELETE', '/faults'); }
  setParameter(name, value, type = 'SecureString') { return this.controlApi('PUT', '/parameters', { name, value, type }); }
  rotateCredentials(source) { return this.controlApi('POST', '/credentials/rotate', source ? { source } : {}); }
  expireCredentials(filter = {}) { return this.controlApi('POST', '/credentials/expire', filter); }
  credentials() { return this.controlApi('GET', '/credentials'); }
  setClockOffset(offsetMs) { return this.controlApi('POST', '/clock', { offsetMs }); }
  createTable(name, key) { return this.controlApi('POST', '/tables', { name, key }); }

  /** Total signature rejections since the last counter reset. */
  async rejections() { return (await this.counters()).rejections; }

  /**
   * Environment for visitsd using one credential source:
   * 'env' (static keys), 'container', 'imds'. 'profile' needs files: use
   * profileFiles() and add AWS_PROFILE / AWS_SHARED_CREDENTIALS_FILE yourself.
   * Every other source is switched off so the chain cannot fall through.
   */
  env(source = 'env') {
    const env = {
      AWS_ENDPOINT_URL: this.endpoint,
      AWS_REGION: this.region,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
      AWS_CONFIG_FILE: '/nonexistent/config',
      VISITSD_STORE: 'dynamodb',
      VISITSD_DYNAMODB_TABLE: this.table,
      VISITSD_API_KEY_PARAMETER: this.parameter,
    };
    if (source === 'env') {
      env.AWS_ACCESS_KEY_ID = this.accessKeyId;
      env.AWS_SECRET_ACCESS_KEY = this.secretAccessKey;
    } else if (source === 'container') {
      env.AWS_CONTAINER_CREDENTIALS_FULL_URI = this.containerFullUri;
      env.AWS_CONTAINER_AUTHORIZATION_TOKEN = this.containerToken;
    } else if (source === 'imds') {
      env.AWS_EC2_METADATA_DISABLED = 'false';
      env.AWS_EC2_METADATA_SERVICE_ENDPOINT = this.imdsEndpoint;
    } else {
      throw new Error(`unknown credential source ${source}`);
    }
    return env;
  }

  /** Contents of a shared credentials file holding the static key as profile `name`. */
  profileFiles(name = 'harness') {
    return {
      credentials: `[${name}]\naws_access_key_id = ${this.accessKeyId}\n` +
        `aws_secret_access_key = ${this.secretAccessKey}\n`,
      config: `[profile ${name}]\nregion = ${this.region}\n`,
    };
  }

  /**
   * Send one AWS JSON request, signed with @smithy/signature-v4.
   * target: 'DynamoDB_20120810.GetItem' or 'AmazonSSM.GetParameter'.
   * opts: credentials {accessKeyId, secretAccessKey, sessionToken} (default: static key),
   *       signingDate, region, service, tamper(request) to alter it after signing.
   * Resolves to { status, headers, body (parsed JSON or text) }.
   */
  async call(target, input, opts = {}) {
    const ssm = target.startsWith('AmazonSSM.');
    const url = new URL(this.httpEndpoint ?? this.endpoint);
    const request = {
      method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/',
      headers: {
        host: url.host,
        'content-type': ssm ? 'application/x-amz-json-1.1' : 'application/x-amz-json-1.0',
        'x-amz-target': target,
      },
      body: JSON.stringify(input),
    };
    const signer = new SignatureV4({
      credentials: opts.credentials ?? { accessKeyId: this.accessKeyId, secretAccessKey: this.secretAccessKey },
      region: opts.region ?? this.region,
      service: opts.service ?? (ssm ? 'ssm' : 'dynamodb'),
      sha256: Sha256,
    });
    const signed = await signer.sign(request, { signingDate: opts.signingDate ?? new Date() });
    if (opts.tamper) opts.tamper(signed);
    const headers = { ...signed.headers };
    delete headers.host;
    const r = await fetch((this.httpEndpoint ?? this.endpoint) + '/', { method: 'POST', headers, body: signed.body });
    const text = await r.text();
    let body = text;
    try { body = JSON.parse(text); } catch { /* not JSON: keep the text */ }
    return { status: r.status, headers: r.headers, body };
  }

  /** Stop the peer and wait for it to exit. */
  stop() {
    if (this.child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGTERM');
    });
  }
}
