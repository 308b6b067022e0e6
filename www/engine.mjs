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
