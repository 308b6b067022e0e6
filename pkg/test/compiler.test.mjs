// The compiler module (`sendcloud-gate/compiler`: crates/compiler-js, pkg/compiler-node.js) against the native
// command line:
// for every format, the default policy and every corpus policy, exportPolicy() gives byte for byte what
// `target/release/sendcloud-gate export --format F [--policy P]` writes; bad policies are refused by both with the
// same error. The CLI must be newer than every engine and CLI source (a stale binary would compare old code): with
// SCG_REQUIRE_CLI=1 (set by .ci/test.sh, which builds it) a missing or stale one fails the test, otherwise it is
// skipped. Run: `make wasm && cargo build --release -p sendcloud-gate-cli && node --test pkg/test/`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync, statSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compilePolicy, exportPolicy, formats, PolicyError, version } from 'sendcloud-gate/compiler';
import * as gate from 'sendcloud-gate';

const root = fileURLToPath(new URL('../../', import.meta.url));
const corpus = join(root, 'tests/corpus');
const policyFiles = readdirSync(join(corpus, 'policies')).filter((f) => f.endsWith('.json')).sort();
const badPolicies = readFileSync(join(corpus, 'bad-policies.jsonl'), 'utf8').split('\n').filter((l) => l.trim())
  .map((l) => JSON.parse(l));

// The newest modification time under a directory (the engine's sources and preset data, the CLI's sources).
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

function findCli() {
  const bin = join(root, 'target/release/sendcloud-gate');
  if (!existsSync(bin)) return { why: `${bin} is missing` };
  const src = Math.max(newest(join(root, 'src')), newest(join(root, 'crates/cli/src')));
  if (statSync(bin).mtimeMs < src) return { why: `${bin} is older than the sources` };
  return { bin };
}
const cli = findCli();
const required = process.env.SCG_REQUIRE_CLI === '1';
const skip = cli.bin || required ? false : `${cli.why}: \`cargo build --release -p sendcloud-gate-cli\` to compare with it`;

