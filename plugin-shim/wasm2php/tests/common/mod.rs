//! Shared helpers for the integration tests: running PHP and parsing its output.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A scratch directory under the target dir, emptied first.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("wasm2php")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn php_bin() -> String {
    std::env::var("PHP").unwrap_or_else(|_| "php".to_string())
}

/// Fails loudly (rather than skipping) when PHP is missing: these tests are the
/// only thing that checks the generated code.
pub fn require_php() {
    let ok = Command::new(php_bin())
        .arg("-v")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(ok, "`php` (CLI, 64-bit) is required to run these tests; install php-cli or set PHP=/path/to/php");
}

/// Prologue of every driver script: warnings and notices become exceptions, so
/// PHP never silently pads a string or reads an undefined variable.
pub const PHP_PRELUDE: &str = r#"<?php
error_reporting(E_ALL);
ini_set('memory_limit', '1G');
set_error_handler(function ($no, $str, $file, $line) { throw new \ErrorException($str, 0, $no, $file, $line); });
function w2p_out($id, $r) {
    if ($r === null) { echo $id, " ret\n"; return; }
    if (!is_array($r)) $r = [$r];
    $s = $id . ' ret';
    foreach ($r as $v) {
        if (is_int($v)) $s .= ' ' . $v;
        elseif (is_float($v)) $s .= ' F' . unpack('Px', pack('e', $v))['x'];
        else $s .= ' BAD:' . gettype($v) . ':' . var_export($v, true);
    }
    echo $s, "\n";
}
// Float arguments from their bits: an f64 is the double with those bits, an f32 the double the generated classes map
// it to (f32FromBits: its value, or for a NaN its sign and payload moved into the double's, signalling bit kept).
function w2p_f64($b) { return unpack('ex', pack('P', $b))['x']; }
function w2p_f32($b) {
    if (($b & 0x7FFFFFFF) > 0x7F800000) return w2p_f64((($b & 0x80000000) << 32) | 0x7FF0000000000000 | (($b & 0x7FFFFF) << 29));
    return unpack('gx', pack('V', $b))['x'];
}
function w2p_err($id, \Throwable $e) {
    $kind = (substr(get_class($e), -4) === 'Trap') ? 'trap' : 'error';
    echo $id, ' ', $kind, ' ', get_class($e), ': ', str_replace("\n", ' ', $e->getMessage()), "\n";
}
"#;

/// What PHP reported for one step.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Ret(Vec<String>),
    Trap(String),
    Error(String),
}

/// PHP options that run a script with opcache's optimizer, as a production host does (JIT off). The tests run part
/// of their scripts this way: the optimizer rewrites code (e.g. `!($a < $b)` into `$b <= $a`, wrong for NaN), and the
/// translation must mean the same with and without it.
pub const OPCACHE: &[&str] = &[
    "-d",
    "opcache.enable_cli=1",
    "-d",
    "opcache.jit_buffer_size=0",
    "-d",
    "opcache.optimization_level=0x7FFEBFFF",
];

/// Fails loudly when PHP has no opcache to enable (Debian's php-cli has it).
pub fn require_opcache() {
    let out = Command::new(php_bin())
        .args(OPCACHE)
        .args([
            "-r",
            "echo (int)(function_exists('opcache_get_status') && opcache_get_status(false));",
        ])
        .output()
        .expect("run php");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "1",
        "PHP's opcache extension is required (the tests run translations with its optimizer too)"
    );
}

/// Runs a driver script; returns id -> outcome, plus stderr/stdout tail for diagnostics.
pub fn run_php(script: &Path, extra_args: &[&str]) -> (HashMap<String, Outcome>, String) {
    let out = Command::new(php_bin())
        .args(extra_args)
        .arg(script)
        .output()
        .expect("run php");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let mut map = HashMap::new();
    for line in stdout.lines() {
        let mut parts = line.splitn(3, ' ');
        let (Some(id), Some(kind)) = (parts.next(), parts.next()) else {
            continue;
        };
        let rest = parts.next().unwrap_or("").to_string();
        let o = match kind {
            "ret" => Outcome::Ret(rest.split_whitespace().map(|s| s.to_string()).collect()),
            "trap" => Outcome::Trap(
                rest.split_once(": ")
                    .map(|x| x.1.to_string())
                    .unwrap_or(rest),
            ),
            "error" => Outcome::Error(rest),
            _ => continue,
        };
        map.insert(id.to_string(), o);
    }
    let tail: String = {
        let e = String::from_utf8_lossy(&out.stderr);
        let s = format!(
            "{}\n{}",
            e,
            stdout.lines().rev().take(3).collect::<Vec<_>>().join("\n")
        );
        s.chars().take(2000).collect()
    };
    (map, tail)
}

pub fn php_str(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

pub fn php_i64(v: i64) -> String {
    if v == i64::MIN {
        "(-9223372036854775807-1)".into()
    } else {
        v.to_string()
    }
}

/// Canonical PHP rendering of an i32 (unsigned view).
pub fn php_i32(v: i32) -> String {
    (v as u32).to_string()
}

/// The bits of the PHP float that stands for an f32 (see `w2p_f32` in the prelude and `f32FromBits` in the generated
/// classes): the value for a number, sign and payload moved up for a NaN.
pub fn f32_as_f64_bits(b: u32) -> u64 {
    if b & 0x7FFF_FFFF > 0x7F80_0000 {
        (((b & 0x8000_0000) as u64) << 32)
            | 0x7FF0_0000_0000_0000
            | (((b & 0x7F_FFFF) as u64) << 29)
    } else {
        (f32::from_bits(b) as f64).to_bits()
    }
}

/// The inverse of [`f32_as_f64_bits`]: `None` when the double is no f32 (not exact in single precision, or a NaN
/// with payload bits single precision cannot hold).
pub fn f64_bits_as_f32(d: u64) -> Option<u32> {
    let f = f64::from_bits(d);
    let b = if f.is_nan() {
        if d & ((1 << 29) - 1) != 0 {
            return None;
        }
        (((d >> 32) as u32) & 0x8000_0000) | 0x7F80_0000 | (((d >> 29) as u32) & 0x7F_FFFF)
    } else {
        (f as f32).to_bits()
    };
    (f32_as_f64_bits(b) == d).then_some(b)
}

/// A PHP value token as printed by `w2p_out` for a float: `F` and the double's bits as a signed decimal.
pub fn float_token(bits: u64) -> String {
    format!("F{}", bits as i64)
}
