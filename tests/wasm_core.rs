//! The core module (`target/wasm/sendcloud_gate_core.wasm`, built by `make wasm`) checked from the outside:
//!
//! - its shape, with wasmparser: no imports, every export of docs/core-abi.md present with its signature, and in the
//!   decision-only module no floating-point anything (types, locals, globals, instructions; the full module's
//!   compiler has serde_json's number parser);
//! - its behaviour, under wasmi as a host would drive it: the whole conformance corpus decided through the ABI and
//!   compared with the native engine (`Policy::decide`, not only the expectations), explain equal to native, bad
//!   policies refused with their JSON path, invalid packed buffers and huge inputs giving `malformed_input` (never a
//!   trap), compiled bytes round-tripping between the module and the native engine;
//! - the decision-only variant (`sendcloud_gate_core_decide.wasm`) the same way where it applies.
//!
//! The modules are not built here: a missing one FAILS the test with "run `make wasm`", and so does one older than
//! the sources (a stale module would test old code).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::json;
use sendcloud_gate::{Policy, Request};
use wasmi::{Engine, Instance, Linker, Memory, Module, Store, TypedFunc};
use wasmparser::{Operator, Parser, Payload, ValType};

const CORE: &str = "target/wasm/sendcloud_gate_core.wasm";
const CORE_DECIDE: &str = "target/wasm/sendcloud_gate_core_decide.wasm";

fn module_bytes(rel: &str) -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = root.join(rel);
    let meta = std::fs::metadata(&path).unwrap_or_else(|_| {
        panic!(
            "{rel} does not exist: run `make wasm` (or `bash .ci/build-wasm.sh`) before `cargo test`"
        )
    });
    let built = meta.modified().unwrap();
    // Stale if any source of the engine (its presets included) or of the core module's crate is newer than the
    // module.
    let mut sources: Vec<PathBuf> = Vec::new();
    for dir in ["src", "src/presets", "crates/core-wasm/src"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                sources.push(p);
            }
        }
    }
    sources.push(root.join("crates/core-wasm/Cargo.toml"));
    for s in sources {
        let t = std::fs::metadata(&s).unwrap().modified().unwrap();
        assert!(
            t <= built,
            "{rel} is older than {}: run `make wasm` to rebuild it",
            s.display()
        );
    }
    std::fs::read(&path).unwrap()
}

// ---------------------------------------------------------------------------------------------------------------
// Shape

/// (name, params, results) of every export a host may use; `compile` ones only in the full module.
const EXPORTS: &[(&str, &[ValType], &[ValType], bool)] = {
    use ValType::{I32, I64};
    &[
        ("scg_abi_version", &[], &[I32], false),
        ("scg_alloc", &[I32], &[I32], false),
        ("scg_free", &[I32, I32], &[], false),
        ("scg_last_error", &[], &[I64], false),
        ("scg_policy_load", &[I32, I32], &[I32], false),
        ("scg_policy_free", &[I32], &[], false),
        ("scg_policy_to_bytes", &[I32], &[I64], true),
        ("scg_decide_fields", &[I32, I32, I32], &[I64], false),
        ("scg_decide", &[I32, I32, I32], &[I64], true),
        ("scg_explain", &[I32, I32, I32], &[I64], true),
        ("scg_policy_compile", &[I32, I32], &[I32], true),
        ("scg_policy_default", &[], &[I32], true),
        ("scg_policy_show", &[I32], &[I64], true),
        ("scg_policy_warnings", &[I32], &[I64], true),
        ("scg_request_names", &[], &[I64], true),
    ]
};

fn is_float(t: ValType) -> bool {
    matches!(t, ValType::F32 | ValType::F64)
}

