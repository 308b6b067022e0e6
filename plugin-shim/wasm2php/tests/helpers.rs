//! Exhaustive-ish checks of the integer operations against Rust's own
//! semantics: every i32/i64 operator on edge-case and pseudo-random operands,
//! both with two variable operands and with a constant right operand (the
//! translator emits different PHP for constants). Also translation-level
//! checks: refusals name the instruction and function, output passes `php -l`.

mod common;
use common::*;
use std::fmt::Write;

fn wat(src: &str) -> Vec<u8> {
    let buf = wast::parser::ParseBuffer::new(src).unwrap();
    let mut w: wast::Wat<'_> = wast::parser::parse(&buf).unwrap();
    w.encode().unwrap()
}

/// Writes `php` (a translation) to `dir` with a driver that requires it and then runs `body`, and asserts that the
/// driver prints exactly `want` (showing its stderr when not).
fn assert_driver_prints(dir: &std::path::Path, php: &str, body: &str, want: &str) {
    let files = wasm2php::Files {
        main: php.to_string(),
        lazy: Vec::new(),
    };
    assert_files_driver_prints(dir, &files, body, want);
}

/// [`assert_driver_prints`] for a translation of several files (lazy mode).
fn assert_files_driver_prints(
    dir: &std::path::Path,
    files: &wasm2php::Files,
    body: &str,
    want: &str,
) {
    let file = dir.join("module.php");
    files.write(&file).unwrap();
    let drv = dir.join("drv.php");
    let script = format!(
        "<?php\nrequire {};\n{body}",
        php_str(file.to_str().unwrap())
    );
    std::fs::write(&drv, script).unwrap();
    let out = std::process::Command::new(php_bin())
        .arg(&drv)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        text == want,
        "got:\n{text}\nwant:\n{want}\nstderr: {stderr}"
    );
}

/// Lazy mode: a function kept in a file of its own is compiled on its first call and not before, whether that call
/// comes from an export, another function or `call_indirect`; results and traps are the same as in one file.
#[test]
fn lazy_functions_load_on_their_first_call() {
    let bytes = wat(r#"(module
      (memory 1)
      (table 2 funcref)
      (elem (i32.const 0) $double $boom)
      (func $double (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
      (func $boom (param i32) (result i32) (i32.store (i32.const 65535) (local.get 0)) (local.get 0))
      (func (export "twice") (param i32) (result i32) (call $double (call $double (local.get 0))))
      (func (export "indirect") (param i32 i32) (result i32)
        (call_indirect (param i32) (result i32) (local.get 0) (local.get 1))))"#);
    let mut opts = wasm2php::Options::new("Lazy");
    opts.lazy_min_bytes = Some(0);
    let err = wasm2php::translate(&bytes, &opts).unwrap_err();
    assert!(err.to_string().contains("translate_files"), "{err}");
    let files = wasm2php::translate_files(&bytes, &opts).unwrap();
    let names: Vec<&str> = files.lazy.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        names,
        ["Lazy/f0.php", "Lazy/f1.php", "Lazy/f2.php", "Lazy/f3.php"]
    );
    let dir = scratch("lazy");
    // A file left from an earlier translation into the same place is removed.
    std::fs::create_dir_all(dir.join("Lazy")).unwrap();
    std::fs::write(dir.join("Lazy/f9.php"), "<?php return 1;").unwrap();
    let body = r#"$loaded = function () {
    return array_values(array_map('basename', array_filter(get_included_files(), function ($f) {
        return strpos($f, '/Lazy/') !== false;
    })));
};
$x = new Lazy();
echo json_encode($loaded()), "\n";
echo $x->twice(5), "\n";
echo json_encode($loaded()), "\n";
echo $x->indirect(7, 0), "\n";
try { $x->indirect(7, 1); } catch (LazyTrap $e) { echo $e->getMessage(), "\n"; }
echo json_encode($loaded()), "\n";
echo json_encode(is_file(__DIR__ . '/Lazy/f9.php')), "\n";
"#;
    let want = "[]\n20\n[\"f2.php\",\"f0.php\"]\n14\nout of bounds memory access\n\
                [\"f2.php\",\"f0.php\",\"f3.php\",\"f1.php\"]\nfalse\n";
    assert_files_driver_prints(&dir, &files, body, want);

    // With a stub in the lazy table for each such function (`lazy_stubs`): no `??` at a call site, and the same
    // loading, results and traps.
    opts.lazy_stubs = true;
    let files = wasm2php::translate_files(&bytes, &opts).unwrap();
    for text in std::iter::once(&files.main).chain(files.lazy.iter().map(|(_, t)| t)) {
        assert!(!text.contains("??"), "{text}");
    }
    assert!(files.main.contains("self::w2p_stubs()"));
    assert_files_driver_prints(&scratch("lazy-stubs"), &files, body, want);
}

