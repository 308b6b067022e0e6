//! Translation of one function body into the body of a PHP method.
//!
//! The wasm operand stack exists only at translation time. Each stack entry
//! is a PHP expression string plus bookkeeping about what it reads:
//!
//! * constants, local reads and pure arithmetic stay *lazy*, so
//!   `local.get 1; i32.const 4; i32.add; local.set 1` becomes one PHP
//!   statement `$l1 = (($l1 + 4) & 0xFFFFFFFF);`;
//! * anything that can trap or touches memory (loads, div/rem, calls) is
//!   emitted immediately, in program order, into a *slot variable*
//!   `$s<depth>` named after its stack depth.
//!
//! Slot variables named by depth make control-flow merges free: a block's
//! results always live in `$s<base>..`, whichever path produced them.
//! The price is the eviction rule: before `$sN` is overwritten, every live
//! lazy expression that still reads `$sN` is materialized into its own slot
//! (it always sits deeper, so this terminates). Likewise `local.set N` first
//! materializes entries reading `$lN`, and anything that may change globals
//! or the memory size (calls, `global.set`, `memory.grow`) materializes
//! entries that read them. Lazy expressions never trap, so deferring them is
//! unobservable.
//!
//! Control flow is flat `goto`: PHP allows jumping to any label of the same
//! function as long as it does not enter a loop or `switch`, and the output
//! contains no PHP loops at all (`br_table` is a `switch` whose cases only
//! jump out).

pub mod float;

use crate::module::{block_sig, op_name, val_ty, Module, Sig, Ty};
use crate::Error;
use std::collections::BTreeMap;
use std::fmt::Write;
use wasmparser::{FunctionBody, MemArg, Operator};

pub const M32: &str = "0xFFFFFFFF";
pub const I64_MIN: &str = "(-9223372036854775807-1)";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Const(i64),
    Slot(u32),
    Local(u32),
    Expr,
}

#[derive(Clone, Debug)]
struct Entry {
    ty: Ty,
    e: String,
    kind: Kind,
    /// The expression yields a PHP bool (comparisons); converted with `(int)` only when
    /// used as a number, and used as-is as a branch condition.
    is_bool: bool,
    locals: Vec<u32>,
    slots: Vec<u32>,
    /// Reads a mutable global or the memory size.
    glob: bool,
    /// A float ordering comparison (`<`, `<=`, `>`, `>=`), false whenever an operand is NaN. Never negated with
    /// `!`: opcache's optimizer (block pass) rewrites `!($a < $b)` into `$b <= $a`, which is wrong for NaN.
    fcmp: bool,
}

/// A value of type `ty` (given as its canonical bits, see `module::norm`) as a PHP literal: an int for
/// i32, i64 and f32 (its bit pattern), a float expression for f64.
pub fn php_int(ty: Ty, v: i64) -> String {
    match ty {
        Ty::I32 | Ty::F32 => (v as u32).to_string(),
        Ty::F64 => php_f64(v as u64),
        Ty::I64 => {
            if v == i64::MIN {
                I64_MIN.to_string()
            } else if v < 0 {
                format!("({v})")
            } else {
                v.to_string()
            }
        }
    }
}

/// An f64 (given by its bits) as a PHP float expression that yields exactly those bits: a decimal literal (Rust
/// prints the shortest text that reads back to the same double, and PHP's `zend_strtod` reads correctly rounded),
/// `\INF`, or for a NaN its bits through `unpack` (PHP has no NaN literal with a payload).
pub fn php_f64(bits: u64) -> String {
    let f = f64::from_bits(bits);
    if f.is_nan() {
        format!(
            "\\unpack('ex', \\pack('P', {}))['x']",
            php_int(Ty::I64, bits as i64)
        )
    } else if f.is_infinite() {
        if f > 0.0 {
            "\\INF".into()
        } else {
            "(-\\INF)".into()
        }
    } else {
        let s = format!("{f:?}");
        debug_assert!(s.contains('.') || s.contains('e'));
        if s.starts_with('-') {
            format!("({s})")
        } else {
            s
        }
    }
}

