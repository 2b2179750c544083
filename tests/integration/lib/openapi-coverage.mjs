// openapi-coverage.mjs: which documented answers the integration tests saw.
//
//   node tests/integration/lib/openapi-coverage.mjs build/openapi-seen.ndjson
//
// Reads the {"route","status"} lines conformance.mjs appends (one per
// conforming answer kind per test process, VISITSD_OPENAPI_SEEN) and prints
// how many of the document's operation/status pairs were exercised and
// which were not.  A report, not a test: it always exits 0.
import { existsSync, readFileSync } from 'node:fs';

import { loadSpec } from './openapi.mjs';

const file = process.argv[2];
const seen = new Set();
if (file && existsSync(file)) {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      const { route, status } = JSON.parse(line);
      seen.add(`${route} ${status}`);
    } catch { /* a torn line from a killed process */ }
  }
}
const { doc } = loadSpec();
const documented = [];
for (const [path, item] of Object.entries(doc.paths)) {
  for (const [method, op] of Object.entries(item)) {
    if (method === 'parameters' || method.startsWith('x-')) continue;
    for (const status of Object.keys(op.responses ?? {})) documented.push(`${method.toUpperCase()} ${path} ${status}`);
  }
}
const missing = documented.filter((d) => !seen.has(d));
const rules = [...seen].filter((s) => s.includes('(unlisted'));
process.stdout.write(`openapi: ${documented.length - missing.length} of ${documented.length} documented answers `
  + `seen in the integration tests (plus ${rules.length} of the unlisted-method/path rules)\n`);
if (missing.length > 0 && process.env.VISITSD_OPENAPI_COVERAGE === 'verbose') {
  process.stdout.write(`openapi: not seen:\n${missing.map((m) => `  ${m}`).join('\n')}\n`);
}