/** Runs the CLI; resolves to {status, stdout (a Buffer), stderr (text)}. */
function run(args) {
  if (!cli.bin) assert.fail(`no up-to-date native CLI (${cli.why}): cargo build --release -p sendcloud-gate-cli`);
  const r = spawnSync(cli.bin, args, { maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

/** The CLI's export, which must succeed; a Buffer. */
function cliExport(format, policyPath) {
  const r = run(['export', '--format', format, ...(policyPath ? ['--policy', policyPath] : [])]);
  assert.equal(r.status, 0, `sendcloud-gate export --format ${format} ${policyPath ?? ''}: ${r.stderr}`);
  return r.stdout;
}

/** Byte for byte: the first differing line, for a readable failure. */
function sameBytes(got, want, what) {
  const g = Buffer.from(got, 'utf8');
  if (g.equals(want)) return null;
  const gl = got.split('\n');
  const wl = want.toString('utf8').split('\n');
  let i = gl.findIndex((l, k) => l !== wl[k]);
  if (i === -1) i = gl.length;
  return `${what}: differs from the CLI (${g.length} bytes, CLI ${want.length}) at line ${i + 1}:\n  js:  ${JSON.stringify(gl[i])}\n  cli: ${JSON.stringify(wl[i])}`;
}

test('the formats come from the engine, in the CLI\'s order', () => {
  assert.deepEqual([...formats], ['modsecurity', 'apache', 'nginx', 'cloudflare']);
  assert.ok(Object.isFrozen(formats));
  assert.equal(version(), gate.version());
});

test('export: byte-identical to `sendcloud-gate export` for every format, the default policy and every corpus policy', { skip }, () => {
  assert.ok(policyFiles.length >= 20, `only ${policyFiles.length} corpus policies`);
  const failures = [];
  let compared = 0;
  for (const format of formats) {
    // The default policy: the CLI without --policy; here as the package's defaultPolicy() (compiled bytes) and as
    // the page's empty editor ('{}').
    const want = cliExport(format, null);
    assert.ok(want.length > 500, `the ${format} export of the default policy is ${want.length} bytes`);
    for (const [what, policy] of [['defaultPolicy()', gate.defaultPolicy()], ["'{}'", '{}']]) {
      const f = sameBytes(exportPolicy(policy, format), want, `${format}, default policy as ${what}`);
      if (f) failures.push(f);
      compared++;
    }
    for (const file of policyFiles) {
      const path = join(corpus, 'policies', file);
      const text = readFileSync(path, 'utf8');
      const f = sameBytes(exportPolicy(text, format), cliExport(format, path), `${format}, ${file}`);
      if (f) failures.push(f);
      compared++;
    }
  }
  console.log(`export module vs native CLI: ${compared - failures.length}/${compared} byte-identical`);
  assert.deepEqual(failures, []);
});

test('export: the policy as a JSON value, UTF-8 bytes, compiled bytes (`policy compile`) or a Policy gives the same text', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'scg-export-'));
  try {
    for (const file of ['partner-order.json', 'custom-partner.json', 'trusted-xff.json']) {
      const path = join(corpus, 'policies', file);
      const text = readFileSync(path, 'utf8');
      const bin = join(dir, `${file}.bin`);
      const c = run(['policy', 'compile', path, '-o', bin]);
      assert.equal(c.status, 0, c.stderr);
      for (const format of formats) {
        const want = cliExport(format, path);
        assert.deepEqual(cliExport(format, bin), want, `the CLI, ${file} compiled`);
        const compiled = readFileSync(bin);
        const inputs = [
          ['a JSON value', JSON.parse(text)],
          ['UTF-8 bytes', new TextEncoder().encode(text)],
          ['compiled bytes (CLI)', new Uint8Array(compiled.buffer, compiled.byteOffset, compiled.length)],
          ['a Policy', compilePolicy(text)],
          ['Policy.toBytes()', compilePolicy(text).toBytes()],
        ];
        for (const [what, policy] of inputs) {
          assert.equal(sameBytes(exportPolicy(policy, format), want, `${format}, ${file} as ${what}`), null);
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('export: a bad policy is a PolicyError with the path, line and column the CLI gives; nothing is exported', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'scg-export-'));
  const failures = [];
  try {
    for (const b of badPolicies) {
      const text = typeof b.policy === 'string' ? b.policy : JSON.stringify(b.policy);
      const path = join(dir, `${b.id}.json`);
      writeFileSync(path, text);
      const r = run(['export', '--format', 'nginx', '--policy', path]);
      let err = null;
      try {
        exportPolicy(text, 'nginx');
        failures.push(`${b.id}: exported`);
        continue;
      } catch (e) {
        err = e;
      }
      if (!(err instanceof PolicyError)) failures.push(`${b.id}: ${err.name} ${err.message}`);
      if (r.status === 0 || r.stdout.length !== 0) failures.push(`${b.id}: the CLI exported it`);
      // The CLI: "FILE:LINE:COLUMN: MESSAGE".
      const line = `${path}:${err.line}:${err.column}: ${err.message}`;
      if (!r.stderr.includes(line)) failures.push(`${b.id}: the CLI said ${JSON.stringify(r.stderr.trim())}, not ${JSON.stringify(line)}`);
      if (b.error_path !== null && !err.path.startsWith(b.error_path)) failures.push(`${b.id}: path ${err.path} is not under ${b.error_path}`);
      // The same error the decision package gives for the same text.
      try {
        compilePolicy(text);
        failures.push(`${b.id}: compilePolicy accepted it`);
      } catch (e) {
        for (const k of ['message', 'path', 'line', 'column']) if (e[k] !== err[k]) failures.push(`${b.id}: ${k} ${e[k]} / ${err[k]}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(failures, []);
});

test('export: compiled bytes that are not a policy, a name that is not a format, a value with no JSON', () => {
  assert.throws(() => exportPolicy(new Uint8Array([0x53, 0x43, 0x47, 0x41, 0x54, 0x45, 1, 2, 3]), 'nginx'),
    (e) => e instanceof PolicyError && /compiled policy/.test(e.message));
  assert.throws(() => exportPolicy('{}', 'iis'), (e) => e instanceof RangeError && /"iis": not an export format/.test(e.message));
  assert.throws(() => exportPolicy('{}'), TypeError);
  assert.throws(() => exportPolicy(undefined, 'nginx'), TypeError);
  // Names as the CLI takes them: ASCII case ignored.
  assert.equal(exportPolicy('{}', 'NGINX'), exportPolicy('{}', 'nginx'));
});

test('the decision package carries neither the export nor the compiler (they live in the compiler module only)', () => {
  const pkgWasm = readFileSync(join(root, 'pkg/dist/web/sendcloud_gate_bg.wasm'));
  const compilerWasm = readFileSync(join(root, 'pkg/dist/compiler/sendcloud_gate_compiler_bg.wasm'));
  // Export: texts of the server rules. Compiler: a key only the policy schema knows (show() does not print it; the
  // presets' notes mention add_methods) and its error for a key it does not know.
  for (const marker of ['ctl:ruleRemoveById', 'sendcloud_gate_verified', 'SetEnvIfExpr', 'add_user_agents', 'unknown key']) {
    assert.ok(compilerWasm.includes(marker), `the compiler module has ${marker}`);
    assert.ok(!pkgWasm.includes(marker), `the decision package has ${marker}`);
  }
});

test('compilePolicy() gives Policies of the decision package; errors name path, line and column', () => {
  const p = compilePolicy({ impersonation: 'deny', rules: [{ id: 'r', action: 'deny', methods: ['TRACE'] }] });
  assert.ok(p instanceof gate.Policy);
  assert.equal(p.decide({ remote_addr: '203.0.113.9', method: 'TRACE' }).rule, 'r');
  assert.deepEqual(compilePolicy('{}').toBytes(), gate.defaultPolicy().toBytes());
  assert.deepEqual(compilePolicy(new TextEncoder().encode('{}')).toBytes(), gate.defaultPolicy().toBytes());
  assert.throws(() => compilePolicy('{"rules":[{"id":"r","action":"maybe"}]}'),
    (e) => e instanceof PolicyError && e.path === 'rules[0].action' && e.line === 1 && e.column > 1);
  assert.throws(() => compilePolicy(undefined), TypeError);
});

test('compilePolicy(): the same bytes as `sendcloud-gate policy compile` for every corpus policy', { skip }, () => {
  for (const f of policyFiles) {
    const file = join(corpus, 'policies', f);
    const dir = mkdtempSync(join(tmpdir(), 'scg-compile-'));
    try {
      const out = join(dir, 'p.bin');
      const r = run(['policy', 'compile', file, '-o', out]);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(compilePolicy(readFileSync(file, 'utf8')).toBytes(), new Uint8Array(readFileSync(out)), f);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});
