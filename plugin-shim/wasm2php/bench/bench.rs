//! Cost per executed wasm instruction in PHP, with and without opcache (JIT off).
//!
//! `cargo run --release -p wasm2php --example bench` (or `bench/run.sh`).
//! Translates loop kernels, runs each in PHP and divides the wall time by
//! the number of wasm instructions executed (counted statically per loop
//! iteration; see the comments in the WAT).

use std::process::Command;

const WAT: &str = r#"(module
  (memory (export "memory") 2)
  ;; FNV-1a over bytes: the shape of a byte-at-a-time parser.
  ;; 16 instructions per byte.
  (func (export "fnv") (param $p i32) (param $n i32) (result i32)
    (local $h i32) (local $end i32)
    (local.set $h (i32.const 0x811c9dc5))
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $h (i32.mul (i32.xor (local.get $h) (i32.load8_u (local.get $p))) (i32.const 16777619)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $l)))
    (local.get $h))
  ;; i32 word loop: load, rotate, add, store back. 19 instructions per word.
  (func (export "words") (param $p i32) (param $n i32) (result i32)
    (local $acc i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i32.add (i32.rotl (local.get $acc) (i32.const 5)) (i32.load (local.get $p))))
        (i32.store (local.get $p) (local.get $acc))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $acc))
  ;; i64 arithmetic (splitmix64 steps): 17 instructions per iteration.
  (func (export "mix64") (param $n i32) (result i64)
    (local $z i64)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $z (i64.add (local.get $z) (i64.const 0x9E3779B97F4A7C15)))
        (local.set $z (i64.mul (i64.xor (local.get $z) (i64.shr_u (local.get $z) (i64.const 30))) (i64.const 0xBF58476D1CE4E5B9)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $z))
  ;; f64 arithmetic: multiply-add with an int conversion, 15 instructions per iteration.
  (func (export "poly64") (param $n i32) (result f64)
    (local $acc f64)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (f64.add (f64.mul (local.get $acc) (f64.const 0.999)) (f64.convert_i32_u (local.get $n))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $acc))
  ;; The same in f32 (each operation rounded to single precision): 15 instructions per iteration.
  (func (export "poly32") (param $n i32) (result f32)
    (local $acc f32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (f32.add (f32.mul (local.get $acc) (f32.const 0.999)) (f32.convert_i32_u (local.get $n))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $acc))
  ;; Calls: naive recursive fib, 13 instructions per call.
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
)"#;

const DRIVER: &str = r#"<?php
require __DIR__ . '/bench_module.php';
function t($f) { $best = INF; for ($r = 0; $r < 5; $r++) { $t = hrtime(true); $f(); $best = min($best, hrtime(true) - $t); } return $best; }
$b = new BenchModule();
$b->writeMemory(0, str_repeat("abcdefghijklmnopqrstuvwxyz012345", 2048));
$fibCalls = function ($n) { $a = 1; $b = 1; for ($i = 1; $i < $n; $i++) { [$a, $b] = [$b, $a + $b + 1]; } return $a; };
$rows = [
  ['fnv (byte loop, i32 mul)', t(function () use ($b) { $b->fnv(0, 65536); }), 65536 * 16],
  ['words (i32 load/rotl/store)', t(function () use ($b) { $b->words(0, 16384); }), 16384 * 19],
  ['mix64 (i64 add/mul/shr_u)', t(function () use ($b) { $b->mix64(20000); }), 20000 * 17],
  ['poly64 (f64 mul/add/convert)', t(function () use ($b) { $b->poly64(20000); }), 20000 * 15],
  ['poly32 (f32 mul/add/convert)', t(function () use ($b) { $b->poly32(20000); }), 20000 * 15],
  ['fib(20) (calls)', t(function () use ($b) { $b->fib(20); }), 21891 * 13],
  ['new instance, 2 pages', t(function () { new BenchModule(); }), 1],
];
foreach ($rows as [$name, $ns, $instrs]) {
  if ($instrs === 1) printf("  %-30s %8.1f us\n", $name, $ns / 1000);
  else printf("  %-30s %6.1f ns/wasm instr (%d instrs in %.2f ms)\n", $name, $ns / $instrs, $instrs, $ns / 1e6);
}
"#;

fn main() {
    let buf = wast::parser::ParseBuffer::new(WAT).unwrap();
    let mut w: wast::Wat<'_> = wast::parser::parse(&buf).unwrap();
    let bytes = w.encode().unwrap();
    let php = wasm2php::translate(&bytes, &wasm2php::Options::new("BenchModule")).unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/wasm2php-bench");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("bench_module.php"), php).unwrap();
    std::fs::write(dir.join("driver.php"), DRIVER).unwrap();
    for (label, args) in [
        ("php (no opcache)", vec!["-d", "opcache.enable_cli=0"]),
        (
            "php + opcache, JIT off",
            vec![
                "-d",
                "opcache.enable_cli=1",
                "-d",
                "opcache.jit_buffer_size=0",
            ],
        ),
    ] {
        let out = Command::new("php")
            .args(&args)
            .arg(dir.join("driver.php"))
            .output()
            .expect("php");
        println!(
            "{label}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
