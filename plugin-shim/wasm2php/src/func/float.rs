//! The f32 and f64 instructions.
//!
//! Representation (see the crate docs): an f64 is a PHP float, which holds any 64-bit pattern (a PHP float is a C
//! double, copied as eight bytes), so moves, locals, calls, `select`, loads (`unpack('e')`) and stores
//! (`pack('e')`) keep NaN payloads and signalling NaNs exactly. An f32 is its bit pattern, an int in `[0, 2^32)`
//! like an i32: converting it to a double and back with the FPU would quiet a signalling NaN, so everything that
//! must keep bits (moves, memory, `reinterpret`, `neg`, `abs`, `copysign`) works on the int, and arithmetic goes
//! through a double: `unpack('g', pack('V', bits))` (exact: every f32 is a double), the operation in double
//! precision, then `unpack('V', pack('g', result))` (one rounding to single precision, ties to even).
//!
//! Computing an f32 `+ - * /` or `sqrt` in double precision and rounding once is exact: a double has 53 bits of
//! significand, at least 2·24 + 2, and for these operations that is enough for the double result, rounded to single,
//! to equal the correctly rounded single result (Figueroa, "When is double rounding innocuous?", 1995). The others
//! (`min`, `max`, `ceil`, `floor`, `trunc`, `nearest`, comparisons) are exact in double precision anyway.
//!
//! NaN results: wasm requires a *canonical* NaN when every NaN operand was canonical and an *arithmetic* (quiet)
//! NaN otherwise. The FPU gives that for `+ - * / sqrt` (it quiets and propagates an operand NaN, or makes the
//! default NaN, which is canonical). Where PHP's library functions might hand a signalling NaN back unchanged
//! (`floor`, `ceil`), the operand is quieted first by `* 1.0`, which keeps every other value, -0.0 included.

use super::{Entry, Gen, Kind};
use crate::module::{op_name, Ty};
use crate::Error;
use wasmparser::Operator;

/// The f32 bits `b` as a double (for arithmetic).
fn f32_lit(b: u32) -> String {
    let f = f32::from_bits(b);
    if f.is_nan() {
        // What the FPU's single -> double conversion makes of it (and what `fd` of a variable gives): sign and
        // payload kept, quiet bit set. Any quiet NaN would do for arithmetic, but this one is also what a native
        // engine computes, so differential tests need no NaN tolerance.
        let bits =
            (((b >> 31) as u64) << 63) | 0x7FF8_0000_0000_0000 | (((b & 0x7F_FFFF) as u64) << 29);
        super::php_f64(bits)
    } else {
        super::php_f64((f as f64).to_bits())
    }
}

impl Gen<'_, '_> {
    /// The value of an f32 or f64 entry as a PHP float expression, for arithmetic.
    fn fd(&self, e: &Entry) -> String {
        match (e.ty, e.kind) {
            (Ty::F64, _) => e.e.clone(),
            (Ty::F32, Kind::Const(c)) => f32_lit(c as u32),
            _ => format!("\\unpack('gx', \\pack('V', {}))['x']", e.e),
        }
    }

    /// A float expression computed in double precision as a value of type `ty`: f32 rounds it to single precision.
    fn fres(ty: Ty, x: String) -> String {
        match ty {
            Ty::F32 => format!("\\unpack('Vx', \\pack('g', {x}))['x']"),
            _ => x,
        }
    }

    fn fbin(&mut self, ty: Ty, f: impl FnOnce(&str, &str) -> String) {
        let b = self.pop();
        let a = self.pop();
        let x = f(&self.fd(&a), &self.fd(&b));
        self.push(Entry::expr(ty, Self::fres(ty, x), false, &[&a, &b]));
    }

    fn fun(&mut self, ty: Ty, f: impl FnOnce(&str) -> String) {
        let a = self.pop();
        let x = f(&self.fd(&a));
        self.push(Entry::expr(ty, Self::fres(ty, x), false, &[&a]));
    }

    fn fcmp(&mut self, cmp: &str) {
        let b = self.pop();
        let a = self.pop();
        let x = format!("({} {cmp} {})", self.fd(&a), self.fd(&b));
        let mut e = Entry::expr(Ty::I32, x, true, &[&a, &b]);
        // `==` and `!=` negate each other exactly, NaN included; the ordering comparisons do not (see Entry::fcmp).
        e.fcmp = cmp != "==" && cmp != "!=";
        self.push(e);
    }

