//! Reading a core module into the small model the code generator needs.
//!
//! Everything that can be decided at translation time is decided here: constant
//! expressions are evaluated, tables are filled from their active element
//! segments (they can never change afterwards, because every table-mutating
//! instruction is refused), and anything outside the supported subset is
//! refused with an [`Error::Unsupported`] that names what and where.

use crate::Error;
use std::collections::HashMap;
use wasmparser::{
    BlockType, CompositeInnerType, ConstExpr, DataKind, ElementItems, ElementKind, ExternalKind,
    FunctionBody, Name, Operator, Parser, Payload, RefType, TypeRef, ValType, Validator,
    WasmFeatures,
};

/// The value types of the supported subset. How each is held in PHP (see the crate docs): i32 as an int in
/// `[0, 2^32)`, i64 as a native int, f32 as its IEEE bit pattern in an int in `[0, 2^32)`, f64 as a PHP float.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    I32,
    I64,
    F32,
    F64,
}

impl Ty {
    pub fn is_float(self) -> bool {
        matches!(self, Ty::F32 | Ty::F64)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Sig {
    pub params: Vec<Ty>,
    pub results: Vec<Ty>,
}

/// A function type as declared; `None` when it mentions a type we refuse (it is
/// only an error if something actually uses it).
pub type MaybeSig = Result<Sig, String>;

pub struct Global {
    /// `Err` (stub mode only): the global's type is refused; functions using it are stubbed.
    pub ok: Result<(), String>,
    pub ty: Ty,
    pub mutable: bool,
    pub init: i64,
}

pub struct Table {
    /// Slot -> function index; `None` is a null entry.
    pub elems: Vec<Option<u32>>,
}

pub struct Memory {
    pub initial: u32,
    pub maximum: Option<u32>,
}

pub struct DataSeg<'a> {
    /// `Some(offset)` for an active segment.
    pub offset: Option<u64>,
    pub bytes: &'a [u8],
}

pub struct Export {
    pub name: String,
    pub kind: ExportKind,
}

pub enum ExportKind {
    Func(u32),
    Global(u32),
    Other,
}

pub struct Module<'a> {
    pub types: Vec<MaybeSig>,
    /// Type index of every function (no imports, so function index == body index).
    pub funcs: Vec<u32>,
    pub bodies: Vec<FunctionBody<'a>>,
    pub tables: Vec<Table>,
    pub memory: Option<Memory>,
    pub globals: Vec<Global>,
    pub exports: Vec<Export>,
    pub start: Option<u32>,
    pub data: Vec<DataSeg<'a>>,
    /// Set when an active element segment does not fit its table: instantiation
    /// must trap before anything else happens.
    pub elem_trap: bool,
    pub func_names: HashMap<u32, String>,
}

impl Module<'_> {
    pub fn sig_of_type(&self, ty: u32, func: Option<u32>) -> Result<&Sig, Error> {
        match &self.types[ty as usize] {
            Ok(s) => Ok(s),
            Err(what) => Err(self.unsupported(what.clone(), func)),
        }
    }

    pub fn func_sig(&self, f: u32) -> Result<&Sig, Error> {
        self.sig_of_type(self.funcs[f as usize], Some(f))
    }

    pub fn unsupported(&self, what: impl Into<String>, func: Option<u32>) -> Error {
        Error::Unsupported {
            what: what.into(),
            func: func.map(|f| (f, self.func_names.get(&f).cloned())),
        }
    }
}

pub fn val_ty(v: ValType) -> Result<Ty, String> {
    match v {
        ValType::I32 => Ok(Ty::I32),
        ValType::I64 => Ok(Ty::I64),
        ValType::F32 => Ok(Ty::F32),
        ValType::F64 => Ok(Ty::F64),
        ValType::V128 => Err("type v128 (SIMD)".into()),
        ValType::Ref(r) => Err(format!("reference type {r:?} as a value")),
    }
}

