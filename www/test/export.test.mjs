// The tester page's Export panel in headless Chromium: the export comes from the compiler module (pkg/compiler.js
// and its own wasm), which the page loads once with the engine, since it compiles the editor's policy; opening the
// panel fetches nothing more (checked on the network). The panel shows, for each format, the text
// `sendcloud-gate export` writes for the editor's policy (the native CLI's when an up-to-date release build is
// there, else the Node entry of the same module, which pkg/test/compiler.test.mjs holds to the CLI),
// follows the policy as it is edited, copies it, and shows a bad policy's error instead of an export.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { openBrowser, gotoReady, screenshot, PKG_BUILT, SERVE_ROOT, REPO_ROOT } from '../test-support/browser.mjs';

const COMPILER_BUILT = fs.existsSync(path.join(SERVE_ROOT, 'pkg', 'dist', 'compiler', 'sendcloud_gate_compiler_bg.wasm'));
const skip = PKG_BUILT && COMPILER_BUILT ? false : 'pkg/dist is not built (make wasm)';
const { exportPolicy } = COMPILER_BUILT ? await import('../../pkg/compiler-node.js') : {};

// Requests for the compiler module: its entry, its glue and its wasm.
const isCompilerModule = (url) => /\/pkg\/(compiler(-core)?\.js|dist\/compiler\/)/.test(url);

// An up-to-date release CLI (newer than every engine and CLI source), or null.
function nativeCli() {
  const bin = path.join(REPO_ROOT, 'target/release/sendcloud-gate');
  if (!fs.existsSync(bin)) return null;
  const newest = (dir) => fs.readdirSync(dir, { withFileTypes: true }).reduce((t, e) => {
    const p = path.join(dir, e.name);
    return Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }, 0);
  const src = Math.max(newest(path.join(REPO_ROOT, 'src')), newest(path.join(REPO_ROOT, 'crates/cli/src')));
  return fs.statSync(bin).mtimeMs >= src ? bin : null;
}