/// Lazy mode keeps a stub method in the class only for a function that something calls as a method (an export,
/// a table, the start function); a function only ever called directly is reached through the lazy table alone.
#[test]
fn lazy_mode_keeps_stubs_only_where_a_method_is_called() {
    let bytes = wat(r#"(module
      (table 1 funcref)
      (elem (i32.const 0) $in_table)
      (global $g (mut i32) (i32.const 0))
      (func $inner (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
      (func $in_table (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3)))
      (func $init (global.set $g (i32.const 5)))
      (func (export "outer") (param i32) (result i32)
        (i32.add (global.get $g)
          (call_indirect (param i32) (result i32) (call $inner (local.get 0)) (i32.const 0))))
      (start $init))"#);
    let mut opts = wasm2php::Options::new("Stubs");
    opts.lazy_min_bytes = Some(0);
    let files = wasm2php::translate_files(&bytes, &opts).unwrap();
    assert_eq!(files.lazy.len(), 4, "every function in a file of its own");
    let stubs: Vec<u32> = (0..4)
        .filter(|f| files.main.contains(&format!("private function w2p_f{f}(")))
        .collect();
    assert_eq!(
        stubs,
        [1, 2, 3],
        "in_table, init (start) and outer (export); not inner"
    );
    // (2 + 1) * 3 + 5
    assert_files_driver_prints(
        &scratch("stubs"),
        &files,
        "echo (new Stubs())->outer(2), \"\\n\";\n",
        "14\n",
    );
    // The start function runs in the constructor: after the lazy table's stubs are made, with `lazy_stubs`.
    opts.lazy_stubs = true;
    let files = wasm2php::translate_files(&bytes, &opts).unwrap();
    assert_files_driver_prints(
        &scratch("stubs-table"),
        &files,
        "echo (new Stubs())->outer(2), \"\\n\";\n",
        "14\n",
    );
}

/// `opcache_ssa: false`: every translated function sits in a try block, which opcache's SSA passes (asked to dump
/// what they see, `opt_debug_level` 0x200000 "before dfa pass") skip, while with the default they see each one;
/// results, traps (class and message) and deep recursion are those of the default translation.
#[test]
fn without_opcache_ssa_functions_are_skipped_by_the_ssa_passes_and_behave_the_same() {
    require_php();
    let bytes = wat(r#"(module
      (memory 1)
      (func $sum (export "sum") (param i32) (result i32) (local i32)
        (block (loop
          (br_if 1 (i32.eqz (local.get 0)))
          (local.set 1 (i32.add (local.get 1) (local.get 0)))
          (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
          (br 0)))
        (local.get 1))
      (func $deep (export "deep") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
          (else (i32.add (i32.const 1) (call $deep (i32.sub (local.get 0) (i32.const 1)))))))
      (func (export "store") (param i32) (i32.store (local.get 0) (i32.const 1))))"#);
    let body = r#"$x = new Ssa();
echo $x->sum(100), "\n", $x->deep(50), "\n";
foreach ([[$x, 'store', 65533], [$x, 'deep', 100000]] as [$o, $f, $a]) {
    try { $o->$f($a); echo "no trap\n"; } catch (SsaTrap $e) { echo get_class($e), ': ', $e->getMessage(), "\n"; }
}
"#;
    let want = "5050\n50\nSsaTrap: out of bounds memory access\nSsaTrap: call stack exhausted\n";
    for ssa in [true, false] {
        let mut opts = wasm2php::Options::new("Ssa");
        opts.opcache_ssa = ssa;
        opts.max_call_depth = 1000;
        let php = wasm2php::translate(&bytes, &opts).unwrap();
        assert_eq!(
            php.matches("} catch (\\Throwable $w2p_e) {").count(),
            if ssa { 0 } else { 3 },
            "one try block per function without SSA, none with"
        );
        let dir = scratch(if ssa { "ssa-on" } else { "ssa-off" });
        assert_driver_prints(&dir, &php, body, want);
        let analysed = ssa_analysed(&dir, "Ssa");
        let want_analysed: &[&str] = if ssa {
            &["Ssa::w2p_f0", "Ssa::w2p_f1", "Ssa::w2p_f2"]
        } else {
            &[]
        };
        assert_eq!(analysed, want_analysed, "ssa {ssa}");
    }
}

/// Outside the SSA passes an i32 store of a computed value is a call (`w2p_s32`), inside them four byte
/// assignments; a constant is stored inline either way. The bytes written are the same: little-endian, negative
/// values, an unaligned store, one overlapping the last, the last word of memory, and the trap one byte further.
/// In lazy mode, a module whose hot exports alone keep the passes has every other function in a file of its own,
/// however small, and only those: a function that got smaller as calls never moves into the class file.
#[test]
fn outside_opcache_ssa_i32_stores_are_calls_and_write_the_same_bytes() {
    require_php();
    let bytes = wat(r#"(module
      (memory 1)
      (func (export "put") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
      (func (export "zero") (param i32) (i32.store offset=4 (local.get 0) (i32.const 0)))
      (func (export "get") (param i32) (result i32) (i32.load (local.get 0)))
      (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0))))"#);
    let body = r#"$x = new Words();
$x->put(0, 0x01020304); echo $x->byte(0), ' ', $x->byte(3), ' ', $x->get(0), "\n";
$x->put(5, -2); echo $x->get(5), ' ', $x->byte(8), "\n";
$x->put(6, 0x7f000000); echo $x->get(5), ' ', $x->byte(9), "\n";
$x->zero(0); echo $x->get(4), ' ', $x->get(0), "\n";
$x->put(65532, 123456789); echo $x->get(65532), "\n";
try { $x->put(65533, 1); echo "no trap\n"; } catch (WordsTrap $e) { echo $e->getMessage(), ' ', $x->get(65532), "\n"; }
"#;
    // An i32 result comes back unsigned (4294967294 is -2).
    let want = "4 1 16909060\n4294967294 255\n254 127\n0 16909060\n123456789\n\
                out of bounds memory access 123456789\n";
    // (SSA passes, hot exports, store calls, functions in files of their own with a threshold no function reaches)
    let ways: [(bool, &str, usize, &[u32]); 4] = [
        (true, "", 0, &[]),
        (false, "", 1, &[]),
        (true, "get", 1, &[0, 1, 3]),
        (true, "put,get", 0, &[1, 3]),
    ];
    for (ssa, from, calls, lazy) in ways {
        let mut opts = wasm2php::Options::new("Words");
        opts.opcache_ssa = ssa;
        opts.opcache_ssa_from = from.split_terminator(',').map(String::from).collect();
        opts.lazy_min_bytes = Some(100_000);
        let files = wasm2php::translate_files(&bytes, &opts).unwrap();
        let all: String = std::iter::once(files.main.as_str())
            .chain(files.lazy.iter().map(|(_, php)| php.as_str()))
            .collect();
        let what = format!("ssa {ssa}, from {from:?}");
        assert_eq!(
            all.matches("self::w2p_s32($m, ").count(),
            calls,
            "{what}: {all}"
        );
        assert_eq!(
            files.main.contains("function w2p_s32("),
            calls > 0,
            "{what}: the helper where it is called"
        );
        let in_files: Vec<String> = files.lazy.iter().map(|(rel, _)| rel.clone()).collect();
        let want_files: Vec<String> = lazy.iter().map(|f| format!("Words/f{f}.php")).collect();
        assert_eq!(in_files, want_files, "{what}");
        let dir = scratch(&format!("words-{ssa}-{}", from.replace(',', "-")));
        assert_files_driver_prints(&dir, &files, body, want);
    }
}

