//! The compiler module: the raw wasm-bindgen layer under `pkg/compiler.js` (`import('sendcloud-gate/compiler')`).
//!
//! It is the engine's policy compiler ([`Policy::from_json`]) and its server-rule export ([`sendcloud_gate::export`],
//! the generator `sendcloud-gate export` runs), in a wasm module of its own. The compiler is the larger half of the
//! engine, and a host that decides with stored bytes never needs it; so the decision package (`crates/js`) has
//! none: [`compile`] gives a policy's bytes, which the decision package loads. There is no compile or export logic
//! in JS.
//!
//! [`export_policy`] takes the policy as the command line takes a policy file: JSON text, or the compiled bytes
//! `Policy::to_bytes` writes (recognised by their header), so `sendcloud-gate export --format F --policy P` and
//! [`export_policy`] give the same bytes for the same file.

#![warn(missing_docs)]

use std::cell::RefCell;

use sendcloud_gate::export::{Format, UnknownFormat};
use sendcloud_gate::{hosts, Policy};
use wasm_bindgen::prelude::*;

std::thread_local! {
    /// The last error as JSON: `{"message","path","line","column"}`.
    static ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// The last error of [`compile`] or [`export_policy`] as JSON (`{"message","path","line","column"}`, as every host gives a
/// policy error).
#[wasm_bindgen]
pub fn last_error() -> String {
    ERROR.with(|e| e.borrow().clone())
}

/// The export formats, in the order they are listed to users, as a JSON array of the names `--format` takes.
#[wasm_bindgen]
pub fn formats() -> String {
    let mut out = String::new();
    hosts::write_json_strs(&mut out, Format::ALL.iter().map(|f| f.name()));
    out
}

/// The crate version (the engine's).
#[wasm_bindgen]
pub fn version() -> String {
    String::from(env!("CARGO_PKG_VERSION"))
}

/// Compiles a policy's JSON text (UTF-8 bytes) to the bytes `Policy.fromBytes` of the decision package loads;
/// `undefined` on error, with the error (path, line, column) in [`last_error`].
#[wasm_bindgen]
pub fn compile(policy: &[u8]) -> Option<Vec<u8>> {
    match Policy::from_json(policy) {
        Ok(p) => Some(p.to_bytes()),
        Err(e) => failed(e.to_json()),
    }
}

/// Keeps `json` as the last error; the `undefined` JS sees.
fn failed<T>(json: String) -> Option<T> {
    ERROR.with(|e| *e.borrow_mut() = json);
    None
}

/// The server rule for `policy` (JSON text or compiled bytes) in `format` (a name of [`formats`]), byte for byte
/// what `sendcloud-gate export` writes; `undefined` on error, with the error in [`last_error`] (a policy error
/// with its path, line and column; an unknown format with path `format`).
#[wasm_bindgen]
pub fn export_policy(policy: &[u8], format: &str) -> Option<String> {
    let Some(format) = Format::from_name(format) else {
        return failed(hosts::error_json(
            &UnknownFormat.to_string(),
            "format",
            0,
            0,
        ));
    };
    let loaded = if Policy::looks_compiled(policy) {
        Policy::from_bytes(policy).map_err(|e| e.to_json())
    } else {
        Policy::from_json(policy).map_err(|e| e.to_json())
    };
    match loaded {
        Ok(p) => Some(p.export(format)),
        Err(json) => failed(json),
    }
}
