// A minimal host for the core module (target/wasm/sendcloud_gate_core.wasm, docs/core-abi.md) with plain
// WebAssembly: what a non-wasm-bindgen host does, in ~60 lines. Used by the tests to compare hosts.
import { readFileSync } from 'node:fs';

export const CORE_PATH = new URL('../../target/wasm/sendcloud_gate_core.wasm', import.meta.url);

const enc = new TextEncoder();
const dec = new TextDecoder();

export function loadCore(path = CORE_PATH) {
  let bytes;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new Error(`${path.pathname} is missing: run \`make wasm\` first`);
  }
  const { exports: x } = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
  if (x.scg_abi_version() !== 2) throw new Error('unexpected ABI version');

  const mem = () => new Uint8Array(x.memory.buffer);
  const result = (r) => {
    if (r === 0n) return null;
    const ptr = Number(r >> 32n), len = Number(r & 0xffffffffn);
    return dec.decode(mem().subarray(ptr, ptr + len));
  };
  const withInput = (bytes, f) => {
    const ptr = x.scg_alloc(bytes.length);
    if (ptr === 0) throw new Error('scg_alloc failed');
    mem().set(bytes, ptr);
    try { return f(ptr, bytes.length); } finally { x.scg_free(ptr, bytes.length); }
  };
  const lastError = () => JSON.parse(result(x.scg_last_error()));

  // The packed form of src/request.rs (written independently of pkg/core.js's packer, which tests compare with it).
  function pack(req) {
    const parts = [];
    const u32 = (n) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n, true); parts.push(b); };
    const str = (s) => { const b = enc.encode(s); u32(b.length); parts.push(b); };
    str(req.remote_addr); str(req.method); str(req.uri ?? '');
    const putPairs = (obj) => {
      const pairs = [];
      for (const [name, v] of Object.entries(obj ?? {})) for (const one of [].concat(v)) pairs.push([name, one]);
      u32(pairs.length);
      for (const [n, v] of pairs) { str(n); str(v); }
      return pairs.length;
    };
    putPairs(req.headers);
    // The optional tail (contract v2): the query as the application sees it and the form parameters, left out
    // when both are empty.
    const formPairs = Object.values(req.form ?? {}).reduce((n, v) => n + [].concat(v).length, 0);
    if ((req.query ?? '') !== '' || formPairs > 0) {
      str(req.query ?? '');
      putPairs(req.form);
    }
    const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }

  return {
    exports: x,
    pack,
    lastError,
    compile(text) {
      const h = withInput(enc.encode(text), (p, l) => x.scg_policy_compile(p, l));
      if (h === 0) throw Object.assign(new Error(lastError().message), lastError());
      return h;
    },
    defaultPolicy: () => x.scg_policy_default(),
    load(bytes) {
      const h = withInput(bytes, (p, l) => x.scg_policy_load(p, l));
      if (h === 0) throw new Error(lastError().message);
      return h;
    },
    toBytes: (h) => { const r = x.scg_policy_to_bytes(h); const p = Number(r >> 32n); return mem().slice(p, p + Number(r & 0xffffffffn)); },
    decidePacked: (h, bytes) => JSON.parse(result(withInput(bytes, (p, l) => x.scg_decide(h, p, l)))),
    decide(h, req) { return this.decidePacked(h, pack(req)); },
    explain: (h, req) => JSON.parse(result(withInput(pack(req), (p, l) => x.scg_explain(h, p, l)))),
  };
}