    /// A conversion from a float to an integer type through a runtime helper on the double. The trapping ones are
    /// evaluated in place (in program order), the saturating ones stay lazy.
    fn fconv_to_int(&mut self, ty: Ty, helper: &str, traps: bool) {
        let a = self.pop();
        let x = format!("self::{helper}({})", self.fd(&a));
        if traps {
            self.assign_new(ty, x);
        } else {
            self.push(Entry::expr(ty, x, false, &[&a]));
        }
    }

    /// Retypes the top entry (reinterpretations that keep the representation: i32 <-> f32 bits).
    fn retype(&mut self, ty: Ty) {
        let mut a = self.pop();
        if a.is_bool {
            a.e = a.v();
            a.is_bool = false;
            a.kind = Kind::Expr;
        }
        a.ty = ty;
        self.push(a);
    }

    /// Handles a float instruction; `Ok(false)` for anything else.
    pub(super) fn float_op(&mut self, op: &Operator<'_>) -> Result<bool, Error> {
        use Operator as O;
        use Ty::{F32, F64, I32, I64};
        let name = op_name(op);
        if !(name.starts_with("f32")
            || name.starts_with("f64")
            || name.contains("_f32")
            || name.contains("_f64"))
        {
            return Ok(false);
        }
        self.floats = true;
        match *op {
            O::F32Const { value } => self.push(Entry::konst(F32, value.bits() as i64)),
            O::F64Const { value } => self.push(Entry::konst(F64, value.bits() as i64)),

            // ---- bits: exact on every value, NaNs included ----
            O::F32Neg => self.f32_bits(|a| a ^ 0x8000_0000, |a| format!("({a} ^ 0x80000000)")),
            O::F32Abs => self.f32_bits(|a| a & 0x7FFF_FFFF, |a| format!("({a} & 0x7FFFFFFF)")),
            O::F32Copysign => {
                let b = self.pop();
                let a = self.pop();
                let e = match (a.konst_val(), b.konst_val()) {
                    (Some(x), Some(y)) => {
                        self.push(Entry::konst(F32, (x & 0x7FFF_FFFF) | (y & 0x8000_0000)));
                        return Ok(true);
                    }
                    _ => format!("(({} & 0x7FFFFFFF) | ({} & 0x80000000))", a.e, b.e),
                };
                self.push(Entry::expr(F32, e, false, &[&a, &b]));
            }
            O::F64Neg => match self.stack.last().and_then(|e| e.konst_val()) {
                Some(c) => {
                    self.pop();
                    self.push(Entry::konst(F64, c ^ i64::MIN));
                }
                None => {
                    // `-$x` is a multiplication by -1 in PHP: right for every value but a NaN, whose sign the FPU
                    // leaves alone (and a signalling NaN it quiets); NaNs take the bitwise way.
                    let top = self.stack.len() - 1;
                    self.make_simple(top);
                    let a = self.pop();
                    let e = format!("({x} == {x} ? -{x} : self::w2p_fneg({x}))", x = a.e);
                    self.push(Entry::expr(F64, e, false, &[&a]));
                }
            },
            O::F64Abs => match self.stack.last().and_then(|e| e.konst_val()) {
                Some(c) => {
                    self.pop();
                    self.push(Entry::konst(F64, c & i64::MAX));
                }
                // abs() of a float is C's fabs(): it clears the sign bit and nothing else.
                None => self.un(F64, |a| format!("\\abs({})", a.e)),
            },
            O::F64Copysign => {
                let b = self.pop();
                let a = self.pop();
                if let (Some(x), Some(y)) = (a.konst_val(), b.konst_val()) {
                    self.push(Entry::konst(F64, (x & i64::MAX) | (y & i64::MIN)));
                } else {
                    let e = format!("self::w2p_copysign({}, {})", a.e, b.e);
                    self.push(Entry::expr(F64, e, false, &[&a, &b]));
                }
            }
            O::I32ReinterpretF32 => self.retype(I32),
            O::F32ReinterpretI32 => self.retype(F32),
            O::I64ReinterpretF64 => match self.stack.last().and_then(|e| e.konst_val()) {
                Some(c) => {
                    self.pop();
                    self.push(Entry::konst(I64, c));
                }
                None => self.un(I64, |a| {
                    format!("\\unpack('Px', \\pack('e', {}))['x']", a.e)
                }),
            },
            O::F64ReinterpretI64 => match self.stack.last().and_then(|e| e.konst_val()) {
                Some(c) => {
                    self.pop();
                    self.push(Entry::konst(F64, c));
                }
                None => self.un(F64, |a| {
                    format!("\\unpack('ex', \\pack('P', {}))['x']", a.v())
                }),
            },

            // ---- arithmetic in double precision ----
            O::F32Add | O::F64Add => self.fbin(op_ty(&name), |a, b| format!("({a} + {b})")),
            O::F32Sub | O::F64Sub => self.fbin(op_ty(&name), |a, b| format!("({a} - {b})")),
            O::F32Mul | O::F64Mul => self.fbin(op_ty(&name), |a, b| format!("({a} * {b})")),
            // PHP 8 throws on a division by zero and PHP 7 warns: the helper makes the IEEE result itself.
            O::F32Div | O::F64Div => {
                self.fbin(op_ty(&name), |a, b| format!("self::w2p_fdiv({a}, {b})"))
            }
            O::F32Min | O::F64Min => {
                self.fbin(op_ty(&name), |a, b| format!("self::w2p_fmin({a}, {b})"))
            }
            O::F32Max | O::F64Max => {
                self.fbin(op_ty(&name), |a, b| format!("self::w2p_fmax({a}, {b})"))
            }
            O::F32Sqrt | O::F64Sqrt => self.fun(op_ty(&name), |a| format!("\\sqrt({a})")),
            O::F32Ceil | O::F64Ceil => self.fun(op_ty(&name), |a| format!("\\ceil({a} * 1.0)")),
            O::F32Floor | O::F64Floor => self.fun(op_ty(&name), |a| format!("\\floor({a} * 1.0)")),
            O::F32Trunc | O::F64Trunc => {
                self.fun(op_ty(&name), |a| format!("self::w2p_ftrunc({a})"))
            }
            O::F32Nearest | O::F64Nearest => {
                self.fun(op_ty(&name), |a| format!("self::w2p_nearest({a})"))
            }

            // ---- comparisons (PHP compares two floats with C's operators: false on NaN but for !=) ----
            O::F32Eq | O::F64Eq => self.fcmp("=="),
            O::F32Ne | O::F64Ne => self.fcmp("!="),
            O::F32Lt | O::F64Lt => self.fcmp("<"),
            O::F32Gt | O::F64Gt => self.fcmp(">"),
            O::F32Le | O::F64Le => self.fcmp("<="),
            O::F32Ge | O::F64Ge => self.fcmp(">="),

            // ---- float -> int ----
            O::I32TruncF32S | O::I32TruncF64S => self.fconv_to_int(I32, "w2p_trunc_s32", true),
            O::I32TruncF32U | O::I32TruncF64U => self.fconv_to_int(I32, "w2p_trunc_u32", true),
            O::I64TruncF32S | O::I64TruncF64S => self.fconv_to_int(I64, "w2p_trunc_s64", true),
            O::I64TruncF32U | O::I64TruncF64U => self.fconv_to_int(I64, "w2p_trunc_u64", true),
            O::I32TruncSatF32S | O::I32TruncSatF64S => self.fconv_to_int(I32, "w2p_sat_s32", false),
            O::I32TruncSatF32U | O::I32TruncSatF64U => self.fconv_to_int(I32, "w2p_sat_u32", false),
            O::I64TruncSatF32S | O::I64TruncSatF64S => self.fconv_to_int(I64, "w2p_sat_s64", false),
            O::I64TruncSatF32U | O::I64TruncSatF64U => self.fconv_to_int(I64, "w2p_sat_u64", false),

            // ---- int -> float ----
            // An i32 is exact in a double: one rounding (to single, by pack('g')) or none.
            O::F32ConvertI32S => self.un(F32, |a| {
                format!("\\unpack('Vx', \\pack('g', {} << 32 >> 32))['x']", a.v())
            }),
            O::F32ConvertI32U => self.un(F32, |a| {
                format!("\\unpack('Vx', \\pack('g', {}))['x']", a.v())
            }),
            O::F64ConvertI32S => self.un(F64, |a| format!("(float)({} << 32 >> 32)", a.v())),
            O::F64ConvertI32U => self.un(F64, |a| format!("(float){}", a.v())),
            // C's int -> double conversion rounds to nearest, ties to even.
            O::F64ConvertI64S => self.un(F64, |a| format!("(float){}", a.v())),
            O::F64ConvertI64U => self.un(F64, |a| format!("self::w2p_u64_f64({})", a.v())),
            // i64 -> double -> single would round twice: the helper keeps a sticky bit.
            O::F32ConvertI64S => self.un(F32, |a| format!("self::w2p_i64_f32({}, false)", a.v())),
            O::F32ConvertI64U => self.un(F32, |a| format!("self::w2p_i64_f32({}, true)", a.v())),

            // ---- f32 <-> f64 ----
            O::F64PromoteF32 => {
                let a = self.pop();
                let x = self.fd(&a);
                self.push(Entry::expr(F64, x, false, &[&a]));
            }
            O::F32DemoteF64 => self.fun(F32, |a| a.to_string()),

            // Loads and stores go through the integer paths (see `load`, `store`).
            O::F32Load { .. } | O::F64Load { .. } | O::F32Store { .. } | O::F64Store { .. } => {
                return Ok(false)
            }
            _ => return Err(self.unsupported(op)),
        }
        Ok(true)
    }

