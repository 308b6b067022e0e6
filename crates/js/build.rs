//! Compiles the default policy with the engine (as a build dependency, for the build machine) and writes its bytes
//! to `OUT_DIR/default-policy.bin`, which `defaultPolicy()` loads: the wasm module itself has no compiler.

use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let bytes = sendcloud_gate::Policy::default_policy().to_bytes();
    std::fs::write(out.join("default-policy.bin"), bytes).expect("writing default-policy.bin");
    // The policy is the engine's: cargo rebuilds this script when the engine (a build dependency) changes.
    println!("cargo:rerun-if-changed=build.rs");
}
