// web-size.test.mjs: the browser client stays small enough to inline.
//
// docs/frontend.md states the size of web/visits.global.js (the whole
// client; web/visits.js only re-exports it) minified by terser and gzipped
// at level 9.  This test measures the same thing, reports the figures and
// fails if the client outgrows the budget of 2 KiB gzipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { minify } from 'terser';

const BUDGET_GZIP = 2048;

test('the client minifies and gzips to under 2 KiB', async (t) => {
  const source = await readFile(new URL('../../web/visits.global.js', import.meta.url), 'utf8');
  // A classic script (not a module) so that it also runs from a plain <script> tag.
  const { code } = await minify(source, { compress: true, mangle: true, module: false });
  const gzipped = gzipSync(code, { level: 9 }).length;
  t.diagnostic(`visits.global.js: ${source.length} B source, ${code.length} B minified, ${gzipped} B gzipped`);
  assert.ok(gzipped < BUDGET_GZIP, `${gzipped} B gzipped is over the ${BUDGET_GZIP} B budget`);
});
