// Loads the engine: the `sendcloud-gate` package's browser entry (pkg/web.js), which loads the decision wasm that
// `make wasm` builds into pkg/dist/web/, and its compiler module (pkg/compiler.js, pkg/dist/compiler/: the policy
// compiler and the server-rule export, a wasm of its own). The page compiles the editor's policy from the start, so
// both are loaded together. Every decision and every compile on this page comes from them; the page decides nothing.

export const PKG_ENTRY = new URL('../pkg/web.js', import.meta.url).href;
export const COMPILER_ENTRY = new URL('../pkg/compiler.js', import.meta.url).href;

let loading = null;

/** Imports and initialises the package once; resolves to its API with the compiler's compilePolicy(). */
export function loadEngine() {
  if (!loading) {
    loading = (async () => {
      const [mod, compiler] = await Promise.all([import(PKG_ENTRY), import(COMPILER_ENTRY)]);
      if (mod.ready && typeof mod.ready.then === 'function') await mod.ready;
      return { ...mod, compilePolicy: compiler.compilePolicy };
    })();
    // A failed load (the network, a missing build) can be tried again.
    loading.catch(() => { loading = null; });
  }
  return loading;
}

/** The compiler module's namespace ({exportPolicy, formats, PolicyError, version}), for the Export panel: the module
 * loadEngine() already loaded, so opening the panel fetches nothing. */
export function loadExporter() {
  return loadEngine().then(() => import(COMPILER_ENTRY));
}
