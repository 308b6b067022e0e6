//! # sendcloud-gate
//!
//! Decides, for one HTTP request to a self-hosted shop, whether it is verified Sendcloud traffic (or another
//! partner's, or matched by a site rule): `allow`, `deny`, or `pass` (no opinion), always with a stable reason
//! code, and with a step-by-step trace on request. The behaviour is the decision contract
//! (`docs/decision-contract.md`, revision 2); this crate is its one implementation, which the CLI, the wasm builds,
//! the JS package and the PHP library all embed.
//!
//! ```
//! use sendcloud_gate::{Policy, Request};
//!
//! let policy = Policy::default_policy();
//! let request = Request::new(b"94.232.247.10", b"PATCH", b"/wp-json/wc/v3/orders/12")
//!     .header(b"User-Agent", b"SendCloud/1.0 (woocommerce; https://www.sendcloud.sc)");
//! let decision = policy.decide(&request);
//! assert_eq!(decision.to_json(),
//!     r#"{"action":"allow","reason":"partner_match","rule":"sendcloud","client_ip":"94.232.247.10","method":"PATCH"}"#);
//! ```
//!
//! # Layout
//!
//! - [`policy`]: the policy's JSON schema, its validation (errors name the JSON path), and the compiled form.
//! - [`engine`]: the decision logic, all of it, in the contract's order.
//! - [`bytes`]: the compiled form as versioned, validated bytes, for hosts that store it.
//! - [`request`], [`decision`]: the contract's input and output.
//! - Building blocks with no policy knowledge: [`addr`] (addresses and range sets), [`pattern`] (User-Agent
//!   patterns), [`method`], [`path`] (path normalisation), [`json`] (a float-free JSON reader), [`presets`].
//!
//! The crate is `no_std` + `alloc` and does no I/O, so the same code compiles to wasm32 with no imports and no
//! floating-point instructions. The command line (`src/main.rs`), the JS bindings ([`js`], feature `js`) and the
//! core module's C ABI ([`abi`], feature `core-abi`) are thin layers over [`Policy`].
#![no_std]
// The core module's exports ([`abi`]) need `unsafe` for host pointers and the allocator; everything else stays
// safe: with `core-abi` the lint is `deny` and only `abi` allows it.
#![cfg_attr(not(feature = "core-abi"), forbid(unsafe_code))]
#![cfg_attr(feature = "core-abi", deny(unsafe_code))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[cfg(feature = "core-abi")]
#[allow(unsafe_code)]
pub mod abi;
pub mod addr;
pub mod bytes;
pub mod decision;
pub mod engine;
#[cfg(feature = "js")]
pub mod js;
pub mod json;
pub mod method;
pub mod path;
pub mod pattern;
pub mod policy;
pub mod presets;
pub mod request;
pub mod show;

pub use addr::Ip;
pub use decision::{Decision, Explanation, FieldText, Fields, Reason};
pub use method::Method;
pub use policy::{Action, Policy, PolicyError, PolicyWarning};
pub use request::{Request, RequestError};

use alloc::string::String;

impl Policy {
    /// Decides one request. Never fails: malformed input is a `pass` with `malformed_input`.
    pub fn decide<'p>(&'p self, request: &Request<'_>) -> Decision<'p> {
        engine::decide(self, request)
    }

    /// Decides one request and returns the decision's [`Fields`](decision::Fields): its five values as text,
    /// borrowed from the policy, the request or `text`. What the core wasm module's `scg_decide_fields` returns (as
    /// locations in its memory).
    pub fn decide_fields<'a>(
        &'a self,
        request: &Request<'a>,
        text: &'a mut decision::FieldText,
    ) -> decision::Fields<'a> {
        engine::decide_fields(self, request, text)
    }

    /// Decides one request with the trace of how.
    pub fn explain<'p>(&'p self, request: &Request<'_>) -> Explanation<'p> {
        engine::explain(self, request)
    }

    /// Decides a request given as the contract's JSON and returns the decision's JSON. Input that is not a
    /// request (bad JSON, a missing field) is `pass` with `malformed_input`: a host never gets an error to
    /// mishandle.
    pub fn decide_json(&self, request_json: &[u8]) -> String {
        match json::parse(request_json) {
            Ok(node) => match Request::from_json(&node) {
                Ok(request) => self.decide(&request).to_json(),
                Err(_) => Decision::malformed(None, None).to_json(),
            },
            Err(_) => Decision::malformed(None, None).to_json(),
        }
    }

    /// [`Policy::decide_json`] with the trace; the trace says why input that is not a request was refused.
    pub fn explain_json(&self, request_json: &[u8]) -> String {
        let refused = |why: String| {
            Explanation {
                decision: Decision::malformed(None, None),
                trace: alloc::vec![why],
                provenance: None,
            }
            .to_json()
        };
        match json::parse(request_json) {
            Ok(node) => match Request::from_json(&node) {
                Ok(request) => self.explain(&request).to_json(),
                Err(e) => refused(alloc::format!("not a request: {e}")),
            },
            Err(e) => refused(alloc::format!("not a request: {e}")),
        }
    }
}
