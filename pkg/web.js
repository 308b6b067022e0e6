// Browser entry (also any ES-module host with fetch): loads the wasm next to this file, then exports the API.
// Importing this module waits for the wasm (top-level await); `ready` and `init()` are there for loaders that
// want to await explicitly.
import wbgInit, * as raw from './dist/web/sendcloud_gate.js';
import { bind } from './core.js';

const wasm = await wbgInit({ module_or_path: new URL('./dist/web/sendcloud_gate_bg.wasm', import.meta.url) });
const api = bind(raw, wasm);

export const ready = Promise.resolve();
export const init = () => ready;
export const { Policy, PolicyError, PolicyFreedError, defaultPolicy, presets, version } = api;