impl Entry {
    fn konst(ty: Ty, v: i64) -> Entry {
        let v = crate::module::norm(ty, v);
        Entry {
            ty,
            e: php_int(ty, v),
            kind: Kind::Const(v),
            is_bool: false,
            locals: vec![],
            slots: vec![],
            glob: false,
            fcmp: false,
        }
    }
    fn slot(ty: Ty, d: u32) -> Entry {
        Entry {
            ty,
            e: format!("$s{d}"),
            kind: Kind::Slot(d),
            is_bool: false,
            locals: vec![],
            slots: vec![d],
            glob: false,
            fcmp: false,
        }
    }
    fn local(ty: Ty, i: u32) -> Entry {
        Entry {
            ty,
            e: format!("$l{i}"),
            kind: Kind::Local(i),
            is_bool: false,
            locals: vec![i],
            slots: vec![],
            glob: false,
            fcmp: false,
        }
    }
    fn expr(ty: Ty, e: String, is_bool: bool, from: &[&Entry]) -> Entry {
        let mut x = Entry {
            ty,
            e,
            kind: Kind::Expr,
            is_bool,
            locals: vec![],
            slots: vec![],
            glob: false,
            fcmp: false,
        };
        for f in from {
            x.locals.extend_from_slice(&f.locals);
            x.slots.extend_from_slice(&f.slots);
            x.glob |= f.glob;
        }
        x
    }
    /// The value as a PHP int expression.
    fn v(&self) -> String {
        if self.is_bool {
            format!("((int){})", self.e)
        } else {
            self.e.clone()
        }
    }
    /// The value as a PHP condition.
    fn cond(&self) -> String {
        match self.kind {
            _ if self.is_bool => self.e.clone(),
            Kind::Const(c) => (if c != 0 { "true" } else { "false" }).into(),
            _ => format!("({} !== 0)", self.e),
        }
    }
    fn negated_cond(&self) -> String {
        match self.kind {
            _ if self.is_bool => format!("!{}", self.e),
            Kind::Const(c) => (if c == 0 { "true" } else { "false" }).into(),
            _ => format!("({} === 0)", self.e),
        }
    }
    fn konst_val(&self) -> Option<i64> {
        match self.kind {
            Kind::Const(c) => Some(c),
            _ => None,
        }
    }
    fn is_simple(&self) -> bool {
        !self.is_bool && !matches!(self.kind, Kind::Expr)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FrameKind {
    Func,
    Block,
    Loop,
    If,
}

struct Frame {
    kind: FrameKind,
    start_label: u32,
    end_label: u32,
    else_label: u32,
    base: usize,
    params: Vec<Ty>,
    results: Vec<Ty>,
    branched: bool,
    has_else: bool,
}

/// Things a function needs from the class around it.
pub struct FnOut {
    pub code: String,
    /// (table, signature) pairs whose call_indirect dispatcher must be emitted.
    pub dispatchers: Vec<(u32, Sig)>,
    /// The function uses float instructions: the class needs the float helpers.
    pub floats: bool,
    /// The function stores i32s through `w2p_s32`: the class needs that helper.
    pub store_calls: bool,
}

pub struct Ctx<'c> {
    pub trap: &'c str,
    pub max_depth: u32,
    pub fuel: bool,
    /// Per function: whether opcache's SSA passes may see it ([`crate::Options::opcache_ssa`] and
    /// [`crate::Options::opcache_ssa_from`]).
    pub opcache_ssa: &'c [bool],
}

struct Gen<'m, 'a> {
    m: &'m Module<'a>,
    ctx: &'m Ctx<'m>,
    fidx: u32,
    out: String,
    stack: Vec<Entry>,
    frames: Vec<Frame>,
    reachable: bool,
    dead_depth: u32,
    labels: u32,
    locals: Vec<Ty>,
    uses_mem: bool,
    func_results: usize,
    dispatchers: Vec<(u32, Sig)>,
    floats: bool,
    store_calls: bool,
    /// The label of each kind of trap the function has (by message), placed once after its body: see
    /// [`Gen::emit_trap_if`].
    trap_labels: Vec<(String, u32)>,
    /// Bounds already checked on every path to the current point: (base variable, or "" for a constant address;
    /// highest end checked; number of open control frames when it was checked). Memory never shrinks, so while the
    /// base keeps its value a check with a smaller end cannot fail: it is left out.
    ///
    /// An entry dies when a statement assigns its variable (in translation order: without loops every path from
    /// the check to a later point runs through text between them), and at labels: at a block's end or an `else`
    /// the entries made inside the construct (deeper than its frame) go, because a branch may arrive from before
    /// them; the entries made before it stay, because every way in passes them. A loop header drops everything: its
    /// back edges come from the end of the body, where the variable may have been assigned.
    checked: Vec<(String, u64, usize)>,
    /// The last statement, if it is a whole-word load into a slot (`$sN = \unpack('Vx'|'Px', $m, SRC)['x'];`): (slot,
    /// size, SRC, start and end of the statement in `out`). A store of exactly that value, with nothing emitted in
    /// between, becomes a byte copy (see `store`).
    last_load: Option<(u32, u64, String, usize, usize)>,
}

const MAX_EXPR: usize = 240;

/// The variables a statement of ours assigns: what stands before each ` = `. Every assignment is written that way
/// (`$s1 = …`, `$l2 = …`, `[$s1, $s2] = …`, `$m[…] = …` for memory), and no comparison contains ` = ` (they are
/// `===`, `!==`, `<=`, `>=`). A memory store assigns no variable of interest.
fn assigned_vars(stmt: &str) -> Vec<&str> {
    let mut vars = Vec::new();
    for (i, _) in stmt.match_indices(" = ") {
        let lhs = &stmt[..i];
        if let Some(inner) = lhs.strip_suffix(']') {
            let open = inner.rfind('[').unwrap_or(0);
            let indexed = inner[..open].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
            if !indexed {
                vars.extend(inner[open + 1..].split(", "));
            }
        } else {
            let name_start = lhs
                .trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_')
                .len();
            if lhs[..name_start].ends_with('$') {
                vars.push(&lhs[name_start - 1..]);
            }
        }
    }
    vars
}

pub fn translate_function(
    m: &Module<'_>,
    ctx: &Ctx<'_>,
    fidx: u32,
    body: &FunctionBody<'_>,
) -> Result<FnOut, Error> {
    let sig = m.func_sig(fidx)?.clone();
    let inv = |e: wasmparser::BinaryReaderError| Error::Invalid(e.to_string());
    let mut locals = sig.params.clone();
    let nparams = locals.len();
    for l in body.get_locals_reader().map_err(inv)? {
        let (n, t) = l.map_err(inv)?;
        let t = val_ty(t).map_err(|e| m.unsupported(format!("local of {e}"), Some(fidx)))?;
        locals.extend(std::iter::repeat_n(t, n as usize));
    }
    let mut g = Gen {
        m,
        ctx,
        fidx,
        out: String::new(),
        stack: Vec::new(),
        frames: vec![Frame {
            kind: FrameKind::Func,
            start_label: 0,
            end_label: 0,
            else_label: 0,
            base: 0,
            params: vec![],
            results: sig.results.clone(),
            branched: false,
            has_else: false,
        }],
        reachable: true,
        dead_depth: 0,
        checked: Vec::new(),
        last_load: None,
        labels: 0,
        locals: locals.clone(),
        uses_mem: false,
        func_results: sig.results.len(),
        dispatchers: Vec::new(),
        floats: false,
        store_calls: false,
        trap_labels: Vec::new(),
    };
    let mut r = body.get_operators_reader().map_err(inv)?;
    while !r.eof() {
        let op = r.read().map_err(inv)?;
        g.op(op)?;
    }
    // The traps, after the body: what runs before them never falls through (a function's end returns; a branch,
    // a return or a trap ends every other path).
    for (msg, label) in std::mem::take(&mut g.trap_labels) {
        let t = g.trap_stmt(&msg);
        writeln!(g.out, "    L{label}:\n        {t}").unwrap();
    }

    let mut code = String::new();
    let params: Vec<String> = (0..nparams)
        .map(|i| format!("$l{i}"))
        .chain(["$dep".to_string()])
        .collect();
    let name = m
        .func_names
        .get(&fidx)
        .map(|n| format!(" ({})", sanitize_comment(n)))
        .unwrap_or_default();
    writeln!(code, "    /** wasm function {fidx}{name} */").unwrap();
    writeln!(
        code,
        "    private function w2p_f{fidx}({})",
        params.join(", ")
    )
    .unwrap();
    code.push_str("    {\n");
    if !ctx.opcache_ssa[fidx as usize] {
        // opcache's SSA passes (type inference, SCCP, dead code) skip a function with a try block. The catch only
        // ever runs on the way out of a trap and throws the same object on, trace and all.
        code.push_str("        try {\n");
    }
    writeln!(
        code,
        "        if ($dep > {}) self::w2p_deep();",
        ctx.max_depth
    )
    .unwrap();
    if ctx.fuel {
        writeln!(
            code,
            "        if (--$this->fuel < 0) throw new {}('fuel exhausted');",
            ctx.trap
        )
        .unwrap();
    }
    if g.uses_mem {
        code.push_str("        $m = &$this->mem;\n");
    }
    // One chained assignment per 32 locals: shorter than a statement each, and never deeply nested for PHP's parser.
    // f64 locals start as the float 0.0 (every other type as the int 0), in chains of their own.
    for (is_f64, zero) in [(false, "0"), (true, "0.0")] {
        let declared: Vec<usize> = (nparams..locals.len())
            .filter(|&i| (locals[i] == Ty::F64) == is_f64)
            .collect();
        for chunk in declared.chunks(32) {
            code.push_str("        ");
            for i in chunk {
                write!(code, "$l{i} = ").unwrap();
            }
            writeln!(code, "{zero};").unwrap();
        }
    }
    code.push_str(&g.out);
    if !ctx.opcache_ssa[fidx as usize] {
        code.push_str(
            "        } catch (\\Throwable $w2p_e) {\n            throw $w2p_e;\n        }\n",
        );
    }
    code.push_str("    }\n");
    Ok(FnOut {
        code,
        dispatchers: g.dispatchers,
        floats: g.floats,
        store_calls: g.store_calls,
    })
}

pub fn sanitize_comment(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect::<String>()
        .replace("*/", "*?")
}

/// Operators refused even inside unreachable code: a module that contains
/// them is outside the supported subset whether or not they can run.
fn refused_anywhere(op: &Operator<'_>) -> Option<String> {
    let name = op_name(op);
    let bad = name.starts_with("f32x")
        || name.starts_with("f64x")
        || name.starts_with("v128")
        || name.contains('x')
            && (name.starts_with("i8x")
                || name.starts_with("i16x")
                || name.starts_with("i32x")
                || name.starts_with("i64x"))
        || name.contains("atomic")
        || name.starts_with("ref.")
        || name.starts_with("table.")
        || name.starts_with("elem.")
        || name.starts_with("struct.")
        || name.starts_with("array.")
        || name.starts_with("any_")
        || name.starts_with("extern_")
        || name.starts_with("try")
        || name.starts_with("throw")
        || name.starts_with("return_call")
        || name.starts_with("call_ref");
    bad.then_some(name)
}

impl Gen<'_, '_> {
    fn unsupported(&self, op: &Operator<'_>) -> Error {
        self.m
            .unsupported(format!("instruction {}", op_name(op)), Some(self.fidx))
    }

