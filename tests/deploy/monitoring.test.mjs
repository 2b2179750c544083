// monitoring.test.mjs: deploy/monitoring/ speaks about metrics the daemon
// has.  Every metric name in the PromQL of the alerting rules
// (rules.yml), of the Grafana dashboard's panels and of its template
// variables must be a sample name of a live /metrics page (so a histogram
// is used through its _bucket, _sum and _count series, never by its family
// name), a _bucket series must belong to a histogram family, and every
// label a selector matches on or an aggregation groups by must exist on
// the metrics it names.  The pages come from the real daemon on SQLite and
// on DynamoDB (the AWS test peer), whose visitsd_aws_* and
// visitsd_dynamodb_* families exist only there.  Also: every alert has a
// unit test in rules.test.yml.  VISITSD_BIN names the daemon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import YAML from 'yaml';
import { startHarness } from '../harness/client.mjs';
import { startDaemon } from '../integration/lib/daemon.mjs';

const top = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (f) => readFileSync(path.join(top, f), 'utf8');
const rules = YAML.parse(read('deploy/monitoring/rules.yml'));
const ruleTests = YAML.parse(read('deploy/monitoring/rules.test.yml'));
const dashboard = JSON.parse(read('deploy/monitoring/grafana-dashboard.json'));

// Series Prometheus makes itself, and labels it adds to every series.
const PROMETHEUS_NAMES = new Set(['up']);
const TARGET_LABELS = new Set(['job', 'instance']);
// Label values that depend on the traffic (status codes) or are the
// scrape's own: not required to appear on the test pages.
const OPEN_VALUES = new Set(['code', 'job', 'instance']);
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on',
  'ignoring', 'group_left', 'group_right', 'inf', 'nan', 'Inf', 'NaN']);

/** The metric names an expression selects (not functions, labels, keywords). */
export function metricNames(expr) {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set();
  for (const m of s.matchAll(/(?<![\w$:.])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()/g)) {
    if (!KEYWORDS.has(m[1])) names.add(m[1]);
  }
  return names;
}

/** [{ name, matchers: [{ label, op, value }] }] for each NAME{...} selector. */
function selectors(expr) {
  const out = [];
  for (const m of expr.matchAll(/([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}/g)) {
    const matchers = [...m[2].matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)]
      .map(([, label, op, value]) => ({ label, op, value }));
    out.push({ name: m[1], matchers });
  }
  return out;
}

/** The labels of every by (...) / without (...) clause. */
function groupingLabels(expr) {
  const labels = new Set();
  for (const m of expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) {
    for (const l of m[1].split(',').map((x) => x.trim()).filter(Boolean)) labels.add(l);
  }
  return labels;
}

/** { samples: Map name -> [labels], types: Map family -> type } of a page. */
export function parseExposition(text) {
  const samples = new Map();
  const types = new Map();
  for (const line of text.split('\n')) {
    const t = line.match(/^# TYPE (\S+) (\S+)/);
    if (t) { types.set(t[1], t[2]); continue; }
    const m = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+\S+/);
    if (!m) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)]
      .map(([, k, v]) => [k, v]));
    if (!samples.has(m[1])) samples.set(m[1], []);
    samples.get(m[1]).push(labels);
  }
  return { samples, types };
}

/** Every PromQL expression of the rules and the dashboard, with a where. */
function expressions() {
  const out = [];
  for (const g of rules.groups) {
    for (const r of g.rules) out.push({ where: `rules.yml ${r.alert ?? r.record}`, expr: r.expr });
  }
  const walk = (panels) => {
    for (const p of panels ?? []) {
      for (const t of p.targets ?? []) out.push({ where: `dashboard "${p.title}"`, expr: t.expr });
      walk(p.panels);
    }
  };
  walk(dashboard.panels);
  for (const v of dashboard.templating.list) {
    const q = typeof v.query === 'object' ? v.query.query : v.query;
    const m = /^label_values\((.*),\s*(\w+)\)$/.exec(q ?? '');
    if (m) out.push({ where: `dashboard variable ${v.name}`, expr: m[1], label: m[2] });
  }
  return out;
}

/** The problems of the expressions against one merged page; [] if none. */
export function problems(exprs, page) {
  const found = [];
  for (const { where, expr, label } of exprs) {
    const names = metricNames(expr);
    const known = [...names].filter((n) => page.samples.has(n));
    const labelsOf = new Set(TARGET_LABELS);
    for (const n of known) for (const s of page.samples.get(n)) for (const l of Object.keys(s)) labelsOf.add(l);
    for (const n of names) {
      if (PROMETHEUS_NAMES.has(n)) continue;
      if (!page.samples.has(n)) { found.push(`${where}: ${n} is not on /metrics`); continue; }
      if (n.endsWith('_bucket') && page.types.get(n.slice(0, -'_bucket'.length)) !== 'histogram') {
        found.push(`${where}: ${n} is not the bucket series of a histogram`);
      }
    }
    for (const sel of selectors(expr)) {
      if (PROMETHEUS_NAMES.has(sel.name) || !page.samples.has(sel.name)) continue;
      const series = page.samples.get(sel.name);
      for (const { label: l, op, value } of sel.matchers) {
        if (TARGET_LABELS.has(l)) continue;
        if (!series.some((s) => l in s)) found.push(`${where}: ${sel.name} has no label ${l}`);
        else if (op === '=' && !OPEN_VALUES.has(l) && !series.some((s) => s[l] === value)) {
          found.push(`${where}: no ${sel.name}{${l}="${value}"} on /metrics`);
        }
      }
    }
    for (const l of [...groupingLabels(expr), ...(label ? [label] : [])]) {
      if (!labelsOf.has(l)) found.push(`${where}: groups by ${l}, which ${[...names].join(', ')} lack`);
    }
  }
  return found;
}

