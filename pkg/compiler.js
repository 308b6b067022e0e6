// Browser entry of the compiler module (`import('sendcloud-gate/compiler')`; also any ES-module host with fetch):
// loads dist/compiler/sendcloud_gate_compiler_bg.wasm, its own module, apart from the decision package's (web.js),
// so that a page that only decides never loads it. compilePolicy() gives Policies of web.js. Importing this entry
// waits for both modules (top-level await).
import wbgInit, * as raw from './dist/compiler/sendcloud_gate_compiler.js';
import { bindCompiler } from './compiler-core.js';
import { Policy } from './web.js';

await wbgInit({ module_or_path: new URL('./dist/compiler/sendcloud_gate_compiler_bg.wasm', import.meta.url) });

export { PolicyError } from './core.js';
export const { compilePolicy, exportPolicy, formats, version } = bindCompiler(raw, Policy);