    fn emit(&mut self, s: &str) {
        self.last_load = None;
        if !self.checked.is_empty() {
            self.forget_assigned(s);
        }
        self.out.push_str("        ");
        self.out.push_str(s);
        self.out.push('\n');
    }

    /// A trap as one short call: the throw itself lives once in the runtime helpers (`w2p_oob`, `w2p_trap`), not
    /// at each of the thousands of places that may trap, which keeps the file a request loads smaller.
    fn trap_stmt(&self, msg: &str) -> String {
        if msg == "out of bounds memory access" {
            String::from("self::w2p_oob();")
        } else {
            format!("self::w2p_trap('{msg}');")
        }
    }

    /// `if (COND) goto L;`, with the trap itself at `L`, once per kind of trap after the function's body, rather
    /// than `COND && TRAP;` at each site. Both run as one compare-and-branch, but the code after a `COND && TRAP`
    /// is the target of a jump, which starts a basic block, and opcache's block pass clears an array of all the
    /// function's variables and temporaries at every such block: quadratic in a function's size, it was a sixth of
    /// what loading a 1,000-range policy cost a cold opcache (a function of the compiler: 328 blocks cleared, 106
    /// of them after a bounds check). After `if (COND) goto L;` the code follows on without a new block.
    fn emit_trap_if(&mut self, cond: &str, msg: &str) {
        let label = match self.trap_labels.iter().find(|(m, _)| m == msg) {
            Some(&(_, l)) => l,
            None => {
                let l = self.new_label();
                self.trap_labels.push((msg.to_owned(), l));
                l
            }
        };
        self.emit(&format!("if ({cond}) goto L{label};"));
    }

    fn new_label(&mut self) -> u32 {
        self.labels += 1;
        self.labels
    }

    /// Drops the checked bounds of every variable that `stmt` assigns.
    fn forget_assigned(&mut self, stmt: &str) {
        for var in assigned_vars(stmt) {
            self.checked.retain(|(base, _, _)| base != var);
        }
    }

    /// Places the label of a loop header (`keep` = None: no checked bounds survive) or of a block's end or an
    /// `else` (`keep` = the number of frames open outside the construct: checks made there survive).
    fn place_label(&mut self, l: u32, keep: Option<usize>) {
        match keep {
            None => self.checked.clear(),
            Some(outside) => self.checked.retain(|(_, _, d)| *d <= outside),
        }
        writeln!(self.out, "    L{l}:").unwrap();
        self.last_load = None;
    }

    fn pop(&mut self) -> Entry {
        self.stack
            .pop()
            .expect("operand stack underflow in a validated module")
    }

    fn push(&mut self, e: Entry) {
        let long = matches!(e.kind, Kind::Expr) && e.e.len() > MAX_EXPR;
        self.stack.push(e);
        if long {
            self.materialize(self.stack.len() - 1);
        }
    }

    /// Before `$s<d>` is written, give every other live reader of it a slot of its own.
    fn evict_slot(&mut self, d: u32, except: Option<usize>) {
        for j in 0..self.stack.len() {
            if Some(j) != except && self.stack[j].slots.contains(&d) {
                self.materialize(j);
            }
        }
    }

    fn materialize(&mut self, j: usize) {
        if self.stack[j].kind == Kind::Slot(j as u32) {
            return;
        }
        self.evict_slot(j as u32, Some(j));
        let v = self.stack[j].v();
        self.emit(&format!("$s{j} = {v};"));
        self.stack[j] = Entry::slot(self.stack[j].ty, j as u32);
    }

    fn make_simple(&mut self, j: usize) {
        if !self.stack[j].is_simple() {
            self.materialize(j);
        }
    }

    /// Make the top `n` entries simple (safe to repeat in an expression).
    fn simple_top(&mut self, n: usize) {
        let len = self.stack.len();
        for j in len - n..len {
            self.make_simple(j);
        }
    }

    /// Evaluate `rhs` now (it may trap or have effects) into the slot of the next push.
    fn assign_new(&mut self, ty: Ty, rhs: String) {
        let d = self.stack.len() as u32;
        self.evict_slot(d, None);
        self.emit(&format!("$s{d} = {rhs};"));
        self.stack.push(Entry::slot(ty, d));
    }

    fn flush_glob(&mut self) {
        for j in 0..self.stack.len() {
            if self.stack[j].glob {
                self.materialize(j);
            }
        }
    }

    fn flush_local(&mut self, i: u32) {
        for j in 0..self.stack.len() {
            if self.stack[j].locals.contains(&i) {
                self.materialize(j);
            }
        }
    }

    /// At a control-flow boundary the compile-time stack must be the same on
    /// every path: everything below `base` becomes a constant or its own slot,
    /// everything from `base` up becomes its own slot.
    fn canonicalize(&mut self, base: usize) {
        for j in 0..self.stack.len() {
            if j >= base || !matches!(self.stack[j].kind, Kind::Const(_)) {
                self.materialize(j);
            }
        }
    }

    fn un(&mut self, ty: Ty, f: impl FnOnce(&Entry) -> String) {
        let a = self.pop();
        let e = f(&a);
        self.push(Entry::expr(ty, e, false, &[&a]));
    }

    fn bin(&mut self, ty: Ty, is_bool: bool, f: impl FnOnce(&Entry, &Entry) -> String) {
        let b = self.pop();
        let a = self.pop();
        let e = f(&a, &b);
        self.push(Entry::expr(ty, e, is_bool, &[&a, &b]));
    }

    fn bin_simple(&mut self, ty: Ty, is_bool: bool, f: impl FnOnce(&Entry, &Entry) -> String) {
        self.simple_top(2);
        self.bin(ty, is_bool, f)
    }

    /// i64 add/sub/mul: native when PHP reports no overflow (the result stays an int),
    /// the exact wrapping helper otherwise.
    fn i64_arith(&mut self, op: &str, helper: &str) {
        self.simple_top(2);
        let b = self.pop();
        let a = self.pop();
        let (a, b) = (a.v(), b.v());
        self.assign_new(
            Ty::I64,
            format!("\\is_int($t = {a} {op} {b}) ? $t : self::{helper}({a}, {b})"),
        );
    }

    fn branch_code(&mut self, depth: u32) -> String {
        let ti = self.frames.len() - 1 - depth as usize;
        let f = &self.frames[ti];
        if f.kind == FrameKind::Func {
            return self.return_code();
        }
        let (arity, base, label) = if f.kind == FrameKind::Loop {
            (f.params.len(), f.base, f.start_label)
        } else {
            (f.results.len(), f.base, f.end_label)
        };
        let len = self.stack.len();
        let mut s = String::new();
        for i in 0..arity {
            let e = &self.stack[len - arity + i];
            if e.kind != Kind::Slot((base + i) as u32) {
                write!(s, "$s{} = {}; ", base + i, e.v()).unwrap();
            }
        }
        write!(s, "goto L{label};").unwrap();
        if self.frames[ti].kind != FrameKind::Loop {
            self.frames[ti].branched = true;
        }
        s
    }

