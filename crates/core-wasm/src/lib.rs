//! The core wasm module: the engine behind a C-style ABI, exports over linear memory, no imports, for hosts that
//! are not JavaScript (the PHP translation, wasmtime, Go, proxies). `docs/core-abi.md` is the host author's guide.
//!
//! This crate is the one place with `unsafe` in the workspace: host pointers, the global state of a
//! single-threaded module, and the module's own allocator and panic handler (`runtime`, wasm32 only). The engine
//! (`sendcloud-gate`) forbids it. Two builds (`.ci/build-wasm.sh`): the default is the decision-only module, the
//! feature `compile` adds the full module's exports.
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
//! `scg_decide_fields(policy, ptr, len)` takes the request in the packed form ([`Request::from_packed`]) and
//! returns where the decision's five values are ([`sendcloud_gate::Decision::fields`]); `scg_decide` returns the same decision as
//! JSON. A buffer that is not exactly one packed request is `pass` + `malformed_input`; nothing a host passes in a
//! buffer can make the call fail or trap.
//!
//! # Full-module exports
//!
//! `scg_policy_compile`, `scg_policy_default` and `scg_policy_show` need the JSON policy compiler and the preset
//! data; `scg_explain` the trace texts, `scg_decide` the JSON writer and `scg_policy_to_bytes` the bytes writer.
//! They exist only with the feature `compile` (the full module). Without it the module is
//! decision-only: load compiled bytes, `scg_decide_fields`. That is all a request needs, and every byte and
//! instruction of the module costs a PHP host time on each request (the PHP library translates this module; see
//! docs/core-abi.md).
//!
//! # Safety
//!
//! The module is single-threaded (wasm32 without threads); the global state below is only touched from the
//! exported functions, which never re-enter one another. The `unsafe` in this file is confined to: the global state
//! cell, turning host pointers into slices (checked against the memory size), and the raw allocator calls behind
//! `scg_alloc` / `scg_free`.

// no_std in wasm32, where `runtime` below is the allocator and panic handler; natively (`cargo test`, a workspace
// build) std provides both.
#![cfg_attr(target_arch = "wasm32", no_std)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use core::alloc::Layout;
use core::cell::UnsafeCell;

use sendcloud_gate::{hosts, FieldText, Policy, Request};
#[cfg(feature = "compile")]
use sendcloud_gate::{Decision, Explanation, NotARequest};

/// The ABI's version: bumped on any incompatible change to an export's signature or meaning.
pub const ABI_VERSION: i32 = 2;

/// Most policies alive at once; a host that leaks handles gets an error rather than unbounded memory.
const MAX_POLICIES: usize = 1024;

/// One piece of global state. The three pieces are separate so that a borrowed policy and a new result never
/// alias one `&mut`.
struct Global<T>(UnsafeCell<T>);

// SAFETY: wasm32-unknown-unknown without the atomics feature has one thread.
unsafe impl<T> Sync for Global<T> {}

impl<T> Global<T> {
    #[allow(clippy::mut_from_ref)]
    fn get(&self) -> &mut T {
        // SAFETY: single-threaded, and no export calls another; each export holds at most one reference to each
        // piece at a time (a policy is borrowed from POLICIES while RESULT is written, never POLICIES itself).
        unsafe { &mut *self.0.get() }
    }
}

static POLICIES: Global<Vec<Option<Policy>>> = Global(UnsafeCell::new(Vec::new()));
/// The last result of the full module's exports (explanation, bytes, show), kept alive until the next one.
#[cfg(feature = "compile")]
static RESULT: Global<Vec<u8>> = Global(UnsafeCell::new(Vec::new()));
/// The last decision's fields as locations: five (pointer, length) pairs, reused, so deciding allocates nothing for
/// its answer and copies none of its values.
static FIELD_TABLE: Global<[u32; 10]> = Global(UnsafeCell::new([0; 10]));
/// The last decision's values that live nowhere else (a client address written out, an uncommon method).
static FIELD_TEXT: Global<FieldText> = Global(UnsafeCell::new(FieldText::new()));
/// The last decision as JSON (full module).
#[cfg(feature = "compile")]
static DECISION_JSON: Global<String> = Global(UnsafeCell::new(String::new()));
/// The last error, as JSON.
static ERROR: Global<Vec<u8>> = Global(UnsafeCell::new(Vec::new()));

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

