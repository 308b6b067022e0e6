// Shared set-up for the browser tests (www/test/*.mjs): Debian's Chromium driven by playwright-core, a loopback
// static server per test, screenshots under artifacts/screenshots/. No browser is ever downloaded.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, REPO_ROOT } from '../serve.mjs';

export { REPO_ROOT };
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const SCREENSHOTS = path.join(REPO_ROOT, 'artifacts', 'screenshots');
// What the server serves: the repository root (GATE_SERVE_ROOT to try the page against another build of pkg/).
export const SERVE_ROOT = process.env.GATE_SERVE_ROOT || REPO_ROOT;
export const PKG_BUILT = fs.existsSync(path.join(SERVE_ROOT, 'pkg', 'web.js'))
  && fs.existsSync(path.join(SERVE_ROOT, 'pkg', 'dist', 'web', 'sendcloud_gate_bg.wasm'));

const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-quic', '--no-first-run', '--disable-sync',
];

/**
 * Starts a server on a free loopback port and a Chromium with a fresh profile; returns helpers and a close().
 * Console errors, page errors and failed requests of every page are collected in `errors`.
 */
export async function openBrowser({ viewport = { width: 1366, height: 900 }, isMobile = false } = {}) {
  const server = await startServer({ root: SERVE_ROOT, port: 0 });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sendcloud-gate-chromium-'));
  let ctx;
  try {
    ctx = await chromium.launchPersistentContext(dataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport,
      isMobile,
      hasTouch: isMobile,
      deviceScaleFactor: 1,
    });
  } catch (e) {
    await server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  const errors = [];
  const watch = (page) => {
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => errors.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));
    page.on('response', (r) => { if (r.status() >= 400) errors.push(`http ${r.status()}: ${r.url()}`); });
    page.on('worker', (w) => w.on('console', (m) => { if (m.type() === 'error') errors.push(`worker console: ${m.text()}`); }));
  };
  ctx.on('page', watch);
  const page = ctx.pages()[0] || (await ctx.newPage());
  if (!ctx.pages().includes(page)) watch(page);
  else watch(page);
  return {
    ctx, page, server, errors, url: server.url,
    async newPage() { return ctx.newPage(); },
    async close() {
      await ctx.close().catch(() => {});
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Opens the page (optionally with a fragment) and waits until the engine has made its first decision. */
export async function gotoReady(page, url) {
  await page.goto(url);
  await page.waitForFunction(() => document.documentElement.dataset.ready === 'true' || !document.getElementById('load-error').hidden,
    null, { timeout: 20000 });
  const failed = await page.evaluate(() => (document.documentElement.dataset.ready === 'true' ? null : document.getElementById('load-error').textContent));
  if (failed) throw new Error(failed);
}

export async function screenshotPath(name) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  return path.join(SCREENSHOTS, `${name}.png`);
}

export async function screenshot(page, name, opts = {}) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, ...opts });
  return file;
}

/** Sets an input's value as a user would (select all, type), firing input events. */
export async function fill(page, selector, value) {
  await page.fill(selector, value);
}

export function readJsonl(file) {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};
export const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
};