/// Spec-ish text name of an operator for error messages: `F32Add` -> `f32.add`.
pub fn op_name(op: &Operator<'_>) -> String {
    let dbg = format!("{op:?}");
    let head: String = dbg
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let mut words: Vec<String> = Vec::new();
    let chars: Vec<char> = head.chars().collect();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        // A word starts at an upper-case letter that follows a lower-case one or a digit,
        // except digit runs stay glued to their prefix (`I32`, `F64`, `V128`).
        if c.is_ascii_uppercase() && i > 0 && !cur.is_empty() {
            let prev = chars[i - 1];
            let prev_is_type_prefix = cur.len() == 1 && matches!(cur.as_str(), "I" | "F" | "V");
            if !prev_is_type_prefix && (prev.is_ascii_lowercase() || prev.is_ascii_digit()) {
                words.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    let words: Vec<String> = words.into_iter().map(|w| w.to_ascii_lowercase()).collect();
    if words.len() <= 1 {
        return words.join("");
    }
    let glue_all = matches!(
        words[0].as_str(),
        "call" | "return" | "br" | "try" | "throw" | "rethrow" | "select" | "any" | "extern"
    );
    if glue_all {
        words.join("_")
    } else {
        format!("{}.{}", words[0], words[1..].join("_"))
    }
}

fn features() -> WasmFeatures {
    // Parse everything wasmparser knows so that refusals come from us, with a
    // precise message, rather than as a generic validation error.
    WasmFeatures::all()
}

pub fn parse(bytes: &[u8], stub: bool) -> Result<Module<'_>, Error> {
    Validator::new_with_features(features())
        .validate_all(bytes)
        .map_err(|e| Error::Invalid(e.to_string()))?;

    let mut m = Module {
        types: Vec::new(),
        funcs: Vec::new(),
        bodies: Vec::new(),
        tables: Vec::new(),
        memory: None,
        globals: Vec::new(),
        exports: Vec::new(),
        start: None,
        data: Vec::new(),
        elem_trap: false,
        func_names: HashMap::new(),
    };
    let inv = |e: wasmparser::BinaryReaderError| Error::Invalid(e.to_string());
    let mut table_types: Vec<(u64, RefType)> = Vec::new();
    let mut elements = Vec::new();

    for payload in Parser::new(0).parse_all(bytes) {
        match payload.map_err(inv)? {
            Payload::TypeSection(r) => {
                for rg in r {
                    let rg = rg.map_err(inv)?;
                    for st in rg.into_types() {
                        let sig = match &st.composite_type.inner {
                            CompositeInnerType::Func(ft) => {
                                let conv = |v: &[ValType]| -> Result<Vec<Ty>, String> {
                                    v.iter().map(|t| val_ty(*t)).collect()
                                };
                                match (conv(ft.params()), conv(ft.results())) {
                                    (Ok(params), Ok(results)) => Ok(Sig { params, results }),
                                    (Err(e), _) | (_, Err(e)) => {
                                        Err(format!("function type using {e}"))
                                    }
                                }
                            }
                            _ => Err("GC composite type".to_string()),
                        };
                        m.types.push(sig);
                    }
                }
            }
            Payload::ImportSection(r) => {
                if let Some(imp) = r.into_imports().next() {
                    let imp = imp.map_err(inv)?;
                    let kind = match imp.ty {
                        TypeRef::Func(_) | TypeRef::FuncExact(_) => "function",
                        TypeRef::Table(_) => "table",
                        TypeRef::Memory(_) => "memory",
                        TypeRef::Global(_) => "global",
                        TypeRef::Tag(_) => "tag",
                    };
                    return Err(m.unsupported(
                        format!(
                            "import of {kind} \"{}\".\"{}\" (modules must be self-contained)",
                            imp.module, imp.name
                        ),
                        None,
                    ));
                }
            }
            Payload::FunctionSection(r) => {
                for t in r {
                    m.funcs.push(t.map_err(inv)?);
                }
            }
            Payload::TableSection(r) => {
                for t in r {
                    let t = t.map_err(inv)?;
                    if t.ty.table64 || t.ty.shared {
                        return Err(m.unsupported("64-bit or shared table", None));
                    }
                    if !t.ty.element_type.is_func_ref() {
                        return Err(m.unsupported(
                            format!(
                                "table of {:?} (only funcref tables are supported)",
                                t.ty.element_type
                            ),
                            None,
                        ));
                    }
                    if let wasmparser::TableInit::Expr(_) = t.init {
                        return Err(m.unsupported("table with an initializer expression", None));
                    }
                    table_types.push((t.ty.initial, t.ty.element_type));
                }
            }
            Payload::MemorySection(r) => {
                for mem in r {
                    let mem = mem.map_err(inv)?;
                    if m.memory.is_some() {
                        return Err(m.unsupported("more than one memory (multi-memory)", None));
                    }
                    if mem.memory64 {
                        return Err(m.unsupported("64-bit memory (memory64)", None));
                    }
                    if mem.shared {
                        return Err(m.unsupported("shared memory (threads)", None));
                    }
                    if mem.page_size_log2.is_some_and(|p| p != 16) {
                        return Err(m.unsupported("custom page size", None));
                    }
                    m.memory = Some(Memory {
                        initial: mem.initial as u32,
                        maximum: mem.maximum.map(|x| x.min(65536) as u32),
                    });
                }
            }
            Payload::TagSection(_) => {
                return Err(m.unsupported("tag section (exception handling)", None))
            }
            Payload::GlobalSection(r) => {
                for g in r {
                    let g = g.map_err(inv)?;
                    if g.ty.shared {
                        return Err(m.unsupported("shared global", None));
                    }
                    match val_ty(g.ty.content_type) {
                        Ok(ty) => {
                            let init = eval_const(&m, &g.init_expr)?;
                            m.globals.push(Global {
                                ok: Ok(()),
                                ty,
                                mutable: g.ty.mutable,
                                init: norm(ty, init),
                            });
                        }
                        Err(e) if stub => m.globals.push(Global {
                            ok: Err(format!("global of {e}")),
                            ty: Ty::I32,
                            mutable: false,
                            init: 0,
                        }),
                        Err(e) => return Err(m.unsupported(format!("global of {e}"), None)),
                    }
                }
            }
            Payload::ExportSection(r) => {
                for e in r {
                    let e = e.map_err(inv)?;
                    let kind = match e.kind {
                        ExternalKind::Func | ExternalKind::FuncExact => ExportKind::Func(e.index),
                        ExternalKind::Global => ExportKind::Global(e.index),
                        _ => ExportKind::Other,
                    };
                    m.exports.push(Export {
                        name: e.name.to_string(),
                        kind,
                    });
                }
            }
            Payload::StartSection { func, .. } => m.start = Some(func),
            Payload::ElementSection(r) => {
                for e in r {
                    elements.push(e.map_err(inv)?);
                }
            }
            Payload::DataSection(r) => {
                for d in r {
                    let d = d.map_err(inv)?;
                    let offset = match d.kind {
                        DataKind::Passive => None,
                        DataKind::Active {
                            memory_index,
                            offset_expr,
                        } => {
                            if memory_index != 0 {
                                return Err(m.unsupported("data segment for a second memory", None));
                            }
                            Some(eval_const(&m, &offset_expr)? as u32 as u64)
                        }
                    };
                    m.data.push(DataSeg {
                        offset,
                        bytes: d.data,
                    });
                }
            }
            Payload::CodeSectionEntry(body) => m.bodies.push(body),
            Payload::CustomSection(c) => {
                if let wasmparser::KnownCustom::Name(names) = c.as_known() {
                    // Names only improve error messages; a malformed name section is not fatal.
                    for n in names.into_iter().flatten() {
                        if let Name::Function(map) = n {
                            for naming in map.into_iter().flatten() {
                                m.func_names.insert(naming.index, naming.name.to_string());
                            }
                        }
                    }
                }
            }
            Payload::ModuleSection { .. }
            | Payload::InstanceSection(_)
            | Payload::CoreTypeSection(_)
            | Payload::ComponentSection { .. }
            | Payload::ComponentInstanceSection(_)
            | Payload::ComponentAliasSection(_)
            | Payload::ComponentTypeSection(_)
            | Payload::ComponentCanonicalSection(_)
            | Payload::ComponentStartSection { .. }
            | Payload::ComponentImportSection(_)
            | Payload::ComponentExportSection(_) => {
                return Err(m.unsupported("component model (expected a core module)", None))
            }
            _ => {}
        }
    }

    // Tables are immutable after instantiation (table.set/grow/init/copy are
    // refused), so their final contents are computed here and compiled into
    // the call_indirect dispatchers.
    for (initial, _) in &table_types {
        m.tables.push(Table {
            elems: vec![None; *initial as usize],
        });
    }
    for e in elements {
        let (table, offset) = match e.kind {
            ElementKind::Active {
                table_index,
                offset_expr,
            } => (
                table_index.unwrap_or(0),
                eval_const(&m, &offset_expr)? as u32 as usize,
            ),
            // Passive segments are only reachable through table.init (refused);
            // declared ones only serve ref.func validation.
            _ => continue,
        };
        let items: Vec<Option<u32>> = match e.items {
            ElementItems::Functions(r) => r
                .into_iter()
                .map(|f| f.map(Some))
                .collect::<Result<_, _>>()
                .map_err(inv)?,
            ElementItems::Expressions(_, r) => {
                let mut v = Vec::new();
                for ce in r {
                    v.push(eval_ref_const(&m, &ce.map_err(inv)?)?);
                }
                v
            }
        };
        let t = &mut m.tables[table as usize];
        if offset
            .checked_add(items.len())
            .is_none_or(|end| end > t.elems.len())
        {
            m.elem_trap = true;
            break;
        }
        t.elems[offset..offset + items.len()].copy_from_slice(&items);
    }
    Ok(m)
}

/// Canonical representation of a value of type `ty` (i32 and f32 bits as unsigned; f64 as its bits).
pub fn norm(ty: Ty, v: i64) -> i64 {
    match ty {
        Ty::I32 | Ty::F32 => v as u32 as i64,
        Ty::I64 | Ty::F64 => v,
    }
}

fn eval_const(m: &Module<'_>, e: &ConstExpr<'_>) -> Result<i64, Error> {
    let mut stack: Vec<i64> = Vec::new();
    let mut r = e.get_operators_reader();
    while !r.eof() {
        let op = r.read().map_err(|e| Error::Invalid(e.to_string()))?;
        match op {
            Operator::I32Const { value } => stack.push(value as i64),
            Operator::I64Const { value } => stack.push(value),
            Operator::F32Const { value } => stack.push(value.bits() as i64),
            Operator::F64Const { value } => stack.push(value.bits() as i64),
            Operator::GlobalGet { global_index } => {
                stack.push(m.globals[global_index as usize].init)
            }
            Operator::I32Add | Operator::I32Sub | Operator::I32Mul => {
                let b = stack.pop().unwrap_or(0) as i32;
                let a = stack.pop().unwrap_or(0) as i32;
                stack.push(match op {
                    Operator::I32Add => a.wrapping_add(b),
                    Operator::I32Sub => a.wrapping_sub(b),
                    _ => a.wrapping_mul(b),
                } as i64);
            }
            Operator::I64Add | Operator::I64Sub | Operator::I64Mul => {
                let b = stack.pop().unwrap_or(0);
                let a = stack.pop().unwrap_or(0);
                stack.push(match op {
                    Operator::I64Add => a.wrapping_add(b),
                    Operator::I64Sub => a.wrapping_sub(b),
                    _ => a.wrapping_mul(b),
                });
            }
            Operator::End => {}
            other => {
                return Err(m.unsupported(
                    format!("{} in a constant expression", op_name(&other)),
                    None,
                ))
            }
        }
    }
    Ok(stack.pop().unwrap_or(0))
}

fn eval_ref_const(m: &Module<'_>, e: &ConstExpr<'_>) -> Result<Option<u32>, Error> {
    let mut r = e.get_operators_reader();
    let mut out = None;
    while !r.eof() {
        match r.read().map_err(|e| Error::Invalid(e.to_string()))? {
            Operator::RefFunc { function_index } => out = Some(function_index),
            Operator::RefNull { .. } | Operator::End => {}
            other => {
                return Err(
                    m.unsupported(format!("{} in an element segment", op_name(&other)), None)
                )
            }
        }
    }
    Ok(out)
}

/// Parameter and result types of a block type.
pub fn block_sig(m: &Module<'_>, bt: BlockType, func: u32) -> Result<(Vec<Ty>, Vec<Ty>), Error> {
    match bt {
        BlockType::Empty => Ok((vec![], vec![])),
        BlockType::Type(t) => {
            let t = val_ty(t)
                .map_err(|e| m.unsupported(format!("block with result {e}"), Some(func)))?;
            Ok((vec![], vec![t]))
        }
        BlockType::FuncType(i) => {
            let s = m.sig_of_type(i, Some(func))?;
            Ok((s.params.clone(), s.results.clone()))
        }
    }
}
