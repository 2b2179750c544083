#!/usr/bin/env node
// gen-bots.mjs: src/bot_table.c from the crawler-user-agents list (npm,
// MIT, pinned in scripts/bots/package.json).  Run by hand when the list
// is bumped, not on every build:
//
//   make bot-table        (npm ci in scripts/bots, then this script)
//
// The list is some 1,500 JavaScript regular expressions, matched case
// sensitively.  Nearly all are literals with escapes ("Googlebot\/"); the
// rest use a few shapes that this script reduces to literal substrings,
// so that src/bot.c can match them all in one pass (a bitmap of their
// first bytes, then the few candidates) at a nanosecond or two per byte
// instead of running 1,500 regexes:
//
//   - an escaped character is itself; "^" at the start and "$" at the end
//     become anchors of the literal;
//   - a class of at most four characters ("[wW]get") and an alternation
//     ("(Bot|SiteAudit)", "a|b") expand into one literal per choice;
//   - anything else (\d, [^-], [\s\S]*, a quantifier) is a gap: the
//     pattern is BROADENED to its longest literal run (at least 4 bytes),
//     which matches everything the regex matches and possibly more.  The
//     broadened patterns are printed; one whose every run is shorter, or
//     a literal pattern under 3 bytes (src/bot.c indexes literals by
//     their first 3 or 4), is DROPPED, and printed too (none is, with
//     1.60.0).
//
// To the list it adds a few generic tokens (GENERIC below), matched
// without regard to case, as other bot detectors do: "bot", "crawler",
// "spider"...  Then it checks the reduction: every example user agent the
// list gives for a pattern ("instances") must match, and none of the
// browser user agents in tests/data/bots/browsers.txt may.  It exits 1 if
// either fails, and writes nothing.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const LIST = `${ROOT}scripts/bots/node_modules/crawler-user-agents/`;
const OUT = `${ROOT}src/bot_table.c`;
const BROWSERS = `${ROOT}tests/data/bots/browsers.txt`;
const pkg = JSON.parse(readFileSync(`${LIST}package.json`, 'utf8'));
const list = JSON.parse(readFileSync(`${LIST}crawler-user-agents.json`, 'utf8'));
const license = readFileSync(`${LIST}LICENSE`, 'utf8').trim().split('\n')
  .map((l) => (l ? ` * ${l}` : ' *')).join('\n');

const MIN_RUN = 4;	// shortest literal a broadened pattern may keep
const MIN_LIT = 3;	// shortest literal src/bot.c indexes (by 3 or 4 bytes)
const MAX_EXPAND = 16;	// most literals one pattern may expand into

// Generic tokens, case-insensitive.  notAfter: not when these bytes come
// just before (the Cubot phones: "CUBOT X30" is a browser, not a bot).
const GENERIC = [
  { lit: 'bot', notAfter: 'cu' },
  { lit: 'crawler' },
  { lit: 'spider' },
  { lit: 'scraper' },
  { lit: 'headless' },
];

