// Node entry: loads the same wasm as the browser build, synchronously, with fs. `import` is all it takes.
import { readFileSync } from 'node:fs';
import * as raw from './dist/web/sendcloud_gate.js';
import { bind } from './core.js';

const wasm = raw.initSync({ module: readFileSync(new URL('./dist/web/sendcloud_gate_bg.wasm', import.meta.url)) });
const api = bind(raw, wasm);

export const ready = Promise.resolve();
export const init = () => ready;
export const { Policy, PolicyError, PolicyFreedError, defaultPolicy, presets, version } = api;