#[cfg(feature = "compile")]
fn result(bytes: Vec<u8>) -> i64 {
    let r = RESULT.get();
    *r = bytes;
    pack(r.as_ptr() as usize, r.len())
}

fn pack(ptr: usize, len: usize) -> i64 {
    ((ptr as u64) << 32 | (len as u32 as u64)) as i64
}

/// The last error becomes `json` (one of the engine's error objects, [`hosts::error_json`]).
fn set_error_json(json: String) {
    *ERROR.get() = json.into_bytes();
}

/// The last error becomes `message`, with no JSON path, line or column.
fn set_error(message: &str) {
    set_error_json(hosts::error_json(message, "", 0, 0));
}

fn add_policy(policy: Policy) -> i32 {
    let policies = POLICIES.get();
    if let Some(i) = policies.iter().position(Option::is_none) {
        policies[i] = Some(policy);
        return i as i32 + 1;
    }
    if policies.len() >= MAX_POLICIES {
        set_error("too many policies alive: free some with scg_policy_free");
        return 0;
    }
    policies.push(Some(policy));
    policies.len() as i32
}

fn policy<'a>(handle: i32) -> Option<&'a Policy> {
    let i = (handle as u32 as usize).checked_sub(1)?;
    POLICIES.get().get(i)?.as_ref()
}

fn no_policy() -> i64 {
    set_error("not a live policy handle");
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
    if ERROR.get().is_empty() {
        set_error("");
    }
    let e = ERROR.get();
    pack(e.as_ptr() as usize, e.len())
}

/// Loads a compiled policy ([`Policy::to_bytes`]). Returns a handle, or 0 with the reason in the last error.
#[no_mangle]
pub extern "C" fn scg_policy_load(ptr: i32, len: i32) -> i32 {
    match Policy::from_bytes(input(ptr, len)) {
        Ok(p) => add_policy(p),
        Err(e) => error_json(e.to_json()),
    }
}

/// `json` as the last error, and 0. Apart and cold: a PHP host loads a function on its first call, and an error's
/// JSON is then code that a valid policy never loads.
#[cold]
#[inline(never)]
fn error_json(json: String) -> i32 {
    set_error_json(json);
    0
}

/// Frees a policy handle. Unknown handles are ignored.
#[no_mangle]
pub extern "C" fn scg_policy_free(handle: i32) {
    if let Some(slot) = (handle as u32 as usize)
        .checked_sub(1)
        .and_then(|i| POLICIES.get().get_mut(i))
    {
        *slot = None;
    }
}

/// The compiled policy as bytes (a result), for [`scg_policy_load`] later.
#[cfg(feature = "compile")]
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

/// The decision on one packed request ([`Request::from_packed`]), for the JSON and explain exports of the full module
/// (`scg_decide_fields` writes its fields form through [`Policy::decide_fields`] instead).
#[cfg(feature = "compile")]
fn decision<'p>(p: &'p Policy, ptr: i32, len: i32) -> Decision<'p> {
    match Request::from_packed(input(ptr, len)) {
        Some(req) => p.decide(&req),
        None => Decision::malformed(None, None),
    }
}

/// Decides one packed request ([`Request::from_packed`]); the result is the decision's fields form: five (pointer, length) pairs of `u32`
/// locating each value's bytes, `(0, u32::MAX)` for `null` (docs/core-abi.md). 0 only for a handle that is not a
/// live policy.
#[no_mangle]
pub extern "C" fn scg_decide_fields(handle: i32, ptr: i32, len: i32) -> i64 {
    let Some(p) = policy(handle) else {
        return no_policy();
    };
    let (table, text) = (FIELD_TABLE.get(), FIELD_TEXT.get());
    // In wasm32 a pointer is a u32; natively (unit tests) only the lengths mean anything.
    let put = |i: usize, value: Option<&[u8]>| {
        (table[2 * i], table[2 * i + 1]) = match value {
            Some(v) => (v.as_ptr() as usize as u32, v.len() as u32),
            None => (0, u32::MAX),
        }
    };
    // Borrowed where it was built: moving the request out of the Option is an 80-byte copy in wasm.
    let request = Request::from_packed(input(ptr, len));
    hosts::decide_each_field(p, request.as_ref(), text, put);
    // A packed request's header and form lists are never allocated (its pairs are read where they lie): there is
    // nothing to free, and the drop glue would be two calls per decision.
    core::mem::forget(request);
    pack(table.as_ptr() as usize, 4 * table.len())
}