// --- a small regex parser: enough of the syntax the list uses ----------
// A node is { t: 'lit', s } | { t: 'class', chars } | { t: 'gap' } |
// { t: 'start' } | { t: 'end' } | { t: 'alt', alts: [seq...] }; a seq is
// an array of nodes.
function parse(src) {
  let i = 0;
  function seq() {
    const alts = [[]];
    while (i < src.length && src[i] !== ')') {
      const c = src[i];
      if (c === '|') { i++; alts.push([]); continue; }
      const cur = alts[alts.length - 1];
      let node;
      if (c === '\\') {
        const e = src[i + 1];
        i += 2;
        node = /[dDsSwWbB]/.test(e) ? { t: 'gap' } : { t: 'lit', s: e };
      } else if (c === '[') {
        const close = src.indexOf(']', i + 2);
        const body = src.slice(i + 1, close);
        i = close + 1;
        node = body.startsWith('^') || body.includes('\\') || body.includes('-')
          ? { t: 'gap' } : { t: 'class', chars: [...body] };
      } else if (c === '(') {
        i++;
        if (src.startsWith('?:', i)) i += 2;
        const inner = seq();
        if (src[i] !== ')') throw new Error(`unclosed group in ${src}`);
        i++;
        node = { t: 'alt', alts: inner };
      } else if (c === '^') { i++; node = { t: 'start' }; }
      else if (c === '$') { i++; node = { t: 'end' }; }
      else if (c === '.') { i++; node = { t: 'gap' }; }
      else if ('*+?{'.includes(c)) {
        // A quantifier turns what it applies to into a gap.
        if (c === '{') i = src.indexOf('}', i) + 1; else i++;
        cur[cur.length - 1] = { t: 'gap' };
        continue;
      } else { i++; node = { t: 'lit', s: c }; }
      cur.push(node);
    }
    return alts;
  }
  const alts = seq();
  if (i !== src.length) throw new Error(`unbalanced ")" in ${src}`);
  return alts;
}

// Expand a seq into flat alternatives: arrays of 'start' | 'end' | 'gap' |
// { s } (adjacent literal characters joined).
function expand(seqs) {
  return expandRaw(seqs).map(join);
}
function expandRaw(seqs) {
  const out = [];
  for (const s of seqs) out.push(...expandSeq(s));
  return out;
}
function expandSeq(s) {
  let acc = [[]];
  for (const n of s) {
    let choices;
    if (n.t === 'lit') choices = [[{ c: n.s }]];
    else if (n.t === 'class') choices = n.chars.length <= 4 ? n.chars.map((c) => [{ c }]) : [['gap']];
    else if (n.t === 'alt') choices = expandRaw(n.alts);
    else choices = [[n.t]];
    const next = [];
    for (const a of acc) for (const c of choices) next.push([...a, ...c]);
    if (next.length > MAX_EXPAND) return [['gap']];
    acc = next;
  }
  return acc;
}
function join(parts) {
  const out = [];
  for (const p of parts) {
    const last = out.length - 1;
    if (typeof p === 'object') {
      if (last >= 0 && typeof out[last] === 'object') out[last].s += p.c;
      else out.push({ s: p.c });
    } else out.push(p);
  }
  return out;
}

// One alternative to a literal: { lit, start, end, broadened } or null.
function reduce(alt) {
  const runs = [];
  alt.forEach((p, k) => { if (typeof p === 'object') runs.push(k); });
  if (runs.length === 0) return null;
  const exact = alt.every((p, k) => typeof p === 'object' ||
    (p === 'start' && k === 0) || (p === 'end' && k === alt.length - 1));
  let k = runs[0];
  if (exact && alt[k].s.length < MIN_LIT) return null;
  if (!exact) {
    for (const r of runs) if (alt[r].s.length > alt[k].s.length) k = r;
    if (alt[k].s.length < MIN_RUN) return null;
  }
  return {
    lit: alt[k].s,
    start: alt[k - 1] === 'start',
    end: alt[k + 1] === 'end',
    broadened: !exact,
  };
}

// --- the reduction, and its checks --------------------------------------
const entries = [];	// { lit, ci, start, end, notAfter, from }
const broadened = [];
const dropped = [];
for (const e of list) {
  const alts = expand(parse(e.pattern));
  const lits = alts.map(reduce);
  if (lits.some((l) => l === null)) { dropped.push(e.pattern); continue; }
  if (lits.some((l) => l.broadened)) broadened.push(e.pattern);
  const seen = new Set();
  for (const l of lits) {
    const k = `${l.lit}\0${l.start}\0${l.end}`;
    if (seen.has(k)) continue;
    seen.add(k);
    entries.push({ ...l, ci: false, notAfter: '', from: e.pattern });
  }
}
for (const g of GENERIC)
  entries.push({ lit: g.lit, ci: true, start: false, end: false, notAfter: g.notAfter ?? '', from: '(generic)' });

