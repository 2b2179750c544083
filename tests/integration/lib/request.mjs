// request.mjs: one HTTP request to a test daemon, for the integration
// tests that need the answer's status, headers and parsed JSON body.
// An answer from a test daemon that does not conform to docs/openapi.yaml
// rejects, so the test that made the request fails (conformance.mjs).
import http from 'node:http';

import { verdict } from './conformance.mjs';

/**
 * One request on its own connection (or the given agent); resolves
 * { status, headers, body, ms }, body parsed as JSON where it is JSON.
 * Rejects when a test daemon's answer does not conform to the OpenAPI
 * document.
 */
export function request(url, { method = 'GET', key, agent = false, timeoutMs = 10000 } = {}) {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: key ? { 'x-api-key': key } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        const faults = verdict(res);
        if (faults?.length) {
          reject(new Error(`${method} ${url} answered ${res.statusCode}, not as docs/openapi.yaml says: ${faults.join('; ')}`));
          return;
        }
        let body = text;
        try { body = JSON.parse(text); } catch { /* keep the text */ }
        resolve({ status: res.statusCode, headers: res.headers, body, ms: performance.now() - t0 });
      });
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
