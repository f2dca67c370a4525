//! The plain data the store keeps and queries read: series, their field values and column
//! types. Storage and Flux both build on it; it depends on neither.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// The type of a table column, named as in annotated CSV.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ColType {
    Bool,
    Long,
    ULong,
    Double,
    String,
    Time,
}

impl ColType {
    pub fn csv_name(self) -> &'static str {
        match self {
            ColType::Bool => "boolean",
            ColType::Long => "long",
            ColType::ULong => "unsignedLong",
            ColType::Double => "double",
            ColType::String => "string",
            ColType::Time => "dateTime:RFC3339",
        }
    }
    /// The name Flux uses in type errors and schema collisions.
    pub fn flux_name(self) -> &'static str {
        match self {
            ColType::Bool => "bool",
            ColType::Long => "int",
            ColType::ULong => "uint",
            ColType::Double => "float",
            ColType::String => "string",
            ColType::Time => "time",
        }
    }
}

/// A field value as stored: one of the column types.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldValue {
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    /// ns since the Unix epoch, UTC.
    Time(i64),
}

impl FieldValue {
    /// The column type the value is stored as.
    pub fn col_type(&self) -> ColType {
        match self {
            FieldValue::Bool(_) => ColType::Bool,
            FieldValue::Int(_) => ColType::Long,
            FieldValue::UInt(_) => ColType::ULong,
            FieldValue::Float(_) => ColType::Double,
            FieldValue::Str(_) => ColType::String,
            FieldValue::Time(_) => ColType::Time,
        }
    }
}

/// Which points of a series a read wants: all in the range, or only its first or last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    All,
    First,
    Last,
}

/// A series: one field of one measurement with one tag set, and the type of its values.
#[derive(Debug)]
pub struct SeriesMeta {
    pub id: i64,
    /// Names are shared by the series that carry them (the index interns them): a bucket
    /// of 300,000 series holds its measurement, tag keys and field names once.
    pub measurement: Arc<str>,
    /// Sorted by key.
    pub tags: Box<[(Arc<str>, Arc<str>)]>,
    pub field: Arc<str>,
    pub ty: ColType,
    pub span: Span,
}

/// When a series' points lie, kept in memory so that a read of a range it has no points in
/// skips it without touching storage (a look for what is new since a minute ago, over a
/// bucket of 30,000 series, reads only those written since). Widened before a write
/// commits and never narrowed by deletes: it may cover more than the points, never less.
#[derive(Debug)]
pub struct Span {
    first: AtomicI64,
    last: AtomicI64,
}

impl Default for Span {
    /// No points.
    fn default() -> Span {
        Span {
            first: AtomicI64::new(i64::MAX),
            last: AtomicI64::new(i64::MIN),
        }
    }
}

impl Span {
    /// Takes in points from `first` to `last`.
    pub fn widen(&self, first: i64, last: i64) {
        self.first.fetch_min(first, Ordering::AcqRel);
        self.last.fetch_max(last, Ordering::AcqRel);
    }

    /// Whether points may lie in `start <= time < stop`.
    pub fn overlaps(&self, start: i64, stop: i64) -> bool {
        self.first.load(Ordering::Acquire) < stop && self.last.load(Ordering::Acquire) >= start
    }
}