/// The translated functions of `class` (`Class::w2p_f3`) that opcache's SSA passes analyse when `dir`'s driver runs:
/// opcache is asked to dump each function before its DFA pass (`opt_debug_level` 0x200000), headed by its name.
fn ssa_analysed(dir: &std::path::Path, class: &str) -> Vec<String> {
    let out = std::process::Command::new(php_bin())
        .args([
            "-n",
            "-d",
            "zend_extension=opcache",
            "-d",
            "opcache.enable_cli=1",
        ])
        // file_update_protection=0: opcache leaves alone a file written in the last 2 s, as these just were.
        .args([
            "-d",
            "opcache.file_update_protection=0",
            "-d",
            "opcache.opt_debug_level=0x200000",
        ])
        .arg(dir.join("drv.php"))
        .output()
        .unwrap();
    let dump = String::from_utf8_lossy(&out.stderr); // where opcache writes its dumps
    assert!(
        dump.contains("(before dfa pass)"),
        "opcache did not dump: {dump}"
    );
    let lines: Vec<&str> = dump.lines().collect();
    // A function's dump starts with a header naming it: `Ssa::w2p_f0:` on a line of its own and its counts on the
    // next (PHP 8), or `Ssa::w2p_f0: ; (lines=…)` (PHP 7.4); then `; (before dfa pass)`. A translated function,
    // not a helper such as `Ssa::w2p_fill`.
    let prefix = format!("{class}::w2p_f");
    let header = |l: &str| -> Option<String> {
        let rest = l.strip_prefix(&prefix)?;
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let after = &rest[digits..];
        (digits > 0 && (after == ":" || after.starts_with(": ;")))
            .then(|| format!("{prefix}{}", &rest[..digits]))
    };
    let mut analysed: Vec<String> = (2..lines.len())
        .filter(|&i| lines[i].contains("(before dfa pass)"))
        .filter_map(|i| header(lines[i - 1]).or_else(|| header(lines[i - 2])))
        .collect();
    analysed.sort();
    analysed
}

/// `opcache_ssa_from`: what the named exports can run keeps the SSA passes (a direct call, and every function of
/// a table one of them calls through), everything else is skipped as with `opcache_ssa: false`; the results are
/// the same. An unknown export is an options error; `opcache_ssa: false` wins over the list.
#[test]
fn opcache_ssa_from_keeps_the_passes_for_what_the_hot_exports_run() {
    require_php();
    let bytes = wat(r#"(module
      (type $t (func (result i32)))
      (table 2 funcref)
      (elem (i32.const 0) $via_table $in_table_too)
      (func $hot (export "hot") (result i32)
        (i32.add (call $shared) (call_indirect (type $t) (i32.const 0))))
      (func $shared (result i32) (i32.const 1))
      (func $via_table (result i32) (i32.const 2))
      (func $cold (export "cold") (result i32) (i32.add (call $cold_only) (call $shared)))
      (func $cold_only (result i32) (i32.const 3))
      (func $in_table_too (result i32) (i32.const 40)))"#);
    let body = "$x = new Hot();\necho $x->hot(), ' ', $x->cold(), \"\\n\";\n";
    // Function indices in the order above: 0 hot, 1 shared, 2 via_table, 3 cold, 4 cold_only, 5 in_table_too.
    let cases: [(bool, &[&str], &[u32]); 4] = [
        (true, &["hot"], &[0, 1, 2, 5]),
        (true, &["cold"], &[1, 3, 4]),
        (true, &["hot", "cold"], &[0, 1, 2, 3, 4, 5]),
        (false, &["hot"], &[]),
    ];
    for (ssa, from, functions) in cases {
        let want: Vec<String> = functions.iter().map(|f| format!("Hot::w2p_f{f}")).collect();
        let mut opts = wasm2php::Options::new("Hot");
        opts.opcache_ssa = ssa;
        opts.opcache_ssa_from = from.iter().map(|s| s.to_string()).collect();
        let php = wasm2php::translate(&bytes, &opts).unwrap();
        let dir = scratch(&format!("ssa-from-{ssa}-{}", from.join("-")));
        assert_driver_prints(&dir, &php, body, "3 4\n");
        assert_eq!(ssa_analysed(&dir, "Hot"), want, "ssa {ssa}, from {from:?}");
    }
    let mut opts = wasm2php::Options::new("Hot");
    opts.opcache_ssa_from = vec!["hot".into(), "nope".into()];
    let err = wasm2php::translate(&bytes, &opts).unwrap_err().to_string();
    assert!(
        err.contains("\"nope\" is not an exported function"),
        "{err}"
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Clone, Copy)]
enum T {
    I32,
    I64,
}

type Bin = fn(i64, i64) -> Option<i64>;
type Un = fn(i64) -> i64;