/// Decides one packed request; the decision's JSON is the result. 0 only for a handle that is not a live policy.
#[cfg(feature = "compile")]
#[no_mangle]
pub extern "C" fn scg_decide(handle: i32, ptr: i32, len: i32) -> i64 {
    let Some(p) = policy(handle) else {
        return no_policy();
    };
    let out = DECISION_JSON.get();
    out.clear();
    decision(p, ptr, len).write_json(out);
    pack(out.as_ptr() as usize, out.len())
}

/// [`scg_decide`] with the trace (and the deciding preset's provenance): the explanation's JSON.
#[cfg(feature = "compile")]
#[no_mangle]
pub extern "C" fn scg_explain(handle: i32, ptr: i32, len: i32) -> i64 {
    let Some(p) = policy(handle) else {
        return no_policy();
    };
    let json = match Request::from_packed(input(ptr, len)) {
        Some(req) => p.explain(&req).to_json(),
        None => Explanation::not_a_request(&NotARequest::packed()).to_json(),
    };
    result(json.into_bytes())
}

/// Compiles a policy from its JSON text. Returns a handle, or 0 with the error (its JSON path, line and column)
/// in the last error.
#[cfg(feature = "compile")]
#[no_mangle]
pub extern "C" fn scg_policy_compile(ptr: i32, len: i32) -> i32 {
    match Policy::from_json(input(ptr, len)) {
        Ok(p) => add_policy(p),
        Err(e) => policy_error(&e),
    }
}

/// A policy's error as the last error, and 0 (cold, as [`error_json`], and with the error's JSON written in it).
#[cfg(feature = "compile")]
#[cold]
#[inline(never)]
fn policy_error(e: &sendcloud_gate::PolicyError) -> i32 {
    error_json(e.to_json())
}

/// The default policy (the Sendcloud preset, nothing else) as a new handle.
#[cfg(feature = "compile")]
#[no_mangle]
pub extern "C" fn scg_policy_default() -> i32 {
    add_policy(Policy::default_policy())
}

/// The effective policy, presets expanded with their provenance ([`Policy::show_json`]), as a result.
#[cfg(feature = "compile")]
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

/// The policy's warnings ([`Policy::warnings`]) as a JSON array of `{"path", "message"}`, as a result. Only the
/// full module has it: warnings are shown where a policy is written or checked, never on the request path.
#[cfg(feature = "compile")]
#[no_mangle]
pub extern "C" fn scg_policy_warnings(handle: i32) -> i64 {
    match policy(handle) {
        Some(p) => {
            let text = p.warnings_json();
            result(text.into_bytes())
        }
        None => no_policy(),
    }
}

/// The names of the request parts the engine reads ([`hosts::HEADERS_READ`], [`hosts::PARAMS_READ`]) as a result,
/// `{"headers":[…],"params":[…]}`: a host that passes only these gets the decisions of one that passes everything.
/// The PHP library's `generated/constants.php` is written from it at build time, so the list is not copied by hand.
#[cfg(feature = "compile")]
#[no_mangle]
pub extern "C" fn scg_request_names() -> i64 {
    let mut out = String::from("{\"headers\":");
    hosts::write_json_strs(&mut out, hosts::HEADERS_READ.iter().copied());
    out.push_str(",\"params\":");
    hosts::write_json_strs(&mut out, hosts::PARAMS_READ.iter().copied());
    out.push('}');
    result(out.into_bytes())
}

