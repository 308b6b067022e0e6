//! Ahead-of-time translator from WebAssembly core modules (integers and
//! floats) to PHP 7.4+ source: one file, or in lazy mode ([`Options::lazy_min_bytes`]) a
//! class file and its larger functions in files loaded on their first call.
//!
//! The target is plain PHP on shared hosting: 64-bit, no FFI, no extensions,
//! opcache on but JIT off. So the output is straight-line PHP with local
//! variables and `goto`, and the design choices below are about what the
//! PHP VM executes cheaply and exactly.
//!
//! # Values
//! PHP ints are signed 64-bit and silently become floats on overflow, so no
//! generated expression may ever leave that range.
//!
//! * **i32** values are kept canonical as ints in `[0, 2^32)` (the unsigned
//!   view). Add/sub/and/or/xor/shifts are then one PHP operator plus
//!   `& 0xFFFFFFFF`, unsigned compares are plain `<`, loads come out of
//!   `unpack('V')`/`ord()` already canonical, and addresses need no
//!   conversion. Signed compares flip the sign bit (`a ^ 0x80000000`);
//!   `mul` splits one factor into 16-bit halves (or multiplies directly when one
//!   factor is a constant, which keeps the product within 63 bits).
//! * **i64** values are native PHP ints (same bits). `+ - *` run natively and
//!   fall back to exact wrapping helpers only when PHP reports overflow
//!   (`is_int` fails), so the common case costs one check. Unsigned
//!   compares flip the sign bit; unsigned div/rem/shr and the bit-counting
//!   operations are small static helpers.
//! * **f64** values are PHP floats (C doubles, copied bit for bit, so NaN
//!   payloads survive moves, calls, loads and stores); **f32** values are their
//!   bit patterns in ints, like i32, and arithmetic goes through a double and
//!   rounds back to single precision after every operation. See [`func::float`].
//!   Integer-only modules get exactly the translation they got before floats
//!   existed: the float helpers are emitted only for modules that use floats.
//!
//! # Control flow and the operand stack
//! See [`func`]: the wasm stack is resolved at translation time into lazy
//! expressions and depth-named slot variables (`$s3`), wasm locals are PHP
//! locals (`$l0`), and blocks/loops/branches become labels and `goto`
//! (`br_table` becomes a `switch` of `goto`s, which the PHP VM turns into a
//! jump table).
//!
//! # Memory
//! Linear memory is one PHP string, `$this->mem`. Each function that touches
//! it binds `$m = &$this->mem` once, so single-byte writes (`$m[$i] = chr(..)`)
//! happen in place on a refcount-1 string; nothing copies the memory except
//! bulk operations large enough that one `substr_replace` beats a byte loop.
//! Every access is bounds-checked against `strlen($m)` and traps; PHP would
//! otherwise pad the string on out-of-range writes and warn on reads.
//!
//! # Traps
//! One exception class per module, `<Class>Trap extends \RuntimeException`,
//! whose message is the spec test suite's wording: `integer divide by zero`,
//! `integer overflow`, `invalid conversion to integer`, `out of bounds memory access`, `indirect call type
//! mismatch`, `undefined element`, `uninitialized element`, `unreachable`,
//! `call stack exhausted`, `out of bounds table access` (instantiation) and,
//! with [`Options::fuel`], `fuel exhausted`. Every function takes a hidden
//! depth argument and traps past [`Options::max_call_depth`]: PHP does not
//! bound userland recursion except by memory_limit, which is a fatal error.
//!
//! # Refused
//! Anything outside the supported subset is refused at translation time with
//! [`Error::Unsupported`] naming the instruction and the function:
//! imports, SIMD, threads/atomics, reference types other than the funcref
//! table (including all `table.*`, `ref.*` and `elem.drop` instructions, which
//! lets tables be compiled into static dispatch), exceptions, tail calls,
//! GC, memory64, multi-memory.
//!
//! # Trade-offs
//! * Tables are fixed at translation time, so `call_indirect` is a `switch`
//!   with no run-time signature check at all; the price is refusing the
//!   table-mutating instructions, which rustc never emits for integer code.
//! * Every wasm function is a private method (`w2p_f<index>`); a call costs
//!   one PHP method call (~30 ns) plus the depth argument.
//! * Memory creation costs one allocation of the initial memory size per
//!   instance: keep the module's initial memory (stack size!) small.

mod emit;
pub mod func;
mod module;
mod reach;

