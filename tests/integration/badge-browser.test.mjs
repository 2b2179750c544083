// badge-browser.test.mjs: the SVG badge as a browser shows it.  Debian's
// headless Chromium (playwright-core, as browser.test.mjs) loads a page
// with the badge in an <img>, as a README on GitHub shows it through Camo:
// the image decodes at the SVG's size and ?count=1 counts once per load,
// with a label full of markup.  Opened as a document, each text measures
// (without its textLength, so the font's own advances) no wider than the
// box the daemon computed, give or take font substitution: Chromium here
// has DejaVu Sans instead of Verdana (1.019 of the box at worst when
// measured), so the check allows 10 %.
// Screenshots go to build/screenshots/badge.png and badge-doc.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startDaemon, tempDir } from './lib/daemon.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = join(ROOT, 'build', 'screenshots');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage',
];

let daemon;
let browser;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/deps.sh check`);
  daemon = await startDaemon({ env: { VISITSD_PUBLIC_IDS: 'readme', VISITSD_RATE_LIMIT: '1000', VISITSD_RATE_BURST: '1000' } });
  browser = await chromium.launchPersistentContext(tempDir(), {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS,
  });
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
});

async function count(id) {
  const r = await fetch(`${daemon.url}/api/visits/${id}`, { headers: { 'x-api-key': daemon.key } });
  return (await r.json()).visits;
}

test('an <img> badge decodes at its size and counts once per load', async () => {
  const page = await browser.newPage();
  const label = `label=${encodeURIComponent('<b>views</b> & "more"')}`;
  const src = `${daemon.url}/api/visits/readme/badge.svg?count=1&${label}`;
  await page.setContent(`<!doctype html><body style="margin:8px;background:#fff">
    <img id="b" alt="visits" src="${src}"></body>`);
  const img = await page.waitForFunction(() => {
    const i = document.getElementById('b');
    return i.complete && i.naturalWidth > 0 ? { w: i.naturalWidth, h: i.naturalHeight } : null;
  }, null, { timeout: 10000 }).then((h) => h.jsonValue());
  const svg = await (await fetch(`${daemon.url}/api/visits/readme/badge.svg?${label}`)).text();
  const width = Number(/ width="(\d+)"/.exec(svg)[1]);
  assert.deepEqual(img, { w: width, h: 20 });
  assert.equal(await count('readme'), 1);
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, 'badge.png'), clip: { x: 0, y: 0, width: width + 16, height: 36 } });
  await page.close();
});

test('each text fits its box in the browser', async () => {
  const page = await browser.newPage();
  let worst = 0;
  for (const label of ['visits', 'page views of my blog', 'WWWWWWWW', 'café']) {
    await page.goto(`${daemon.url}/api/visits/readme/badge.svg?label=${encodeURIComponent(label)}`);
    const fits = await page.evaluate(() => [...document.querySelectorAll('text:not([aria-hidden])')].map((t) => {
      const box = Number(t.getAttribute('textLength')) / 10;
      t.removeAttribute('textLength');
      return { text: t.textContent, box, drawn: t.getComputedTextLength() / 10 };
    }));
    for (const f of fits) {
      assert.ok(f.drawn <= f.box * 1.1, JSON.stringify(f));
      worst = Math.max(worst, f.drawn / f.box);
    }
  }
  console.log(`widest text drawn / its box: ${worst.toFixed(3)}`);
  await page.screenshot({ path: join(SHOTS, 'badge-doc.png'), clip: { x: 0, y: 0, width: 200, height: 20 } });
  await page.close();
});