/// The core module's own allocator and panic handler. The module is `no_std`: std's allocator (dlmalloc) and its
/// panic machinery are most of 10 KiB, and the module needs neither.
#[cfg(target_arch = "wasm32")]
mod runtime {
    use core::alloc::{GlobalAlloc, Layout};
    use core::arch::wasm32;

    use super::Global;
    use core::cell::UnsafeCell;

    /// A panic would be a bug in the engine; with panic=abort it traps (`unreachable`), which hosts treat as "no
    /// opinion". The message is not formatted: nothing could read it.
    #[panic_handler]
    fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
        wasm32::unreachable()
    }

    /// Size classes: powers of two from 16 bytes (class 4) to 2 GiB (class 31). Each class has a free list
    /// threaded through its free blocks; new blocks are carved from the end of the heap, growing memory as needed.
    /// Freed memory is reused by its class and never returned to the host (wasm memory cannot shrink anyway).
    /// Rounding to powers of two wastes at most half of a block and keeps `realloc` in place for a growing `Vec`
    /// until it crosses a class.
    struct Heap {
        free: [usize; 32],
        /// Next unused address; 0 until first use.
        top: usize,
        /// End of linear memory.
        end: usize,
    }

    struct Allocator;

    static HEAP: Global<Heap> = Global(UnsafeCell::new(Heap {
        free: [0; 32],
        top: 0,
        end: 0,
    }));

    extern "C" {
        static __heap_base: u8;
    }

    fn class(layout: &Layout) -> Option<usize> {
        let size = layout.size().max(layout.align()).max(16);
        let class = (usize::BITS - (size - 1).leading_zeros()) as usize;
        (class < 32).then_some(class)
    }

    impl Heap {
        fn carve(&mut self, class: usize, align: usize) -> *mut u8 {
            if self.top == 0 {
                // A linker-provided symbol; only its address is taken.
                self.top = core::ptr::addr_of!(__heap_base) as usize;
                self.end = wasm32::memory_size(0).saturating_mul(65536);
            }
            let size = 1usize << class;
            // Blocks are aligned to 16 (and to a larger requested alignment, rounded into the class).
            let align = align.max(16);
            let Some(start) = self.top.checked_add(align - 1).map(|a| a & !(align - 1)) else {
                return core::ptr::null_mut();
            };
            let Some(new_top) = start.checked_add(size) else {
                return core::ptr::null_mut();
            };
            if new_top > self.end {
                let pages = (new_top - self.end).div_ceil(65536);
                if wasm32::memory_grow(0, pages) == usize::MAX {
                    return core::ptr::null_mut();
                }
                self.end += pages * 65536;
            }
            self.top = new_top;
            start as *mut u8
        }
    }

    // SAFETY: blocks are disjoint (carved once from a monotonically growing top, or reused after dealloc of the
    // same class), aligned to at least the layout's alignment, and at least the layout's size.
    unsafe impl GlobalAlloc for Allocator {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let Some(class) = class(&layout) else {
                return core::ptr::null_mut();
            };
            let heap = HEAP.get();
            let head = heap.free[class];
            if head != 0 && head % layout.align() == 0 {
                // SAFETY: a free block of this class holds the next free block's address in its first word.
                heap.free[class] = unsafe { *(head as *const usize) };
                return head as *mut u8;
            }
            heap.carve(class, layout.align())
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            if let Some(class) = class(&layout) {
                let heap = HEAP.get();
                // SAFETY: the block is at least 16 bytes and aligned to 16, and it is ours again.
                unsafe { *(ptr as *mut usize) = heap.free[class] };
                heap.free[class] = ptr as usize;
            }
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            // SAFETY: the caller guarantees `layout.align()` is valid and `new_size` does not overflow with it.
            let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
            if class(&layout).is_some() && class(&layout) == class(&new_layout) {
                return ptr;
            }
            // SAFETY: as for GlobalAlloc's default realloc.
            unsafe {
                let new = self.alloc(new_layout);
                if !new.is_null() {
                    core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
                new
            }
        }
    }

    #[global_allocator]
    static ALLOCATOR: Allocator = Allocator;
}
