//! The core module's C-style ABI (feature `core-abi`): exports over linear memory, no imports, for hosts that are
//! not JavaScript (the PHP translation, wasmtime, Go, proxies). `docs/core-abi.md` is the host author's guide.
//!
//! # Conventions
//!
//! - Every pointer and length is an `i32` (wasm32 addresses, read as unsigned).
//! - A *result* is an `i64`: `ptr << 32 | len` of bytes the module owns. It stays valid until the next call that
//!   returns a result (any `scg_*` export except `scg_alloc`, `scg_free`, `scg_policy_free`, `scg_abi_version`);
//!   the host copies it out and never frees it. `0` means "no result": read [`scg_last_error`].
//! - A *policy handle* is a positive `i32`; `0` means failure (read [`scg_last_error`]).
//! - Input buffers are the host's: `scg_alloc` them, write, pass them, and `scg_free` (or keep and reuse) them.
//!   The module never keeps a pointer to an input after the call returns.
//!
//! # One call per decision
//!
//! `scg_decide(policy, ptr, len)` takes the request in the packed form of [`crate::request`] and returns the
//! decision's JSON. A buffer that is not exactly one packed request is `pass` + `malformed_input`; nothing a host
//! passes in a buffer can make the call fail or trap.
//!
//! # Compile exports
//!
//! `scg_policy_compile`, `scg_policy_default` and `scg_policy_show` need the JSON policy compiler and the preset
//! data; they exist only with the sub-feature `core-compile` (on in the standard core build). Without it the module
//! is decision-only: load compiled bytes, decide, explain, export bytes.
//!
//! # Safety
//!
//! The module is single-threaded (wasm32 without threads); the global state below is only touched from the
//! exported functions, which never re-enter one another. The `unsafe` in this file is confined to: the global state
//! cell, turning host pointers into slices (checked against the memory size), and the raw allocator calls behind
//! `scg_alloc` / `scg_free`.

use alloc::string::String;
use alloc::vec::Vec;
use core::alloc::Layout;
use core::cell::UnsafeCell;

use crate::decision::Decision;
use crate::json;
use crate::policy::Policy;
use crate::request::Request;

/// The ABI's version: bumped on any incompatible change to an export's signature or meaning.
pub const ABI_VERSION: i32 = 1;

/// Most policies alive at once; a host that leaks handles gets an error rather than unbounded memory.
const MAX_POLICIES: usize = 1024;

struct State {
    policies: Vec<Option<Policy>>,
    /// The last result handed out (decision, explanation, bytes, show), kept alive until the next one.
    result: Vec<u8>,
    /// The last error, as JSON.
    error: Vec<u8>,
}

struct Global(UnsafeCell<State>);

// SAFETY: wasm32-unknown-unknown without the atomics feature has one thread.
unsafe impl Sync for Global {}

static STATE: Global = Global(UnsafeCell::new(State {
    policies: Vec::new(),
    result: Vec::new(),
    error: Vec::new(),
}));

fn state() -> &'static mut State {
    // SAFETY: single-threaded, and every export takes this reference once and drops it before returning; no
    // export calls another.
    unsafe { &mut *STATE.0.get() }
}

/// A host buffer as a slice. A null pointer or a zero length is the empty slice.
fn input<'a>(ptr: i32, len: i32) -> &'a [u8] {
    let (ptr, len) = (ptr as u32 as usize, len as u32 as usize);
    if ptr == 0 || len == 0 || !in_memory(ptr, len) {
        return &[];
    }
    // SAFETY: [ptr, ptr+len) lies inside linear memory (checked above), which is all readable; the host owns the
    // buffer for the duration of the call.
    unsafe { core::slice::from_raw_parts(ptr as *const u8, len) }
}

#[cfg(target_arch = "wasm32")]
fn in_memory(ptr: usize, len: usize) -> bool {
    let size = core::arch::wasm32::memory_size(0).saturating_mul(65536);
    ptr.checked_add(len).is_some_and(|end| end <= size)
}

#[cfg(not(target_arch = "wasm32"))]
fn in_memory(_ptr: usize, _len: usize) -> bool {
    // Natively (unit tests) the host is Rust code passing real buffers.
    true
}

fn result(bytes: Vec<u8>) -> i64 {
    let st = state();
    st.result = bytes;
    pack(st.result.as_ptr() as usize, st.result.len())
}

fn pack(ptr: usize, len: usize) -> i64 {
    ((ptr as u64) << 32 | (len as u32 as u64)) as i64
}

fn set_error(message: &str, path: &str, line: u32, column: u32) {
    let mut out = String::with_capacity(message.len() + path.len() + 64);
    out.push_str("{\"message\":");
    json::write_str(&mut out, message);
    out.push_str(",\"path\":");
    json::write_str(&mut out, path);
    out.push_str(",\"line\":");
    push_u32(&mut out, line);
    out.push_str(",\"column\":");
    push_u32(&mut out, column);
    out.push('}');
    state().error = out.into_bytes();
}

fn push_u32(out: &mut String, mut n: u32) {
    let mut digits = [0u8; 10];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[i..] {
        out.push(d as char);
    }
}

fn add_policy(policy: Policy) -> i32 {
    let st = state();
    if let Some(i) = st.policies.iter().position(Option::is_none) {
        st.policies[i] = Some(policy);
        return i as i32 + 1;
    }
    if st.policies.len() >= MAX_POLICIES {
        set_error("too many policies alive: free some with scg_policy_free", "", 0, 0);
        return 0;
    }
    st.policies.push(Some(policy));
    st.policies.len() as i32
}