    fn f32_bits(&mut self, k: impl FnOnce(i64) -> i64, f: impl FnOnce(&str) -> String) {
        let a = self.pop();
        if let Some(c) = a.konst_val() {
            self.push(Entry::konst(Ty::F32, k(c)));
        } else {
            let e = f(&a.e);
            self.push(Entry::expr(Ty::F32, e, false, &[&a]));
        }
    }
}

fn op_ty(name: &str) -> Ty {
    if name.starts_with("f32") {
        Ty::F32
    } else {
        Ty::F64
    }
}

/// The float runtime helpers, emitted only into classes whose module uses floats.
pub fn runtime(trap: &str) -> String {
    format!(
        r#"
    // ---- float helpers ----

    /**
     * The float an f32 bit pattern stands for. Exact for every f32; a NaN keeps its sign and payload (shifted into
     * the top of the double's) and stays signalling if it was (the FPU's conversion would quiet it).
     */
    public static function f32FromBits(int $b): float
    {{
        if (($b & 0x7FFFFFFF) > 0x7F800000) {{
            return \unpack('ex', \pack('P', (($b & 0x80000000) << 32) | 0x7FF0000000000000 | (($b & 0x7FFFFF) << 29)))['x'];
        }}
        return \unpack('gx', \pack('V', $b))['x'];
    }}

    /** The f32 bit pattern of a float (rounded to single precision; the inverse of f32FromBits). */
    public static function f32ToBits(float $d): int
    {{
        if ($d != $d) {{
            $q = \unpack('Px', \pack('e', $d))['x'];
            $p = ($q >> 29) & 0x7FFFFF;
            return (($q >> 32) & 0x80000000) | 0x7F800000 | ($p === 0 ? 0x400000 : $p);
        }}
        return \unpack('Vx', \pack('g', $d))['x'];
    }}

    /** The float with these 64 bits. */
    public static function f64FromBits(int $b): float
    {{
        return \unpack('ex', \pack('P', $b))['x'];
    }}

    /** The 64 bits of a float. */
    public static function f64ToBits(float $d): int
    {{
        return \unpack('Px', \pack('e', $d))['x'];
    }}

    private static function w2p_sd(&$m, $a, $v)
    {{
        $t = \pack('e', $v);
        $m[$a] = $t[0]; $m[$a + 1] = $t[1]; $m[$a + 2] = $t[2]; $m[$a + 3] = $t[3];
        $m[$a + 4] = $t[4]; $m[$a + 5] = $t[5]; $m[$a + 6] = $t[6]; $m[$a + 7] = $t[7];
    }}

    private static function w2p_fneg($x)
    {{
        return \unpack('ex', \pack('P', \unpack('Px', \pack('e', $x))['x'] ^ \PHP_INT_MIN))['x'];
    }}

    private static function w2p_copysign($a, $b)
    {{
        $x = \unpack('Px', \pack('e', $a))['x'] & \PHP_INT_MAX;
        if (\unpack('Px', \pack('e', $b))['x'] < 0) $x |= \PHP_INT_MIN;
        return \unpack('ex', \pack('P', $x))['x'];
    }}

    // IEEE division without PHP's division-by-zero error (PHP 8) or warning (PHP 7).
    private static function w2p_fdiv($a, $b)
    {{
        if ($b != 0.0) return $a / $b;
        if ($a != $a) return $a * 1.0;
        if ($a == 0.0) return \NAN;
        return ($a < 0.0) !== (\ord(\pack('E', $b)[0]) > 127) ? -\INF : \INF;
    }}

    // wasm min/max: a NaN operand gives a NaN (the sum quiets it), and -0.0 < +0.0.
    private static function w2p_fmin($a, $b)
    {{
        if ($a < $b) return $a;
        if ($b < $a) return $b;
        if ($a == $b) return $a == 0.0 ? -(-$a - $b) : $a;
        return $a + $b;
    }}

    private static function w2p_fmax($a, $b)
    {{
        if ($a > $b) return $a;
        if ($b > $a) return $b;
        if ($a == $b) return $a == 0.0 ? $a + $b : $a;
        return $a + $b;
    }}

    private static function w2p_ftrunc($x)
    {{
        return $x < 0.0 ? \ceil($x) : \floor($x * 1.0);
    }}

    // Round to nearest, ties to even (PHP's round() goes away from zero): below 2^52, adding and subtracting 2^52
    // leaves the integer the FPU rounds to in its default mode, which is ties-to-even.
    private static function w2p_nearest($x)
    {{
        if ($x != $x) return $x * 1.0;
        $a = \abs($x);
        if ($a >= 4503599627370496.0 || $x == 0.0) return $x;
        $r = ($a + 4503599627370496.0) - 4503599627370496.0;
        return $x < 0.0 ? -$r : $r;
    }}

    // float -> int, trapping. A float cast to int outside the int range is not defined in PHP: ranges are checked
    // first, and (int) then truncates toward zero.
    private static function w2p_trunc_s32($d)
    {{
        if ($d != $d) throw new {trap}('invalid conversion to integer');
        if ($d <= -2147483649.0 || $d >= 2147483648.0) throw new {trap}('integer overflow');
        return ((int)$d) & 0xFFFFFFFF;
    }}

    private static function w2p_trunc_u32($d)
    {{
        if ($d != $d) throw new {trap}('invalid conversion to integer');
        if ($d <= -1.0 || $d >= 4294967296.0) throw new {trap}('integer overflow');
        return (int)$d;
    }}

    private static function w2p_trunc_s64($d)
    {{
        if ($d != $d) throw new {trap}('invalid conversion to integer');
        if ($d < -9223372036854775808.0 || $d >= 9223372036854775808.0) throw new {trap}('integer overflow');
        return (int)$d;
    }}

    private static function w2p_trunc_u64($d)
    {{
        if ($d != $d) throw new {trap}('invalid conversion to integer');
        if ($d <= -1.0 || $d >= 18446744073709551616.0) throw new {trap}('integer overflow');
        return $d >= 9223372036854775808.0 ? ((int)($d - 9223372036854775808.0)) | \PHP_INT_MIN : (int)$d;
    }}

    // float -> int, saturating: NaN gives 0, out of range the nearest bound.
    private static function w2p_sat_s32($d)
    {{
        if ($d != $d) return 0;
        if ($d <= -2147483648.0) return 0x80000000;
        if ($d >= 2147483647.0) return 0x7FFFFFFF;
        return ((int)$d) & 0xFFFFFFFF;
    }}

    private static function w2p_sat_u32($d)
    {{
        if ($d != $d || $d <= 0.0) return 0;
        if ($d >= 4294967295.0) return 0xFFFFFFFF;
        return (int)$d;
    }}

    private static function w2p_sat_s64($d)
    {{
        if ($d != $d) return 0;
        if ($d <= -9223372036854775808.0) return \PHP_INT_MIN;
        if ($d >= 9223372036854775808.0) return \PHP_INT_MAX;
        return (int)$d;
    }}

    private static function w2p_sat_u64($d)
    {{
        if ($d != $d || $d <= 0.0) return 0;
        if ($d >= 18446744073709551616.0) return -1;
        return $d >= 9223372036854775808.0 ? ((int)($d - 9223372036854775808.0)) | \PHP_INT_MIN : (int)$d;
    }}

    // u64 -> f64: a value of 2^63 or more is halved first, its lowest bit kept as a sticky bit (below the rounding
    // position), so the one rounding of the conversion is the right one; doubling is exact.
    private static function w2p_u64_f64($x)
    {{
        return $x >= 0 ? (float)$x : ((($x >> 1) & \PHP_INT_MAX) | ($x & 1)) * 2.0;
    }}

    // i64/u64 -> f32 bits, rounded once: up to 2^53 the double is exact; above, the magnitude is shifted right by 11
    // with a sticky bit for what was shifted out (far below single precision's rounding position), so the double is
    // exact again and the one rounding is pack('g')'s.
    private static function w2p_i64_f32($x, $u)
    {{
        if ($x >= -9007199254740992 && $x <= 9007199254740992 && ($x >= 0 || !$u)) {{
            return \unpack('Vx', \pack('g', $x))['x'];
        }}
        if (!$u && $x === \PHP_INT_MIN) return 0xDF000000;
        $neg = !$u && $x < 0;
        if ($neg) $x = -$x;
        $d = ((($x >> 11) & 0x1FFFFFFFFFFFFF) | (($x & 0x7FF) !== 0 ? 1 : 0)) * 2048.0;
        return \unpack('Vx', \pack('g', $neg ? -$d : $d))['x'];
    }}
"#
    )
}
