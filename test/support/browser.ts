// SPDX-License-Identifier: GPL-2.0-only
// Debian's headless Chromium for the report tests: run in a network
// namespace of its own (unshare --net: only a loopback that is down), so a
// page can fetch nothing and the browser can send nothing anywhere; the DOM
// after load, and a screenshot read back through the PNG decoder.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { colourCounts, decodePng, type Image } from './png.js';

/** Where the pages and screenshots stay after a test (their paths are printed as diagnostics). */
export const SCREENSHOT_DIR = join(tmpdir(), 'msg-zerocopy-report-screenshots');

export function chromiumPath(): string {
  const r = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' });
  assert.equal(r.status, 0, 'chromium is not installed: apt-get install chromium (scripts/system-deps.sh does)');
  return r.stdout.trim();
}

/** Run Chromium headless with `args` in a fresh network namespace; its stdout. */
export function chromium(args: string[], timeoutMs = 60000): string {
  const profile = mkdtempSync(join(tmpdir(), 'mzc-chromium-'));
  try {
    const r = spawnSync('unshare', ['--net', chromiumPath(), '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars',
      `--user-data-dir=${profile}`, '--no-first-run', '--no-default-browser-check', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-extensions', ...args], { encoding: 'utf8', timeout: timeoutMs });
    assert.equal(r.error, undefined, `chromium: ${r.error?.message}`);
    assert.equal(r.status, 0, `chromium exited ${r.status}: ${r.stderr.slice(-2000)}`);
    return r.stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

export interface Rendered {
  /** The DOM after load (--dump-dom). */
  dom: string;
  /** The screenshot's path. */
  png: string;
  /** Pixels per colour ("#rrggbb"). */
  colours: Map<string, number>;
  width: number;
  height: number;
  /** The screenshot's pixels. */
  image: Image;
}

/** Load an HTML file (or `html`, written under SCREENSHOT_DIR as `name`.html): its DOM and a screenshot `name`.png. */
export function render(name: string, html: string | { file: string }): Rendered {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  let file: string;
  if (typeof html === 'string') {
    file = join(SCREENSHOT_DIR, `${name}.html`);
    writeFileSync(file, html);
  } else {
    file = html.file;
  }
  const png = join(SCREENSHOT_DIR, `${name}.png`);
  rmSync(png, { force: true });
  const dom = chromium(['--dump-dom', `file://${file}`]);
  chromium(['--window-size=1200,2400', `--screenshot=${png}`, `file://${file}`]);
  const img = decodePng(readFileSync(png));
  return { dom, png, colours: colourCounts(img), width: img.width, height: img.height, image: img };
}

/** Pixels within a small distance of a colour (anti-aliasing blends edges). */
export function pixelsNear(colours: Map<string, number>, hex: string, tol = 24): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let n = 0;
  for (const [k, v] of colours) {
    const [r2, g2, b2] = [1, 3, 5].map((i) => parseInt(k.slice(i, i + 2), 16));
    if (Math.abs(r - r2) + Math.abs(g - g2) + Math.abs(b - b2) <= tol) n += v;
  }
  return n;
}

/** The JSON document embedded in a report's DOM, or null. */
export function embeddedJson(dom: string): unknown {
  const m = /<script type="application\/json" id="msg-zerocopy-data">([\s\S]*?)<\/script>/.exec(dom);
  return m ? JSON.parse(m[1]) : null;
}

export const countOf = (s: string, re: RegExp): number => (s.match(re) ?? []).length;
