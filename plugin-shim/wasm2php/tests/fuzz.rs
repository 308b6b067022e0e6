//! Differential fuzzing: wasm-smith modules (with floats in every other one) run
//! under wasmi and under the translated PHP; results, trap/no-trap, memory
//! (CRC-32 and size) and exported globals must agree after every call, floats
//! bit for bit.
//!
//! NaNs: wasm lets an arithmetic instruction return any quiet NaN when an operand
//! was a non-canonical NaN, so two correct engines may differ there, and the
//! difference can spread (reinterpret, stores, branches). The float modules are
//! generated with wasm-smith's `canonicalize_nans`, which replaces every NaN an
//! arithmetic instruction returns by the canonical one; the instructions that
//! must keep bits (constants, loads, stores, `reinterpret`, `neg`, `abs`,
//! `copysign`, `select`, locals, globals, calls) still carry arbitrary NaN
//! payloads, signalling ones included, and are compared exactly, as are
//! `promote`/`demote` (which wasm-smith leaves alone; the translation converts
//! with the FPU's own conversions, as wasmi does).
//!
//! Deterministic: seeds come from a fixed splitmix64 stream. Skips happen only
//! by rule:
//! * the translator refused the module (counted; should stay rare with the
//!   generator configuration below);
//! * after a call where either side ran out of its budget (wasmi fuel, PHP
//!   fuel, or call depth on either side) the rest of that module is not
//!   compared, since the two states may have diverged.
//!
//! `W2P_FUZZ_SEEDS=N` changes the number of modules (default 1000).

mod common;
use common::*;
use std::collections::HashMap;
use std::fmt::Write;
use wasmi::Val;

const FUEL: u64 = 20_000;
const MAX_DEPTH: u32 = 300;
/// Same memory cap on both sides, so memory.grow fails identically.
const MAX_PAGES: u32 = 160;

struct SplitMix(u64);
impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// An f32 (`wide` = false) or f64 argument's bits: special values or random bits.
    fn float_arg(&mut self, wide: bool) -> u64 {
        const F64: [u64; 16] = [
            0,
            1 << 63,
            0x3FF0_0000_0000_0000, // 1
            0xBFF0_0000_0000_0000, // -1
            0x3FE0_0000_0000_0000, // 0.5
            0x4004_0000_0000_0000, // 2.5
            0x7FF0_0000_0000_0000, // inf
            0xFFF0_0000_0000_0000, // -inf
            0x7FF8_0000_0000_0000, // canonical NaN
            0xFFF4_0000_0000_0001, // signalling NaN with payload
            1,                     // smallest subnormal
            0x7FEF_FFFF_FFFF_FFFF, // largest finite
            0x41E0_0000_0000_0000, // 2^31
            0x43E0_0000_0000_0000, // 2^63
            0xC1E0_0000_0020_0000, // -2^31 - 1
            0x4330_0000_0000_0001, // 2^52 + 1
        ];
        const F32: [u32; 16] = [
            0,
            0x8000_0000,
            0x3F80_0000,
            0xBF80_0000,
            0x3F00_0000,
            0x4020_0000,
            0x7F80_0000,
            0xFF80_0000,
            0x7FC0_0000,
            0xFFA0_0001, // signalling NaN with payload
            1,
            0x7F7F_FFFF,
            0x4F00_0000, // 2^31
            0x5F00_0000, // 2^63
            0xCF00_0001,
            0x4B00_0001, // 2^23 + 1
        ];
        let r = self.next();
        let i = (r >> 8) as usize % 16;
        match (wide, r.is_multiple_of(3)) {
            (true, true) => F64[i],
            (true, false) => self.next(),
            (false, true) => F32[i] as u64,
            (false, false) => self.next() as u32 as u64,
        }
    }

    fn arg(&mut self, i64: bool) -> i64 {
        const SPECIAL: [i64; 10] = [
            0,
            1,
            -1,
            2,
            7,
            0x7FFF_FFFF,
            -0x8000_0000,
            0xFFFF,
            i64::MAX,
            i64::MIN,
        ];
        let r = self.next();
        let v = if r.is_multiple_of(3) {
            SPECIAL[(r >> 8) as usize % SPECIAL.len()]
        } else {
            self.next() as i64
        };
        if i64 {
            v
        } else {
            v as i32 as i64
        }
    }
}