fn i32_bin() -> Vec<(&'static str, Bin)> {
    fn a(x: i64) -> i32 {
        x as i32
    }
    vec![
        ("add", |x, y| Some(a(x).wrapping_add(a(y)) as i64)),
        ("sub", |x, y| Some(a(x).wrapping_sub(a(y)) as i64)),
        ("mul", |x, y| Some(a(x).wrapping_mul(a(y)) as i64)),
        ("div_s", |x, y| {
            if a(y) == 0 || (a(x) == i32::MIN && a(y) == -1) {
                None
            } else {
                Some((a(x) / a(y)) as i64)
            }
        }),
        ("div_u", |x, y| {
            if a(y) == 0 {
                None
            } else {
                Some(((a(x) as u32) / (a(y) as u32)) as i32 as i64)
            }
        }),
        ("rem_s", |x, y| {
            if a(y) == 0 {
                None
            } else {
                Some(a(x).wrapping_rem(a(y)) as i64)
            }
        }),
        ("rem_u", |x, y| {
            if a(y) == 0 {
                None
            } else {
                Some(((a(x) as u32) % (a(y) as u32)) as i32 as i64)
            }
        }),
        ("and", |x, y| Some((a(x) & a(y)) as i64)),
        ("or", |x, y| Some((a(x) | a(y)) as i64)),
        ("xor", |x, y| Some((a(x) ^ a(y)) as i64)),
        ("shl", |x, y| Some(a(x).wrapping_shl(a(y) as u32) as i64)),
        ("shr_s", |x, y| Some(a(x).wrapping_shr(a(y) as u32) as i64)),
        ("shr_u", |x, y| {
            Some((a(x) as u32).wrapping_shr(a(y) as u32) as i32 as i64)
        }),
        ("rotl", |x, y| {
            Some((a(x) as u32).rotate_left(a(y) as u32 & 31) as i32 as i64)
        }),
        ("rotr", |x, y| {
            Some((a(x) as u32).rotate_right(a(y) as u32 & 31) as i32 as i64)
        }),
        ("eq", |x, y| Some((a(x) == a(y)) as i64)),
        ("ne", |x, y| Some((a(x) != a(y)) as i64)),
        ("lt_s", |x, y| Some((a(x) < a(y)) as i64)),
        ("lt_u", |x, y| Some(((a(x) as u32) < (a(y) as u32)) as i64)),
        ("gt_s", |x, y| Some((a(x) > a(y)) as i64)),
        ("gt_u", |x, y| Some(((a(x) as u32) > (a(y) as u32)) as i64)),
        ("le_s", |x, y| Some((a(x) <= a(y)) as i64)),
        ("le_u", |x, y| Some(((a(x) as u32) <= (a(y) as u32)) as i64)),
        ("ge_s", |x, y| Some((a(x) >= a(y)) as i64)),
        ("ge_u", |x, y| Some(((a(x) as u32) >= (a(y) as u32)) as i64)),
    ]
}

fn i64_bin() -> Vec<(&'static str, Bin)> {
    vec![
        ("add", |x, y| Some(x.wrapping_add(y))),
        ("sub", |x, y| Some(x.wrapping_sub(y))),
        ("mul", |x, y| Some(x.wrapping_mul(y))),
        ("div_s", |x, y| {
            if y == 0 || (x == i64::MIN && y == -1) {
                None
            } else {
                Some(x / y)
            }
        }),
        ("div_u", |x, y| {
            if y == 0 {
                None
            } else {
                Some(((x as u64) / (y as u64)) as i64)
            }
        }),
        ("rem_s", |x, y| {
            if y == 0 {
                None
            } else {
                Some(x.wrapping_rem(y))
            }
        }),
        ("rem_u", |x, y| {
            if y == 0 {
                None
            } else {
                Some(((x as u64) % (y as u64)) as i64)
            }
        }),
        ("and", |x, y| Some(x & y)),
        ("or", |x, y| Some(x | y)),
        ("xor", |x, y| Some(x ^ y)),
        ("shl", |x, y| Some(x.wrapping_shl(y as u32))),
        ("shr_s", |x, y| Some(x.wrapping_shr(y as u32))),
        ("shr_u", |x, y| {
            Some((x as u64).wrapping_shr(y as u32) as i64)
        }),
        ("rotl", |x, y| {
            Some((x as u64).rotate_left((y & 63) as u32) as i64)
        }),
        ("rotr", |x, y| {
            Some((x as u64).rotate_right((y & 63) as u32) as i64)
        }),
        ("eq", |x, y| Some((x == y) as i64)),
        ("ne", |x, y| Some((x != y) as i64)),
        ("lt_s", |x, y| Some((x < y) as i64)),
        ("lt_u", |x, y| Some(((x as u64) < (y as u64)) as i64)),
        ("gt_s", |x, y| Some((x > y) as i64)),
        ("gt_u", |x, y| Some(((x as u64) > (y as u64)) as i64)),
        ("le_s", |x, y| Some((x <= y) as i64)),
        ("le_u", |x, y| Some(((x as u64) <= (y as u64)) as i64)),
        ("ge_s", |x, y| Some((x >= y) as i64)),
        ("ge_u", |x, y| Some(((x as u64) >= (y as u64)) as i64)),
    ]
}

fn un_ops() -> Vec<(&'static str, T, T, Un)> {
    vec![
        ("i32.clz", T::I32, T::I32, |x| {
            (x as u32).leading_zeros() as i64
        }),
        ("i32.ctz", T::I32, T::I32, |x| {
            (x as u32).trailing_zeros() as i64
        }),
        ("i32.popcnt", T::I32, T::I32, |x| {
            (x as u32).count_ones() as i64
        }),
        ("i32.eqz", T::I32, T::I32, |x| (x as i32 == 0) as i64),
        ("i32.extend8_s", T::I32, T::I32, |x| x as i8 as i32 as i64),
        ("i32.extend16_s", T::I32, T::I32, |x| x as i16 as i32 as i64),
        ("i64.clz", T::I64, T::I64, |x| {
            (x as u64).leading_zeros() as i64
        }),
        ("i64.ctz", T::I64, T::I64, |x| {
            (x as u64).trailing_zeros() as i64
        }),
        ("i64.popcnt", T::I64, T::I64, |x| {
            (x as u64).count_ones() as i64
        }),
        ("i64.eqz", T::I64, T::I32, |x| (x == 0) as i64),
        ("i64.extend8_s", T::I64, T::I64, |x| x as i8 as i64),
        ("i64.extend16_s", T::I64, T::I64, |x| x as i16 as i64),
        ("i64.extend32_s", T::I64, T::I64, |x| x as i32 as i64),
        ("i32.wrap_i64", T::I64, T::I32, |x| x as i32 as i64),
        ("i64.extend_i32_s", T::I32, T::I64, |x| x as i32 as i64),
        ("i64.extend_i32_u", T::I32, T::I64, |x| x as u32 as i64),
    ]
}

