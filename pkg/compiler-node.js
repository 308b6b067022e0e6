// Node entry of the compiler module: loads the same wasm as the browser entry (compiler.js), synchronously, with
// fs. compilePolicy() gives Policies of node.js.
import { readFileSync } from 'node:fs';
import * as raw from './dist/compiler/sendcloud_gate_compiler.js';
import { bindCompiler } from './compiler-core.js';
import { Policy } from './node.js';

raw.initSync({ module: readFileSync(new URL('./dist/compiler/sendcloud_gate_compiler_bg.wasm', import.meta.url)) });

export { PolicyError } from './core.js';
export const { compilePolicy, exportPolicy, formats, version } = bindCompiler(raw, Policy);
