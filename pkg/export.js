// Browser entry of the export module (`import('sendcloud-gate/export')`; also any ES-module host with fetch): loads
// dist/export/sendcloud_gate_export_bg.wasm, its own module, apart from the decision package's (web.js), so that a
// page pays for it only when it imports this entry. Importing it waits for the wasm (top-level await).
import wbgInit, * as raw from './dist/export/sendcloud_gate_export.js';
import { bindExport } from './export-core.js';

await wbgInit({ module_or_path: new URL('./dist/export/sendcloud_gate_export_bg.wasm', import.meta.url) });

export { PolicyError } from './core.js';
export const { exportPolicy, formats, version } = bindExport(raw);
