// Node entry of the export module: loads the same wasm as the browser entry (export.js), synchronously, with fs.
import { readFileSync } from 'node:fs';
import * as raw from './dist/export/sendcloud_gate_export.js';
import { bindExport } from './export-core.js';

raw.initSync({ module: readFileSync(new URL('./dist/export/sendcloud_gate_export_bg.wasm', import.meta.url)) });

export { PolicyError } from './core.js';
export const { exportPolicy, formats, version } = bindExport(raw);
