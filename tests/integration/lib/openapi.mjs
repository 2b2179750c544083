// openapi.mjs: one answer of visitsd checked against docs/openapi.yaml.
//
//   const spec = loadSpec();
//   const { route, errors } = spec.check({ method: 'GET', url: '/api/visits/a',
//     status: 200, headers: res.headers, body: text });
//   // errors: [] when the answer conforms, else one sentence per fault
//
// The checker is strict where OpenAPI is: a status the operation does not
// list, a content type its answer does not list, a body its schema refuses
// (JSON Schema 2020-12, ajv in strict mode), a required header missing or a
// header value its schema refuses are all faults.  It is tolerant only
// where the document says so: headers it does not list are allowed (HTTP
// adds its own), `default` and `4XX` ranges would match if the document
// used them (it does not).  Where OpenAPI has no words the document's
// extensions are the rules:
//   x-visitsd-unlisted-method   the answers for a method a path lacks (on
//                               the path item, else the document's)
//   x-visitsd-unlisted-path     the answers for a path no entry matches
//   x-visitsd-line-schema       (media type) each NDJSON line's schema
//   x-visitsd-event-schema      (media type) each SSE data event's schema
// A HEAD answer and one whose body did not arrive whole (body undefined)
// are checked on status, content type and headers only; of an event
// stream cut short the complete events are checked.
//
// Not here: watching a test process's requests (conformance.mjs).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

export const SPEC_PATH = fileURLToPath(new URL('../../../docs/openapi.yaml', import.meta.url));

const SCHEMAS_ID = 'urn:visitsd:openapi:schemas';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** JSON pointer lookup in doc ("#/a/b~1c"); undefined when absent. */
function pointer(doc, ref) {
  if (!ref.startsWith('#/')) throw new Error(`openapi: only local $refs are supported: ${ref}`);
  let node = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(key in node)) return undefined;
    node = node[key];
  }
  return node;
}

/** A copy of a Schema Object whose component $refs point at the ajv schema. */
function rewriteRefs(node) {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string') {
      if (!v.startsWith('#/components/schemas/')) {
        throw new Error(`openapi: a schema may only $ref #/components/schemas/: ${v}`);
      }
      out[k] = `${SCHEMAS_ID}#/$defs/${v.slice('#/components/schemas/'.length)}`;
    } else {
      out[k] = rewriteRefs(v);
    }
  }
  return out;
}

/** A header value as one string (repeated fields joined as HTTP says). */
function headerValue(headers, name) {
  const v = headers[name.toLowerCase()];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(', ') : String(v);
}

function describe(errors) {
  return errors.map((e) => {
    const where = e.instancePath || '(root)';
    const extra = e.params?.additionalProperty !== undefined ? ` (${JSON.stringify(e.params.additionalProperty)})`
      : e.params?.allowedValue !== undefined ? ` (${JSON.stringify(e.params.allowedValue)})` : '';
    return `${where} ${e.message}${extra}`;
  }).join('; ');
}

/** The complete events of an SSE body: [{ data, line }] and the bad lines. */
function sseEvents(text) {
  const events = [];
  const bad = [];
  const lines = text.split(/\r\n|\r|\n/);
  lines.pop();  // the part after the last line end is not complete
  let data = null;
  for (const line of lines) {
    if (line === '') {
      if (data !== null) events.push(data.join('\n'));
      data = null;
    } else if (line.startsWith(':')) {
      // a comment (the keep-alive)
    } else {
      const m = line.match(/^(data|event|id|retry)(?:: ?(.*))?$/);
      if (!m) bad.push(line);
      else if (m[1] === 'data') (data ??= []).push(m[2] ?? '');
      else if (m[1] === 'retry' && !/^[0-9]+$/.test(m[2] ?? '')) bad.push(line);
    }
  }
  return { events, bad };
}