fn values(rng: &mut u64, n: usize) -> Vec<i64> {
    let mut v: Vec<i64> = vec![
        0,
        1,
        -1,
        2,
        -2,
        3,
        7,
        31,
        32,
        33,
        63,
        64,
        65,
        0x7F,
        0x80,
        0xFF,
        0x7FFF,
        0x8000,
        0xFFFF,
        0x10000,
        0x7FFF_FFFF,
        0x8000_0000,
        0xFFFF_FFFF,
        0x1_0000_0000,
        0x1_0000_0001,
        -0x8000_0000,
        -0x7FFF_FFFF,
        i64::MAX,
        i64::MIN,
        i64::MAX - 1,
        i64::MIN + 1,
        0x5555_5555_5555_5555,
        -0x5555_5555_5555_5556,
        0x0123_4567_89AB_CDEF,
        0x7FFF_FFFF_0000_0000,
        -0x1_0000_0000,
        0xFFFF_FFFF_0000,
        3037000499,
        3037000500,
        4294967296 * 3 + 5,
        1 << 62,
        -(1 << 62),
    ];
    for _ in 0..n {
        *rng = rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        // Mix of full-width, 32-bit and small magnitudes.
        v.push(match z % 3 {
            0 => z as i64,
            1 => (z >> 32) as i32 as i64,
            _ => (z as i64) >> 50,
        });
    }
    v
}

/// How PHP prints a result (i32 unsigned, i64 signed decimal).
fn shown(t: T, v: i64) -> String {
    match t {
        T::I32 => (v as u32).to_string(),
        T::I64 => v.to_string(),
    }
}

fn ty(t: T) -> &'static str {
    match t {
        T::I32 => "i32",
        T::I64 => "i64",
    }
}

fn render(t: T, v: i64) -> String {
    match t {
        T::I32 => php_i32(v as i32),
        T::I64 => php_i64(v),
    }
}

#[test]
fn integer_ops_match_rust() {
    require_php();
    let dir = scratch("helpers");
    let mut rng = 42u64;
    let vals = values(&mut rng, 40);
    let consts = [
        0i64,
        1,
        -1,
        5,
        31,
        32,
        63,
        64,
        0x7FFF_FFFF,
        -0x8000_0000,
        0xFFFF_FFFF,
        i64::MIN,
        3037000500,
    ];

    let mut module = String::from("(module\n");
    let mut cases: Vec<(String, Vec<String>, Option<String>)> = Vec::new(); // export, args, expected
    for (t, ops) in [(T::I32, i32_bin()), (T::I64, i64_bin())] {
        let tn = ty(t);
        for (op, f) in &ops {
            let cmp = [
                "eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u",
            ]
            .contains(op);
            let res = if cmp { "i32" } else { tn };
            let rt = if res == "i32" { T::I32 } else { T::I64 };
            writeln!(module, "(func (export \"{tn}.{op}\") (param {tn} {tn}) (result {res}) local.get 0 local.get 1 {tn}.{op})").unwrap();
            // The same op as a branch condition (comparisons) exercises the bool fast path.
            if cmp {
                writeln!(module, "(func (export \"{tn}.{op}/if\") (param {tn} {tn}) (result i32) (if (result i32) ({tn}.{op} (local.get 0) (local.get 1)) (then (i32.const 1)) (else (i32.const 0))))").unwrap();
            }
            for (ci, c) in consts.iter().enumerate() {
                let c = match t {
                    T::I32 => *c as i32 as i64,
                    T::I64 => *c,
                };
                writeln!(module, "(func (export \"{tn}.{op}/c{ci}\") (param {tn}) (result {res}) local.get 0 {tn}.const {c} {tn}.{op})").unwrap();
                writeln!(module, "(func (export \"{tn}.{op}/k{ci}\") (param {tn}) (result {res}) {tn}.const {c} local.get 0 {tn}.{op})").unwrap();
            }
            let norm = |v: i64| match t {
                T::I32 => v as i32 as i64,
                T::I64 => v,
            };
            for &x in &vals {
                for &y in vals.iter().step_by(2) {
                    let (x, y) = (norm(x), norm(y));
                    let exp = f(x, y).map(|r| shown(rt, r));
                    cases.push((
                        format!("{tn}.{op}"),
                        vec![render(t, x), render(t, y)],
                        exp.clone(),
                    ));
                    if cmp {
                        cases.push((
                            format!("{tn}.{op}/if"),
                            vec![render(t, x), render(t, y)],
                            exp,
                        ));
                    }
                }
                for (ci, &c) in consts.iter().enumerate() {
                    let (x, c) = (norm(x), norm(c));
                    cases.push((
                        format!("{tn}.{op}/c{ci}"),
                        vec![render(t, x)],
                        f(x, c).map(|r| shown(rt, r)),
                    ));
                    cases.push((
                        format!("{tn}.{op}/k{ci}"),
                        vec![render(t, x)],
                        f(c, x).map(|r| shown(rt, r)),
                    ));
                }
            }
        }
    }
    for (op, pt, rt, f) in un_ops() {
        writeln!(
            module,
            "(func (export \"{op}\") (param {}) (result {}) local.get 0 {op})",
            ty(pt),
            ty(rt)
        )
        .unwrap();
        for &x in &vals {
            let x = match pt {
                T::I32 => x as i32 as i64,
                T::I64 => x,
            };
            cases.push((op.to_string(), vec![render(pt, x)], Some(shown(rt, f(x)))));
        }
    }
    module.push(')');

    let bytes = wat(&module);
    let php = wasm2php::translate(&bytes, &wasm2php::Options::new("Ops")).unwrap();
    let file = dir.join("ops.php");
    std::fs::write(&file, php).unwrap();
    let mut script = String::from(PHP_PRELUDE);
    writeln!(
        script,
        "require {}; $o = new Ops();",
        php_str(file.to_str().unwrap())
    )
    .unwrap();
    for (i, (name, args, _)) in cases.iter().enumerate() {
        writeln!(script, "try {{ w2p_out('{i}', $o->call({}, [{}])); }} catch (\\Throwable $e) {{ w2p_err('{i}', $e); }}", php_str(name), args.join(", ")).unwrap();
    }
    let path = dir.join("driver.php");
    std::fs::write(&path, script).unwrap();
    let (out, tail) = run_php(&path, &[]);
    let mut bad = Vec::new();
    for (i, (name, args, exp)) in cases.iter().enumerate() {
        let got = out.get(&i.to_string());
        let ok = match (exp, got) {
            (Some(v), Some(Outcome::Ret(r))) => r.len() == 1 && &r[0] == v,
            (None, Some(Outcome::Trap(_))) => true,
            _ => false,
        };
        if !ok {
            bad.push(format!(
                "{name}({}) expected {exp:?} got {got:?}",
                args.join(", ")
            ));
        }
    }
    println!("{} integer-op cases, {} wrong", cases.len(), bad.len());
    for b in bad.iter().take(30) {
        println!("WRONG {b}");
    }
    assert!(
        bad.is_empty(),
        "{} wrong results; php tail: {tail}",
        bad.len()
    );
}

