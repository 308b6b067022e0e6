//! Every f32/f64 instruction on edge-case and pseudo-random operands against Rust's IEEE arithmetic, with variable
//! operands and with a constant on either side (the translator folds and writes constants differently), plus moves
//! that must keep every bit (locals, a mutable global, memory, `select`).
//!
//! Expected NaN results follow the spec: a NaN result must be canonical when every NaN operand was canonical (or there
//! was none) and arithmetic (quiet) otherwise; bit-preserving instructions must return the exact bits.

mod common;
use common::*;
use std::fmt::Write;

fn wat(src: &str) -> Vec<u8> {
    let buf = wast::parser::ParseBuffer::new(src).unwrap();
    let mut w: wast::Wat<'_> = wast::parser::parse(&buf).unwrap();
    w.encode().unwrap()
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum T {
    I32,
    I64,
    F32,
    F64,
}

impl T {
    fn name(self) -> &'static str {
        match self {
            T::I32 => "i32",
            T::I64 => "i64",
            T::F32 => "f32",
            T::F64 => "f64",
        }
    }
}

/// An expected result.
#[derive(Clone, Debug, PartialEq)]
enum Exp {
    /// Exact bits of a value of this type (f32 bits in the low 32).
    Bits(T, u64),
    /// A NaN of type f32 (`true`) or f64; canonical required or only arithmetic.
    Nan {
        f32: bool,
        canonical: bool,
    },
    Trap,
}

fn is_nan(t: T, b: u64) -> bool {
    match t {
        T::F32 => f32::from_bits(b as u32).is_nan(),
        T::F64 => f64::from_bits(b).is_nan(),
        _ => false,
    }
}

fn is_canonical(t: T, b: u64) -> bool {
    match t {
        T::F32 => b as u32 & 0x7FFF_FFFF == 0x7FC0_0000,
        _ => b & !(1 << 63) == 0x7FF8_0000_0000_0000,
    }
}

/// The expectation for an arithmetic result `r` (bits of type `rt`) computed from float operands `ins`.
fn arith(rt: T, r: u64, ins: &[(T, u64)]) -> Exp {
    if is_nan(rt, r) {
        let canonical = ins
            .iter()
            .filter(|(t, b)| is_nan(*t, *b))
            .all(|(t, b)| is_canonical(*t, *b));
        Exp::Nan {
            f32: rt == T::F32,
            canonical,
        }
    } else {
        Exp::Bits(rt, r)
    }
}

fn shown_ok(e: &Exp, got: &str) -> bool {
    let float_bits = || {
        got.strip_prefix('F')
            .and_then(|b| b.parse::<i64>().ok())
            .map(|b| b as u64)
    };
    match e {
        Exp::Bits(T::I32, b) => got == (*b as u32).to_string(),
        Exp::Bits(T::I64, b) => got == (*b as i64).to_string(),
        Exp::Bits(T::F32, b) => float_bits().and_then(f64_bits_as_f32) == Some(*b as u32),
        Exp::Bits(T::F64, b) => float_bits() == Some(*b),
        Exp::Nan {
            f32: true,
            canonical,
        } => float_bits().and_then(f64_bits_as_f32).is_some_and(|b| {
            let b = b as u64;
            is_nan(T::F32, b) && b & 0x40_0000 != 0 && (!canonical || is_canonical(T::F32, b))
        }),
        Exp::Nan {
            f32: false,
            canonical,
        } => float_bits().is_some_and(|b| {
            is_nan(T::F64, b) && b & (1 << 51) != 0 && (!canonical || is_canonical(T::F64, b))
        }),
        Exp::Trap => false,
    }
}

fn arg_php(t: T, b: u64) -> String {
    match t {
        T::I32 => (b as u32).to_string(),
        T::I64 => php_i64(b as i64),
        T::F32 => format!("w2p_f32({})", b as u32),
        T::F64 => format!("w2p_f64({})", php_i64(b as i64)),
    }
}

