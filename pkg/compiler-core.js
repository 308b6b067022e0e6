// The compiler API (`sendcloud-gate/compiler`) over the raw wasm-bindgen layer of the compiler module
// (crates/compiler-js/src/lib.rs). Shared by the browser entry (compiler.js) and the Node entry (compiler-node.js),
// which differ only in how they load the .wasm and which decision entry they pair with.
//
// The compiler is a wasm module of its own, apart from the decision package's: it is the larger half of the engine,
// and a host that decides with stored bytes (Policy.fromBytes) never needs it. compilePolicy() compiles here and
// loads the bytes into a Policy of the decision package. The server rules come from the engine's own generator
// (src/export.rs, the one `sendcloud-gate export` runs): nothing here knows a format; the names come from the module.

import { PolicyError } from './core.js';

export function bindCompiler(raw, Policy) {
  const encoder = new TextEncoder();
  const formats = Object.freeze(JSON.parse(raw.formats()));
  const lastError = () => new PolicyError(JSON.parse(raw.last_error()));

  /** A policy's JSON text as UTF-8 bytes: from text, bytes, or a JSON value. */
  function jsonBytes(policy, what) {
    if (typeof policy === 'string') return encoder.encode(policy);
    if (policy instanceof Uint8Array) return policy;
    const text = JSON.stringify(policy);
    if (text === undefined) throw new TypeError(`${what} expects JSON text, a JSON value or bytes`);
    return encoder.encode(text);
  }

  /** Compiles a policy; a Policy of the decision package. Throws a PolicyError naming path, line and column. */
  function compilePolicy(policy) {
    const bytes = raw.compile(jsonBytes(policy, 'compilePolicy'));
    if (bytes === undefined) throw lastError();
    return Policy.fromBytes(bytes);
  }

  function exportPolicy(policy, format) {
    if (typeof format !== 'string') throw new TypeError(`exportPolicy: the format is one of ${formats.join(', ')}`);
    // A Policy of the decision package (compilePolicy(), defaultPolicy()) is exported from its compiled bytes, which
    // the module recognises by their header, as the command line does.
    const isPolicy = policy !== null && typeof policy === 'object' && typeof policy.toBytes === 'function';
    const text = raw.export_policy(isPolicy ? policy.toBytes() : jsonBytes(policy, 'exportPolicy'), format);
    if (text !== undefined) return text;
    const info = JSON.parse(raw.last_error());
    if (info.path === 'format') throw new RangeError(`sendcloud-gate: ${JSON.stringify(format)}: ${info.message}`);
    throw new PolicyError(info);
  }

  const version = () => raw.version();

  return { compilePolicy, exportPolicy, formats, version };
}