use std::fmt;

/// Translation settings.
#[derive(Clone, Debug)]
pub struct Options {
    /// Name of the generated class (a PHP identifier). The trap exception class is
    /// `<class_name>Trap`.
    pub class_name: String,
    /// Optional PHP namespace (e.g. `Sendcloud\Gate\Wasm`) for both classes.
    pub namespace: Option<String>,
    /// Calls nested deeper than this trap with `call stack exhausted`.
    pub max_call_depth: u32,
    /// Upper bound for `memory.grow`, in 64 KiB pages, on top of the module's
    /// own maximum. Keeps a runaway grow a wasm-level failure (-1) instead of a
    /// PHP memory_limit fatal error.
    pub max_memory_pages: u32,
    /// Instrument function entries and loop headers with a fuel counter
    /// (`$instance->fuel`, trap `fuel exhausted`). Off by default; tests use it
    /// to bound non-terminating code.
    pub fuel: bool,
    /// Diagnostic/test mode: instead of refusing the whole module, replace each
    /// function that uses a refused feature by a stub that throws
    /// `\LogicException('wasm2php: refused: ...')` when called (globals of refused
    /// types are dropped the same way). Imports and module-level features are
    /// still refused. Never use this for production output.
    pub stub_unsupported: bool,
    /// Lazy mode: each function whose translation is at least this many bytes goes into a file of its own,
    /// `<class_name>/f<index>.php` beside the class file, which the class loads on the function's first call (a
    /// stub method stays in the class where one is called: exports, tables, the start function). PHP then
    /// compiles only the functions a request runs, which matters where there is no opcache. A direct call of such a function fetches its closure
    /// from a static table first; a call through the stub is one PHP call more. Needs [`translate_files`]; `None`
    /// (the default) puts everything in one file.
    pub lazy_min_bytes: Option<usize>,
    /// Whether opcache may run its SSA-based optimisation passes (type inference, constant propagation, dead code
    /// elimination) on the translated functions; `true` by default. They make hot code a little faster, and they
    /// are the costliest part of compiling translated code: for code that runs once per opcache's lifetime or
    /// rarely (a policy compiler), `false` wraps each function's body in a `try` block, which those passes skip
    /// (the `catch` rethrows the same exception, so traps are unchanged), and stores computed i32s through one call
    /// each instead of four byte assignments (a third of the bytes to compile). Measured on the project's compiler
    /// module: the files compiling `{}` needs took 68 ms to compile with the passes and 41 ms without;
    /// `Gate::fromPolicyJson('{}')` with a cold opcache went from 53-55 to 36 ms, and the compiler itself ran about
    /// 5 % slower (`plugin-shim/php/README.md`).
    pub opcache_ssa: bool,
    /// With [`opcache_ssa`](Options::opcache_ssa) on, the exports whose code is hot; when not empty, only the
    /// functions these exports can run (directly, or through a table) keep opcache's SSA passes, and every other
    /// function is translated as with `opcache_ssa` off. For a module that does its hot work and also something
    /// once in a while: the project's decision module decides (`scg_decide_fields`, hot) and loads a compiled
    /// policy (`scg_policy_load`, once per policy, or never on a request that starts from a snapshot). Measured
    /// there: the decision module's files that loading a 1,000-range policy needs took 17-20 ms to compile with a
    /// cold opcache, 7-10 ms with the loader's functions out of the SSA passes (`plugin-shim/php/README.md`).
    /// In lazy mode ([`lazy_min_bytes`](Options::lazy_min_bytes)) every function left out is a file of its own
    /// whatever its size, so that the class file holds only the hot code.
    /// A name that is not an exported function is an [`Error::Options`].
    pub opcache_ssa_from: Vec<String>,
    /// In lazy mode, whether the lazy table starts with a stub for every function kept in a file of its own (made
    /// by the constructor the first time the class is instantiated), so that a call site is
    /// `(self::$w2p_lazy[N])(...)` rather than `(self::$w2p_lazy[N] ?? self::w2p_load(N))(...)`. The `??` is a jump,
    /// whose target starts a basic block, and opcache's block pass costs a function the number of such blocks
    /// times its variables; without it, compiling the project's policy compiler (about 550 call sites in what a
    /// 1,000-range policy loads) with a cold opcache took 2.7 % fewer instructions. The stubs cost each process,
    /// or each request, one closure per such function: for a module instantiated once per policy compiled, not
    /// for one instantiated on every request. `false` by default.
    pub lazy_stubs: bool,
}

