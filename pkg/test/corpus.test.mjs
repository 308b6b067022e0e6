// The conformance corpus (tests/corpus/) through the package (pkg/, Node entry) and through the core module with a
// plain-WebAssembly host (core-host.mjs): every decision equal to the expectation and to each other host, and to
// the native CLI when it is built. Run: `make wasm && node --test pkg/test/`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync, writeFileSync, mkdtempSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultPolicy, Policy } from '../node.js';
import { compilePolicy } from '../compiler-node.js';
import { loadCore } from '../test-support/core-host.mjs';

const corpus = new URL('../../tests/corpus/', import.meta.url);
const lines = (name) => readFileSync(new URL(name, corpus), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
const cases = lines('cases.jsonl');
const ambiguous = lines('ambiguous.jsonl');
const policyTexts = { default: null };
for (const f of readdirSync(new URL('policies/', corpus))) {
  if (f.endsWith('.json')) policyTexts[f.slice(0, -5)] = readFileSync(new URL(`policies/${f}`, corpus), 'utf8');
}
const KEYS = ['action', 'reason', 'rule', 'client_ip', 'method'];
const pick = (d) => Object.fromEntries(KEYS.map((k) => [k, d[k]]));

const pkgPolicies = {};
for (const [stem, text] of Object.entries(policyTexts)) pkgPolicies[stem] = text === null ? defaultPolicy() : compilePolicy(text);

test('corpus cases.jsonl: every decision equals the expectation', () => {
  assert.ok(cases.length > 500, `only ${cases.length} cases`);
  const failures = [];
  for (const c of cases) {
    const got = pkgPolicies[c.policy].decide(c.request);
    try {
      assert.deepStrictEqual(got, pick(c.expect));
    } catch {
      failures.push(`${c.id}: got ${JSON.stringify(got)} want ${JSON.stringify(pick(c.expect))}`);
    }
  }
  assert.deepEqual(failures, []);
});

test('corpus: decide, explain and the core module agree on every case (ambiguous ones too)', () => {
  const core = loadCore();
  const handles = {};
  for (const [stem, text] of Object.entries(policyTexts)) handles[stem] = text === null ? core.defaultPolicy() : core.compile(text);
  const failures = [];
  for (const c of [...cases, ...ambiguous]) {
    const p = pkgPolicies[c.policy];
    const d = p.decide(c.request);
    const e = p.explain(c.request);
    const viaCore = core.decide(handles[c.policy], c.request);
    const viaCoreExplain = core.explain(handles[c.policy], c.request);
    if (JSON.stringify(d) !== JSON.stringify(viaCore)) failures.push(`${c.id}: pkg ${JSON.stringify(d)} core ${JSON.stringify(viaCore)}`);
    if (JSON.stringify(pick(e)) !== JSON.stringify(d)) failures.push(`${c.id}: explain ${JSON.stringify(pick(e))} decide ${JSON.stringify(d)}`);
    if (JSON.stringify(e) !== JSON.stringify(viaCoreExplain)) failures.push(`${c.id}: explain differs from the core module's`);
    if (!Array.isArray(e.trace) || e.trace.length === 0) failures.push(`${c.id}: no trace`);
  }
  assert.deepEqual(failures, []);
});

test('corpus: the package agrees with the native CLI (when built)', (t) => {
  // Only a CLI newer than every engine source: a stale binary would compare old code.
  const src = new URL('../../src/', import.meta.url);
  const newest = Math.max(...readdirSync(src).filter((f) => f.endsWith('.rs')).map((f) => statSync(new URL(f, src)).mtimeMs));
  const bin = ['release', 'debug'].map((p) => new URL(`../../target/${p}/sendcloud-gate`, import.meta.url))
    .find((u) => existsSync(u) && statSync(u).mtimeMs >= newest);
  if (!bin) {
    t.skip('no up-to-date native CLI in target/: `cargo build --release` to compare with it');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'scg-'));
  const failures = [];
  for (const [stem, text] of Object.entries(policyTexts)) {
    const mine = [...cases, ...ambiguous].filter((c) => c.policy === stem);
    if (mine.length === 0) continue;
    const args = ['check', '--json', '--requests', '-'];
    if (text !== null) {
      writeFileSync(join(dir, `${stem}.json`), text);
      args.splice(1, 0, '--policy', join(dir, `${stem}.json`));
    }
    const out = execFileSync(fileURLToPath(bin), args, { input: mine.map((c) => JSON.stringify(c.request)).join('\n') + '\n' }).toString().trim().split('\n');
    mine.forEach((c, i) => {
      const got = JSON.stringify(pkgPolicies[stem].decide(c.request));
      if (got !== out[i]) failures.push(`${c.id}: pkg ${got} native ${out[i]}`);
    });
  }
  assert.deepEqual(failures, []);
});