/** What `sendcloud-gate export --format F --policy <the policy text>` writes (the CLI's, else the module's). */
function expected(policyText, format) {
  const cli = nativeCli();
  if (!cli) return exportPolicy(policyText, format);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gate-export-'));
  try {
    fs.writeFileSync(path.join(dir, 'policy.json'), policyText);
    return execFileSync(cli, ['export', '--format', format, '--policy', path.join(dir, 'policy.json')], { encoding: 'utf8' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const exportState = (page) => page.evaluate(() => {
  const st = document.getElementById('export-status');
  const out = document.getElementById('export-out');
  return {
    state: st.dataset.state, status: st.textContent, path: st.dataset.path, line: st.dataset.line,
    text: out.textContent, shown: !out.hidden, format: document.getElementById('export-format').value,
    formats: [...document.getElementById('export-format').options].map((o) => o.value),
  };
});

test('Export panel: from the module loaded with the page, nothing fetched on opening; every format shows the CLI\'s text', { skip }, async () => {
  const b = await openBrowser();
  const requests = [];
  b.page.on('request', (r) => requests.push(r.url()));
  try {
    await gotoReady(b.page, b.url);
    await b.page.waitForLoadState('networkidle');
    // The capture works: both modules were fetched with the page, the compiler's wasm once.
    assert.ok(requests.some((u) => u.endsWith('/pkg/dist/web/sendcloud_gate_bg.wasm')), requests.join('\n'));
    assert.ok(requests.some((u) => u.endsWith('/pkg/compiler.js')), requests.join('\n'));
    assert.equal(requests.filter((u) => u.endsWith('/sendcloud_gate_compiler_bg.wasm')).length, 1, requests.join('\n'));
    let s = await exportState(b.page);
    assert.equal(s.state, 'idle');
    assert.equal(s.shown, false);
    assert.deepEqual(s.formats, []);
    const before = requests.length;
    await b.page.fill('#remote-addr', '185.66.200.20');
    await b.page.fill('#policy-text', '{"partners":[{"preset":"sendcloud"}]}');

    await b.page.click('#export-summary');
    await b.page.waitForSelector('#export-status[data-state=ok]', { timeout: 20000 });
    await b.page.waitForLoadState('networkidle');
    assert.deepEqual(requests.slice(before).filter(isCompilerModule), [], 'opening the panel fetched the module again');

    s = await exportState(b.page);
    assert.deepEqual(s.formats, ['modsecurity', 'apache', 'nginx', 'cloudflare']);
    assert.equal(s.format, 'modsecurity');
    const policyText = await b.page.inputValue('#policy-text');
    const markers = { modsecurity: /ctl:ruleRemoveById=911100/, apache: /SetEnvIfExpr/, nginx: /geo \$sendcloud_gate/, cloudflare: /ip\.src in \{/ };
    for (const format of s.formats) {
      await b.page.selectOption('#export-format', format);
      s = await exportState(b.page);
      assert.equal(s.state, 'ok');
      assert.equal(s.shown, true);
      assert.equal(s.text, expected(policyText, format), `${format}: the page's export differs from the CLI's`);
      assert.match(s.text, markers[format]);
      assert.match(await b.page.textContent('#export-command'), new RegExp(`--format ${format}\\b`));
      if (format === 'nginx') await screenshot(b.page.locator('#export-panel'), 'export-nginx');
    }
    // The module is fetched once: closing and opening the panel, changing the format, fetch nothing more.
    await b.page.click('#export-summary');
    await b.page.click('#export-summary');
    await b.page.selectOption('#export-format', 'apache');
    await b.page.waitForSelector('#export-status[data-state=ok]');
    assert.equal(requests.filter((u) => u.endsWith('/sendcloud_gate_compiler_bg.wasm')).length, 1);

    // The export follows the policy as it is edited.
    await b.page.click('#policy-example');
    s = await exportState(b.page);
    assert.match(s.text, /198\.51\.100\.7/);
    assert.equal(s.text, expected(await b.page.inputValue('#policy-text'), 'apache'));

    // Copy puts the text on the clipboard.
    await b.ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(b.url).origin });
    await b.page.click('#export-copy');
    await b.page.waitForFunction(() => document.getElementById('export-copy').textContent === 'Copied');
    assert.equal(await b.page.evaluate(() => navigator.clipboard.readText()), s.text);
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
});

test('Export panel: a bad policy shows its error (path and line) and no export; fixing it brings the export back', { skip }, async () => {
  const b = await openBrowser();
  try {
    await gotoReady(b.page, b.url);
    const bad = '{\n  "version": 1,\n  "rules": [\n    {"id": "office", "action": "allow",\n     "ip": ["10.0.0.0/33"]}\n  ]\n}';
    // Opened with a bad policy.
    await b.page.fill('#policy-text', bad);
    await b.page.click('#export-summary');
    await b.page.waitForSelector('#export-status[data-state=error]', { timeout: 20000 });
    let s = await exportState(b.page);
    assert.equal(s.shown, false);
    assert.equal(s.text, '');
    assert.equal(s.path, 'rules[0].ip[0]');
    assert.equal(s.line, '5');
    assert.match(s.status, /policy has an error/);
    assert.match(s.status, /line 5, column \d+/);
    assert.match(s.status, /rules\[0\]\.ip\[0\]/);
    assert.match(s.status, /10\.0\.0\.0\/33/);
    assert.equal(await b.page.isDisabled('#export-copy'), true);
    // The same error as the Policy panel's (the same engine).
    assert.equal(await b.page.getAttribute('#policy-status', 'data-path'), s.path);
    assert.equal(await b.page.getAttribute('#policy-status', 'data-line'), s.line);
    await screenshot(b.page.locator('#export-panel'), 'export-error');

    // Fixed: the export is back, in every format.
    await b.page.fill('#policy-text', bad.replace('/33', '/8'));
    await b.page.waitForSelector('#export-status[data-state=ok]');
    for (const format of ['modsecurity', 'cloudflare']) {
      await b.page.selectOption('#export-format', format);
      s = await exportState(b.page);
      assert.equal(s.text, expected(bad.replace('/33', '/8'), format));
      // The policy's site rule is not exported; the export says so.
      assert.match(s.text, /rule/);
    }

    // JSON that does not parse, and a policy that is not an object.
    await b.page.fill('#policy-text', '{"partners": [');
    await b.page.waitForSelector('#export-status[data-state=error]');
    s = await exportState(b.page);
    assert.equal(s.shown, false);
    assert.match(s.status, /line 1/);
    await b.page.fill('#policy-text', '[]');
    await b.page.waitForSelector('#export-status[data-state=error]');
    assert.equal((await exportState(b.page)).shown, false);
    // Empty: the default policy (as in the editor's hint).
    await b.page.fill('#policy-text', '');
    await b.page.waitForSelector('#export-status[data-state=ok]');
    assert.equal((await exportState(b.page)).text, expected('{}', 'cloudflare'));
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
});

test('Export panel on a phone: nothing wider than the screen', { skip }, async () => {
  const m = await openBrowser({ viewport: { width: 390, height: 844 }, isMobile: true });
  try {
    await gotoReady(m.page, m.url);
    await m.page.click('#export-summary');
    await m.page.waitForSelector('#export-status[data-state=ok]', { timeout: 20000 });
    for (const format of ['modsecurity', 'cloudflare']) {
      await m.page.selectOption('#export-format', format);
      const overflow = await m.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${format}: the page is ${overflow}px wider than a phone screen`);
    }
    await m.page.locator('#export-panel').scrollIntoViewIfNeeded();
    await screenshot(m.page, 'phone-export', { fullPage: false });
    assert.deepEqual(m.errors, []);
  } finally {
    await m.close();
  }
});
