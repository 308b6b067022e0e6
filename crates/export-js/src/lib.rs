//! The export module: the raw wasm-bindgen layer under `pkg/export.js` (`import('sendcloud-gate/export')`).
//!
//! It is the engine's own [`sendcloud_gate::export`] (the generator `sendcloud-gate export` runs) behind two calls,
//! in a wasm module of its own: the decision package (`crates/js`) stays within its size budget, and a page loads
//! this module only when it shows an export (the rule tester's Export panel). There is no export logic in JS.
//!
//! The policy is taken as the command line takes a policy file: JSON text, or the compiled bytes
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

/// The last error of [`export_policy`] as JSON (`{"message","path","line","column"}`, as every host gives a
/// policy error).
#[wasm_bindgen]
pub fn last_error() -> String {
    ERROR.with(|e| e.borrow().clone())
}

/// The export formats, in the order they are listed to users, as a JSON array of the names `--format` takes.
#[wasm_bindgen]
pub fn formats() -> String {
    let mut out = String::from("[");
    for (i, f) in Format::ALL.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        hosts::write_json_str(&mut out, f.name());
    }
    out.push(']');
    out
}

/// The crate version (the engine's).
#[wasm_bindgen]
pub fn version() -> String {
    String::from(env!("CARGO_PKG_VERSION"))
}

/// The server rule for `policy` (JSON text or compiled bytes) in `format` (a name of [`formats`]), byte for byte
/// what `sendcloud-gate export` writes; `undefined` on error, with the error in [`last_error`] (a policy error
/// with its path, line and column; an unknown format with path `format`).
#[wasm_bindgen]
pub fn export_policy(policy: &[u8], format: &str) -> Option<String> {
    let fail = |json: String| {
        ERROR.with(|e| *e.borrow_mut() = json);
        None
    };
    let Some(format) = Format::from_name(format) else {
        return fail(hosts::error_json(
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
        Err(json) => fail(json),
    }
}