#[test]
fn refusals_name_instruction_and_function() {
    let bytes = wat(
        r#"(module (func $ok (result i32) i32.const 1) (func $uses_simd (export "f") (result i32) v128.const i64x2 0 0 i32x4.extract_lane 0))"#,
    );
    let err = wasm2php::translate(&bytes, &wasm2php::Options::new("X")).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("v128.const") && msg.contains("function 1") && msg.contains("uses_simd"),
        "{msg}"
    );

    let bytes = wat(r#"(module (import "env" "f" (func)))"#);
    let msg = wasm2php::translate(&bytes, &wasm2php::Options::new("X"))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("import"), "{msg}");

    let bytes = wat(r#"(module (func (param externref)))"#);
    let msg = wasm2php::translate(&bytes, &wasm2php::Options::new("X"))
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("reference type") && msg.contains("function 0"),
        "{msg}"
    );

    // SIMD's float lanes stay refused now that scalar floats translate.
    let bytes =
        wat(r#"(module (func (result f32) v128.const f32x4 1 2 3 4 f32x4.extract_lane 0))"#);
    let msg = wasm2php::translate(&bytes, &wasm2php::Options::new("X"))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("v128.const"), "{msg}");

    let bytes = wat(r#"(module (memory 1) (func (result v128) (v128.load (i32.const 0))))"#);
    let msg = wasm2php::translate(&bytes, &wasm2php::Options::new("X"))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("v128"), "{msg}");

    let bytes = wat(r#"(module (table 1 funcref) (func (result i32) (table.size)))"#);
    let msg = wasm2php::translate(&bytes, &wasm2php::Options::new("X"))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("table.size"), "{msg}");

    assert!(matches!(
        wasm2php::translate(b"\0asm\x02", &wasm2php::Options::new("X")),
        Err(wasm2php::Error::Invalid(_))
    ));
    assert!(matches!(
        wasm2php::translate(&wat("(module)"), &wasm2php::Options::new("1bad")),
        Err(wasm2php::Error::Options(_))
    ));
}

#[test]
fn output_lints_and_has_the_documented_shape() {
    require_php();
    let dir = scratch("shape");
    let bytes = wat(r#"(module
        (memory 1 4)
        (global $sp (mut i32) (i32.const 1024))
        (global (export "answer") i64 (i64.const -42))
        (export "sp" (global $sp))
        (data (i32.const 16) "hello")
        (func (export "alloc") (param i32) (result i32)
          global.get $sp local.get 0 i32.sub global.set $sp global.get $sp)
        (func (export "load-byte") (param i32) (result i32) local.get 0 i32.load8_u)
        (func (export "two") (result i32 i64) i32.const -1 i64.const -1)
        (func (export "__construct") (result i32) i32.const 7)
        (func (export "deep") (param i32) (result i32) local.get 0 call 4)
        )"#);
    let mut opts = wasm2php::Options::new("Shape");
    opts.namespace = Some("Sendcloud\\Gate\\Wasm".into());
    let php = wasm2php::translate(&bytes, &opts).unwrap();
    let file = dir.join("shape.php");
    std::fs::write(&file, &php).unwrap();
    let lint = std::process::Command::new(php_bin())
        .arg("-l")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        lint.status.success(),
        "php -l: {}",
        String::from_utf8_lossy(&lint.stdout)
    );

    let script = format!(
        r#"<?php
require {f};
use Sendcloud\Gate\Wasm\Shape;
use Sendcloud\Gate\Wasm\ShapeTrap;
$s = new Shape();
echo $s->readMemory(16, 5), "\n";
echo $s->memorySize(), "\n";
echo $s->alloc(24), " ", $s->getGlobal('sp'), " ", $s->getGlobal('answer'), "\n";
$s->writeMemory(100, "\xff");
echo $s->load_byte(100), " ", $s->call('load-byte', [100]), "\n";
echo json_encode($s->two()), "\n";
echo $s->x__construct(), "\n";
try {{ $s->load_byte(65536); }} catch (ShapeTrap $e) {{ echo $e->getMessage(), "\n"; }}
try {{ $s->deep(1); }} catch (ShapeTrap $e) {{ echo $e->getMessage(), "\n"; }}
try {{ $s->readMemory(65530, 10); }} catch (ShapeTrap $e) {{ echo $e->getMessage(), "\n"; }}
echo json_encode(Shape::EXPORTS), "\n";
"#,
        f = php_str(file.to_str().unwrap())
    );
    let drv = dir.join("drv.php");
    std::fs::write(&drv, script).unwrap();
    let out = std::process::Command::new(php_bin())
        .arg(&drv)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let expect = "hello\n65536\n1000 1000 -42\n255 255\n[4294967295,-1]\n7\nout of bounds memory access\ncall stack exhausted\nout of bounds memory access\n";
    assert!(
        text.starts_with(expect),
        "got:\n{text}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("\"load-byte\":\"load_byte\""), "{text}");
}