/// A wat constant with exactly these bits.
fn wat_const(t: T, b: u64) -> String {
    match t {
        T::I32 => format!("i32.const {}", b as u32 as i32),
        T::I64 => format!("i64.const {}", b as i64),
        T::F32 => format!("f32.const {}", f32_wat(b as u32)),
        T::F64 => format!("f64.const {}", f64_wat(b)),
    }
}

fn f32_wat(b: u32) -> String {
    let sign = if b >> 31 == 1 { "-" } else { "" };
    let f = f32::from_bits(b);
    if f.is_nan() {
        format!("{sign}nan:0x{:x}", b & 0x7F_FFFF)
    } else if f.is_infinite() {
        format!("{sign}inf")
    } else {
        format!("{f:e}")
    }
}

fn f64_wat(b: u64) -> String {
    let sign = if b >> 63 == 1 { "-" } else { "" };
    let f = f64::from_bits(b);
    if f.is_nan() {
        format!("{sign}nan:0x{:x}", b & 0xF_FFFF_FFFF_FFFF)
    } else if f.is_infinite() {
        format!("{sign}inf")
    } else {
        format!("{f:e}")
    }
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn f32_values(rng: &mut Rng, n: usize) -> Vec<u64> {
    let mut v: Vec<f32> = vec![
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        -0.5,
        1.5,
        2.5,
        -2.5,
        3.5,
        0.1,
        1e10,
        -1e-10,
        8388608.0,
        8388609.0,
        16777216.0,
        2147483520.0,
        2147483648.0,
        -2147483648.0,
        -2147483904.0,
        4294967040.0,
        4294967296.0,
        9.223372e18,
        -9.223372e18,
        1.8446743e19,
        f32::MAX,
        f32::MIN_POSITIVE,
        f32::from_bits(1),
        f32::from_bits(0x807F_FFFF),
        f32::INFINITY,
        f32::NEG_INFINITY,
    ];
    let mut b: Vec<u64> = v.drain(..).map(|f| f.to_bits() as u64).collect();
    // NaNs: canonical of both signs, quiet with a payload, signalling.
    b.extend([
        0x7FC0_0000u64,
        0xFFC0_0000,
        0x7FC0_1234,
        0x7FA0_0000,
        0xFF80_0001,
    ]);
    for _ in 0..n {
        let r = rng.next();
        b.push(match r % 3 {
            0 => r >> 32,
            // Moderate magnitudes: near the integer ranges the conversions care about.
            1 => ((((r >> 40) as i32 as f32) / 7.0).to_bits()) as u64,
            _ => (f32::from_bits((r >> 32) as u32 & 0x4FFF_FFFF)).to_bits() as u64,
        });
    }
    b
}

fn f64_values(rng: &mut Rng, n: usize) -> Vec<u64> {
    let v: Vec<f64> = vec![
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        -0.5,
        1.5,
        2.5,
        -2.5,
        3.5,
        0.1,
        1e10,
        -1e-300,
        4503599627370496.0,
        4503599627370497.0,
        9007199254740993.0,
        2147483647.9,
        2147483648.0,
        -2147483648.9,
        -2147483649.0,
        4294967295.5,
        4294967296.0,
        9223372036854775807.0,
        -9223372036854775808.0,
        -9223372036854777856.0,
        18446744073709549568.0,
        18446744073709551616.0,
        f64::MAX,
        f64::MIN_POSITIVE,
        f64::from_bits(1),
        f64::from_bits(0x800F_FFFF_FFFF_FFFF),
        f64::INFINITY,
        f64::NEG_INFINITY,
        3.4028235677973366e38,
        1e-46,
    ];
    let mut b: Vec<u64> = v.iter().map(|f| f.to_bits()).collect();
    b.extend([
        0x7FF8_0000_0000_0000u64,
        0xFFF8_0000_0000_0000,
        0x7FF8_0000_0000_1234,
        0x7FF4_0000_0000_0000,
        0xFFF0_0000_0000_0001,
    ]);
    for _ in 0..n {
        let r = rng.next();
        b.push(match r % 3 {
            0 => rng.next(),
            1 => (((r >> 20) as i64 as f64) / 7.0).to_bits(),
            _ => ((r >> 40) as i32 as f64 / 3.0).to_bits(),
        });
    }
    b
}

fn int_values(t: T, rng: &mut Rng, n: usize) -> Vec<u64> {
    let mut v: Vec<i64> = vec![
        0,
        1,
        -1,
        0x7FFF_FFFF,
        -0x8000_0000,
        0xFFFF_FFFF,
        16777217,
        -16777217,
        9007199254740993,
        9007199791611905,
        -9007199791611905,
        i64::MAX,
        i64::MIN,
        i64::MIN + 1,
        i64::MIN | 0x401,
        -0x400,
        0x7FFF_FFFF_FFFF_FC00,
    ];
    for _ in 0..n {
        let r = rng.next();
        v.push(match r % 3 {
            0 => rng.next() as i64,
            1 => (rng.next() as i64) >> (r >> 58),
            _ => (r >> 40) as i32 as i64,
        });
    }
    v.into_iter()
        .map(|x| {
            if t == T::I32 {
                x as u32 as u64
            } else {
                x as u64
            }
        })
        .collect()
}

type Bin = fn(T, u64, u64) -> Exp;
type Un = fn(u64) -> Exp;

fn f32v(b: u64) -> f32 {
    f32::from_bits(b as u32)
}
fn f64v(b: u64) -> f64 {
    f64::from_bits(b)
}

/// Binary float instructions: (name, reference on bits of type t).
fn bin_ops() -> Vec<(&'static str, bool, Bin)> {
    fn ar(t: T, a: u64, b: u64, f32op: fn(f32, f32) -> f32, f64op: fn(f64, f64) -> f64) -> Exp {
        let r = match t {
            T::F32 => f32op(f32v(a), f32v(b)).to_bits() as u64,
            _ => f64op(f64v(a), f64v(b)).to_bits(),
        };
        arith(t, r, &[(t, a), (t, b)])
    }
    fn cmp(t: T, a: u64, b: u64, f: fn(f64, f64) -> bool) -> Exp {
        // f32 comparisons are exact on the promoted values.
        let (x, y) = match t {
            T::F32 => (f32v(a) as f64, f32v(b) as f64),
            _ => (f64v(a), f64v(b)),
        };
        Exp::Bits(T::I32, f(x, y) as u64)
    }
    fn wasm_min(x: f64, y: f64) -> f64 {
        if x.is_nan() || y.is_nan() {
            f64::NAN
        } else if x == 0.0 && y == 0.0 {
            if x.is_sign_negative() {
                x
            } else {
                y
            }
        } else {
            x.min(y)
        }
    }
    fn wasm_max(x: f64, y: f64) -> f64 {
        if x.is_nan() || y.is_nan() {
            f64::NAN
        } else if x == 0.0 && y == 0.0 {
            if x.is_sign_positive() {
                x
            } else {
                y
            }
        } else {
            x.max(y)
        }
    }
    vec![
        ("add", false, |t, a, b| {
            ar(t, a, b, |x, y| x + y, |x, y| x + y)
        }),
        ("sub", false, |t, a, b| {
            ar(t, a, b, |x, y| x - y, |x, y| x - y)
        }),
        ("mul", false, |t, a, b| {
            ar(t, a, b, |x, y| x * y, |x, y| x * y)
        }),
        ("div", false, |t, a, b| {
            ar(t, a, b, |x, y| x / y, |x, y| x / y)
        }),
        ("min", false, |t, a, b| {
            ar(
                t,
                a,
                b,
                |x, y| wasm_min(x as f64, y as f64) as f32,
                wasm_min,
            )
        }),
        ("max", false, |t, a, b| {
            ar(
                t,
                a,
                b,
                |x, y| wasm_max(x as f64, y as f64) as f32,
                wasm_max,
            )
        }),
        ("copysign", false, |t, a, b| match t {
            T::F32 => Exp::Bits(t, (a & 0x7FFF_FFFF) | (b & 0x8000_0000)),
            _ => Exp::Bits(t, (a & !(1 << 63)) | (b & (1 << 63))),
        }),
        ("eq", true, |t, a, b| cmp(t, a, b, |x, y| x == y)),
        ("ne", true, |t, a, b| cmp(t, a, b, |x, y| x != y)),
        ("lt", true, |t, a, b| cmp(t, a, b, |x, y| x < y)),
        ("gt", true, |t, a, b| cmp(t, a, b, |x, y| x > y)),
        ("le", true, |t, a, b| cmp(t, a, b, |x, y| x <= y)),
        ("ge", true, |t, a, b| cmp(t, a, b, |x, y| x >= y)),
    ]
}

/// Unary instructions: (name, operand type, result type, reference).
fn un_ops() -> Vec<(&'static str, T, T, Un)> {
    use T::*;
    fn tr(t: T, b: u64, lo: f64, hi: f64, rt: T) -> Exp {
        // Trapping truncation: NaN and results outside [lo, hi] trap; the bounds are exact integers.
        let x = if t == F32 { f32v(b) as f64 } else { f64v(b) };
        if x.is_nan() {
            return Exp::Trap;
        }
        let v = x.trunc();
        if v < lo || v > hi {
            return Exp::Trap;
        }
        Exp::Bits(
            rt,
            if rt == I32 {
                v as i64 as u32 as u64
            } else if lo < 0.0 {
                v as i64 as u64
            } else {
                v as u64
            },
        )
    }
    vec![
        ("f32.neg", F32, F32, |b| Exp::Bits(F32, b ^ 0x8000_0000)),
        ("f32.abs", F32, F32, |b| Exp::Bits(F32, b & 0x7FFF_FFFF)),
        ("f64.neg", F64, F64, |b| Exp::Bits(F64, b ^ (1 << 63))),
        ("f64.abs", F64, F64, |b| Exp::Bits(F64, b & !(1 << 63))),
        ("f32.sqrt", F32, F32, |b| {
            arith(F32, f32v(b).sqrt().to_bits() as u64, &[(F32, b)])
        }),
        ("f32.ceil", F32, F32, |b| {
            arith(F32, f32v(b).ceil().to_bits() as u64, &[(F32, b)])
        }),
        ("f32.floor", F32, F32, |b| {
            arith(F32, f32v(b).floor().to_bits() as u64, &[(F32, b)])
        }),
        ("f32.trunc", F32, F32, |b| {
            arith(F32, f32v(b).trunc().to_bits() as u64, &[(F32, b)])
        }),
        ("f32.nearest", F32, F32, |b| {
            arith(F32, f32v(b).round_ties_even().to_bits() as u64, &[(F32, b)])
        }),
        ("f64.sqrt", F64, F64, |b| {
            arith(F64, f64v(b).sqrt().to_bits(), &[(F64, b)])
        }),
        ("f64.ceil", F64, F64, |b| {
            arith(F64, f64v(b).ceil().to_bits(), &[(F64, b)])
        }),
        ("f64.floor", F64, F64, |b| {
            arith(F64, f64v(b).floor().to_bits(), &[(F64, b)])
        }),
        ("f64.trunc", F64, F64, |b| {
            arith(F64, f64v(b).trunc().to_bits(), &[(F64, b)])
        }),
        ("f64.nearest", F64, F64, |b| {
            arith(F64, f64v(b).round_ties_even().to_bits(), &[(F64, b)])
        }),
        ("i32.trunc_f32_s", F32, I32, |b| {
            tr(F32, b, -2147483648.0, 2147483647.0, I32)
        }),
        ("i32.trunc_f32_u", F32, I32, |b| {
            tr(F32, b, 0.0, 4294967295.0, I32)
        }),
        ("i32.trunc_f64_s", F64, I32, |b| {
            tr(F64, b, -2147483648.0, 2147483647.0, I32)
        }),
        ("i32.trunc_f64_u", F64, I32, |b| {
            tr(F64, b, 0.0, 4294967295.0, I32)
        }),
        ("i64.trunc_f32_s", F32, I64, |b| {
            tr(F32, b, -9223372036854775808.0, 9223372036854774784.0, I64)
        }),
        ("i64.trunc_f32_u", F32, I64, |b| {
            tr(F32, b, 0.0, 18446744073709550592.0, I64)
        }),
        ("i64.trunc_f64_s", F64, I64, |b| {
            tr(F64, b, -9223372036854775808.0, 9223372036854774784.0, I64)
        }),
        ("i64.trunc_f64_u", F64, I64, |b| {
            tr(F64, b, 0.0, 18446744073709549568.0, I64)
        }),
        ("i32.trunc_sat_f32_s", F32, I32, |b| {
            Exp::Bits(I32, f32v(b) as i32 as u32 as u64)
        }),
        ("i32.trunc_sat_f32_u", F32, I32, |b| {
            Exp::Bits(I32, f32v(b) as u32 as u64)
        }),
        ("i32.trunc_sat_f64_s", F64, I32, |b| {
            Exp::Bits(I32, f64v(b) as i32 as u32 as u64)
        }),
        ("i32.trunc_sat_f64_u", F64, I32, |b| {
            Exp::Bits(I32, f64v(b) as u32 as u64)
        }),
        ("i64.trunc_sat_f32_s", F32, I64, |b| {
            Exp::Bits(I64, f32v(b) as i64 as u64)
        }),
        ("i64.trunc_sat_f32_u", F32, I64, |b| {
            Exp::Bits(I64, f32v(b) as u64)
        }),
        ("i64.trunc_sat_f64_s", F64, I64, |b| {
            Exp::Bits(I64, f64v(b) as i64 as u64)
        }),
        ("i64.trunc_sat_f64_u", F64, I64, |b| {
            Exp::Bits(I64, f64v(b) as u64)
        }),
        ("f32.convert_i32_s", I32, F32, |b| {
            Exp::Bits(F32, (b as u32 as i32 as f32).to_bits() as u64)
        }),
        ("f32.convert_i32_u", I32, F32, |b| {
            Exp::Bits(F32, (b as u32 as f32).to_bits() as u64)
        }),
        ("f32.convert_i64_s", I64, F32, |b| {
            Exp::Bits(F32, (b as i64 as f32).to_bits() as u64)
        }),
        ("f32.convert_i64_u", I64, F32, |b| {
            Exp::Bits(F32, (b as f32).to_bits() as u64)
        }),
        ("f64.convert_i32_s", I32, F64, |b| {
            Exp::Bits(F64, (b as u32 as i32 as f64).to_bits())
        }),
        ("f64.convert_i32_u", I32, F64, |b| {
            Exp::Bits(F64, (b as u32 as f64).to_bits())
        }),
        ("f64.convert_i64_s", I64, F64, |b| {
            Exp::Bits(F64, (b as i64 as f64).to_bits())
        }),
        ("f64.convert_i64_u", I64, F64, |b| {
            Exp::Bits(F64, (b as f64).to_bits())
        }),
        ("f64.promote_f32", F32, F64, |b| {
            arith(F64, (f32v(b) as f64).to_bits(), &[(F32, b)])
        }),
        ("f32.demote_f64", F64, F32, |b| {
            arith(F32, (f64v(b) as f32).to_bits() as u64, &[(F64, b)])
        }),
        ("i32.reinterpret_f32", F32, I32, |b| Exp::Bits(I32, b)),
        ("i64.reinterpret_f64", F64, I64, |b| Exp::Bits(I64, b)),
        ("f32.reinterpret_i32", I32, F32, |b| Exp::Bits(F32, b)),
        ("f64.reinterpret_i64", I64, F64, |b| Exp::Bits(F64, b)),
    ]
}

#[test]
fn float_ops_match_rust() {
    require_php();
    let dir = scratch("floats");
    let mut rng = Rng(7);
    let f32s = f32_values(&mut rng, 25);
    let f64s = f64_values(&mut rng, 25);
    let i32s = int_values(T::I32, &mut rng, 30);
    let i64s = int_values(T::I64, &mut rng, 30);
    let vals = |t: T| match t {
        T::F32 => &f32s,
        T::F64 => &f64s,
        T::I32 => &i32s,
        T::I64 => &i64s,
    };
    // Constant operands: a sample of each set, NaNs and zeros included.
    let consts = |t: T| -> Vec<u64> {
        let v = vals(t);
        let mut c: Vec<u64> = v.iter().step_by(5).copied().collect();
        c.extend(v.iter().rev().take(8).step_by(2).copied());
        if t == T::F32 || t == T::F64 {
            c.extend(v.iter().filter(|b| is_nan(t, **b)).copied());
        }
        c
    };

    let mut module = String::from("(module (memory 1) (global $g32 (mut f32) (f32.const 0)) (global $g64 (mut f64) (f64.const 0))\n");
    let mut cases: Vec<(String, Vec<String>, Exp)> = Vec::new();
    for t in [T::F32, T::F64] {
        let tn = t.name();
        for (op, is_cmp, f) in bin_ops() {
            let res = if is_cmp { "i32" } else { tn };
            writeln!(module, "(func (export \"{tn}.{op}\") (param {tn} {tn}) (result {res}) local.get 0 local.get 1 {tn}.{op})").unwrap();
            if is_cmp {
                writeln!(module, "(func (export \"{tn}.{op}/if\") (param {tn} {tn}) (result i32) (if (result i32) ({tn}.{op} (local.get 0) (local.get 1)) (then (i32.const 1)) (else (i32.const 0))))").unwrap();
                // Negated, as a branch and as a value: opcache must not turn `!(a < b)` into `b <= a`.
                writeln!(module, "(func (export \"{tn}.{op}/not\") (param {tn} {tn}) (result i32) (if (result i32) (i32.eqz ({tn}.{op} (local.get 0) (local.get 1))) (then (i32.const 0)) (else (i32.const 1))))").unwrap();
                writeln!(module, "(func (export \"{tn}.{op}/brif\") (param {tn} {tn}) (result i32) (block (br_if 0 ({tn}.{op} (local.get 0) (local.get 1))) (return (i32.const 0))) (i32.const 1))").unwrap();
            }
            for &a in vals(t) {
                for &b in vals(t).iter() {
                    let e = f(t, a, b);
                    cases.push((
                        format!("{tn}.{op}"),
                        vec![arg_php(t, a), arg_php(t, b)],
                        e.clone(),
                    ));
                    if is_cmp {
                        for v in ["if", "not", "brif"] {
                            cases.push((
                                format!("{tn}.{op}/{v}"),
                                vec![arg_php(t, a), arg_php(t, b)],
                                e.clone(),
                            ));
                        }
                    }
                }
            }
            for (ci, &c) in consts(t).iter().enumerate() {
                let k = wat_const(t, c);
                writeln!(module, "(func (export \"{tn}.{op}/c{ci}\") (param {tn}) (result {res}) local.get 0 {k} {tn}.{op})").unwrap();
                writeln!(module, "(func (export \"{tn}.{op}/k{ci}\") (param {tn}) (result {res}) {k} local.get 0 {tn}.{op})").unwrap();
                for &a in vals(t) {
                    cases.push((format!("{tn}.{op}/c{ci}"), vec![arg_php(t, a)], f(t, a, c)));
                    cases.push((format!("{tn}.{op}/k{ci}"), vec![arg_php(t, a)], f(t, c, a)));
                }
            }
        }
    }
    for (op, pt, rt, f) in un_ops() {
        let (p, r) = (pt.name(), rt.name());
        writeln!(
            module,
            "(func (export \"{op}\") (param {p}) (result {r}) local.get 0 {op})"
        )
        .unwrap();
        for &a in vals(pt) {
            cases.push((op.to_string(), vec![arg_php(pt, a)], f(a)));
        }
        for (ci, &c) in consts(pt).iter().enumerate() {
            writeln!(
                module,
                "(func (export \"{op}/c{ci}\") (result {r}) {} {op})",
                wat_const(pt, c)
            )
            .unwrap();
            cases.push((format!("{op}/c{ci}"), vec![], f(c)));
        }
    }
    // Moves that keep every bit: a local, a mutable global, memory (and back through the other type's load), select.
    for t in [T::F32, T::F64] {
        let tn = t.name();
        let (it, w) = if t == T::F32 {
            ("i32", "g32")
        } else {
            ("i64", "g64")
        };
        writeln!(module, "(func (export \"{tn}.moves\") (param {tn} i32) (result {tn}) (local {tn}) local.get 0 local.set 2 local.get 2 global.set ${w} i32.const 8 global.get ${w} {tn}.store i32.const 8 {tn}.load)").unwrap();
        writeln!(module, "(func (export \"{tn}.mem_bits\") (param {tn}) (result {it}) (i32.const 16) local.get 0 {tn}.store offset=3 (i32.const 16) {it}.load offset=3)").unwrap();
        writeln!(module, "(func (export \"{tn}.mem_copy\") (param {tn}) (result {tn}) (i32.const 40) local.get 0 {tn}.store (i32.const 48) (i32.const 40) {tn}.load {tn}.store (i32.const 48) {tn}.load)").unwrap();
        writeln!(module, "(func (export \"{tn}.select\") (param {tn} {tn} i32) (result {tn}) local.get 0 local.get 1 local.get 2 select)").unwrap();
        for &a in vals(t) {
            cases.push((
                format!("{tn}.moves"),
                vec![arg_php(t, a), "1".into()],
                Exp::Bits(t, a),
            ));
            cases.push((
                format!("{tn}.mem_bits"),
                vec![arg_php(t, a)],
                Exp::Bits(if t == T::F32 { T::I32 } else { T::I64 }, a),
            ));
            cases.push((
                format!("{tn}.mem_copy"),
                vec![arg_php(t, a)],
                Exp::Bits(t, a),
            ));
            cases.push((
                format!("{tn}.select"),
                vec![arg_php(t, a), arg_php(t, 0), "1".into()],
                Exp::Bits(t, a),
            ));
            cases.push((
                format!("{tn}.select"),
                vec![arg_php(t, 0), arg_php(t, a), "0".into()],
                Exp::Bits(t, a),
            ));
        }
    }
    module.push(')');
    let bytes = wat(&module);
    let mut opts = wasm2php::Options::new("FOps");
    opts.lazy_min_bytes = None;
    let php = wasm2php::translate(&bytes, &opts).unwrap();
    let file = dir.join("fops.php");
    std::fs::write(&file, php).unwrap();
    let mut script = String::from(PHP_PRELUDE);
    writeln!(
        script,
        "require {}; $o = new FOps();",
        php_str(file.to_str().unwrap())
    )
    .unwrap();
    for (i, (name, args, _)) in cases.iter().enumerate() {
        writeln!(script, "try {{ w2p_out('{i}', $o->call({}, [{}])); }} catch (\\Throwable $e) {{ w2p_err('{i}', $e); }}", php_str(name), args.join(", ")).unwrap();
    }
    let path = dir.join("driver.php");
    std::fs::write(&path, script).unwrap();
    // Once as PHP compiles it, once through opcache's optimizer.
    require_opcache();
    let (plain, tail) = run_php(&path, &[]);
    let (optimized, tail_o) = run_php(&path, OPCACHE);
    let mut bad = Vec::new();
    for (mode, out) in [("", &plain), (" (opcache)", &optimized)] {
        for (i, (name, args, exp)) in cases.iter().enumerate() {
            let got = out.get(&i.to_string());
            let ok = match (exp, got) {
                (Exp::Trap, Some(Outcome::Trap(_))) => true,
                (e, Some(Outcome::Ret(r))) => r.len() == 1 && shown_ok(e, &r[0]),
                _ => false,
            };
            if !ok {
                bad.push(format!(
                    "{name}({}){mode} expected {exp:?} got {got:?}",
                    args.join(", ")
                ));
            }
        }
    }
    let tail = format!("{tail}\n{tail_o}");
    println!(
        "{} float-op cases, each with and without opcache, {} wrong",
        cases.len(),
        bad.len()
    );
    for b in bad.iter().take(40) {
        println!("WRONG {b}");
    }
    assert!(
        bad.is_empty(),
        "{} wrong results; php tail: {tail}",
        bad.len()
    );
}

/// The PHP face of floats: exports take and return PHP floats (an f32 as the float it stands for), float globals
/// through getGlobal/setGlobal (an f64 NaN initialiser with its payload), multi-value results, the public bit helpers,
/// and an integer module keeps its int-typed accessors.
#[test]
fn float_api_has_the_documented_shape() {
    require_php();
    let dir = scratch("float-api");
    let bytes = wat(r#"(module
        (global $g (export "g") (mut f64) (f64.const -nan:0x4000000000001))
        (global (export "k") f32 (f32.const 1.5))
        (global $h (export "h") (mut f32) (f32.const -0))
        (func (export "half") (param f32) (result f32) local.get 0 f32.const 0.5 f32.mul)
        (func (export "scale") (param f64 i32) (result f64) local.get 0 local.get 1 f64.convert_i32_s f64.mul)
        (func (export "both") (param f64) (result f32 f64 i32) local.get 0 f32.demote_f64 local.get 0 f64.neg local.get 0 i32.trunc_sat_f64_s)
        (func (export "bits") (param f32) (result i32) local.get 0 i32.reinterpret_f32)
        (func (export "geth") (result i32) global.get $h i32.reinterpret_f32)
        (func (export "trunc") (param f64) (result i32) local.get 0 i32.trunc_f64_s))"#);
    let mut opts = wasm2php::Options::new("FApi");
    opts.namespace = Some("W2p\\Test".into());
    let php = wasm2php::translate(&bytes, &opts).unwrap();
    let file = dir.join("fapi.php");
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
    assert!(
        php.contains("public function half(float $a0): float"),
        "{php}"
    );

    let script = format!(
        r#"<?php
require {f};
use W2p\Test\FApi;
$x = new FApi();
var_dump($x->half(3), $x->call('half', [1e-45]), $x->scale(1.5, -4));
echo json_encode($x->both(-2.75)), "\n";
printf("%x %x\n", FApi::f64ToBits($x->getGlobal('g')), FApi::f32ToBits($x->getGlobal('h')));
var_dump($x->getGlobal('k'));
$x->setGlobal('h', -1.5); printf("%x\n", $x->geth());
$x->setGlobal('g', 2); var_dump($x->getGlobal('g'));
printf("%x %x\n", $x->bits(FApi::f32FromBits(0x7FA00001)), FApi::f32ToBits(FApi::f32FromBits(0xFF800001)));
try {{ $x->trunc(NAN); }} catch (\W2p\Test\FApiTrap $e) {{ echo $e->getMessage(), "\n"; }}
try {{ $x->trunc(-2147483649.0); }} catch (\W2p\Test\FApiTrap $e) {{ echo $e->getMessage(), "\n"; }}
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
    // half(1e-45): the smallest f32 subnormal halved rounds to even, +0.
    let expect = "float(1.5)\nfloat(0)\nfloat(-6)\n[-2.75,2.75,4294967294]\nfff4000000000001 80000000\nfloat(1.5)\nbfc00000\nfloat(2)\n7fa00001 ff800001\ninvalid conversion to integer\ninteger overflow\n";
    assert_eq!(
        text,
        expect,
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // An integer module keeps its int-typed accessors and gets no float helpers.
    let php = wasm2php::translate(
        &wat(r#"(module (global (export "n") (mut i32) (i32.const 1)))"#),
        &wasm2php::Options::new("IApi"),
    )
    .unwrap();
    assert!(php.contains("public function getGlobal(string $name): int"));
    assert!(!php.contains("f32FromBits") && !php.contains("w2p_fdiv"));
}
