// Loads the engine: the `sendcloud-gate` package's browser entry (pkg/web.js), which loads the wasm that
// `make wasm` builds into pkg/dist/web/.
// Every decision on this page comes from it; the page itself decides nothing.

export const PKG_ENTRY = new URL('../pkg/web.js', import.meta.url).href;

let loading = null;

/** Imports and initialises the package once; resolves to its module namespace. */
export function loadEngine() {
  if (!loading) {
    loading = (async () => {
      const mod = await import(PKG_ENTRY);
      // A wasm-bindgen "web" build exports an init function as default; a wrapper may export `ready`/`init`.
      if (typeof mod.init === 'function') await mod.init();
      else if (typeof mod.default === 'function') await mod.default();
      if (mod.ready && typeof mod.ready.then === 'function') await mod.ready;
      return mod;
    })();
  }
  return loading;
}

// The export module (`sendcloud-gate/export`: pkg/export.js and its own wasm, pkg/dist/export/): the engine's
// server-rule generator, the one `sendcloud-gate export` runs. Not preloaded and not imported with the page: it is
// imported the first time the Export panel is opened, so the page loads only the decision package until then.
export const EXPORT_ENTRY = new URL('../pkg/export.js', import.meta.url).href;

let exportLoading = null;

/** Imports the export module once; resolves to its namespace ({exportPolicy, formats, PolicyError, version}). */
export function loadExporter() {
  if (!exportLoading) {
    exportLoading = import(EXPORT_ENTRY);
    // A failed load (the network, a missing build) can be tried again by opening the panel again.
    exportLoading.catch(() => { exportLoading = null; });
  }
  return exportLoading;
}