// The matcher's semantics, as src/bot.c implements them.
function matches(ua) {
  const low = ua.toLowerCase();
  for (const e of entries) {
    const hay = e.ci ? low : ua;
    const needle = e.ci ? e.lit.toLowerCase() : e.lit;
    for (let at = hay.indexOf(needle); at !== -1; at = hay.indexOf(needle, at + 1)) {
      if (e.start && at !== 0) continue;
      if (e.end && at + needle.length !== hay.length) continue;
      if (e.notAfter && low.slice(0, at).endsWith(e.notAfter)) continue;
      return e;
    }
  }
  return null;
}

let failed = false;
let instances = 0;
for (const e of list) {
  for (const ua of e.instances ?? []) {
    instances++;
    if (!new RegExp(e.pattern).test(ua)) continue;	// the list's own slip
    if (!matches(ua)) { console.error(`gen-bots: instance not matched: ${e.pattern}: ${ua}`); failed = true; }
  }
}
const browsers = readFileSync(BROWSERS, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
for (const ua of browsers) {
  const m = matches(ua);
  if (m) { console.error(`gen-bots: browser matched by ${JSON.stringify(m.from)}: ${ua}`); failed = true; }
}
for (const e of entries)
  if (/[^\x20-\x7e]/.test(e.lit)) { console.error(`gen-bots: non-ASCII literal ${JSON.stringify(e.lit)}`); failed = true; }
if (failed) process.exit(1);

// --- the C table --------------------------------------------------------
const cstr = (s) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\?\?/g, '?\\?')}"`;
const comment = (s) => s.replace(/\*\//g, '*\\/');
const flags = (e) => [e.ci ? 'BOT_ANYCASE' : null, e.start ? 'BOT_START' : null, e.end ? 'BOT_END' : null]
  .filter(Boolean).join(' | ') || '0';
const rows = entries.map((e) => `\t{ ${cstr(e.lit)}, ${e.notAfter ? cstr(e.notAfter) : 'NULL'}, ${flags(e)} },` +
  (e.from !== e.lit ? `\t/* ${comment(e.from)} */` : ''));
const text = `/*
 * bot_table: the crawler list, as literal substrings for src/bot.c.
 *
 * GENERATED by scripts/gen-bots.mjs (make bot-table): do not edit.
 *
 * Source: crawler-user-agents ${pkg.version} (npm), ${pkg.homepage.replace(/#readme$/, '')}
 * License: the list's LICENSE (also in debian/copyright), which follows.
 * ${list.length} patterns -> ${entries.length - GENERIC.length} literals; ${broadened.length} broadened to their longest
 * literal run, ${dropped.length} dropped; ${GENERIC.length} generic tokens added (case-insensitive).
 * Checked by the generator: all ${instances} example user agents of the list
 * match, none of the ${browsers.length} in tests/data/bots/browsers.txt does.
 *
${license}
 */
#include <stddef.h>

#include "bot.h"

const char bot_table_source[] = "crawler-user-agents ${pkg.version} (MIT)";

const struct bot_pattern bot_table[] = {
${rows.join('\n')}
};

const size_t bot_table_len = sizeof(bot_table) / sizeof(bot_table[0]);
`;
writeFileSync(OUT, text);
console.log(`gen-bots: crawler-user-agents ${pkg.version}: ${list.length} patterns, ${entries.length} literals ` +
  `(${GENERIC.length} generic), ${broadened.length} broadened, ${dropped.length} dropped; ` +
  `${instances} instances and ${browsers.length} browsers checked -> ${OUT.slice(ROOT.length)}`);
for (const p of broadened) console.log(`gen-bots: broadened: ${p}`);
for (const p of dropped) console.log(`gen-bots: dropped: ${p}`);