test('bad policies raise a PolicyError naming the path', () => {
  const failures = [];
  for (const b of lines('bad-policies.jsonl')) {
    const input = typeof b.policy === 'string' ? b.policy : b.policy; // a string is raw text; else a JSON value
    try {
      compilePolicy(input);
      failures.push(`${b.id}: accepted`);
    } catch (e) {
      if (e.name !== 'PolicyError') failures.push(`${b.id}: ${e.name} ${e.message}`);
      if (b.error_path !== null && !e.message.includes(b.error_path)) failures.push(`${b.id}: "${e.message}" lacks ${b.error_path}`);
      if (b.error_path !== null && !e.path.startsWith(b.error_path)) failures.push(`${b.id}: path ${e.path} is not under ${b.error_path}`);
      if (!(Number.isInteger(e.line) && Number.isInteger(e.column))) failures.push(`${b.id}: no line/column`);
    }
  }
  assert.deepEqual(failures, []);
});

test('a policy error has path, line and column', () => {
  const text = '{\n  "rules": [\n    {"id": "a", "action": "allow", "ip": ["10.0.0.0/33"]}\n  ]\n}';
  assert.throws(() => compilePolicy(text), (e) => {
    assert.ok(e instanceof Error);
    assert.equal(e.path, 'rules[0].ip[0]');
    assert.match(e.message, /^rules\[0\]\.ip\[0\]: "10\.0\.0\.0\/33"/);
    assert.equal(e.line, 3);
    assert.ok(e.column > 1);
    return true;
  });
  // An object is compiled as its JSON.
  assert.throws(() => compilePolicy({ rules: [{ id: 'a', action: 'maybe' }] }), /rules\[0\]\.action/);
  assert.throws(() => compilePolicy({ version: 2 }), (e) => e.path === 'version');
  assert.throws(() => compilePolicy(undefined), TypeError);
});

test('compiled bytes round trip', () => {
  for (const [stem, p] of Object.entries(pkgPolicies)) {
    const bytes = p.toBytes();
    assert.ok(bytes instanceof Uint8Array);
    const q = Policy.fromBytes(bytes);
    assert.deepEqual(q.toBytes(), bytes, stem);
    assert.deepEqual(q.show(), p.show(), stem);
    for (const c of cases.filter((c) => c.policy === stem)) assert.deepEqual(q.decide(c.request), pick(c.expect), c.id);
  }
  // The core module makes the same bytes and loads the package's.
  const core = loadCore();
  const h = core.load(pkgPolicies['spec-example'].toBytes());
  assert.deepEqual(core.toBytes(h), pkgPolicies['spec-example'].toBytes());
  // Bytes that are not a policy.
  const broken = defaultPolicy().toBytes();
  broken[broken.length - 1] ^= 1;
  assert.throws(() => Policy.fromBytes(broken), (e) => e.name === 'PolicyError' && /not a valid compiled policy/.test(e.message));
  assert.throws(() => Policy.fromBytes(new Uint8Array(0)), /not a valid compiled policy/);
  assert.throws(() => Policy.fromBytes('SCGATE'), TypeError);
});

test('corpus warnings.jsonl: each policy compiles with exactly the listed warning paths, in order', (t) => {
  const file = new URL('warnings.jsonl', corpus);
  if (!existsSync(file)) {
    t.skip('tests/corpus/warnings.jsonl does not exist yet');
    return;
  }
  const entries = lines('warnings.jsonl');
  assert.ok(entries.length > 0, 'warnings.jsonl is empty');
  const failures = [];
  for (const w of entries) {
    let p;
    try {
      p = compilePolicy(w.policy);
    } catch (e) {
      failures.push(`${w.id}: rejected: ${e.message}`);
      continue;
    }
    const got = p.warnings;
    const paths = got.map((x) => x.path);
    if (JSON.stringify(paths) !== JSON.stringify(w.warnings)) failures.push(`${w.id}: warnings at ${JSON.stringify(paths)}, want ${JSON.stringify(w.warnings)}`);
    if (!got.every((x) => typeof x.message === 'string' && x.message !== '')) failures.push(`${w.id}: a warning without a message`);
    // The same warnings from the compiled bytes.
    if (JSON.stringify(Policy.fromBytes(p.toBytes()).warnings) !== JSON.stringify(got)) failures.push(`${w.id}: fromBytes gives other warnings`);
    p.free();
  }
  assert.deepEqual(failures, []);
});
