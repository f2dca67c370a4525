//! The plain data the store keeps and queries read: series, their field values and column
//! types. Storage and Flux both build on it; it depends on neither.

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
#[derive(Clone, Debug)]
pub struct SeriesMeta {
    pub id: i64,
    pub measurement: String,
    /// Sorted by key.
    pub tags: Vec<(String, String)>,
    pub field: String,
    pub ty: ColType,
}
