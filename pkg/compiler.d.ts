// Types of `sendcloud-gate/compiler` (compiler.js in browsers, compiler-node.js in Node): the policy compiler and
// the server rules for a policy (the engine's own generator, the one `sendcloud-gate export` runs), in a wasm module
// of its own, so that the decision package (`sendcloud-gate`) carries no compiler.
import type { Policy, PolicyJson } from './index';
import { PolicyError } from './index';

export { PolicyError };

/**
 * Compiles a policy from its JSON text (or a JSON value, or UTF-8 bytes of the text) into a Policy of the decision
 * package (`sendcloud-gate`), the same as `Policy.fromBytes()` of its compiled bytes. Throws a PolicyError naming
 * the JSON path, line and column of the first problem.
 */
export function compilePolicy(json: string | PolicyJson | Uint8Array | object): Policy;

/** A server rule format: the names `sendcloud-gate export --format` takes. */
export type ExportFormat = 'modsecurity' | 'apache' | 'nginx' | 'cloudflare';

/** The formats, in the order they are listed to users (from the engine). */
export const formats: readonly ExportFormat[];

/**
 * The server rule that lets exactly the policy's partner traffic through, in `format`: byte for byte what
 * `sendcloud-gate export --format FORMAT --policy FILE` writes for the same policy (comments with the presets'
 * provenance, then the rule). The policy is JSON text, a JSON value, UTF-8 bytes of JSON text, compiled bytes
 * (`Policy.toBytes()`) or a Policy of the decision package. Throws a PolicyError (path, line, column) for a policy
 * that does not compile, a RangeError for a name that is not a format (ASCII case is ignored, as the CLI does).
 */
export function exportPolicy(policy: string | PolicyJson | Uint8Array | Policy | object, format: ExportFormat | string): string;

/** The engine's version (the same as the decision package's). */
export function version(): string;
