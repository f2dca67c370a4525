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
mod ops;
mod parser;
pub use parser::parse;
pub mod read;
mod schema;
mod scope;
pub mod table;
mod transform;
pub mod value;

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

/// Parses and runs `query` with `now` (ns) as its clock.
pub fn execute(query: &str, source: &dyn SeriesSource, now: i64) -> Outcome {
    let program = match parser::parse(query) {
        Ok(p) => p,
        Err(e) => {
            return Outcome {
                results: Vec::new(),
                error: Some(e),
            }
        }
    };
    let mut interpreter = eval::Interpreter::new(source, now);
    let error = interpreter.run(&program).err();
    Outcome {
        results: interpreter.results,
        error,
    }
}