/// Data segments and constant stores are written as PHP string literals with short octal escapes (`\0` unless a
/// digit follows): every byte value, followed by an octal digit, by a non-octal digit and by another escape, must
/// reach memory unchanged; so must the bytes of constant (also one repeated byte) and non-constant stores.
#[test]
fn every_byte_survives_data_segments_and_stores() {
    require_php();
    let dir = scratch("bytes");
    let mut data = Vec::new();
    for c in 0..=255u8 {
        data.extend_from_slice(&[c, b'7', c, b'8', c, c, b'$', c, b'{', c, b'"', c, b'\\']);
    }
    let escaped: String = data.iter().map(|b| format!("\\{b:02x}")).collect();
    let bytes = wat(&format!(
        r#"(module
        (memory (export "memory") 1)
        (data (i32.const 0) "{escaped}")
        (func (export "stores") (param i64)
          (i32.store (i32.const 8000) (i32.const 0x07003038))
          (i64.store (i32.const 8004) (i64.const 0x0a0037ff00080009))
          (i64.store (i32.const 8012) (local.get 0))
          (i32.store (i32.const 8020) (i32.wrap_i64 (local.get 0)))
          (i64.store (i32.const 100) (i64.const -1))
          (i32.store16 (i32.const 300) (i32.const 0))
          (i32.store (i32.const 200) (i32.const 0))))"#
    ));
    let php = wasm2php::translate(&bytes, &wasm2php::Options::new("Bytes")).unwrap();
    let body = format!(
        "$b = new Bytes();\n$b->stores(-0x0123456789abcdf0);\n\
         echo bin2hex($b->readMemory(0, {n})), \"\\n\", bin2hex($b->readMemory(8000, 24)), \"\\n\";\n",
        n = data.len()
    );
    let mut stored = Vec::new();
    stored.extend_from_slice(&0x07003038u32.to_le_bytes());
    stored.extend_from_slice(&0x0a0037ff00080009u64.to_le_bytes());
    stored.extend_from_slice(&(-0x0123456789abcdf0i64).to_le_bytes());
    stored.extend_from_slice(&((-0x0123456789abcdf0i64) as u32).to_le_bytes());
    // The constant stores of one repeated byte (written as one chained assignment) over the data.
    let mut after = data.clone();
    after[100..108].fill(0xff);
    after[200..204].fill(0);
    after[300..302].fill(0);
    let want = format!("{}\n{}\n", hex(&after), hex(&stored));
    assert_driver_prints(&dir, &php, &body, &want);
}

/// A word loaded and stored straight back (`i64.load` then `i64.store` of it, rustc's struct copies) is translated
/// as a byte copy: exact for overlapping places in both directions, and a trap on either side writes nothing.
#[test]
fn word_copies_between_memory_places_are_exact() {
    require_php();
    let dir = scratch("copies");
    let module = r#"(module
      (memory (export "memory") 1)
      (data (i32.const 0) "\00\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10\11\12\13")
      (func (export "copy64") (param i32 i32)
        (i64.store (local.get 0) (i64.load (local.get 1))))
      (func (export "copy32") (param i32 i32)
        (i32.store offset=1 (local.get 0) (i32.load offset=2 (local.get 1))))
      (func (export "copy64-kept") (param i32 i32) (result i64)
        (local i64)
        (i64.store (local.get 0) (local.tee 2 (i64.load (local.get 1))))
        (local.get 2)))"#;
    let php = wasm2php::translate(&wat(module), &wasm2php::Options::new("Copies")).unwrap();
    assert!(
        php.contains("self::w2p_c8("),
        "i64 copies use the copy helper"
    );
    assert!(
        php.contains("\\substr($m, $l1 + 2, 4)"),
        "i32 copies copy bytes"
    );
    // Each line: the call, then the first 24 bytes of memory (or the trap), starting from the data each time.
    let calls = [
        "copy64(8, 0)",
        "copy64(2, 0)",
        "copy64(0, 3)",
        "copy64(5, 5)",
        "copy32(1, 0)",
        "copy32(0, 1)",
        "copy32(3, 0)",
        "copy64(65529, 0)",
        "copy64(0, 65529)",
        "copy32(65532, 0)",
        "copy64_kept(4, 0)",
    ];
    let mut body = String::new();
    for c in calls {
        writeln!(
            body,
            "$o = new Copies(); try {{ $r = $o->{c}; echo '{c} ', bin2hex($o->readMemory(0, 24)), $r === null ? '' : \" $r\", \"\\n\"; }} catch (\\Throwable $e) {{ echo '{c} trap ', bin2hex($o->readMemory(0, 24)), \"\\n\"; }}"
        )
        .unwrap();
    }
    // What wasm does, computed here.
    let data: Vec<u8> = (0u8..20).chain([0; 4]).collect();
    let copy = |d: usize, s: usize, n: usize| {
        let mut m = data.clone();
        let w: Vec<u8> = m[s..s + n].to_vec();
        m[d..d + n].copy_from_slice(&w);
        hex(&m)
    };
    let untouched = hex(&data);
    let kept = i64::from_le_bytes(data[0..8].try_into().unwrap());
    let want = [
        format!("copy64(8, 0) {}", copy(8, 0, 8)),
        format!("copy64(2, 0) {}", copy(2, 0, 8)),
        format!("copy64(0, 3) {}", copy(0, 3, 8)),
        format!("copy64(5, 5) {}", copy(5, 5, 8)),
        format!("copy32(1, 0) {}", copy(2, 2, 4)),
        format!("copy32(0, 1) {}", copy(1, 3, 4)),
        format!("copy32(3, 0) {}", copy(4, 2, 4)),
        format!("copy64(65529, 0) trap {untouched}"),
        format!("copy64(0, 65529) trap {untouched}"),
        format!("copy32(65532, 0) trap {untouched}"),
        format!("copy64_kept(4, 0) {} {kept}", copy(4, 0, 8)),
    ]
    .join("\n")
        + "\n";
    assert_driver_prints(&dir, &php, &body, &want);
}