class Spec {
  constructor(doc) {
    if (typeof doc.openapi !== 'string' || !doc.openapi.startsWith('3.1')) {
      throw new Error(`openapi: not an OpenAPI 3.1 document (openapi: ${doc.openapi})`);
    }
    this.doc = doc;
    this.ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: SCHEMAS_ID, $defs: rewriteRefs(doc.components?.schemas ?? {}) });
    this.validators = new Map();
    this.refs = new Map();
    this.templates = Object.keys(doc.paths ?? {}).map((template) => {
      const segs = template.split('/');
      const re = new RegExp(`^${segs.map((s) => (/^\{[^}]+\}$/.test(s) ? '([^/]+)'
        : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}$`);
      return { template, re, literal: segs.filter((s) => !s.startsWith('{')).length };
    });
  }

  /** Follow $refs until an object that is not one. */
  deref(node) {
    for (let i = 0; node && typeof node.$ref === 'string'; i++) {
      if (i > 16) throw new Error(`openapi: $ref loop at ${node.$ref}`);
      let next = this.refs.get(node.$ref);
      if (next === undefined) {
        next = pointer(this.doc, node.$ref);
        if (next === undefined) throw new Error(`openapi: cannot resolve ${node.$ref}`);
        this.refs.set(node.$ref, next);
      }
      node = next;
    }
    return node;
  }

  /** A compiled validator for schema (cached by identity). */
  validator(schema) {
    let v = this.validators.get(schema);
    if (!v) {
      v = this.ajv.compile(rewriteRefs(schema));
      this.validators.set(schema, v);
    }
    return v;
  }

  /**
   * Compile every schema the document holds (throws on the first bad one);
   * returns how many distinct schemas there are.
   */
  compileAll() {
    const visitMedia = (media) => {
      for (const key of ['schema', 'x-visitsd-line-schema', 'x-visitsd-event-schema']) {
        if (media[key]) this.validator(media[key]);
      }
    };
    const visitResponses = (responses) => {
      for (const r of Object.values(responses ?? {})) {
        const resp = this.deref(r);
        for (const h of Object.values(resp.headers ?? {})) {
          const header = this.deref(h);
          if (header.schema) this.validator(header.schema);
        }
        for (const media of Object.values(resp.content ?? {})) visitMedia(media);
      }
    };
    for (const item of Object.values(this.doc.paths ?? {})) {
      for (const m of METHODS) {
        if (!item[m]) continue;
        visitResponses(item[m].responses);
        for (const media of Object.values(this.deref(item[m].requestBody ?? {}).content ?? {})) visitMedia(media);
      }
    }
    visitResponses(this.doc['x-visitsd-unlisted-method']?.responses);
    for (const item of Object.values(this.doc.paths ?? {})) visitResponses(item['x-visitsd-unlisted-method']?.responses);
    visitResponses(this.doc['x-visitsd-unlisted-path']?.responses);
    return this.validators.size;
  }

  /**
   * The document's entry for method and a raw path (percent-encoded, no
   * query): { route, responses } where route names it for messages
   * ("GET /api/visits/{id}", "PUT /api/visits/{id} (unlisted method)").
   */
  route(method, path) {
    let best = null;
    for (const t of this.templates) {
      if (t.re.test(path) && (!best || t.literal > best.literal)) best = t;
    }
    const m = method.toUpperCase();
    if (!best) {
      return { route: `${m} * (unlisted path)`, responses: this.doc['x-visitsd-unlisted-path']?.responses ?? {} };
    }
    const item = this.doc.paths[best.template];
    const op = item[m.toLowerCase()];
    if (!op) {
      const rule = item['x-visitsd-unlisted-method'] ?? this.doc['x-visitsd-unlisted-method'];
      return { route: `${m} ${best.template} (unlisted method)`, responses: rule?.responses ?? {} };
    }
    return { route: `${m} ${best.template}`, responses: op.responses ?? {} };
  }

  /**
   * Check one answer.  url: the request target (path and query, or a whole
   * URL); headers: lower-case names as node:http gives them; body: the
   * text, or undefined when it did not arrive whole.  Returns
   * { route, errors } (errors empty when the answer conforms).
   */
  check({ method, url, status, headers = {}, body }) {
    const { route, responses } = this.route(method, rawPath(url));
    const errors = [];
    const entry = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
    if (!entry) {
      errors.push(`status ${status} is not documented (documented: ${Object.keys(responses).join(', ') || 'none'})`);
      return { route, errors };
    }
    const resp = this.deref(entry);

    for (const [name, h] of Object.entries(resp.headers ?? {})) {
      if (name.toLowerCase() === 'content-type') continue;
      const header = this.deref(h);
      const value = headerValue(headers, name);
      if (value === undefined) {
        if (header.required) errors.push(`required header ${name} is missing`);
        continue;
      }
      if (header.schema) {
        const v = this.validator(header.schema);
        if (!v(value)) errors.push(`header ${name}: ${JSON.stringify(value)}: ${describe(v.errors)}`);
      }
    }

    const content = resp.content;
    const ctype = headerValue(headers, 'content-type');
    const isHead = method.toUpperCase() === 'HEAD';
    if (!content || Object.keys(content).length === 0) {
      if (!isHead && body !== undefined && body.length > 0) {
        errors.push(`${status} has no body in the document, got ${body.length} bytes`);
      }
      return { route, errors };
    }
    if (ctype === undefined) {
      errors.push(`no Content-Type (documented: ${Object.keys(content).join(', ')})`);
      return { route, errors };
    }
    const norm = ctype.toLowerCase().replace(/\s*;\s*/g, '; ').trim();
    const bare = norm.split(';')[0];
    const key = Object.keys(content).find((k) => k.toLowerCase() === norm)
      ?? Object.keys(content).find((k) => k.toLowerCase() === bare);
    if (key === undefined) {
      errors.push(`Content-Type ${ctype} is not documented (documented: ${Object.keys(content).join(', ')})`);
      return { route, errors };
    }
    if (isHead || body === undefined) return { route, errors };
    errors.push(...this.checkBody(content[key], bare, body));
    return { route, errors };
  }

  /** The faults of body (text) against a Media Type Object. */
  checkBody(media, bare, body) {
    const errors = [];
    if (media['x-visitsd-event-schema']) {
      const v = this.validator(media['x-visitsd-event-schema']);
      const { events, bad } = sseEvents(body);
      for (const line of bad) errors.push(`event stream: not a field line: ${JSON.stringify(line)}`);
      events.forEach((data, i) => {
        let value;
        try { value = JSON.parse(data); } catch {
          errors.push(`event ${i + 1}: data is not JSON: ${JSON.stringify(data)}`);
          return;
        }
        if (!v(value)) errors.push(`event ${i + 1}: ${data}: ${describe(v.errors)}`);
      });
      return errors;
    }
    if (media['x-visitsd-line-schema']) {
      const v = this.validator(media['x-visitsd-line-schema']);
      if (body.length > 0 && !body.endsWith('\n')) errors.push('the last line has no newline');
      const lines = body.split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      lines.forEach((line, i) => {
        let value;
        try { value = JSON.parse(line); } catch {
          errors.push(`line ${i + 1} is not JSON: ${JSON.stringify(line.slice(0, 200))}`);
          return;
        }
        if (!v(value)) errors.push(`line ${i + 1}: ${line.slice(0, 200)}: ${describe(v.errors)}`);
      });
      return errors;
    }
    if (!media.schema) return errors;
    const v = this.validator(media.schema);
    let value = body;
    if (bare === 'application/json' || bare.endsWith('+json')) {
      try { value = JSON.parse(body); } catch {
        errors.push(`body is not JSON: ${JSON.stringify(body.slice(0, 200))}`);
        return errors;
      }
    }
    if (!v(value)) errors.push(`body ${JSON.stringify(body.slice(0, 300))}: ${describe(v.errors)}`);
    return errors;
  }
}

/** The raw (still percent-encoded) path of a request target or URL. */
function rawPath(url) {
  let rest = url;
  const scheme = rest.match(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i);
  if (scheme) rest = rest.slice(scheme[0].length);
  rest = rest.split('#')[0].split('?')[0];
  return rest === '' ? '/' : rest;
}

/** The document at path (default docs/openapi.yaml), ready to check answers. */
export function loadSpec(path = SPEC_PATH) {
  return new Spec(parse(readFileSync(path, 'utf8')));
}

/** A Spec from a document already parsed (tests of the checker). */
export function specFrom(doc) {
  return new Spec(doc);
}
