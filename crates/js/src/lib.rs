//! The JS bindings: the raw wasm-bindgen layer under the npm package in `pkg/` (`.ci/build-wasm.sh` builds it and
//! runs wasm-bindgen on it).
//!
//! This layer is deliberately thin and not the public JS API: `pkg/core.js` wraps it into `Policy.fromBytes`,
//! `Policy.decide`, … (see `pkg/index.d.ts`). What it is shaped for is speed of `decide`:
//!
//! - The request goes in in the packed form ([`Request::from_packed`]): JS encodes it with `TextEncoder.encodeInto`
//!   straight into a scratch buffer in wasm memory ([`scratch`]), then makes one call ([`WasmPolicy::decide`]).
//!   No JSON is built or parsed for the request.
//! - The decision comes out as a few numbers and two short ASCII strings in an output buffer ([`out_ptr`]):
//!
//!   ```text
//!   u8 action (index in codes().actions) | u8 reason (index in codes().reasons) | u16 rule (0 none, i+1 = ids()[i])
//!   | u8 client_ip length (0 = null) | u8 method length (0 = null) | client_ip bytes | method bytes
//!   ```
//!
//!   Rule ids are looked up by index in [`WasmPolicy::ids`], which JS reads once per policy; the action and reason
//!   codes in the table [`codes`] gives, which JS reads once (so no list of codes is kept in JS).
//!
//! Everything else (explain, show, load errors) is JSON text: those calls are not hot.
//!
//! There is no policy compiler here: it is the larger half of the engine, and a host that decides with stored bytes
//! does not need it. Policies are compiled by the compiler module (`crates/compiler-js`, `sendcloud-gate/compiler`)
//! and loaded here from their bytes; the default policy's bytes are compiled when this crate is built (`build.rs`).

#![warn(missing_docs)]

use std::cell::RefCell;
use std::fmt::Write;

use wasm_bindgen::prelude::*;

use sendcloud_gate::{hosts, Action, Decision, Explanation, NotARequest, Policy, Reason, Request};

/// The default policy (`{}`: the Sendcloud preset) as compiled bytes, written by `build.rs` with this engine.
const DEFAULT_POLICY: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/default-policy.bin"));

std::thread_local! {
    /// Where JS writes a packed request; grown by [`scratch`].
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// Where [`WasmPolicy::decide`] writes the decision.
    static OUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// The last load error as JSON: `{"message","path","line","column"}`.
    static ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Makes the scratch buffer at least `len` bytes long and returns its address in wasm memory. The address changes
/// only when the buffer grows; memory growth detaches JS views, so JS re-reads `memory.buffer` after this call.
#[wasm_bindgen]
pub fn scratch(len: usize) -> *mut u8 {
    SCRATCH.with(|s| {
        let mut s = s.borrow_mut();
        if s.len() < len {
            s.resize(len, 0);
        }
        s.as_mut_ptr()
    })
}

/// The address of the decision output buffer (capacity reserved once; it never moves).
#[wasm_bindgen]
pub fn out_ptr() -> *const u8 {
    OUT.with(|o| {
        let mut o = o.borrow_mut();
        // 6 header bytes + client_ip (at most 45 bytes) + method (at most 32): never reallocates.
        if o.capacity() < 128 {
            o.reserve(128);
        }
        o.as_ptr()
    })
}

/// The last load error as JSON.
#[wasm_bindgen]
pub fn last_error() -> String {
    ERROR.with(|e| e.borrow().clone())
}

/// The crate version.
#[wasm_bindgen]
pub fn version() -> String {
    String::from(env!("CARGO_PKG_VERSION"))
}

/// The preset files with their provenance, as a JSON object keyed by preset name.
#[wasm_bindgen]
pub fn presets_json() -> String {
    hosts::presets_json()
}

/// The codes the decision bytes index: `{"actions":[…],"reasons":[…]}`, in the engine's order ([`Action::ALL`],
/// [`Reason::ALL`]). JS reads it once; no list of codes is written twice.
#[wasm_bindgen]
pub fn codes() -> String {
    let mut out = String::from("{\"actions\":");
    hosts::write_json_strs(&mut out, Action::ALL.iter().map(|a| a.as_str()));
    out.push_str(",\"reasons\":");
    hosts::write_json_strs(&mut out, Reason::ALL.iter().map(|r| r.as_str()));
    out.push('}');
    out
}

/// The explanation of input that is not a request, for the reason JS gives (a value with no JSON text): the same
/// decision and trace text ([`NotARequest`]) as every other host's.
#[wasm_bindgen]
pub fn not_a_request(why: &str) -> String {
    Explanation::not_a_request(&NotARequest::because(why)).to_json()
}

/// `fmt::Write` into a byte buffer, for the client IP.
struct Bytes<'a>(&'a mut Vec<u8>);