/// Every problem with the module's shape, as text (empty = fine). Floats are a problem in the decision-only module
/// only: the full module's compiler reads numbers with serde_json, whose number parser has f64 code, and wasm2php
/// translates float instructions (issue 13). The ABI itself stays integers in both (the export types are checked
/// exactly below).
fn shape_problems(bytes: &[u8], compile: bool) -> Vec<String> {
    let floats_allowed = compile;
    let mut problems = Vec::new();
    let mut types: Vec<(Vec<ValType>, Vec<ValType>)> = Vec::new();
    let mut func_types: Vec<u32> = Vec::new();
    let mut exports: BTreeMap<String, u32> = BTreeMap::new();
    let mut memory_export = false;
    let mut body_index = 0usize;
    let mut imported_funcs = 0u32;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.expect("the module parses") {
            Payload::ImportSection(reader) => {
                for imp in reader.into_imports() {
                    let imp = imp.unwrap();
                    problems.push(format!("import {}::{}", imp.module, imp.name));
                    if matches!(imp.ty, wasmparser::TypeRef::Func(_)) {
                        imported_funcs += 1;
                    }
                }
            }
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    let ty = ty.unwrap();
                    if !floats_allowed
                        && ty.params().iter().chain(ty.results()).any(|t| is_float(*t))
                    {
                        problems.push(format!("a function type uses floats: {ty:?}"));
                    }
                    types.push((ty.params().to_vec(), ty.results().to_vec()));
                }
            }
            Payload::FunctionSection(reader) => {
                for f in reader {
                    func_types.push(f.unwrap());
                }
            }
            Payload::GlobalSection(reader) => {
                for g in reader {
                    let g = g.unwrap();
                    if !floats_allowed && is_float(g.ty.content_type) {
                        problems.push("a float global".into());
                    }
                }
            }
            Payload::ExportSection(reader) => {
                for e in reader {
                    let e = e.unwrap();
                    match e.kind {
                        wasmparser::ExternalKind::Func => {
                            exports.insert(e.name.to_string(), e.index);
                        }
                        wasmparser::ExternalKind::Memory if e.name == "memory" => {
                            memory_export = true
                        }
                        _ => {}
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                let mut locals = body.get_locals_reader().unwrap();
                for _ in 0..locals.get_count() {
                    let (_, t) = locals.read().unwrap();
                    if !floats_allowed && is_float(t) {
                        problems.push(format!("function body {body_index} has a float local"));
                    }
                }
                let mut ops = body.get_operators_reader().unwrap();
                while !ops.eof() {
                    let op = ops.read().unwrap();
                    if !floats_allowed && is_float_op(&op) {
                        problems.push(format!(
                            "function body {body_index} has the float instruction {op:?}"
                        ));
                    }
                }
                body_index += 1;
            }
            _ => {}
        }
    }
    if !memory_export {
        problems.push("no exported memory named `memory`".into());
    }
    for (name, params, results, needs_compile) in EXPORTS {
        if *needs_compile && !compile {
            if exports.contains_key(*name) {
                problems.push(format!("the decision-only module exports {name}"));
            }
            continue;
        }
        let Some(&index) = exports.get(*name) else {
            problems.push(format!("missing export {name}"));
            continue;
        };
        let ty = func_types[(index - imported_funcs) as usize] as usize;
        if types[ty] != (params.to_vec(), results.to_vec()) {
            problems.push(format!("export {name} has the type {:?}", types[ty]));
        }
    }
    problems
}

/// Any instruction that reads, writes, makes or converts a float (scalar or SIMD lane), by its name: the float
/// opcodes are exactly those whose name mentions F32 or F64.
fn is_float_op(op: &Operator<'_>) -> bool {
    let name = format!("{op:?}");
    let name = name.split(['{', ' ', '(']).next().unwrap_or("");
    name.contains("F32") || name.contains("F64")
}

#[test]
fn core_module_has_no_imports_and_every_export() {
    let problems = shape_problems(&module_bytes(CORE), true);
    assert!(problems.is_empty(), "{CORE}:\n{}", problems.join("\n"));
}

