// The export API (`sendcloud-gate/export`) over the raw wasm-bindgen layer of the export module
// (crates/export-js/src/lib.rs). Shared by the browser entry (export.js) and the Node entry (export-node.js), which
// differ only in how they load the .wasm. The server rules come from the engine's own generator (src/export.rs, the
// one `sendcloud-gate export` runs): nothing here knows a format; the format names come from the module too.

import { PolicyError } from './core.js';

export function bindExport(raw) {
  const encoder = new TextEncoder();
  const formats = Object.freeze(JSON.parse(raw.formats()));

  /** The policy as the bytes the module reads: JSON text (UTF-8) or a compiled policy's bytes. */
  function policyBytes(policy) {
    if (typeof policy === 'string') return encoder.encode(policy);
    if (policy instanceof Uint8Array) return policy;
    // A Policy of the decision package (compilePolicy(), defaultPolicy()): its compiled bytes.
    if (policy !== null && typeof policy === 'object' && typeof policy.toBytes === 'function') return policy.toBytes();
    const text = JSON.stringify(policy);
    if (text === undefined) throw new TypeError('exportPolicy expects JSON text, a JSON value, bytes or a Policy');
    return encoder.encode(text);
  }

  function exportPolicy(policy, format) {
    if (typeof format !== 'string') throw new TypeError(`exportPolicy: the format is one of ${formats.join(', ')}`);
    const text = raw.export_policy(policyBytes(policy), format);
    if (text !== undefined) return text;
    const info = JSON.parse(raw.last_error());
    if (info.path === 'format') throw new RangeError(`sendcloud-gate: ${JSON.stringify(format)}: ${info.message}`);
    throw new PolicyError(info);
  }

  const version = () => raw.version();

  return { exportPolicy, formats, version };
}