fn policy<'a>(handle: i32) -> Option<&'a Policy> {
    let i = (handle as u32 as usize).checked_sub(1)?;
    let found = state().policies.get(i)?.as_ref();
    if found.is_none() {
        set_error("not a live policy handle", "", 0, 0);
    }
    found
}

fn no_policy() -> i64 {
    set_error("not a live policy handle", "", 0, 0);
    0
}

/// The ABI version ([`ABI_VERSION`]).
#[no_mangle]
pub extern "C" fn scg_abi_version() -> i32 {
    ABI_VERSION
}

/// Allocates `len` bytes (alignment 8) for the host to write an input into. Returns 0 if memory cannot grow.
/// `len` 0 gives a valid 1-byte allocation, so that every non-zero return can be freed the same way.
#[no_mangle]
pub extern "C" fn scg_alloc(len: i32) -> i32 {
    let Ok(layout) = Layout::from_size_align((len as u32 as usize).max(1), 8) else {
        return 0;
    };
    // SAFETY: the layout has a non-zero size.
    let ptr = unsafe { alloc::alloc::alloc(layout) };
    ptr as usize as i32
}

/// Frees a buffer from [`scg_alloc`]; `len` must be the length it was allocated with. A null pointer is ignored.
#[no_mangle]
pub extern "C" fn scg_free(ptr: i32, len: i32) {
    if ptr == 0 {
        return;
    }
    let Ok(layout) = Layout::from_size_align((len as u32 as usize).max(1), 8) else {
        return;
    };
    // SAFETY: the host contract: `ptr` came from scg_alloc with this length and is freed once.
    unsafe { alloc::alloc::dealloc(ptr as u32 as usize as *mut u8, layout) }
}

/// The last error as JSON, `{"message","path","line","column"}` (`path` empty and `line`/`column` 0 where they do
/// not apply). Always a result (never 0); `{"message":"",…}` before any error.
#[no_mangle]
pub extern "C" fn scg_last_error() -> i64 {
    let st = state();
    if st.error.is_empty() {
        set_error("", "", 0, 0);
    }
    let st = state();
    pack(st.error.as_ptr() as usize, st.error.len())
}

/// Loads a compiled policy ([`Policy::to_bytes`]). Returns a handle, or 0 with the reason in the last error.
#[no_mangle]
pub extern "C" fn scg_policy_load(ptr: i32, len: i32) -> i32 {
    match Policy::from_bytes(input(ptr, len)) {
        Ok(p) => add_policy(p),
        Err(e) => {
            set_error(&alloc::format!("{e}"), "", 0, 0);
            0
        }
    }
}

/// Frees a policy handle. Unknown handles are ignored.
#[no_mangle]
pub extern "C" fn scg_policy_free(handle: i32) {
    let st = state();
    if let Some(slot) = (handle as u32 as usize)
        .checked_sub(1)
        .and_then(|i| st.policies.get_mut(i))
    {
        *slot = None;
    }
}

/// The compiled policy as bytes (a result), for [`scg_policy_load`] later.
#[no_mangle]
pub extern "C" fn scg_policy_to_bytes(handle: i32) -> i64 {
    match policy(handle) {
        Some(p) => {
            let bytes = p.to_bytes();
            result(bytes)
        }
        None => no_policy(),
    }
}

/// Decides one packed request (see [`crate::request`]); the decision's JSON is the result. 0 only for a handle
/// that is not a live policy.
#[no_mangle]
pub extern "C" fn scg_decide(handle: i32, ptr: i32, len: i32) -> i64 {
    let Some(p) = policy(handle) else {
        return no_policy();
    };
    let json = match Request::from_packed(input(ptr, len)) {
        Some(req) => p.decide(&req).to_json(),
        None => Decision::malformed(None, None).to_json(),
    };
    result(json.into_bytes())
}

/// [`scg_decide`] with the trace (and the deciding preset's provenance): the explanation's JSON.
#[no_mangle]
pub extern "C" fn scg_explain(handle: i32, ptr: i32, len: i32) -> i64 {
    let Some(p) = policy(handle) else {
        return no_policy();
    };
    let json = match Request::from_packed(input(ptr, len)) {
        Some(req) => p.explain(&req).to_json(),
        None => crate::decision::Explanation {
            decision: Decision::malformed(None, None),
            trace: alloc::vec![String::from(
                "not a request: the buffer is not one request in the packed form"
            )],
            provenance: None,
        }
        .to_json(),
    };
    result(json.into_bytes())
}

/// Compiles a policy from its JSON text. Returns a handle, or 0 with the error (its JSON path, line and column)
/// in the last error.
#[cfg(feature = "core-compile")]
#[no_mangle]
pub extern "C" fn scg_policy_compile(ptr: i32, len: i32) -> i32 {
    match Policy::from_json(input(ptr, len)) {
        Ok(p) => add_policy(p),
        Err(e) => {
            set_error(&alloc::format!("{e}"), &e.path, e.line, e.column);
            0
        }
    }
}

/// The default policy (the Sendcloud preset, nothing else) as a new handle.
#[cfg(feature = "core-compile")]
#[no_mangle]
pub extern "C" fn scg_policy_default() -> i32 {
    add_policy(Policy::default_policy())
}

/// The effective policy, presets expanded with their provenance ([`Policy::show_json`]), as a result.
#[cfg(feature = "core-compile")]
#[no_mangle]
pub extern "C" fn scg_policy_show(handle: i32) -> i64 {
    match policy(handle) {
        Some(p) => {
            let text = p.show_json();
            result(text.into_bytes())
        }
        None => no_policy(),
    }
}
