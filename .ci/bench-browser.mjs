// Browser figures for `make bench`: runs the tester page's speed tests (www/test/speed.test.mjs) in Debian's
// headless Chromium and prints their FIGURE lines (time to interactive, keystroke, 100,000-line replay).
// Usage: node .ci/bench-browser.mjs   (needs pkg/ built: make wasm; and npm ci for playwright-core)
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', 'www/test/speed.test.mjs'], { cwd: root, encoding: 'utf8' });
const out = `${r.stdout}\n${r.stderr}`;
const figures = out.split('\n').filter((l) => l.includes('FIGURE')).map((l) => l.replace(/^#\s*/, '').replace(/^FIGURE\s*/, ''));
for (const f of figures) console.log(`browser: ${f}`);
if (r.status !== 0 || figures.length === 0) {
  console.error(out);
  process.exit(r.status || 1);
}
