// SigV4 verification for the AWS peer: decides whether a received request
// carries a valid AWS Signature Version 4 (Authorization header form), the
// way DynamoDB and SSM do, and if not, which AWS error they would answer.
//
// The signature itself is recomputed by the AWS SDK's own signer
// (@smithy/signature-v4) from the request as received: its method, path,
// query, the headers named in SignedHeaders, its body, its X-Amz-Date and the
// secret the harness issued for the access key id. Nothing here trusts the
// client's arithmetic. The checks run in the order DynamoDB runs them (see the
// notes in dynalite's index.js, recorded from the real service).
//
// Not handled: presigned (query string) requests, a signed `Date` header
// instead of X-Amz-Date, chunked/streaming payload signing. They are refused.

import { createHash, timingSafeEqual } from 'node:crypto';
import { SignatureV4, getCanonicalHeaders } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';

const CORAL = 'com.amazon.coral.service#';
const ALGORITHM = 'AWS4-HMAC-SHA256';

export const MISMATCH_MESSAGE =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

function refuse(reason, type, message) {
  return { ok: false, reason, status: 400, body: { __type: CORAL + type, message } };
}

// 20261125T200800Z <-> Date
export function amzDate(ms) {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}
function parseAmzDate(s) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return null;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  return Number.isNaN(ms) ? null : ms;
}

