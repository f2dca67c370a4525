//! Runtime values of the Flux evaluator, and the typed cells of tables.

use super::ast::{Block, Duration, Param};
use crate::series::{ColType, FieldValue, Pick};
use std::sync::Arc;

pub mod scope;
pub mod table;

use scope::Scope;
use table::Table;

#[derive(Clone, Debug)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    /// ns since the Unix epoch, UTC.
    Time(i64),
    Duration(Duration),
    Regex(Arc<regex::Regex>),
    Array(Vec<Value>),
    Record(Record),
    Func(Arc<Function>),
    Tables(Arc<Stream>),
    /// An imported package, by path.
    Package(&'static str),
}

/// A Flux record: properties in order.
#[derive(Clone, Debug, Default)]
pub struct Record(pub Vec<(String, Value)>);

impl Record {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
    pub fn set(&mut self, name: &str, value: Value) {
        match self.0.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name.to_string(), value)),
        }
    }
}

#[derive(Debug)]
pub enum Function {
    Builtin(&'static str),
    Closure {
        params: Vec<Param>,
        body: Block,
        scope: Scope,
    },
}

/// A stream of tables: either still a storage read that later steps may narrow, or tables.
#[derive(Clone, Debug)]
pub enum Stream {
    /// `from()` without `range()`.
    Unbounded(String),
    Read(ReadPlan),
    /// `aggregateWindow` with a built-in function straight after a read: the windows are
    /// computed from each series' points as they are read, when the stream is used.
    Windows(ReadPlan, &'static str, Windowing),
    Tables(Vec<Table>),
}

#[derive(Clone, Debug)]
pub struct ReadPlan {
    pub bucket: String,
    pub start: i64,
    pub stop: i64,
    /// Predicates that only look at the series key (measurement, field, tags, bounds).
    pub series_filters: Vec<Arc<Function>>,
    /// Predicates on whole rows, applied as points are read.
    pub row_filters: Vec<Arc<Function>>,
    pub pick: Pick,
}

/// The windows of `aggregateWindow`: `every` long, aligned to the epoch plus `offset`.
#[derive(Clone, Copy, Debug)]
pub struct Windowing {
    pub every: i64,
    pub offset: i64,
    /// Whether windows without points get a row (a null, or 0 for `count`).
    pub create_empty: bool,
}

impl Value {
    /// The bytes a copy of this value takes beyond its own slot: what the memory budget
    /// counts when a query builds an array or a record of it.
    pub fn deep_bytes(&self) -> usize {
        let slot = std::mem::size_of::<Value>();
        match self {
            Value::Str(s) => s.len(),
            Value::Array(items) => items.iter().map(|v| slot + v.deep_bytes()).sum(),
            Value::Record(r) => {
                r.0.iter()
                    .map(|(k, v)| slot + k.len() + v.deep_bytes())
                    .sum()
            }
            _ => 0,
        }
    }

    /// A stream of these tables.
    pub fn tables(tables: Vec<Table>) -> Value {
        Value::Tables(Arc::new(Stream::Tables(tables)))
    }

    /// The column type a value is stored as, or None for null and non-scalar values.
    pub fn col_type(&self) -> Option<ColType> {
        Some(match self {
            Value::Bool(_) => ColType::Bool,
            Value::Int(_) => ColType::Long,
            Value::UInt(_) => ColType::ULong,
            Value::Float(_) => ColType::Double,
            Value::Str(_) => ColType::String,
            Value::Time(_) => ColType::Time,
            _ => return None,
        })
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Duration(_) => "duration",
            Value::Regex(_) => "regexp",
            Value::Array(_) => "array",
            Value::Record(_) => "record",
            Value::Func(_) => "function",
            Value::Tables(_) => "stream of tables",
            Value::Package(_) => "package",
            v => v.col_type().map_or("unknown", ColType::flux_name),
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Int(v) => Some(v as f64),
            Value::UInt(v) => Some(v as f64),
            Value::Float(v) => Some(v),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Orders scalar values of one type; nulls sort after everything.
    pub fn cmp_for_sort(&self, other: &Value) -> std::cmp::Ordering {
        use std::cmp::Ordering::*;
        match (self, other) {
            (Value::Null, Value::Null) => Equal,
            (Value::Null, _) => Greater,
            (_, Value::Null) => Less,
            (Value::Str(a), Value::Str(b)) => a.cmp(b),
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            (Value::Time(a), Value::Time(b)) => a.cmp(b),
            (Value::Int(a), Value::Int(b)) => a.cmp(b),
            (Value::UInt(a), Value::UInt(b)) => a.cmp(b),
            (a, b) => match (a.as_f64(), b.as_f64()) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                _ => a.type_name().cmp(b.type_name()),
            },
        }
    }

    /// Equality of scalars, for group keys and distinct (NaN equals NaN here).
    pub fn same(&self, other: &Value) -> bool {
        self.cmp_for_sort(other) == std::cmp::Ordering::Equal
            && self.type_name() == other.type_name()
    }
}

impl From<FieldValue> for Value {
    fn from(v: FieldValue) -> Value {
        match v {
            FieldValue::Bool(b) => Value::Bool(b),
            FieldValue::Int(n) => Value::Int(n),
            FieldValue::UInt(n) => Value::UInt(n),
            FieldValue::Float(f) => Value::Float(f),
            FieldValue::Str(s) => Value::Str(s),
            FieldValue::Time(t) => Value::Time(t),
        }
    }
}