impl Write for Bytes<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

fn set_error(json: String) {
    ERROR.with(|e| *e.borrow_mut() = json);
}

/// A compiled policy held in wasm memory.
#[wasm_bindgen]
pub struct WasmPolicy {
    policy: Policy,
}

#[wasm_bindgen]
impl WasmPolicy {
    /// Loads a compiled policy; `undefined` on error, with the error in [`last_error`].
    pub fn load(bytes: &[u8]) -> Option<WasmPolicy> {
        match Policy::from_bytes(bytes) {
            Ok(policy) => Some(WasmPolicy { policy }),
            Err(e) => {
                set_error(e.to_json());
                None
            }
        }
    }

    /// The default policy: the Sendcloud preset, nothing else. Loaded from the bytes the build compiled
    /// ([`DEFAULT_POLICY`]), since this module has no compiler.
    pub fn default_policy() -> Option<WasmPolicy> {
        WasmPolicy::load(DEFAULT_POLICY)
    }

    /// The compiled policy as bytes, for [`WasmPolicy::load`] later.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.policy.to_bytes()
    }

    /// The policy's warnings as a JSON array of `{path, message}` ([`Policy::warnings`]).
    pub fn warnings(&self) -> String {
        self.policy.warnings_json()
    }

    /// The effective policy as JSON ([`Policy::show_json`]).
    pub fn show(&self) -> String {
        self.policy.show_json()
    }

    /// The rule ids then the partner ids, as a JSON array: what the decision's rule index points into.
    pub fn ids(&self) -> String {
        let mut out = String::new();
        hosts::write_json_strs(&mut out, self.policy.ids());
        out
    }

    /// Decides the packed request in the first `len` bytes of the scratch buffer and writes the decision to the
    /// output buffer (layout in the module docs). Returns the number of bytes written.
    pub fn decide(&self, len: usize) -> usize {
        let decision = SCRATCH.with(|s| {
            let s = s.borrow();
            match s.get(..len).and_then(Request::from_packed) {
                Some(req) => self.policy.decide(&req),
                None => Decision::malformed(None, None),
            }
        });
        OUT.with(|o| {
            let mut o = o.borrow_mut();
            o.clear();
            let action = Action::ALL
                .iter()
                .position(|a| *a == decision.action)
                .unwrap_or(0) as u8;
            let reason = Reason::ALL
                .iter()
                .position(|r| *r == decision.reason)
                .unwrap_or(0) as u8;
            let rule = decision.rule.map_or(0, |id| self.rule_index(id)) as u16;
            // The two lengths are filled in once known.
            o.extend_from_slice(&[action, reason, rule as u8, (rule >> 8) as u8, 0, 0]);
            if let Some(ip) = decision.client_ip {
                let _ = write!(Bytes(&mut o), "{ip}");
            }
            let ip_end = o.len();
            if let Some(m) = decision.method {
                o.extend_from_slice(m.as_str().as_bytes());
            }
            o[4] = (ip_end - 6) as u8;
            o[5] = (o.len() - ip_end) as u8;
            o.len()
        })
    }

    fn rule_index(&self, id: &str) -> usize {
        self.policy
            .ids()
            .position(|x| x == id)
            .map_or(0, |i| (i + 1).min(usize::from(u16::MAX)))
    }

    /// Explains the packed request in the scratch buffer: the explanation's JSON.
    pub fn explain(&self, len: usize) -> String {
        SCRATCH.with(|s| {
            let s = s.borrow();
            match s.get(..len).and_then(Request::from_packed) {
                Some(req) => self.policy.explain(&req).to_json(),
                None => Explanation::not_a_request(&NotARequest::packed()).to_json(),
            }
        })
    }

    /// Decides a request given as the contract's JSON; the decision's JSON.
    pub fn decide_json(&self, request: &str) -> String {
        self.policy.decide_json(request.as_bytes())
    }

    /// Explains a request given as the contract's JSON; the explanation's JSON.
    pub fn explain_json(&self, request: &str) -> String {
        self.policy.explain_json(request.as_bytes())
    }
}