/// The translator leaves out a bounds check that an earlier one on the same base already covers (memory never
/// shrinks). These cases are where leaving it out would be wrong: the base changed, or control flow arrived from a
/// path that never made the earlier check.
#[test]
fn bounds_checks_left_out_only_where_an_earlier_one_covers_them() {
    require_php();
    let dir = scratch("bounds");
    let module = r#"(module
      (memory 1)
      (func (export "same") (param i32) (result i32)
        (drop (i32.load offset=100 (local.get 0)))
        (i32.load offset=4 (local.get 0)))
      (func (export "reassigned") (param i32 i32) (result i32)
        (drop (i32.load offset=8 (local.get 0)))
        (local.set 0 (local.get 1))
        (i32.load offset=4 (local.get 0)))
      (func (export "merge") (param i32 i32) (result i32)
        (block
          (br_if 0 (local.get 1))
          (drop (i32.load offset=100 (local.get 0))))
        (i32.load offset=4 (local.get 0)))
      (func (export "loop") (param i32) (result i32)
        (local i32)
        (loop
          (local.set 1 (i32.add (local.get 1) (i32.load offset=8 (local.get 0))))
          (local.set 0 (i32.add (local.get 0) (i32.const 16384)))
          (br_if 0 (i32.lt_u (local.get 0) (i32.const 100000))))
        (local.get 1))
      (func (export "tee") (param i32) (result i32)
        (drop (i32.load offset=100 (local.get 0)))
        (i32.load offset=4 (local.tee 0 (i32.add (local.get 0) (i32.const 65500)))))
      (func (export "outer") (param i32 i32) (result i32)
        (drop (i32.load offset=100 (local.get 0)))
        (block
          (br_if 0 (local.get 1))
          (drop (i32.load offset=8 (local.get 0))))
        (if (local.get 1) (then (drop (i32.load offset=12 (local.get 0)))))
        (i32.load offset=4 (local.get 0)))
      (func (export "arms") (param i32 i32) (result i32)
        (if (local.get 1)
          (then (drop (i32.load offset=100 (local.get 0))))
          (else (drop (i32.load offset=8 (local.get 0)))))
        (i32.load offset=4 (local.get 0)))
      (func (export "assigned-in-arm") (param i32 i32 i32) (result i32)
        (drop (i32.load offset=100 (local.get 0)))
        (if (local.get 1) (then (local.set 0 (local.get 2))))
        (i32.load offset=4 (local.get 0)))
      (func (export "loop-after-check") (param i32) (result i32)
        (local i32)
        (drop (i32.load offset=100 (local.get 0)))
        (loop
          (local.set 1 (i32.add (local.get 1) (i32.load offset=8 (local.get 0))))
          (local.set 0 (i32.add (local.get 0) (i32.const 16384)))
          (br_if 0 (i32.lt_u (local.get 0) (i32.const 100000))))
        (local.get 1)))"#;
    // (export, args, trap expected)
    let cases: &[(&str, &[i64], bool)] = &[
        ("same", &[0], false),
        ("same", &[65430], false),
        ("same", &[65433], true),
        ("reassigned", &[0, 0], false),
        ("reassigned", &[0, 65528], false),
        ("reassigned", &[0, 65529], true),
        ("merge", &[65528, 0], true),
        ("merge", &[65528, 1], false),
        ("merge", &[65529, 1], true),
        ("merge", &[0, 0], false),
        ("loop", &[0], true),
        ("tee", &[0], false),
        ("tee", &[33], true),
        ("outer", &[65432, 0], false),
        ("outer", &[65432, 1], false),
        ("outer", &[65433, 1], true),
        ("arms", &[65530, 1], true),
        ("arms", &[65524, 0], false),
        ("arms", &[65525, 0], true),
        ("assigned-in-arm", &[0, 0, 65533], false),
        ("assigned-in-arm", &[0, 1, 65528], false),
        ("assigned-in-arm", &[0, 1, 65529], true),
        ("loop-after-check", &[0], true),
    ];
    let php = wasm2php::translate(&wat(module), &wasm2php::Options::new("Bounds")).unwrap();
    // What is left out where it may be: in "outer" the first check covers every later access, across the end of a
    // block that a branch skips and an `if` without `else` (both reached only through the check).
    let export = php.find("public function outer(").expect("outer exported");
    let callee = &php[export..][php[export..].find("w2p_f").unwrap()..];
    let callee = &callee[..callee.find('(').unwrap()];
    let body = &php[php.find(&format!("private function {callee}(")).unwrap()..];
    let body = &body[..body.find("\n    }\n").unwrap()];
    assert_eq!(body.matches("w2p_oob").count(), 1, "{body}");
    let file = dir.join("bounds.php");
    std::fs::write(&file, php).unwrap();
    let mut script = String::from(PHP_PRELUDE);
    writeln!(
        script,
        "require {}; $o = new Bounds();",
        php_str(file.to_str().unwrap())
    )
    .unwrap();
    for (i, (name, args, _)) in cases.iter().enumerate() {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        writeln!(script, "try {{ w2p_out('{i}', $o->call({}, [{}])); }} catch (\\Throwable $e) {{ w2p_err('{i}', $e); }}", php_str(name), args.join(", ")).unwrap();
    }
    let path = dir.join("driver.php");
    std::fs::write(&path, script).unwrap();
    let (out, tail) = run_php(&path, &[]);
    for (i, (name, args, trap)) in cases.iter().enumerate() {
        let got = out.get(&i.to_string());
        let ok = match got {
            Some(Outcome::Trap(_)) => *trap,
            Some(Outcome::Ret(_)) => !*trap,
            _ => false,
        };
        assert!(
            ok,
            "{name}{args:?}: expected {}, got {got:?}; php tail: {tail}",
            if *trap { "a trap" } else { "a value" }
        );
    }
}
