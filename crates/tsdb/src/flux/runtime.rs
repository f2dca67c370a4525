//! What the functions a query calls need from the evaluator that runs them. Builtins see
//! this trait, not the evaluator, so the evaluator sits on top of them.

use super::limits::Budget;
use super::source::SeriesSource;
use super::value::table::Table;
use super::value::{Function, Record, Value};
use super::FluxError;

pub trait Runtime {
    /// The query's clock (ns).
    fn now(&self) -> i64;
    /// The store the query reads.
    fn source(&self) -> &dyn SeriesSource;
    /// The rows the query may still read or make.
    fn budget(&self) -> &Budget;
    /// Calls a function value with named arguments and the piped-in value.
    fn call(
        &mut self,
        f: &Function,
        named: Vec<(String, Value)>,
        piped: Option<Value>,
        name: &str,
    ) -> Result<Value, FluxError>;
    /// Calls a one-parameter row function (`fn: (r) => …`) with a record.
    fn call_row(&mut self, f: &Function, record: Record) -> Result<Value, FluxError>;
    /// Starts the result `name`: each result may be yielded once.
    fn begin_result(&mut self, name: &str) -> Result<(), FluxError>;
    /// Hands on one table of a result begun.
    fn send(&mut self, name: &str, table: Table) -> Result<(), FluxError>;
}