    fn return_code(&self) -> String {
        let n = self.func_results;
        let len = self.stack.len();
        let vals: Vec<String> = self.stack[len - n..].iter().map(|e| e.v()).collect();
        match n {
            0 => "return;".into(),
            1 => format!("return {};", vals[0]),
            _ => format!("return [{}];", vals.join(", ")),
        }
    }

    fn call_results(&mut self, results: &[Ty], call: String) {
        let d = self.stack.len();
        match results.len() {
            0 => self.emit(&format!("{call};")),
            1 => self.assign_new(results[0], call),
            n => {
                for i in 0..n {
                    self.evict_slot((d + i) as u32, None);
                }
                let targets: Vec<String> = (0..n).map(|i| format!("$s{}", d + i)).collect();
                self.emit(&format!("[{}] = {call};", targets.join(", ")));
                for (i, t) in results.iter().enumerate() {
                    self.stack.push(Entry::slot(*t, (d + i) as u32));
                }
            }
        }
    }

    fn mem_addr(&mut self, memarg: &MemArg, size: u64) -> Result<(String, u64), Error> {
        if memarg.target != wasmparser::MemArgTarget::Memory(0) {
            return Err(self
                .m
                .unsupported("memory access to a memory other than 0", Some(self.fidx)));
        }
        self.uses_mem = true;
        let top = self.stack.len() - 1;
        self.make_simple(top);
        let a = self.pop();
        let off = memarg.offset;
        let (base, off) = match a.kind {
            Kind::Const(c) => (None, c as u64 + off),
            _ => (Some(a.e.clone()), off),
        };
        let end = off + size;
        // A base that is a local or a stack slot keeps its value until a statement assigns it; anything else (a
        // global) may change in a call, and is checked every time.
        let key = match &base {
            None => Some(String::new()),
            Some(b) if b.starts_with("$l") || b.starts_with("$s") => Some(b.clone()),
            Some(_) => None,
        };
        if let Some(k) = &key {
            if self.checked.iter().any(|(b, e, _)| b == k && *e >= end) {
                return Ok((base.unwrap_or_default(), off));
            }
        }
        match &base {
            Some(b) => self.emit_trap_if(
                &format!("{b} > \\strlen($m) - {end}"),
                "out of bounds memory access",
            ),
            None => self.emit_trap_if(
                &format!("\\strlen($m) < {end}"),
                "out of bounds memory access",
            ),
        }
        if let Some(k) = key {
            // A larger end checked here holds only as long as this depth's entries do: a new entry, unless the
            // variable's entry was made at this very depth.
            let depth = self.frames.len();
            match self
                .checked
                .iter_mut()
                .find(|(b, _, d)| *b == k && *d == depth)
            {
                Some(entry) => entry.1 = entry.1.max(end),
                None => self.checked.push((k, end, depth)),
            }
        }
        Ok((base.unwrap_or_default(), off))
    }

    fn addr(base: &str, off: u64) -> String {
        match (base.is_empty(), off) {
            (true, o) => o.to_string(),
            (false, 0) => base.to_string(),
            (false, o) => format!("{base} + {o}"),
        }
    }

    fn load(&mut self, memarg: &MemArg, ty: Ty, size: u64, signed: bool) -> Result<(), Error> {
        let (b, o) = self.mem_addr(memarg, size)?;
        let byte = |k: u64| format!("\\ord($m[{}])", Self::addr(&b, o + k));
        let raw = match size {
            1 => byte(0),
            2 => format!("({} | ({} << 8))", byte(0), byte(1)),
            // A named element ('Vx', then ['x']): unpack() writes an unnamed one's key "1" with snprintf and converts
            // it back to an integer key, ~8 ns of the ~45 a load costs.
            4 => format!("\\unpack('Vx', $m, {})['x']", Self::addr(&b, o)),
            // 'e' copies the eight bytes into a double: every bit pattern, a signalling NaN too, arrives unchanged.
            8 if ty == Ty::F64 => format!("\\unpack('ex', $m, {})['x']", Self::addr(&b, o)),
            8 => format!("\\unpack('Px', $m, {})['x']", Self::addr(&b, o)),
            _ => unreachable!(),
        };
        let bits = size * 8;
        let word = matches!(
            (ty, size),
            (Ty::I32, 4) | (Ty::I64, 8) | (Ty::F32, 4) | (Ty::F64, 8)
        );
        let copy_src = word.then(|| Self::addr(&b, o));
        let v = match (ty, signed, size) {
            (_, _, 8) => raw,
            (Ty::I32, false, _) | (Ty::I64, false, _) => raw,
            (Ty::I32, true, 4) | (Ty::F32, _, _) | (Ty::F64, _, _) => raw,
            (Ty::I32, true, _) => format!("(({raw} << {s} >> {s}) & {M32})", s = 64 - bits),
            (Ty::I64, true, _) => format!("({raw} << {s} >> {s})", s = 64 - bits),
        };
        self.assign_new(ty, v);
        if let (Some(src), Some(Kind::Slot(slot))) = (copy_src, self.stack.last().map(|e| e.kind)) {
            // The load is the last line written (assign_new may have moved other slots out of the way before it).
            let end = self.out.len();
            let start = self.out[..end - 1].rfind('\n').map_or(0, |i| i + 1);
            self.last_load = Some((slot, size, src, start, end));
        }
        Ok(())
    }

