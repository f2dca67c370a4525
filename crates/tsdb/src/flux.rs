//! Flux: the query language of InfluxDB 2, in the subset dashboards and clients use.
//!
//! Layers, each using only those below it (see ARCHITECTURE.md):
//! 1. `ast`, `lexer`, `parser`, `limits`: source into a syntax tree, and the query's bounds.
//! 2. `value` (with its `table` and `scope`, which hold values and are held by them),
//!    `source` (the store, as a trait), `ops`, `args`, `reduce`, `read`: plain functions.
//! 3. `runtime`: what builtins need from the evaluator, as a trait; `scan` runs reads on it.
//! 4. `aggregate`, `transform`, `schema`, `profiler`; then `builtins`, the one table of
//!    functions a query can call.
//! 5. `eval`, the evaluator, on top; `execute` here runs a query.
//!
//! Storage is reached only through `source::SeriesSource`, so this module knows nothing of
//! SQLite or HTTP; the data both share is `crate::series`.

mod aggregate;
mod args;
pub mod ast;
mod builtins;
mod eval;
mod lexer;
mod limits;
mod ops;
mod parser;
pub use parser::parse;
mod profiler;
mod read;
mod reduce;
mod runtime;
mod scan;
mod schema;
pub mod source;
mod transform;
pub mod value;

pub use limits::Limits;
pub use source::{BucketInfo, BucketRef, SeriesSource};
pub use value::table::{Column, Table};
pub use value::Value;

/// Why a query failed; maps to InfluxDB's error codes.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum FluxError {
    /// A bad query: syntax, types, arguments, unsupported functions (400 `invalid`).
    #[error("{0}")]
    Invalid(String),
    /// A bucket that does not exist (404 `not found`).
    #[error("{0}")]
    NotFound(String),
    /// The token may not read the bucket (403 `forbidden`).
    #[error("{0}")]
    Forbidden(String),
    /// The store failed (500 `internal error`).
    #[error("{0}")]
    Internal(String),
}

/// Where a query's tables go as it yields them: the name of their result, and the table.
pub type Sink<'s> = dyn FnMut(&str, Table) -> Result<(), FluxError> + Send + 's;

/// Stack of the thread a query runs on, per level of nesting it may reach: parsing and
/// evaluation recurse, and a debug build's frames are large.
const STACK_PER_DEPTH: usize = 64 * 1024;

/// Parses and runs `query` with `now` (ns) as its clock, within `limits`, handing `sink` each
/// table as it is yielded; the error is why the query stopped (after what it already yielded).
pub fn execute(
    query: &str,
    source: &dyn SeriesSource,
    now: i64,
    limits: Limits,
    sink: &mut Sink,
) -> Result<(), FluxError> {
    std::thread::scope(|scope| {
        let stack = (limits.max_depth * STACK_PER_DEPTH).max(8 << 20);
        std::thread::Builder::new()
            .name("flux".into())
            .stack_size(stack)
            .spawn_scoped(scope, || run(query, source, now, limits, sink))
            .map_err(|e| FluxError::Internal(format!("cannot start the query: {e}")))?
            .join()
            .map_err(|_| FluxError::Internal("the query failed".into()))?
    })
}

fn run(
    query: &str,
    source: &dyn SeriesSource,
    now: i64,
    limits: Limits,
    sink: &mut Sink,
) -> Result<(), FluxError> {
    let started = std::time::Instant::now();
    let program = parser::parse(query, limits.max_depth)?;
    let compile = started.elapsed();
    let mut interpreter = eval::Interpreter::new(source, now, limits, sink);
    interpreter.run(&program)?;
    let timings = profiler::QueryTimings {
        compile,
        execute: started.elapsed() - compile,
        scanned_values: interpreter.budget.rows(),
    };
    interpreter.yield_profile(&timings)
}