function parseAuthorization(header) {
  const space = header.indexOf(' ');
  const algorithm = space < 0 ? header : header.slice(0, space);
  const params = {};
  for (const part of (space < 0 ? '' : header.slice(space + 1)).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) params[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return { algorithm, params };
}

function queryObject(rawQuery) {
  const query = {};
  for (const [k, v] of new URLSearchParams(rawQuery)) {
    if (k in query) query[k] = [].concat(query[k], v);
    else query[k] = v;
  }
  return query;
}

function redactToken(text, token) {
  return token ? text.split(token).join('<session-token>') : text;
}

/**
 * Verify one request.
 *   request: { method, path, rawQuery, headers (lower-case name -> string), body (Buffer) }
 *   ctx: { region, service, nowMs, maxSkewMs, lookupKey(accessKeyId) -> {secret, token?, expiresAt?} | undefined }
 * Resolves to { ok: true, accessKeyId, key } or
 *   { ok: false, reason, status, body: {__type, message} }.
 */
export async function verifySigV4(request, ctx) {
  const h = request.headers;
  const auth = h.authorization;
  if (!auth || !auth.trim().startsWith('AWS4-')) {
    return refuse('missing-auth', 'MissingAuthenticationTokenException',
      'Request is missing Authentication Token');
  }

  const { algorithm, params } = parseAuthorization(auth.trim());
  let msg = '';
  for (const p of ['Credential', 'Signature', 'SignedHeaders']) {
    if (!params[p]) msg += `Authorization header requires '${p}' parameter. `;
  }
  if (!h['x-amz-date']) {
    msg += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
  }
  if (msg) return refuse('incomplete', 'IncompleteSignatureException', msg + 'Authorization=' + auth);

  const signedAt = parseAmzDate(h['x-amz-date']);
  if (signedAt === null) {
    return refuse('incomplete', 'IncompleteSignatureException',
      `Date must be in ISO-8601 'basic format'. Got '${h['x-amz-date']}'. See http://en.wikipedia.org/wiki/ISO_8601`);
  }
  const skewMin = Math.round(ctx.maxSkewMs / 60000);
  if (signedAt < ctx.nowMs - ctx.maxSkewMs) {
    return refuse('signature-expired', 'InvalidSignatureException',
      `Signature expired: ${h['x-amz-date']} is now earlier than ${amzDate(ctx.nowMs - ctx.maxSkewMs)} ` +
      `(${amzDate(ctx.nowMs)} - ${skewMin} min.)`);
  }
  if (signedAt > ctx.nowMs + ctx.maxSkewMs) {
    return refuse('signature-expired', 'InvalidSignatureException',
      `Signature not yet current: ${h['x-amz-date']} is still later than ${amzDate(ctx.nowMs + ctx.maxSkewMs)} ` +
      `(${amzDate(ctx.nowMs)} + ${skewMin} min.)`);
  }

  const signedHeaders = params.SignedHeaders.split(';');
  if (!signedHeaders.includes('host')) {
    return refuse('host-unsigned', 'InvalidSignatureException',
      "'Host' must be a 'SignedHeader' in the AWS Authorization.");
  }
  if (algorithm !== ALGORITHM) {
    return refuse('incomplete', 'IncompleteSignatureException',
      `Unsupported AWS 'algorithm': '${algorithm}' (only ${ALGORITHM} for now). `);
  }
  const scope = params.Credential.replace(/\/+$/, '').split('/');
  if (scope.length !== 5) {
    return refuse('incomplete', 'IncompleteSignatureException',
      'Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, ' +
      `got '${params.Credential}'`);
  }
  const [accessKeyId, scopeDate, scopeRegion, scopeService, terminator] = scope;
  msg = '';
  if (scopeRegion !== ctx.region) msg += `Credential should be scoped to a valid region, not '${scopeRegion}'. `;
  if (scopeService !== ctx.service) msg += `Credential should be scoped to correct service: '${ctx.service}'. `;
  if (terminator !== 'aws4_request') {
    msg += `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'. `;
  }
  if (scopeDate !== h['x-amz-date'].slice(0, 8)) {
    msg += 'Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: ' +
      `'${scopeDate}' != '${h['x-amz-date'].slice(0, 8)}', from '${h['x-amz-date']}'.`;
  }
  if (msg) return refuse('scope', 'InvalidSignatureException', msg.trim());

  const key = ctx.lookupKey(accessKeyId);
  if (!key) {
    return refuse('unknown-key', 'UnrecognizedClientException',
      'The security token included in the request is invalid.');
  }
  if (key.expiresAt != null && ctx.nowMs >= key.expiresAt) {
    return refuse('expired-token', 'ExpiredTokenException',
      'The security token included in the request is expired');
  }

  const bodyHash = createHash('sha256').update(request.body).digest('hex');
  const claimedHash = h['x-amz-content-sha256'];
  const token = h['x-amz-security-token'];
  const tokenSigned = signedHeaders.includes('x-amz-security-token');

  // The request as the signer sees it: only the headers the client signed.
  const toSign = {
    method: request.method,
    protocol: 'http:',
    hostname: (h.host || '').replace(/:\d+$/, ''),
    path: request.path,
    query: queryObject(request.rawQuery),
    headers: {},
    body: request.body,
  };
  for (const name of signedHeaders) {
    if (h[name] !== undefined) toSign.headers[name] = h[name];
  }
  const credentials = {
    accessKeyId,
    secretAccessKey: key.secret,
    sessionToken: tokenSigned ? token : undefined,
  };
  const signer = new SignatureV4({
    credentials, region: scopeRegion, service: scopeService, sha256: Sha256, applyChecksum: false,
  });
  const signed = await signer.sign(toSign, {
    signingDate: new Date(signedAt),
    signableHeaders: new Set(signedHeaders),
  });
  const expected = /Signature=([0-9a-f]{64})/.exec(signed.headers.authorization)[1];
  const given = Buffer.from(params.Signature);
  const match = (claimedHash === undefined || claimedHash === bodyHash) &&
    given.length === expected.length && timingSafeEqual(given, Buffer.from(expected));
  if (!match) {
    const explain = await explainMismatch(signer, signed, credentials, scope, h['x-amz-date']);
    return refuse('signature-mismatch', 'InvalidSignatureException',
      redactToken(MISMATCH_MESSAGE + explain, token));
  }

  if ((key.token || '') !== (token || '')) {
    return refuse('invalid-token', 'UnrecognizedClientException',
      'The security token included in the request is invalid');
  }
  return { ok: true, accessKeyId, key };
}

// AWS appends the canonical request and string to sign it expected; so do we,
// rebuilt with the same signer's pieces from the request it just signed.
async function explainMismatch(signer, signed, credentials, scope, longDate) {
  const names = new Set(Object.keys(signed.headers).filter((n) => n !== 'authorization'));
  const canonicalHeaders = getCanonicalHeaders(signed, undefined, names);
  delete canonicalHeaders.authorization;
  const payloadHash = signed.headers['x-amz-content-sha256'] ??
    createHash('sha256').update(signed.body ?? '').digest('hex');
  const canonical = signer.createCanonicalRequest(signed, canonicalHeaders, payloadHash);
  const stringToSign = await signer.createStringToSign(longDate, scope.slice(1).join('/'), canonical, ALGORITHM);
  return `\n\nThe Canonical String for this request should have been\n'${canonical}'\n\n` +
    `The String-to-Sign should have been\n'${stringToSign}'\n`;
}