impl Options {
    pub fn new(class_name: impl Into<String>) -> Options {
        Options {
            class_name: class_name.into(),
            namespace: None,
            max_call_depth: 5000,
            max_memory_pages: 1024,
            fuel: false,
            stub_unsupported: false,
            lazy_min_bytes: None,
            opcache_ssa: true,
            opcache_ssa_from: Vec::new(),
            lazy_stubs: false,
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Options::new("WasmModule")
    }
}

/// Why a module could not be translated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// The bytes are not a valid WebAssembly module.
    Invalid(String),
    /// Valid, but outside the supported subset. `func` is the function index
    /// and its name from the name section, when the problem is in a function.
    Unsupported {
        what: String,
        func: Option<(u32, Option<String>)>,
    },
    /// The [`Options`] are unusable (e.g. a class name that is not a PHP identifier).
    Options(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Invalid(m) => write!(f, "invalid WebAssembly module: {m}"),
            Error::Unsupported { what, func: None } => write!(f, "unsupported: {what}"),
            Error::Unsupported {
                what,
                func: Some((i, None)),
            } => write!(f, "unsupported: {what} in function {i}"),
            Error::Unsupported {
                what,
                func: Some((i, Some(n))),
            } => {
                write!(f, "unsupported: {what} in function {i} ({n})")
            }
            Error::Options(m) => write!(f, "bad options: {m}"),
        }
    }
}

impl std::error::Error for Error {}

fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

/// A translation: the class file and, in lazy mode ([`Options::lazy_min_bytes`]), the files of the functions kept
/// apart, each as (path relative to the class file's directory, contents).
#[derive(Clone, Debug)]
pub struct Files {
    pub main: String,
    pub lazy: Vec<(String, String)>,
}

impl Files {
    /// Writes the class file to `main` and the function files beside it (their directory is created; files of a
    /// previous translation into it that this one does not have are removed, so none is left to load by mistake).
    pub fn write(&self, main: &std::path::Path) -> std::io::Result<()> {
        let dir = main.parent().unwrap_or(std::path::Path::new("."));
        std::fs::write(main, &self.main)?;
        let mut dirs: Vec<std::path::PathBuf> = Vec::new();
        for (rel, _) in &self.lazy {
            if let Some(d) = dir.join(rel).parent() {
                if !dirs.iter().any(|x| x == d) {
                    dirs.push(d.to_path_buf());
                }
            }
        }
        for d in &dirs {
            if d.is_dir() {
                for e in std::fs::read_dir(d)? {
                    let p = e?.path();
                    if p.extension().is_some_and(|x| x == "php") {
                        std::fs::remove_file(p)?;
                    }
                }
            }
            std::fs::create_dir_all(d)?;
        }
        for (rel, php) in &self.lazy {
            std::fs::write(dir.join(rel), php)?;
        }
        Ok(())
    }
}

/// Translates a WebAssembly core module to PHP, in lazy mode when the options ask for it: see [`Files`].
pub fn translate_files(wasm_bytes: &[u8], opts: &Options) -> Result<Files, Error> {
    check_options(opts)?;
    let m = module::parse(wasm_bytes, opts.stub_unsupported)?;
    let out = emit::emit(&m, opts)?;
    Ok(Files {
        main: out.main,
        lazy: out
            .lazy
            .into_iter()
            .map(|(f, php)| (format!("{}/f{f}.php", opts.class_name), php))
            .collect(),
    })
}

/// Translates a WebAssembly core module to PHP source (one file, starting with `<?php`). Lazy mode needs
/// [`translate_files`].
pub fn translate(wasm_bytes: &[u8], opts: &Options) -> Result<String, Error> {
    if opts.lazy_min_bytes.is_some() {
        return Err(Error::Options(
            "lazy mode writes several files: use translate_files".into(),
        ));
    }
    Ok(translate_files(wasm_bytes, opts)?.main)
}

fn check_options(opts: &Options) -> Result<(), Error> {
    if !is_ident(&opts.class_name) {
        return Err(Error::Options(format!(
            "class name {:?} is not a PHP identifier",
            opts.class_name
        )));
    }
    if let Some(ns) = &opts.namespace {
        if !ns.split('\\').all(is_ident) {
            return Err(Error::Options(format!(
                "namespace {ns:?} is not a PHP namespace name"
            )));
        }
    }
    Ok(())
}