#[test]
fn decision_only_module_has_no_imports_no_floats_and_no_compile_exports() {
    let problems = shape_problems(&module_bytes(CORE_DECIDE), false);
    assert!(
        problems.is_empty(),
        "{CORE_DECIDE}:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_float_check_catches_floats() {
    // A minimal module with one f64 instruction, written by hand so the check is known to bite.
    let wasm: &[u8] = &[
        0, 97, 115, 109, 1, 0, 0, 0, // magic, version
        1, 4, 1, 96, 0, 0, // type section: () -> ()
        3, 2, 1, 0, // function section: one function of type 0
        10, 14, 1, 12, 0, // code section: one body of 12 bytes, no locals
        68, 0, 0, 0, 0, 0, 0, 0, 0, // f64.const 0
        26, 11, // drop, end
    ];
    let problems = shape_problems(wasm, false);
    assert!(
        problems.iter().any(|p| p.contains("F64Const")),
        "{problems:?}"
    );
}

// ---------------------------------------------------------------------------------------------------------------
// A host, as docs/core-abi.md describes it.

struct Host {
    store: Store<()>,
    memory: Memory,
    alloc: TypedFunc<i32, i32>,
    free: TypedFunc<(i32, i32), ()>,
    last_error: TypedFunc<(), i64>,
    load: TypedFunc<(i32, i32), i32>,
    policy_free: TypedFunc<i32, ()>,
    to_bytes: Option<TypedFunc<i32, i64>>,
    decide_fields: TypedFunc<(i32, i32, i32), i64>,
    decide_json: Option<TypedFunc<(i32, i32, i32), i64>>,
    explain: Option<TypedFunc<(i32, i32, i32), i64>>,
    compile: Option<TypedFunc<(i32, i32), i32>>,
    default: Option<TypedFunc<(), i32>>,
    show: Option<TypedFunc<i32, i64>>,
}

impl Host {
    fn new(bytes: &[u8]) -> Host {
        let engine = Engine::default();
        let module = Module::new(&engine, bytes).expect("the module validates");
        let mut store = Store::new(&engine, ());
        let linker = Linker::<()>::new(&engine);
        let instance: Instance = linker
            .instantiate_and_start(&mut store, &module)
            .expect("instantiates with no imports");
        let f = |store: &Store<()>, name: &str| instance.get_func(store, name);
        macro_rules! typed {
            ($name:expr) => {
                instance.get_typed_func(&store, $name).unwrap()
            };
        }
        let version: TypedFunc<(), i32> = typed!("scg_abi_version");
        assert_eq!(version.call(&mut store, ()).unwrap(), 2, "ABI version");
        let has_compile = f(&store, "scg_policy_compile").is_some();
        Host {
            memory: instance.get_memory(&store, "memory").unwrap(),
            alloc: typed!("scg_alloc"),
            free: typed!("scg_free"),
            last_error: typed!("scg_last_error"),
            load: typed!("scg_policy_load"),
            policy_free: typed!("scg_policy_free"),
            to_bytes: has_compile.then(|| typed!("scg_policy_to_bytes")),
            decide_fields: typed!("scg_decide_fields"),
            decide_json: has_compile.then(|| typed!("scg_decide")),
            explain: has_compile.then(|| typed!("scg_explain")),
            compile: has_compile.then(|| typed!("scg_policy_compile")),
            default: has_compile.then(|| typed!("scg_policy_default")),
            show: has_compile.then(|| typed!("scg_policy_show")),
            store,
        }
    }

    /// Copies `data` into a fresh module buffer; the caller frees it.
    fn put(&mut self, data: &[u8]) -> (i32, i32) {
        let len = data.len() as i32;
        let ptr = self.alloc.call(&mut self.store, len).unwrap();
        assert_ne!(ptr, 0, "scg_alloc({len}) failed");
        self.memory
            .write(&mut self.store, ptr as u32 as usize, data)
            .unwrap();
        (ptr, len)
    }

    fn result_bytes(&self, packed: i64) -> Option<Vec<u8>> {
        if packed == 0 {
            return None;
        }
        let (ptr, len) = (
            (packed as u64 >> 32) as usize,
            (packed as u64 as u32) as usize,
        );
        Some(self.memory.data(&self.store)[ptr..ptr + len].to_vec())
    }

    /// The contract's JSON for a result of `scg_decide_fields`: the fields form (docs/core-abi.md) read out of
    /// memory, each location checked.
    fn fields_json(&self, packed: i64) -> String {
        let table = self.result_bytes(packed).expect("a decision");
        fields_to_json(self.memory.data(&self.store), &table)
    }

    fn result(&self, packed: i64) -> Option<String> {
        let bytes = self.result_bytes(packed)?;
        Some(String::from_utf8(bytes).expect("results are UTF-8"))
    }

    fn last_error(&mut self) -> String {
        let r = self.last_error.call(&mut self.store, ()).unwrap();
        self.result(r)
            .expect("scg_last_error always returns a result")
    }

    /// Calls `f(ptr, len)` with `data` in a module buffer, then frees the buffer.
    fn with_input<R>(&mut self, data: &[u8], f: impl FnOnce(&mut Host, i32, i32) -> R) -> R {
        let (ptr, len) = self.put(data);
        let r = f(self, ptr, len);
        self.free.call(&mut self.store, (ptr, len)).unwrap();
        r
    }

    fn compile(&mut self, text: &[u8]) -> Result<i32, String> {
        let compile = self.compile.expect("full module");
        let h = self.with_input(text, |h, p, l| compile.call(&mut h.store, (p, l)).unwrap());
        if h == 0 {
            Err(self.last_error())
        } else {
            Ok(h)
        }
    }

    fn load(&mut self, bytes: &[u8]) -> Result<i32, String> {
        let load = self.load;
        let h = self.with_input(bytes, |h, p, l| load.call(&mut h.store, (p, l)).unwrap());
        if h == 0 {
            Err(self.last_error())
        } else {
            Ok(h)
        }
    }

    fn policy_bytes(&mut self, policy: i32) -> Vec<u8> {
        let to_bytes = self
            .to_bytes
            .expect("the full module exports scg_policy_to_bytes");
        let r = to_bytes.call(&mut self.store, policy).unwrap();
        let (ptr, len) = ((r as u64 >> 32) as usize, (r as u64 as u32) as usize);
        assert_ne!(r, 0);
        self.memory.data(&self.store)[ptr..ptr + len].to_vec()
    }

    /// The decision as JSON: `scg_decide_fields` rendered as the contract's JSON, and in the full module also
    /// `scg_decide`, which must say the same.
    fn decide(&mut self, policy: i32, packed: &[u8]) -> String {
        let decide = self.decide_fields;
        let r = self.with_input(packed, |h, p, l| {
            decide
                .call(&mut h.store, (policy, p, l))
                .expect("scg_decide_fields never traps")
        });
        let from_fields = self.fields_json(r);
        if let Some(decide) = self.decide_json {
            let r = self.with_input(packed, |h, p, l| {
                decide
                    .call(&mut h.store, (policy, p, l))
                    .expect("scg_decide never traps")
            });
            let json = self.result(r).expect("a decision");
            assert_eq!(json, from_fields, "scg_decide and scg_decide_fields differ");
        }
        from_fields
    }

    fn explain(&mut self, policy: i32, packed: &[u8]) -> String {
        let explain = self.explain.expect("the full module exports scg_explain");
        let r = self.with_input(packed, |h, p, l| {
            explain
                .call(&mut h.store, (policy, p, l))
                .expect("scg_explain never traps")
        });
        self.result(r).expect("an explanation")
    }
}

fn packed(request_json: &str) -> Vec<u8> {
    let node = json::parse(request_json.as_bytes()).unwrap();
    common::request_from(&node).unwrap().to_packed()
}

// ---------------------------------------------------------------------------------------------------------------
// Behaviour

#[test]
fn corpus_through_the_core_module_equals_the_native_engine() {
    let mut host = Host::new(&module_bytes(CORE));
    let mut native = BTreeMap::new();
    let mut handles = BTreeMap::new();
    for (stem, text) in common::load_policies() {
        let (p, h) = match &text {
            None => (
                Policy::default_policy(),
                host.default.unwrap().call(&mut host.store, ()).unwrap(),
            ),
            Some(t) => (
                Policy::from_json(t.as_bytes()).unwrap(),
                host.compile(t.as_bytes())
                    .unwrap_or_else(|e| panic!("{stem}: {e}")),
            ),
        };
        native.insert(stem.clone(), p);
        handles.insert(stem, h);
    }
    assert_corpus_equals_native(&mut host, &native, &handles);
}

/// Every corpus case (expected and ambiguous) decided (and, by the full module, explained) by the module, compared with
/// the native engine.
fn assert_corpus_equals_native(
    host: &mut Host,
    native: &BTreeMap<String, Policy>,
    handles: &BTreeMap<String, i32>,
) {
    let mut checked = 0;
    let mut failures = Vec::new();
    for file in ["cases.jsonl", "ambiguous.jsonl"] {
        for case in common::load_cases(file) {
            let policy = &native[&case.policy];
            let node = json::parse(case.request_json.as_bytes()).unwrap();
            let request = common::request_from(&node).unwrap();
            let want = policy.decide(&request).to_json();
            let got = host.decide(handles[&case.policy], &request.to_packed());
            if got != want {
                failures.push(format!(
                    "{} ({file}:{}): wasm {got}\n   native {want}",
                    case.id, case.line
                ));
            }
            if host.explain.is_some() {
                let want_explain = policy.explain(&request).to_json();
                let got_explain = host.explain(handles[&case.policy], &request.to_packed());
                if got_explain != want_explain {
                    failures.push(format!(
                        "{}: explain differs\n   wasm {got_explain}\n   native {want_explain}",
                        case.id
                    ));
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 500, "only {checked} corpus cases found");
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn corpus_through_the_decision_only_module_via_compiled_bytes() {
    let mut host = Host::new(&module_bytes(CORE_DECIDE));
    let mut native = BTreeMap::new();
    let mut handles = BTreeMap::new();
    for (stem, text) in common::load_policies() {
        let p = match &text {
            None => Policy::default_policy(),
            Some(t) => Policy::from_json(t.as_bytes()).unwrap(),
        };
        let h = host
            .load(&p.to_bytes())
            .unwrap_or_else(|e| panic!("{stem}: {e}"));
        native.insert(stem.clone(), p);
        handles.insert(stem, h);
    }
    assert_corpus_equals_native(&mut host, &native, &handles);
}

#[test]
fn bad_policies_are_refused_with_their_path() {
    let mut host = Host::new(&module_bytes(CORE));
    let mut failures = Vec::new();
    let bad = common::load_bad_policies();
    assert!(!bad.is_empty());
    for b in &bad {
        match host.compile(b.text.as_bytes()) {
            Ok(_) => failures.push(format!("{}: accepted", b.id)),
            Err(e) => {
                let node = json::parse(e.as_bytes())
                    .unwrap_or_else(|_| panic!("{}: last error is not JSON: {e}", b.id));
                let text = common::to_json(&node);
                let native = Policy::from_json(b.text.as_bytes()).unwrap_err();
                if let Some(path) = &b.error_path {
                    // As in the corpus: the message names the path (the `path` field may be deeper, e.g. the
                    // missing key's own path under the object the corpus names).
                    let want = format!("\"path\":{}", json_str(path).trim_end_matches('"'));
                    if !text.contains(&want) || !native.to_string().contains(path.as_str()) {
                        failures.push(format!("{}: error {e} does not name {path}", b.id));
                    }
                }
                let want_message = format!("\"message\":{}", json_str(&native.to_string()));
                let want_pos = format!("\"line\":{},\"column\":{}", native.line, native.column);
                if !text.contains(&want_message) || !text.contains(&want_pos) {
                    failures.push(format!(
                        "{}: error {e} differs from native {native:?}",
                        b.id
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The contract's JSON for a decision in the fields form (docs/core-abi.md): a table of five little-endian u32
/// (pointer, length) pairs locating each value's UTF-8 bytes in `memory`, `(0, u32::MAX)` for null.
fn fields_to_json(memory: &[u8], table: &[u8]) -> String {
    assert_eq!(table.len(), 40, "the fields table is five pairs: {table:?}");
    let word = |i: usize| u32::from_le_bytes(table[4 * i..4 * i + 4].try_into().unwrap());
    let mut out = String::from("{");
    for (i, key) in ["action", "reason", "rule", "client_ip", "method"]
        .iter()
        .enumerate()
    {
        let (at, n) = (word(2 * i) as usize, word(2 * i + 1));
        out.push_str(if i == 0 { "\"" } else { ",\"" });
        out.push_str(key);
        out.push_str("\":");
        if n == u32::MAX {
            assert!(i >= 2, "{key} is null: {table:?}");
            assert_eq!(at, 0, "{key}: a null's pointer is 0");
            out.push_str("null");
            continue;
        }
        let value = memory
            .get(at..at + n as usize)
            .unwrap_or_else(|| panic!("{key} lies outside memory: {at} + {n}"));
        out.push_str(&json_str(
            std::str::from_utf8(value).expect("fields are UTF-8"),
        ));
    }
    out.push('}');
    out
}

fn json_str(s: &str) -> String {
    let mut out = String::new();
    json::write_str(&mut out, s);
    out
}

#[test]
fn a_policy_error_gives_path_line_and_column() {
    let mut host = Host::new(&module_bytes(CORE));
    let text = b"{\n  \"rules\": [\n    {\"id\": \"a\", \"action\": \"allow\", \"ip\": [\"10.0.0.0/33\"]}\n  ]\n}";
    let e = host.compile(text).unwrap_err();
    let native = Policy::from_json(text).unwrap_err();
    assert_eq!(native.path, "rules[0].ip[0]");
    assert_eq!(
        e,
        format!(
            "{{\"message\":{},\"path\":\"rules[0].ip[0]\",\"line\":{},\"column\":{}}}",
            json_str(&native.to_string()),
            native.line,
            native.column
        )
    );
    assert_eq!(native.line, 3);
}

#[test]
fn invalid_packed_buffers_give_malformed_input() {
    let mut host = Host::new(&module_bytes(CORE));
    let policy = host.default.unwrap().call(&mut host.store, ()).unwrap();
    let malformed = r#"{"action":"pass","reason":"malformed_input","rule":null,"client_ip":null,"method":null}"#;
    let good = Request::new(b"94.232.247.10", b"GET", b"/")
        .header(b"User-Agent", b"Sendcloud/1.0.0")
        .to_packed();
    assert!(host.decide(policy, &good).contains("partner_match"));
    // Every truncation, one byte too many, a huge length, a huge header count, nothing at all.
    let mut bad: Vec<Vec<u8>> = (0..good.len()).map(|n| good[..n].to_vec()).collect();
    let mut extra = good.clone();
    extra.push(0);
    bad.push(extra);
    let mut huge_len = good.clone();
    huge_len[..4].copy_from_slice(&u32::MAX.to_le_bytes());
    bad.push(huge_len);
    let mut huge_count = Request::new(b"1.2.3.4", b"GET", b"").to_packed();
    let n = huge_count.len();
    huge_count[n - 4..].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    bad.push(huge_count);
    for b in &bad {
        assert_eq!(host.decide(policy, b), malformed, "{b:?}");
        let explained = host.explain(policy, b);
        assert!(
            explained.starts_with(&malformed[..malformed.len() - 1]),
            "{explained}"
        );
    }
    // A null pointer or a pointer past the end of memory reads as an empty buffer.
    for (ptr, len) in [(0, 0), (0, 100), (-16, 64), (i32::MAX, 1)] {
        let r = host
            .decide_json
            .unwrap()
            .call(&mut host.store, (policy, ptr, len))
            .unwrap();
        assert_eq!(host.result(r).unwrap(), malformed);
        let r = host
            .decide_fields
            .call(&mut host.store, (policy, ptr, len))
            .unwrap();
        assert_eq!(host.fields_json(r), malformed);
    }
    // Invalid UTF-8 everywhere is never an allow.
    let r = Request::new(b"94.232.247.10", b"GET", b"/\xff")
        .header(b"User-Agent", b"Sendcloud/1.0.0\xff")
        .to_packed();
    let d = host.decide(policy, &r);
    assert!(!d.contains("\"allow\""), "{d}");
}

#[test]
fn unknown_policy_handles_are_errors_not_traps() {
    let mut host = Host::new(&module_bytes(CORE));
    let good = Request::new(b"1.2.3.4", b"GET", b"/").to_packed();
    for handle in [0, 7, -1, i32::MAX] {
        for decide in [host.decide_fields, host.decide_json.unwrap()] {
            let r = host.with_input(&good, |h, p, l| {
                decide.call(&mut h.store, (handle, p, l)).unwrap()
            });
            assert_eq!(r, 0);
            assert!(host.last_error().contains("not a live policy handle"));
        }
    }
    let p = host.default.unwrap().call(&mut host.store, ()).unwrap();
    host.policy_free.call(&mut host.store, p).unwrap();
    host.policy_free.call(&mut host.store, p).unwrap(); // twice is harmless
    assert_eq!(host.to_bytes.unwrap().call(&mut host.store, p).unwrap(), 0);
    // A freed slot is reused.
    let q = host.default.unwrap().call(&mut host.store, ()).unwrap();
    assert_eq!(q, p);
}

#[test]
fn huge_inputs_do_not_trap() {
    let mut host = Host::new(&module_bytes(CORE));
    let policy = host.default.unwrap().call(&mut host.store, ()).unwrap();
    let native = Policy::default_policy();
    let mib = vec![b'a'; 1 << 20];
    let mut claim = b"SendCloud/1.0 (".to_vec();
    claim.extend_from_slice(&mib);
    let xff: Vec<u8> = std::iter::repeat_n(&b"10.0.0.1, "[..], 100_000)
        .flatten()
        .copied()
        .collect();
    let cases = [
        Request::new(b"94.232.247.10", b"GET", b"/").header(b"User-Agent", &mib),
        Request::new(b"198.51.100.1", b"GET", b"/").header(b"User-Agent", &claim),
        Request::new(b"94.232.247.10", b"GET", &mib),
        Request::new(b"94.232.247.10", &mib, b"/"),
        Request::new(&mib, b"GET", b"/"),
        Request::new(b"94.232.247.10", b"GET", b"/").header(b"X-Forwarded-For", &xff),
        Request::new(b"94.232.247.10", b"GET", b"/").header(&mib, b"x"),
    ];
    for (i, req) in cases.iter().enumerate() {
        let got = host.decide(policy, &req.to_packed());
        assert_eq!(got, native.decide(req).to_json(), "case {i}");
        let got = host.explain(policy, &req.to_packed());
        assert_eq!(got, native.explain(req).to_json(), "case {i} (explain)");
    }
    // Many headers.
    let mut many = Request::new(b"94.232.247.10", b"GET", b"/");
    for _ in 0..50_000 {
        many = many.header(b"X-A", b"b");
    }
    assert_eq!(
        host.decide(policy, &many.to_packed()),
        native.decide(&many).to_json()
    );
    // A 1 MiB policy text that is not JSON, and one that is, are errors, not traps.
    assert!(host.compile(&mib).is_err());
    let mut big = b"{\"rules\":[".to_vec();
    for i in 0..20_000 {
        if i > 0 {
            big.push(b',');
        }
        big.extend_from_slice(
            format!(
                "{{\"id\":\"r{i}\",\"action\":\"deny\",\"ip\":[\"10.{}.{}.0/24\"]}}",
                (i >> 8) & 255,
                i & 255
            )
            .as_bytes(),
        );
    }
    big.extend_from_slice(b"]}");
    let h = host.compile(&big);
    assert_eq!(h.is_ok(), Policy::from_json(&big).is_ok());
    // Allocation that cannot succeed returns 0 instead of trapping.
    assert_eq!(host.alloc.call(&mut host.store, -1).unwrap(), 0);
}

#[test]
fn compiled_bytes_round_trip_between_module_and_native() {
    let mut host = Host::new(&module_bytes(CORE));
    for (stem, text) in common::load_policies() {
        let native = match &text {
            None => Policy::default_policy(),
            Some(t) => Policy::from_json(t.as_bytes()).unwrap(),
        };
        let h = match &text {
            None => host.default.unwrap().call(&mut host.store, ()).unwrap(),
            Some(t) => host.compile(t.as_bytes()).unwrap(),
        };
        let bytes = host.policy_bytes(h);
        assert_eq!(
            bytes,
            native.to_bytes(),
            "{stem}: module and native bytes differ"
        );
        assert_eq!(Policy::from_bytes(&bytes).unwrap(), native, "{stem}");
        let again = host.load(&native.to_bytes()).unwrap();
        assert_eq!(host.policy_bytes(again), bytes, "{stem}");
        let show = host.show.unwrap().call(&mut host.store, again).unwrap();
        assert_eq!(host.result(show).unwrap(), native.show_json(), "{stem}");
    }
    // Bytes that are not a policy are refused with a reason.
    let e = host.load(b"SCGATE\x01\x00garbage").unwrap_err();
    assert!(e.contains("not a valid compiled policy"), "{e}");
    let mut flipped = Policy::default_policy().to_bytes();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    assert!(host.load(&flipped).is_err());
    assert!(host.load(b"").is_err());
}

#[test]
fn memory_stays_bounded_over_many_decisions() {
    let mut host = Host::new(&module_bytes(CORE));
    let policy = host.default.unwrap().call(&mut host.store, ()).unwrap();
    let req = packed(
        r#"{"remote_addr":"94.232.247.10","method":"PATCH","uri":"/wp-json/wc/v3/orders/12","headers":{"User-Agent":"SendCloud/1.0 (woocommerce; https://www.sendcloud.sc)"}}"#,
    );
    for _ in 0..200 {
        host.explain(policy, &req);
    }
    let size = host.memory.data(&host.store).len();
    for _ in 0..5_000 {
        host.decide(policy, &req);
        host.explain(policy, &req);
    }
    assert_eq!(
        host.memory.data(&host.store).len(),
        size,
        "memory grew: a leak"
    );
    assert!(
        size <= 4 * 65536,
        "memory is {size} bytes after 10,000 calls"
    );
}