    fn store(&mut self, memarg: &MemArg, size: u64) -> Result<(), Error> {
        let top = self.stack.len() - 1;
        self.make_simple(top);
        let copied = self.last_load.take();
        let v = self.pop();
        if let Some((slot, load_size, src, start, end)) = copied {
            if v.kind == Kind::Slot(slot) && load_size == size && end == self.out.len() {
                // A word moved from memory to memory (rustc's struct copies: most i64 stores): copy the bytes rather
                // than decode them with unpack and encode them again with chr. The load's own bounds check stays
                // where it was; its statement goes, and the bytes are read after the store's check, before any
                // byte is written, so overlapping words copy exactly.
                self.out.replace_range(start..end, "");
                let (b, o) = self.mem_addr(memarg, size)?;
                let dst = Self::addr(&b, o);
                if size == 8 {
                    self.emit(&format!("self::w2p_c8($m, {dst}, {src});"));
                } else {
                    let mut s = format!("$t = \\substr($m, {src}, 4);");
                    for k in 0..4 {
                        write!(s, " $m[{}] = $t[{k}];", Self::addr(&b, o + k)).unwrap();
                    }
                    self.emit(&s);
                }
                return Ok(());
            }
        }
        let (b, o) = self.mem_addr(memarg, size)?;
        if v.ty == Ty::F64 && v.konst_val().is_none() {
            // pack('e') copies the double's bytes, whatever they are (see w2p_sd).
            self.emit(&format!(
                "self::w2p_sd($m, {}, {});",
                Self::addr(&b, o),
                v.e
            ));
            return Ok(());
        }
        if size == 8 && v.konst_val().is_none() {
            // See w2p_s64 in the runtime: a call, for size.
            self.emit(&format!(
                "self::w2p_s64($m, {}, {});",
                Self::addr(&b, o),
                v.e
            ));
            return Ok(());
        }
        if size == 4 && v.konst_val().is_none() && !self.ctx.opcache_ssa[self.fidx as usize] {
            // Outside the SSA passes (code that runs rarely: a policy compiler or loader) an i32 store is a call as
            // well: a third of the bytes, which a cold opcache compiles, for a little more time when it runs
            // (figures in the PHP library's README). In lazy mode such a function is a file of its own whatever its
            // size (`emit`), so that getting smaller never moves it into the class file.
            self.store_calls = true;
            self.emit(&format!(
                "self::w2p_s32($m, {}, {});",
                Self::addr(&b, o),
                v.e
            ));
            return Ok(());
        }
        if let Some(c) = v.konst_val() {
            let bytes: Vec<u8> = (0..size).map(|k| (c >> (8 * k)) as u8).collect();
            if bytes.iter().all(|&x| x == bytes[0]) {
                // Zeroing a field, mostly: one chained assignment (a string offset assignment yields its value).
                let mut s = String::new();
                for k in 0..size {
                    write!(s, "$m[{}] = ", Self::addr(&b, o + k)).unwrap();
                }
                self.emit(&format!("{s}{};", crate::emit::php_bytes(&bytes[..1])));
                return Ok(());
            }
        }
        let mut s = String::new();
        for k in 0..size {
            let rhs = match v.konst_val() {
                Some(c) => crate::emit::php_bytes(&[(c >> (8 * k)) as u8]),
                None if k == 0 => format!("\\chr({})", v.e),
                None => format!("\\chr({} >> {})", v.e, 8 * k),
            };
            write!(s, "$m[{}] = {rhs}; ", Self::addr(&b, o + k)).unwrap();
        }
        self.emit(s.trim_end());
        Ok(())
    }