function merge(pages) {
  const samples = new Map();
  const types = new Map();
  for (const p of pages) {
    for (const [k, v] of p.samples) samples.set(k, [...(samples.get(k) ?? []), ...v]);
    for (const [k, v] of p.types) types.set(k, v);
  }
  return { samples, types };
}

/** Some traffic of every kind the rules look at, then the /metrics page. */
async function scrape(d, key) {
  const visit = `${d.url}/api/visits/monitoring`;
  assert.equal((await fetch(visit, { method: 'POST', headers: { 'x-api-key': key } })).status, 200);
  assert.equal((await fetch(visit, { headers: { 'x-api-key': key } })).status, 200);
  assert.equal((await fetch(visit, { method: 'POST' })).status, 403);
  assert.equal((await fetch(`${d.url}/readyz`)).status, 200);
  const r = await fetch(`${d.url}/metrics`);
  assert.equal(r.status, 200);
  return parseExposition(await r.text());
}

test('the name extraction finds metrics, not functions, labels, keywords or variables', () => {
  const e = 'histogram_quantile(0.99, sum by (job, le) (rate(a_bucket{route="x",instance=~"$i"}[5m])))' +
    ' / on (job) group_left () b_total offset 5m > 1e3 unless up{job="v"} and sum(rate(c[$__rate_interval]))';
  assert.deepEqual([...metricNames(e)].sort(), ['a_bucket', 'b_total', 'c', 'up']);
});

test('the check reports a name, a label and a grouping that the page lacks', () => {
  const page = parseExposition('# TYPE h histogram\nh_bucket{route="visits",le="1"} 0\n' +
    '# TYPE c counter\nc{op="get"} 1\n');
  assert.deepEqual(problems([{ where: 'w', expr: 'rate(h_bucket{route="visits"}[1m]) + rate(c[1m])' }], page), []);
  assert.deepEqual(problems([
    { where: 'w', expr: 'rate(h{route="visits"}[1m])' },
    { where: 'w', expr: 'rate(c{result="ok"}[1m])' },
    { where: 'w', expr: 'rate(c{op="put"}[1m])' },
    { where: 'w', expr: 'sum by (result) (rate(c[1m]))' },
    { where: 'w', expr: 'c_bucket' },
  ], page), [
    'w: h is not on /metrics',
    'w: c has no label result',
    'w: no c{op="put"} on /metrics',
    'w: groups by result, which c lack',
    'w: c_bucket is not on /metrics',
  ]);
});

test('every metric and label the rules and the dashboard use is on the daemon\'s /metrics, ' +
  'on SQLite and on DynamoDB', async (t) => {
  // /metrics is scraped on the main listener here: opt in.
  const sqlite = await startDaemon({ env: { VISITSD_METRICS_PUBLIC: 'true' } });
  t.after(() => sqlite.stop());
  const onSqlite = await scrape(sqlite, sqlite.key);

  const h = await startHarness();
  t.after(() => h.stop());
  const env = { ...h.env('env'), VISITSD_API_KEY: undefined, VISITSD_METRICS_PUBLIC: 'true' };
  // The test runner's own AWS variables must not leak into the daemon.
  for (const k of ['AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI',
    'AWS_CONTAINER_AUTHORIZATION_TOKEN', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
    'AWS_EC2_METADATA_SERVICE_ENDPOINT']) {
    if (!(k in env)) env[k] = undefined;
  }
  const dynamo = await startDaemon({ env });
  t.after(() => dynamo.stop());
  const onDynamo = await scrape(dynamo, h.apiKey);
  assert.ok(onDynamo.samples.has('visitsd_aws_requests_total'), 'the DynamoDB run has the AWS families');

  const exprs = expressions();
  assert.ok(exprs.length >= 25, `only ${exprs.length} expressions found`);
  assert.deepEqual(problems(exprs, merge([onSqlite, onDynamo])), []);
});

test('every alert has a unit test in rules.test.yml', () => {
  const alerts = rules.groups.flatMap((g) => g.rules).map((r) => r.alert).filter(Boolean);
  const tested = new Set(ruleTests.tests.flatMap((tc) => tc.alert_rule_test ?? [])
    .filter((a) => (a.exp_alerts ?? []).length > 0).map((a) => a.alertname));
  assert.ok(alerts.length >= 5);
  assert.deepEqual(alerts.filter((a) => !tested.has(a)), []);
});
