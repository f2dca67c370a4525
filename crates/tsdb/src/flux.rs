//! Flux: the query language of InfluxDB 2, in the subset dashboards and clients use.
//!
//! `parser` turns source into `ast`; `eval` runs it, calling `builtins` (which dispatch to
//! `aggregate`, `transform`, `schema`); storage is reached through the `read::SeriesSource`
//! trait, so this module knows nothing of SQLite or HTTP.

mod aggregate;
pub mod ast;
mod builtins;
mod eval;
mod lexer;
mod limits;
mod ops;
mod parser;
pub use parser::parse;
mod profiler;
pub mod read;
mod schema;
mod scope;
pub mod table;
mod transform;
pub mod value;

pub use limits::Limits;
pub use read::{BucketInfo, BucketRef, Pick, SeriesMeta, SeriesSource};
pub use table::{Column, Table};
pub use value::{ColType, Value};

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

/// The tables one `yield` produced.
#[derive(Debug, Clone)]
pub struct QueryResult {
    pub name: String,
    pub tables: Vec<Table>,
}

/// What a query produced: the results yielded before it stopped, and why it stopped early.
#[derive(Debug)]
pub struct Outcome {
    pub results: Vec<QueryResult>,
    pub error: Option<FluxError>,
}

/// Stack of the thread a query runs on, per level of nesting it may reach: parsing and
/// evaluation recurse, and a debug build's frames are large.
const STACK_PER_DEPTH: usize = 64 * 1024;

/// Parses and runs `query` with `now` (ns) as its clock, within `limits`.
pub fn execute(query: &str, source: &dyn SeriesSource, now: i64, limits: Limits) -> Outcome {
    let failed = |e: String| Outcome {
        results: Vec::new(),
        error: Some(FluxError::Internal(e)),
    };
    std::thread::scope(|scope| {
        let stack = (limits.max_depth * STACK_PER_DEPTH).max(8 << 20);
        match std::thread::Builder::new()
            .name("flux".into())
            .stack_size(stack)
            .spawn_scoped(scope, || run(query, source, now, limits))
        {
            Ok(thread) => thread
                .join()
                .unwrap_or_else(|_| failed("the query failed".into())),
            Err(e) => failed(format!("cannot start the query: {e}")),
        }
    })
}

fn run(query: &str, source: &dyn SeriesSource, now: i64, limits: Limits) -> Outcome {
    let started = std::time::Instant::now();
    let program = match parser::parse(query, limits.max_depth) {
        Ok(p) => p,
        Err(e) => {
            return Outcome {
                results: Vec::new(),
                error: Some(e),
            }
        }
    };
    let compile = started.elapsed();
    let mut interpreter = eval::Interpreter::new(source, now, limits);
    let error = interpreter.run(&program).err();
    let timings = profiler::QueryTimings {
        compile,
        execute: started.elapsed() - compile,
        scanned_values: interpreter.budget.rows(),
    };
    let mut results = interpreter.results;
    if error.is_none() {
        results.extend(interpreter.profiler.result(&timings));
    }
    Outcome { results, error }
}