    fn op(&mut self, op: Operator<'_>) -> Result<(), Error> {
        use Operator as O;
        if let Some(name) = refused_anywhere(&op) {
            return Err(self
                .m
                .unsupported(format!("instruction {name}"), Some(self.fidx)));
        }
        if !self.reachable {
            match op {
                O::Block { .. } | O::Loop { .. } | O::If { .. } => {
                    self.dead_depth += 1;
                    return Ok(());
                }
                O::End if self.dead_depth > 0 => {
                    self.dead_depth -= 1;
                    return Ok(());
                }
                O::Else | O::End if self.dead_depth == 0 => {}
                _ => return Ok(()),
            }
        }
        if self.float_op(&op)? {
            return Ok(());
        }
        let i32 = Ty::I32;
        let i64 = Ty::I64;
        match op {
            O::Nop => {}
            O::Unreachable => {
                let t = self.trap_stmt("unreachable");
                self.emit(&t);
                self.reachable = false;
            }
            O::Block { blockty } | O::Loop { blockty } | O::If { blockty } => {
                let (params, results) = block_sig(self.m, blockty, self.fidx)?;
                let cond = if matches!(op, O::If { .. }) {
                    Some(self.pop())
                } else {
                    None
                };
                let base = self.stack.len() - params.len();
                self.canonicalize(base);
                let kind = match op {
                    O::Block { .. } => FrameKind::Block,
                    O::Loop { .. } => FrameKind::Loop,
                    _ => FrameKind::If,
                };
                let mut f = Frame {
                    kind,
                    start_label: 0,
                    end_label: self.new_label(),
                    else_label: 0,
                    base,
                    params,
                    results,
                    branched: false,
                    has_else: false,
                };
                match kind {
                    FrameKind::Loop => {
                        f.start_label = self.new_label();
                        self.place_label(f.start_label, None);
                        if self.ctx.fuel {
                            let t = self.trap_stmt("fuel exhausted");
                            self.emit(&format!("if (--$this->fuel < 0) {t}"));
                        }
                    }
                    FrameKind::If => {
                        f.else_label = self.new_label();
                        let cond = cond.unwrap();
                        if cond.fcmp && cond.is_bool {
                            // No `!` on a float comparison (see `Entry::fcmp`): PHP jumps on the comparison itself.
                            self.emit(&format!(
                                "if ({}) {{}} else goto L{};",
                                cond.e, f.else_label
                            ));
                        } else {
                            let c = cond.negated_cond();
                            self.emit(&format!("if ({c}) goto L{};", f.else_label));
                        }
                    }
                    _ => {}
                }
                self.frames.push(f);
            }
            O::Else => {
                let n = self.frames.len() - 1;
                let base = self.frames[n].base;
                if self.reachable {
                    self.canonicalize(base);
                    let end = self.frames[n].end_label;
                    self.emit(&format!("goto L{end};"));
                    self.frames[n].branched = true;
                }
                let el = self.frames[n].else_label;
                self.place_label(el, Some(n));
                self.frames[n].has_else = true;
                self.stack.truncate(base);
                let params = self.frames[n].params.clone();
                for (i, t) in params.iter().enumerate() {
                    self.stack.push(Entry::slot(*t, (base + i) as u32));
                }
                self.reachable = true;
            }
            O::End => {
                let f = self.frames.pop().expect("frame");
                if self.reachable {
                    self.canonicalize(f.base);
                }
                match f.kind {
                    FrameKind::Func => {
                        if self.reachable {
                            let r = self.return_code();
                            self.emit(&r);
                        }
                        self.reachable = false;
                        return Ok(());
                    }
                    FrameKind::Loop => {}
                    FrameKind::Block => {
                        if f.branched {
                            let depth = self.frames.len();
                            self.place_label(f.end_label, Some(depth));
                            self.reachable = true;
                        }
                    }
                    FrameKind::If => {
                        let depth = self.frames.len();
                        if !f.has_else {
                            self.place_label(f.else_label, Some(depth));
                            self.reachable = true;
                        }
                        if f.branched {
                            self.place_label(f.end_label, Some(depth));
                            self.reachable = true;
                        }
                    }
                }
                self.stack.truncate(f.base);
                for (i, t) in f.results.iter().enumerate() {
                    self.stack.push(Entry::slot(*t, (f.base + i) as u32));
                }
            }
            O::Br { relative_depth } => {
                let c = self.branch_code(relative_depth);
                self.emit(&c);
                self.reachable = false;
            }
            O::BrIf { relative_depth } => {
                let cond = self.pop();
                let c = self.branch_code(relative_depth);
                self.emit(&format!("if ({}) {{ {c} }}", cond.cond()));
            }
            O::BrTable { targets } => {
                let idx = self.pop();
                let default = targets.default();
                let tgts: Vec<u32> = targets
                    .targets()
                    .collect::<Result<_, _>>()
                    .map_err(|e| Error::Invalid(e.to_string()))?;
                // Values carried by the branch are made slots once, so each case is a cheap move.
                let arity = {
                    let f = &self.frames[self.frames.len() - 1 - default as usize];
                    if f.kind == FrameKind::Loop {
                        f.params.len()
                    } else {
                        f.results.len()
                    }
                };
                let len = self.stack.len();
                for j in len - arity..len {
                    self.materialize(j);
                }
                let mut groups: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
                for (i, t) in tgts.iter().enumerate() {
                    if *t != default {
                        groups.entry(*t).or_default().push(i);
                    }
                }
                let dcode = self.branch_code(default);
                if groups.is_empty() {
                    self.emit(&dcode);
                } else {
                    let mut s = format!("switch ({}) {{\n", idx.v());
                    for (t, cases) in groups {
                        let code = self.branch_code(t);
                        s.push_str("        ");
                        for c in cases {
                            write!(s, "case {c}: ").unwrap();
                        }
                        writeln!(s, "{code}").unwrap();
                    }
                    write!(s, "        default: {dcode}\n        }}").unwrap();
                    self.emit(&s);
                }
                self.reachable = false;
            }
            O::Return => {
                let c = self.return_code();
                self.emit(&c);
                self.reachable = false;
            }
            O::Call { function_index } => {
                let sig = self.m.func_sig(function_index)?.clone();
                let n = sig.params.len();
                let args: Vec<Entry> = self.stack.split_off(self.stack.len() - n);
                self.flush_glob();
                let mut a: Vec<String> = args.iter().map(|e| e.v()).collect();
                a.push("$dep + 1".into());
                self.call_results(
                    &sig.results,
                    format!("$this->w2p_f{function_index}({})", a.join(", ")),
                );
            }
            O::CallIndirect {
                type_index,
                table_index,
            } => {
                let sig = self.m.sig_of_type(type_index, Some(self.fidx))?.clone();
                let idx = self.pop();
                let n = sig.params.len();
                let args: Vec<Entry> = self.stack.split_off(self.stack.len() - n);
                self.flush_glob();
                let mut a: Vec<String> = vec![idx.v()];
                a.extend(args.iter().map(|e| e.v()));
                a.push("$dep".into());
                let name = dispatcher_name(table_index, &sig);
                if !self
                    .dispatchers
                    .iter()
                    .any(|(t, s)| *t == table_index && *s == sig)
                {
                    self.dispatchers.push((table_index, sig.clone()));
                }
                self.call_results(&sig.results, format!("$this->{name}({})", a.join(", ")));
            }
            O::Drop => {
                self.pop();
            }
            O::Select | O::TypedSelect { .. } => {
                let c = self.pop();
                let b = self.pop();
                let a = self.pop();
                let e = format!("({} ? {} : {})", c.cond(), a.v(), b.v());
                self.push(Entry::expr(a.ty, e, false, &[&a, &b, &c]));
            }
            O::LocalGet { local_index } => {
                let t = self.locals[local_index as usize];
                self.push(Entry::local(t, local_index));
            }
            O::LocalSet { local_index } | O::LocalTee { local_index } => {
                let v = self.pop();
                let before = self.out.len();
                self.flush_local(local_index);
                let prefix = format!("        $s{} = ", self.stack.len());
                let last_start = self.out[..self.out.len().saturating_sub(1)]
                    .rfind('\n')
                    .map_or(0, |i| i + 1);
                if v.kind == Kind::Slot(self.stack.len() as u32)
                    && self.out.len() == before
                    && self.out[last_start..].starts_with(&prefix)
                {
                    // `$sN = <effectful rhs>; $lK = $sN;` -> `$lK = <rhs>;` ($sN is dead now).
                    let target = format!("$l{local_index}");
                    self.checked.retain(|(base, _, _)| *base != target);
                    self.last_load = None;
                    self.out.replace_range(
                        last_start..last_start + prefix.len(),
                        &format!("        $l{local_index} = "),
                    );
                } else if v.kind != Kind::Local(local_index) {
                    self.emit(&format!("$l{local_index} = {};", v.v()));
                }
                if matches!(op, O::LocalTee { .. }) {
                    self.push(Entry::local(v.ty, local_index));
                }
            }
            O::GlobalGet { global_index } => {
                let g = &self.m.globals[global_index as usize];
                if let Err(e) = &g.ok {
                    return Err(self.m.unsupported(e.clone(), Some(self.fidx)));
                }
                if g.mutable {
                    let mut e = Entry::expr(g.ty, format!("$this->g{global_index}"), false, &[]);
                    e.glob = true;
                    self.push(e);
                } else {
                    self.push(Entry::konst(g.ty, g.init));
                }
            }
            O::GlobalSet { global_index } => {
                if let Err(e) = &self.m.globals[global_index as usize].ok {
                    return Err(self.m.unsupported(e.clone(), Some(self.fidx)));
                }
                let v = self.pop();
                self.flush_glob();
                self.emit(&format!("$this->g{global_index} = {};", v.v()));
            }

            // ---- memory ----
            O::I32Load { memarg } => self.load(&memarg, i32, 4, false)?,
            O::I64Load { memarg } => self.load(&memarg, i64, 8, false)?,
            O::I32Load8S { memarg } => self.load(&memarg, i32, 1, true)?,
            O::I32Load8U { memarg } => self.load(&memarg, i32, 1, false)?,
            O::I32Load16S { memarg } => self.load(&memarg, i32, 2, true)?,
            O::I32Load16U { memarg } => self.load(&memarg, i32, 2, false)?,
            O::I64Load8S { memarg } => self.load(&memarg, i64, 1, true)?,
            O::I64Load8U { memarg } => self.load(&memarg, i64, 1, false)?,
            O::I64Load16S { memarg } => self.load(&memarg, i64, 2, true)?,
            O::I64Load16U { memarg } => self.load(&memarg, i64, 2, false)?,
            O::I64Load32S { memarg } => self.load(&memarg, i64, 4, true)?,
            O::I64Load32U { memarg } => self.load(&memarg, i64, 4, false)?,
            O::I32Store { memarg } | O::I64Store32 { memarg } | O::F32Store { memarg } => {
                self.store(&memarg, 4)?
            }
            O::I64Store { memarg } | O::F64Store { memarg } => self.store(&memarg, 8)?,
            O::F32Load { memarg } => self.load(&memarg, Ty::F32, 4, false)?,
            O::F64Load { memarg } => self.load(&memarg, Ty::F64, 8, false)?,
            O::I32Store8 { memarg } | O::I64Store8 { memarg } => self.store(&memarg, 1)?,
            O::I32Store16 { memarg } | O::I64Store16 { memarg } => self.store(&memarg, 2)?,
            O::MemorySize { mem } => {
                self.check_mem(mem)?;
                let mut e = Entry::expr(i32, "(\\strlen($m) >> 16)".into(), false, &[]);
                e.glob = true;
                self.push(e);
            }
            O::MemoryGrow { mem } => {
                self.check_mem(mem)?;
                let n = self.pop();
                self.flush_glob();
                self.assign_new(i32, format!("$this->w2p_grow({})", n.v()));
            }
            O::MemoryCopy { dst_mem, src_mem } => {
                self.check_mem(dst_mem)?;
                self.check_mem(src_mem)?;
                let n = self.pop();
                let s = self.pop();
                let d = self.pop();
                self.emit(&format!(
                    "self::w2p_copy($m, {}, {}, {});",
                    d.v(),
                    s.v(),
                    n.v()
                ));
            }
            O::MemoryFill { mem } => {
                self.check_mem(mem)?;
                let n = self.pop();
                let v = self.pop();
                let d = self.pop();
                self.emit(&format!(
                    "self::w2p_fill($m, {}, {}, {});",
                    d.v(),
                    v.v(),
                    n.v()
                ));
            }
            O::MemoryInit { data_index, mem } => {
                self.check_mem(mem)?;
                let n = self.pop();
                let s = self.pop();
                let d = self.pop();
                self.emit(&format!(
                    "$this->w2p_init($m, {data_index}, {}, {}, {});",
                    d.v(),
                    s.v(),
                    n.v()
                ));
            }
            O::DataDrop { data_index } => {
                self.emit(&format!("$this->w2p_data[{data_index}] = '';"));
            }

            // ---- constants ----
            O::I32Const { value } => self.push(Entry::konst(i32, value as i64)),
            O::I64Const { value } => self.push(Entry::konst(i64, value)),

            // ---- i32 ----
            O::I32Eqz => {
                let a = self.pop();
                if a.fcmp && a.is_bool {
                    // See `Entry::fcmp`: an int, not `!`.
                    let e = format!("({} ? 0 : 1)", a.e);
                    self.push(Entry::expr(i32, e, false, &[&a]));
                    return Ok(());
                }
                let e = if a.is_bool {
                    format!("(!{})", a.e)
                } else {
                    format!("({} === 0)", a.e)
                };
                self.push(Entry::expr(i32, e, true, &[&a]));
            }
            O::I32Eq | O::I64Eq => self.bin(i32, true, |a, b| format!("({} === {})", a.v(), b.v())),
            O::I32Ne | O::I64Ne => self.bin(i32, true, |a, b| format!("({} !== {})", a.v(), b.v())),
            O::I32LtU | O::I64LtS => self.bin(i32, true, |a, b| format!("({} < {})", a.v(), b.v())),
            O::I32GtU | O::I64GtS => self.bin(i32, true, |a, b| format!("({} > {})", a.v(), b.v())),
            O::I32LeU | O::I64LeS => {
                self.bin(i32, true, |a, b| format!("({} <= {})", a.v(), b.v()))
            }
            O::I32GeU | O::I64GeS => {
                self.bin(i32, true, |a, b| format!("({} >= {})", a.v(), b.v()))
            }
            O::I32LtS | O::I32GtS | O::I32LeS | O::I32GeS => {
                let cmp = match op {
                    O::I32LtS => "<",
                    O::I32GtS => ">",
                    O::I32LeS => "<=",
                    _ => ">=",
                };
                // Flipping the sign bit maps signed order onto unsigned order.
                self.bin(i32, true, |a, b| {
                    format!("({} {cmp} {})", flip32(a), flip32(b))
                })
            }
            O::I64LtU | O::I64GtU | O::I64LeU | O::I64GeU => {
                let cmp = match op {
                    O::I64LtU => "<",
                    O::I64GtU => ">",
                    O::I64LeU => "<=",
                    _ => ">=",
                };
                self.bin(i32, true, |a, b| {
                    format!("({} {cmp} {})", flip64(a), flip64(b))
                })
            }
            O::I32Add => self.bin(i32, false, |a, b| {
                format!("(({} + {}) & {M32})", a.v(), b.v())
            }),
            O::I32Sub => self.bin(i32, false, |a, b| {
                format!("(({} - {}) & {M32})", a.v(), b.v())
            }),
            O::I32Mul => {
                let len = self.stack.len();
                let (ka, kb) = (
                    self.stack[len - 2].konst_val(),
                    self.stack[len - 1].konst_val(),
                );
                if let Some(k) = kb.or(ka) {
                    // One factor below 2^31 in magnitude keeps the product inside 63 bits.
                    let k = if k >= 1 << 31 { k - (1 << 32) } else { k };
                    let kk = php_int(i64, k);
                    let other_is_b = kb.is_none();
                    self.bin(i32, false, |a, b| {
                        let x = if other_is_b { b.v() } else { a.v() };
                        format!("(({x} * {kk}) & {M32})")
                    });
                } else {
                    // 32x32 bits would overflow PHP's int: split the second factor into 16-bit halves.
                    self.bin_simple(i32, false, |a, b| {
                        let (a, b) = (a.v(), b.v());
                        format!("((((({a} * ({b} >> 16)) & 0xFFFF) << 16) + {a} * ({b} & 0xFFFF)) & {M32})")
                    });
                }
            }
            O::I32DivS | O::I32RemS => {
                self.simple_top(2);
                let b = self.pop();
                let a = self.pop();
                let div = matches!(op, O::I32DivS);
                if b.konst_val() == Some(0) {
                    // Always traps; push a dummy so no `x % 0` reaches PHP's constant folder.
                    let t = self.trap_stmt("integer divide by zero");
                    self.emit(&t);
                    self.push(Entry::konst(a.ty, 0));
                    return Ok(());
                }
                if b.konst_val().is_none() {
                    self.emit_trap_if(&format!("{} === 0", b.e), "integer divide by zero");
                }
                if div && b.konst_val().is_none_or(|k| k == 0xFFFF_FFFF) {
                    self.emit_trap_if(
                        &format!("{} === 2147483648 && {} === 4294967295", a.e, b.e),
                        "integer overflow",
                    );
                }
                let (sa, sb) = (sext32(&a), sext32(&b));
                let e = if div {
                    format!("(\\intdiv({sa}, {sb}) & {M32})")
                } else {
                    format!("(({sa} % {sb}) & {M32})")
                };
                self.push(Entry::expr(i32, e, false, &[&a, &b]));
            }
            O::I32DivU | O::I32RemU | O::I64DivS | O::I64RemS => {
                self.simple_top(2);
                let b = self.pop();
                let a = self.pop();
                if b.konst_val() == Some(0) {
                    // Always traps; push a dummy so no `x % 0` reaches PHP's constant folder.
                    let t = self.trap_stmt("integer divide by zero");
                    self.emit(&t);
                    self.push(Entry::konst(a.ty, 0));
                    return Ok(());
                }
                if b.konst_val().is_none() {
                    self.emit_trap_if(&format!("{} === 0", b.e), "integer divide by zero");
                }
                if matches!(op, O::I64DivS) && b.konst_val().is_none_or(|k| k == -1) {
                    self.emit_trap_if(
                        &format!("{} === -1 && {} === {I64_MIN}", b.e, a.e),
                        "integer overflow",
                    );
                }
                let ty = if matches!(op, O::I32DivU | O::I32RemU) {
                    i32
                } else {
                    i64
                };
                let e = match op {
                    O::I32DivU | O::I64DivS => format!("\\intdiv({}, {})", a.e, b.e),
                    // PHP's % already yields 0 for PHP_INT_MIN % -1, as wasm wants.
                    _ => format!("({} % {})", a.e, b.e),
                };
                self.push(Entry::expr(ty, e, false, &[&a, &b]));
            }
            O::I32And | O::I64And => {
                let ty = self.stack[self.stack.len() - 1].ty;
                self.bin(ty, false, |a, b| format!("({} & {})", a.v(), b.v()))
            }
            O::I32Or | O::I64Or => {
                let ty = self.stack[self.stack.len() - 1].ty;
                self.bin(ty, false, |a, b| format!("({} | {})", a.v(), b.v()))
            }
            O::I32Xor | O::I64Xor => {
                let ty = self.stack[self.stack.len() - 1].ty;
                self.bin(ty, false, |a, b| format!("({} ^ {})", a.v(), b.v()))
            }
            O::I32Shl => self.bin(i32, false, |a, b| {
                format!("(({} << {}) & {M32})", a.v(), shamt(b, 31))
            }),
            O::I32ShrU => self.bin(i32, false, |a, b| {
                format!("({} >> {})", a.v(), shamt(b, 31))
            }),
            O::I32ShrS => self.bin(i32, false, |a, b| {
                format!("((({} << 32 >> 32) >> {}) & {M32})", a.v(), shamt(b, 31))
            }),
            O::I32Rotl | O::I32Rotr => {
                let rotl = matches!(op, O::I32Rotl);
                let len = self.stack.len();
                match self.stack[len - 1].konst_val() {
                    Some(k) if k & 31 == 0 => {
                        self.pop();
                    }
                    Some(k) => {
                        let k = if rotl { k & 31 } else { 32 - (k & 31) };
                        self.simple_top(2);
                        self.bin(i32, false, |a, _| {
                            let a = a.v();
                            format!("((({a} << {k}) | ({a} >> {})) & {M32})", 32 - k)
                        });
                    }
                    None => {
                        let h = if rotl { "w2p_rotl32" } else { "w2p_rotr32" };
                        self.bin(i32, false, |a, b| {
                            format!("self::{h}({}, {})", a.v(), b.v())
                        })
                    }
                }
            }
            O::I32Clz => self.un(i32, |a| format!("self::w2p_clz32({})", a.v())),
            O::I32Ctz => self.un(i32, |a| format!("self::w2p_ctz32({})", a.v())),
            O::I32Popcnt => self.un(i32, |a| format!("self::w2p_popcnt32({})", a.v())),
            O::I32WrapI64 => self.un(i32, |a| format!("({} & {M32})", a.v())),
            O::I32Extend8S => self.un(i32, |a| format!("(({} << 56 >> 56) & {M32})", a.v())),
            O::I32Extend16S => self.un(i32, |a| format!("(({} << 48 >> 48) & {M32})", a.v())),

            // ---- i64 ----
            O::I64Eqz => {
                let a = self.pop();
                let e = format!("({} === 0)", a.v());
                self.push(Entry::expr(i32, e, true, &[&a]));
            }
            O::I64Add => self.i64_arith("+", "w2p_add64"),
            O::I64Sub => self.i64_arith("-", "w2p_sub64"),
            O::I64Mul => self.i64_arith("*", "w2p_mul64"),
            O::I64DivU | O::I64RemU => {
                let b = self.pop();
                let a = self.pop();
                let h = if matches!(op, O::I64DivU) {
                    "w2p_divu64"
                } else {
                    "w2p_remu64"
                };
                self.assign_new(i64, format!("self::{h}({}, {})", a.v(), b.v()));
            }
            O::I64Shl => self.bin(i64, false, |a, b| {
                format!("({} << {})", a.v(), shamt(b, 63))
            }),
            O::I64ShrS => self.bin(i64, false, |a, b| {
                format!("({} >> {})", a.v(), shamt(b, 63))
            }),
            O::I64ShrU => {
                let len = self.stack.len();
                match self.stack[len - 1].konst_val() {
                    Some(k) if k & 63 == 0 => {
                        self.pop();
                    }
                    Some(k) => {
                        let k = k & 63;
                        // Arithmetic shift, then clear the copied sign bits.
                        let mask = i64::MAX >> (k - 1);
                        self.bin(i64, false, |a, _| format!("(({} >> {k}) & {mask})", a.v()));
                    }
                    None => self.bin(i64, false, |a, b| {
                        format!("self::w2p_shru64({}, {})", a.v(), b.v())
                    }),
                }
            }
            O::I64Rotl => self.bin(i64, false, |a, b| {
                format!("self::w2p_rotl64({}, {})", a.v(), b.v())
            }),
            O::I64Rotr => self.bin(i64, false, |a, b| {
                format!("self::w2p_rotr64({}, {})", a.v(), b.v())
            }),
            O::I64Clz => self.un(i64, |a| format!("self::w2p_clz64({})", a.v())),
            O::I64Ctz => self.un(i64, |a| format!("self::w2p_ctz64({})", a.v())),
            O::I64Popcnt => self.un(i64, |a| format!("self::w2p_popcnt64({})", a.v())),
            O::I64ExtendI32S => self.un(i64, |a| format!("({} << 32 >> 32)", a.v())),
            O::I64ExtendI32U => {
                // Canonical i32 values are already the zero-extended integer.
                let mut a = self.pop();
                if a.is_bool {
                    a.e = a.v();
                    a.is_bool = false;
                    a.kind = Kind::Expr;
                }
                a.ty = i64;
                self.push(a);
            }
            O::I64Extend8S => self.un(i64, |a| format!("({} << 56 >> 56)", a.v())),
            O::I64Extend16S => self.un(i64, |a| format!("({} << 48 >> 48)", a.v())),
            O::I64Extend32S => self.un(i64, |a| format!("({} << 32 >> 32)", a.v())),

            other => return Err(self.unsupported(&other)),
        }
        Ok(())
    }