fn crc32(data: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let t = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, e) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *e = c;
        }
        t
    });
    let mut c = !0u32;
    for &b in data {
        c = t[((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8);
    }
    !c
}

#[allow(clippy::field_reassign_with_default)]
fn smith_config(floats: bool) -> wasm_smith::Config {
    use wasm_smith::{InstructionKind as K, InstructionKinds};
    let mut c = wasm_smith::Config::default();
    c.allow_floats = floats;
    c.canonicalize_nans = floats;
    c.max_imports = 0;
    c.simd_enabled = false;
    c.relaxed_simd_enabled = false;
    c.threads_enabled = false;
    c.reference_types_enabled = false;
    c.exceptions_enabled = false;
    c.tail_call_enabled = false;
    c.gc_enabled = false;
    c.memory64_enabled = false;
    c.custom_page_sizes_enabled = false;
    c.wide_arithmetic_enabled = false;
    c.saturating_float_to_int_enabled = floats;
    c.bulk_memory_enabled = true;
    c.multi_value_enabled = true;
    c.sign_extension_ops_enabled = true;
    c.extended_const_enabled = true;
    c.max_memories = 1;
    c.max_tables = 1;
    c.max_memory32_bytes = 8 * 65536;
    c.export_everything = true;
    c.min_types = 2;
    c.min_funcs = 3;
    c.max_funcs = 20;
    c.max_instructions = 400;
    c.max_nesting_depth = 8;
    // Table instructions (table.init/copy, elem.drop) are refused by design.
    c.allowed_instructions = InstructionKinds::new(&[
        K::Numeric,
        K::Parametric,
        K::Variable,
        K::Memory,
        K::Control,
    ]);
    c
}

#[derive(Debug, Clone, PartialEq)]
enum Res {
    Ret(Vec<String>),
    Trap,
    /// Out of fuel or call depth: not comparable.
    Exhausted,
}

struct Step {
    id: String,
    res: Res,
    /// crc32, memory size, exported globals, in that order.
    state: Vec<String>,
}

struct Case {
    n: usize,
    php_file: String,
    inst: Step,
    /// Export name, arguments as shown, arguments as PHP expressions, outcome.
    calls: Vec<(String, Vec<String>, Vec<String>, Step)>,
    globals: Vec<String>,
}

/// A value as `w2p_out` prints it (floats as the bits of the PHP float that stands for them).
fn val_str(v: &Val) -> String {
    match v {
        Val::I32(x) => (*x as u32).to_string(),
        Val::I64(x) => x.to_string(),
        Val::F32(x) => float_token(f32_as_f64_bits(x.to_bits())),
        Val::F64(x) => float_token(x.to_bits()),
        other => format!("{other:?}"),
    }
}

/// A value as a PHP argument expression.
fn val_php(v: &Val) -> String {
    match v {
        Val::I32(x) => (*x as u32).to_string(),
        Val::I64(x) => php_i64(*x),
        Val::F32(x) => format!("w2p_f32({})", x.to_bits()),
        Val::F64(x) => format!("w2p_f64({})", php_i64(x.to_bits() as i64)),
        other => format!("{other:?}"),
    }
}

fn classify(e: &wasmi::Error) -> Res {
    match e.as_trap_code() {
        Some(wasmi::TrapCode::OutOfFuel) | Some(wasmi::TrapCode::StackOverflow) => Res::Exhausted,
        Some(_) => Res::Trap,
        None => Res::Exhausted,
    }
}

/// Runs one module under wasmi, recording the reference outcome of every step.
fn reference(n: usize, bytes: &[u8], rng: &mut SplitMix, php_file: String) -> Option<Case> {
    let mut cfg = wasmi::Config::default();
    cfg.consume_fuel(true);
    cfg.set_max_recursion_depth(MAX_DEPTH as usize);
    let engine = wasmi::Engine::new(&cfg);
    let module = wasmi::Module::new(&engine, bytes).ok()?;
    let limits = wasmi::StoreLimitsBuilder::new()
        .memory_size(MAX_PAGES as usize * 65536)
        .build();
    let mut store = wasmi::Store::new(&engine, limits);
    store.limiter(|l| l);
    store.set_fuel(FUEL).unwrap();
    let linker = wasmi::Linker::<wasmi::StoreLimits>::new(&engine);

    // Export order and kinds from the binary (wasmi's iteration order is unspecified).
    let mut funcs = Vec::new();
    let mut globals = Vec::new();
    let mut memory = None;
    for p in wasmparser::Parser::new(0).parse_all(bytes) {
        if let Ok(wasmparser::Payload::ExportSection(r)) = p {
            for e in r.into_iter().flatten() {
                match e.kind {
                    wasmparser::ExternalKind::Func => funcs.push(e.name.to_string()),
                    wasmparser::ExternalKind::Global => globals.push(e.name.to_string()),
                    wasmparser::ExternalKind::Memory => memory = Some(e.name.to_string()),
                    _ => {}
                }
            }
        }
    }

    let state = |store: &wasmi::Store<wasmi::StoreLimits>, inst: &wasmi::Instance| -> Vec<String> {
        let mut s = Vec::new();
        match memory.as_ref().and_then(|m| inst.get_memory(store, m)) {
            Some(mem) => {
                let d = mem.data(store);
                s.push(crc32(d).to_string());
                s.push(d.len().to_string());
            }
            None => {
                s.push(crc32(&[]).to_string());
                s.push("0".into());
            }
        }
        for g in &globals {
            s.push(val_str(&inst.get_global(store, g).unwrap().get(store)));
        }
        s
    };

    let inst = match linker.instantiate_and_start(&mut store, &module) {
        Ok(i) => i,
        Err(e) => {
            return Some(Case {
                n,
                php_file,
                inst: Step {
                    id: format!("m{n}i"),
                    res: classify(&e),
                    state: vec![],
                },
                calls: vec![],
                globals,
            })
        }
    };
    let inst_step = Step {
        id: format!("m{n}i"),
        res: Res::Ret(vec![]),
        state: state(&store, &inst),
    };
    let mut calls = Vec::new();
    let twice: Vec<&String> = funcs.iter().chain(funcs.iter()).collect();
    for (k, name) in twice.into_iter().enumerate() {
        let f = inst.get_func(&store, name).unwrap();
        let ty = f.ty(&store);
        let args: Vec<Val> = ty
            .params()
            .iter()
            .map(|t| match t {
                wasmi::ValType::I64 => Val::I64(rng.arg(true)),
                wasmi::ValType::F32 => Val::F32(wasmi::F32::from_bits(rng.float_arg(false) as u32)),
                wasmi::ValType::F64 => Val::F64(wasmi::F64::from_bits(rng.float_arg(true))),
                _ => Val::I32(rng.arg(false) as i32),
            })
            .collect();
        let mut results: Vec<Val> = ty
            .results()
            .iter()
            .map(|t| Val::default_for_ty(*t))
            .collect();
        store.set_fuel(FUEL).unwrap();
        let res = match f.call(&mut store, &args, &mut results) {
            Ok(()) => Res::Ret(results.iter().map(val_str).collect()),
            Err(e) => classify(&e),
        };
        let exhausted = res == Res::Exhausted;
        let st = if exhausted {
            vec![]
        } else {
            state(&store, &inst)
        };
        calls.push((
            name.clone(),
            args.iter().map(val_str).collect(),
            args.iter().map(val_php).collect(),
            Step {
                id: format!("m{n}c{k}"),
                res,
                state: st,
            },
        ));
        if exhausted {
            break;
        }
    }
    Some(Case {
        n,
        php_file,
        inst: inst_step,
        calls,
        globals,
    })
}

fn php_for(c: &Case, s: &mut String) {
    let n = c.n;
    let gl: Vec<String> = c
        .globals
        .iter()
        .map(|g| format!("$x->getGlobal({})", php_str(g)))
        .collect();
    writeln!(
        s,
        "$st = function ($x) {{ return [crc32($x->mem), strlen($x->mem), {}]; }};",
        gl.join(", ")
    )
    .unwrap();
    writeln!(s, "try {{ require {}; $x = new F{n}({FUEL}); w2p_out('m{n}i', null); w2p_out('m{n}is', $st($x)); }} catch (\\Throwable $e) {{ w2p_err('m{n}i', $e); $x = null; }}", php_str(&c.php_file)).unwrap();
    writeln!(s, "if ($x !== null) {{").unwrap();
    for (name, _, args, step) in &c.calls {
        let id = &step.id;
        writeln!(
            s,
            "try {{ $x->fuel = {FUEL}; w2p_out('{id}', $x->call({}, [{}])); }} catch (\\Throwable $e) {{ w2p_err('{id}', $e); }} w2p_out('{id}s', $st($x));",
            php_str(name),
            args.join(", ")
        )
        .unwrap();
    }
    writeln!(s, "}}").unwrap();
}

/// The name of the module's first exported function, if it has one.
fn first_function_export(bytes: &[u8]) -> Option<String> {
    wasmparser::Parser::new(0)
        .parse_all(bytes)
        .find_map(|p| match p {
            Ok(wasmparser::Payload::ExportSection(r)) => r
                .into_iter()
                .flatten()
                .find(|e| e.kind == wasmparser::ExternalKind::Func)
                .map(|e| e.name.to_string()),
            _ => None,
        })
}

#[test]
fn differential_fuzz() {
    require_php();
    require_opcache();
    let seeds: usize = std::env::var("W2P_FUZZ_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let dir = scratch("fuzz");
    let mut rng = SplitMix(0x5EED_CAFE_F00D_0001);
    let mut refused: HashMap<String, usize> = HashMap::new();
    let mut cases = Vec::new();
    let mut invalid_for_wasmi = 0;
    let (mut float_modules, mut float_op_count) = (0usize, 0usize);
    for n in 0..seeds {
        let len = 1024 + (rng.next() % 8192) as usize;
        let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let mut u = arbitrary::Unstructured::new(&data);
        // Floats in every other module; the others are integer-only, as the engine's modules are.
        let floats = n % 2 == 0;
        let Ok(m) = wasm_smith::Module::new(smith_config(floats), &mut u) else {
            continue;
        };
        let bytes = m.to_bytes();
        let float_ops = count_float_ops(&bytes);
        if float_ops > 0 {
            float_modules += 1;
            float_op_count += float_ops;
        }
        let mut opts = wasm2php::Options::new(format!("F{n}"));
        opts.fuel = true;
        opts.max_call_depth = MAX_DEPTH;
        opts.max_memory_pages = MAX_PAGES;
        // Every other module in lazy mode: each function in a file of its own, loaded on its first call, or (every
        // fourth module) only the functions of 2,000 bytes or more, and every function outside the SSA passes of a
        // module that keeps them for some exports.
        opts.lazy_min_bytes = match n % 4 {
            1 => Some(0),
            3 => Some(2000),
            _ => None,
        };
        // Every third with each function in a try block (`--no-opcache-ssa`), lazy or not; of the others, every
        // other one with the pass kept only for what its first exported function runs (`--opcache-ssa-from`).
        opts.opcache_ssa = n % 3 != 0;
        // Half of the lazy ones with a stub per function in the lazy table from the start (`lazy_stubs`).
        opts.lazy_stubs = n % 8 >= 4;
        if n % 3 == 1 {
            opts.opcache_ssa_from = first_function_export(&bytes).into_iter().collect();
        }
        match wasm2php::translate_files(&bytes, &opts) {
            Ok(files) => {
                let file = dir.join(format!("f{n}.php"));
                files.write(&file).unwrap();
                std::fs::write(dir.join(format!("f{n}.wasm")), &bytes).unwrap();
                match reference(n, &bytes, &mut rng, file.to_str().unwrap().to_string()) {
                    Some(c) => cases.push(c),
                    None => invalid_for_wasmi += 1,
                }
            }
            Err(e) => {
                let key = e
                    .to_string()
                    .split(" in function")
                    .next()
                    .unwrap()
                    .to_string();
                *refused.entry(key).or_default() += 1;
            }
        }
    }

    // Batches of modules per PHP process, two processes at a time.
    let batches: Vec<&[Case]> = cases.chunks(25).collect();
    let outputs = std::sync::Mutex::new(HashMap::new());
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(b) = batches.get(i) else { break };
                let mut script = String::from(PHP_PRELUDE);
                for c in b.iter() {
                    php_for(c, &mut script);
                }
                let path = dir.join(format!("batch{i}.php"));
                std::fs::write(&path, script).unwrap();
                // Every other batch through opcache's optimizer.
                let (map, tail) = run_php(&path, if i % 2 == 1 { OPCACHE } else { &[] });
                let mut o = outputs.lock().unwrap();
                o.extend(map);
                o.insert(format!("tail{i}"), Outcome::Error(tail));
            });
        }
    });
    let outputs = outputs.into_inner().unwrap();

    let (mut compared, mut skipped_exhausted, mut failures) = (0usize, 0usize, Vec::new());
    let (mut returned, mut trapped, mut float_values) = (0usize, 0usize, 0usize);
    for c in &cases {
        let mut steps: Vec<(&Step, String)> = vec![(&c.inst, "instantiate".to_string())];
        steps.extend(
            c.calls
                .iter()
                .map(|(name, args, _, st)| (st, format!("{name}({})", args.join(", ")))),
        );
        for (step, what) in steps {
            let got = outputs.get(&step.id);
            let php_exhausted = matches!(got, Some(Outcome::Trap(m)) if m.contains("fuel exhausted") || m.contains("call stack exhausted"));
            if step.res == Res::Exhausted || php_exhausted {
                skipped_exhausted += 1;
                break;
            }
            let same = match (&step.res, got) {
                (Res::Ret(v), Some(Outcome::Ret(p))) => v == p,
                (Res::Trap, Some(Outcome::Trap(_))) => true,
                _ => false,
            };
            let same_state = step.state.is_empty()
                || matches!(outputs.get(&format!("{}s", step.id)), Some(Outcome::Ret(p)) if *p == step.state);
            compared += 1;
            match &step.res {
                Res::Ret(v) => {
                    returned += 1;
                    float_values += v.iter().filter(|t| t.starts_with('F')).count();
                    float_values += step.state.iter().filter(|t| t.starts_with('F')).count();
                }
                _ => trapped += 1,
            }
            if !same || !same_state {
                let php_state = outputs.get(&format!("{}s", step.id));
                failures.push(format!(
                    "f{}.wasm {what}: wasmi {:?} state {:?}; php {:?} state {:?}",
                    c.n, step.res, step.state, got, php_state
                ));
                break;
            }
        }
    }
    let nref: usize = refused.values().sum();
    println!(
        "fuzz: {seeds} seeds, {} modules translated and run, {nref} refused by the translator, {invalid_for_wasmi} rejected by wasmi",
        cases.len()
    );
    for (k, v) in &refused {
        println!("  refused {v}: {k}");
    }
    println!(
        "fuzz: {float_modules} modules with float instructions ({float_op_count} f32/f64 instructions in all)"
    );
    println!(
        "fuzz: {compared} steps compared (instantiations + calls; {returned} returned, {trapped} trapped on both sides), {skipped_exhausted} modules cut short by fuel/depth exhaustion, {} mismatches",
        failures.len()
    );
    println!("fuzz: {float_values} float values compared (results and exported globals)");
    println!(
        "{} passed, {} failed",
        compared - failures.len(),
        failures.len()
    );
    for f in failures.iter().take(20) {
        println!("MISMATCH {f}");
    }
    assert!(
        failures.is_empty(),
        "{} differential mismatches",
        failures.len()
    );
    assert!(
        float_values >= seeds / 10,
        "too few float values compared: {float_values}"
    );
    assert!(
        float_modules >= seeds / 4,
        "too few modules with floats: {float_modules}"
    );
    assert!(
        cases.len() >= seeds * 3 / 4,
        "too few modules ran: {}",
        cases.len()
    );
}

/// Number of instructions in a module that take or produce an f32 or f64.
fn count_float_ops(bytes: &[u8]) -> usize {
    let mut n = 0;
    for p in wasmparser::Parser::new(0).parse_all(bytes) {
        if let Ok(wasmparser::Payload::CodeSectionEntry(body)) = p {
            let Ok(mut r) = body.get_operators_reader() else {
                continue;
            };
            while !r.eof() {
                let Ok(op) = r.read() else { break };
                let name = format!("{op:?}");
                if name.starts_with("F32")
                    || name.starts_with("F64")
                    || name.contains("F32")
                    || name.contains("F64")
                {
                    n += 1;
                }
            }
        }
    }
    n
}
