//! Which functions an export can run: the call graph, for [`crate::Options::opcache_ssa_from`].
//!
//! A direct `call` is an edge to its callee. A `call_indirect` can reach any function its table holds, whatever
//! the type (a wrong type traps before the call, but counting it costs nothing here): the result may be larger than
//! what runs, never smaller, which is the safe side for its one use (a function left out would lose an
//! optimisation on a hot path).

use wasmparser::Operator;

use crate::module::{ExportKind, Module};
use crate::Error;

/// `reach[f]`: whether function `f` is one of `roots` or can be called from one, directly or through a table.
pub fn reachable(m: &Module<'_>, roots: &[u32]) -> Result<Vec<bool>, Error> {
    fn visit(f: u32, reach: &mut [bool], todo: &mut Vec<u32>) {
        if let Some(seen @ false) = reach.get_mut(f as usize) {
            *seen = true;
            todo.push(f);
        }
    }
    let mut reach = vec![false; m.bodies.len()];
    let mut todo: Vec<u32> = Vec::new();
    for &f in roots {
        visit(f, &mut reach, &mut todo);
    }
    while let Some(f) = todo.pop() {
        let mut ops = m.bodies[f as usize]
            .get_operators_reader()
            .map_err(|e| Error::Invalid(e.to_string()))?;
        while !ops.eof() {
            match ops.read().map_err(|e| Error::Invalid(e.to_string()))? {
                Operator::Call { function_index } => visit(function_index, &mut reach, &mut todo),
                Operator::CallIndirect { table_index, .. } => {
                    let table = m.tables.get(table_index as usize);
                    for &g in table.into_iter().flat_map(|t| t.elems.iter().flatten()) {
                        visit(g, &mut reach, &mut todo);
                    }
                }
                _ => {}
            }
        }
    }
    Ok(reach)
}

/// The function index of each named export, or an error naming the first that is not an exported function.
pub fn export_functions(m: &Module<'_>, names: &[String]) -> Result<Vec<u32>, Error> {
    names
        .iter()
        .map(|name| {
            m.exports
                .iter()
                .find_map(|e| match e.kind {
                    ExportKind::Func(f) if e.name == *name => Some(f),
                    _ => None,
                })
                .ok_or_else(|| Error::Options(format!("{name:?} is not an exported function")))
        })
        .collect()
}