    fn check_mem(&mut self, mem: u32) -> Result<(), Error> {
        if mem != 0 {
            return Err(self.m.unsupported(
                "memory instruction on a memory other than 0",
                Some(self.fidx),
            ));
        }
        self.uses_mem = true;
        Ok(())
    }
}

fn flip32(e: &Entry) -> String {
    match e.konst_val() {
        Some(c) => (c ^ 0x8000_0000).to_string(),
        None => format!("({} ^ 0x80000000)", e.v()),
    }
}

fn flip64(e: &Entry) -> String {
    match e.konst_val() {
        Some(c) => php_int(Ty::I64, c ^ i64::MIN),
        None => format!("({} ^ {I64_MIN})", e.v()),
    }
}

fn sext32(e: &Entry) -> String {
    match e.konst_val() {
        Some(c) => php_int(Ty::I64, c as u32 as i32 as i64),
        None => format!("({} << 32 >> 32)", e.v()),
    }
}

fn shamt(b: &Entry, mask: i64) -> String {
    match b.konst_val() {
        Some(c) => (c & mask).to_string(),
        None => format!("({} & {mask})", b.v()),
    }
}

/// Method name of the call_indirect dispatcher for a table and signature.
pub fn dispatcher_name(table: u32, sig: &Sig) -> String {
    let l = |v: &[Ty]| {
        v.iter()
            .map(|t| match t {
                Ty::I32 => 'i',
                Ty::I64 => 'l',
                Ty::F32 => 'f',
                Ty::F64 => 'd',
            })
            .collect::<String>()
    };
    format!("w2p_ci{table}_{}_{}", l(&sig.params), l(&sig.results))
}

#[cfg(test)]
mod tests {
    use super::assigned_vars;

    #[test]
    fn assigned_variables_are_read_off_the_statements_we_emit() {
        assert_eq!(assigned_vars("$s1 = ($l2 + 4);"), ["$s1"]);
        assert_eq!(
            assigned_vars("[$s1, $s2] = $this->w2p_f3($l0, $dep + 1);"),
            ["$s1", "$s2"]
        );
        assert_eq!(
            assigned_vars("if (($l3 === 0)) { $s1 = $l4; goto L2; }"),
            ["$s1"]
        );
        assert_eq!(
            assigned_vars("$m[$l1 + 8] = \\chr($s1); $m[$l1 + 9] = \\chr($s1 >> 8);"),
            Vec::<&str>::new()
        );
        assert_eq!(
            assigned_vars("$this->g0 = (($l3 + 16) & 0xFFFFFFFF);"),
            Vec::<&str>::new()
        );
        assert_eq!(
            assigned_vars("if ($l12 !== $l1 && $l1 <= 3) self::w2p_oob();"),
            Vec::<&str>::new()
        );
        assert_eq!(assigned_vars("$l12 = $l1;"), ["$l12"]);
    }
}
