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
//! # What is here
//!
//! - [`Policy`]: compiled from JSON ([`Policy::from_json`], errors name the JSON path: [`PolicyError`]), loaded
//!   from and written to versioned bytes ([`Policy::from_bytes`], [`Policy::to_bytes`]), shown
//!   ([`Policy::show_json`]), and deciding ([`Policy::decide`], [`Policy::explain`]).
//! - [`Request`] and [`Decision`] / [`Explanation`]: the contract's input and output.
//! - [`hosts`]: the few pieces a host crate needs beyond that (the packed request, the fields form, the error
//!   JSON), so that every host writes them the same way.
//! - [`export`]: server rules (ModSecurity, Apache, nginx, Cloudflare) that let the policy's partner traffic
//!   through, with the presets' provenance ([`export::export`], [`Policy::export`]).
//!
//! Inside, privately: the decision logic (`engine`, in the contract's order; `rules`: the site rules with the filter
//! that tells a decision which of them its client may meet), the policy compiler and compiled form (`schema`: the
//! policy JSON as serde types; `policy`, `bytes`, `show`; `ranges`: policy ranges through `ipnet`; `checked`: the
//! ids, claims and path prefixes both the compiler and the bytes loader check, each rule written once as a type's
//! constructor), and building blocks with no policy knowledge (addresses and range sets, User-Agent patterns,
//! methods, path normalisation, a float-free JSON string writer, the preset data). JSON is read with serde_json.
//!
//! The crate is `no_std` + `alloc`, has no `unsafe` and no I/O, so the same code compiles to wasm32 with no imports.
//! The decision path has no floating-point instructions and uses none of the compiler's dependencies (`serde`,
//! `serde_json`, `serde_path_to_error`, `ipnet`), so the decision-only core module has neither. Each host is a crate of its own over this one (`crates/` in the repository,
//! `docs/architecture.md`): the core wasm module (C ABI, allocator, panic handler, the only `unsafe`), the
//! wasm-bindgen layer behind the npm package, and the command line.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod addr;
mod bytes;
mod checked;
mod decision;
mod engine;
pub mod export;
pub mod hosts;
mod json_out;
mod method;
mod path;
mod pattern;
mod policy;
mod presets;
mod ranges;
mod request;
mod rules;
mod schema;
mod show;

pub use addr::Ip;
pub use bytes::LoadError;
pub use decision::{Decision, Explanation, FieldText, Fields, NotARequest, Reason};
pub use method::Method;
pub use policy::{Action, Policy, PolicyError, PolicyWarning};
pub use presets::Provenance;
pub use request::{Headers, Request};

/// Building blocks re-exported for this workspace's property tests and benchmarks. Not an API: anything here may
/// change with any commit.
#[doc(hidden)]
#[allow(missing_docs)] // Hidden and not an API: the building blocks are documented where they are defined.
pub mod internals {
    pub use crate::addr::{parse_addr, RangeSet};
    pub use crate::pattern::{contains_lower, Pattern, MAX_SHOPS};
    pub use crate::ranges::Cidr;
}

use alloc::string::String;

impl Policy {
    /// Decides one request. Never fails: malformed input is a `pass` with `malformed_input`.
    #[inline]
    pub fn decide<'p>(&'p self, request: &Request<'_>) -> Decision<'p> {
        engine::decide(self, request)
    }

    /// Decides one request and returns the decision's [`Fields`]: its five values as text, borrowed from the
    /// policy, the request or `text`. What the core wasm module's `scg_decide_fields` returns (as locations in its
    /// memory).
    #[inline]
    pub fn decide_fields<'a>(
        &'a self,
        request: &Request<'a>,
        text: &'a mut FieldText,
    ) -> Fields<'a> {
        engine::decide_fields(self, request, text)
    }

    /// Decides one request with the trace of how.
    #[inline]
    pub fn explain<'p>(&'p self, request: &Request<'_>) -> Explanation<'p> {
        engine::explain(self, request)
    }

    /// Decides a request given as the contract's JSON and returns the decision's JSON. Input that is not a
    /// request (bad JSON, a missing field) is `pass` with `malformed_input`: a host never gets an error to
    /// mishandle.
    pub fn decide_json(&self, request_json: &[u8]) -> String {
        match Request::with_json(request_json, |request| self.decide(request).to_json()) {
            Ok(json) => json,
            Err(_) => Decision::malformed(None, None).to_json(),
        }
    }

    /// [`Policy::decide_json`] with the trace; the trace says why input that is not a request was refused
    /// ([`NotARequest`]).
    pub fn explain_json(&self, request_json: &[u8]) -> String {
        match Request::with_json(request_json, |request| self.explain(request).to_json()) {
            Ok(json) => json,
            Err(why) => Explanation::not_a_request(&why).to_json(),
        }
    }
}
