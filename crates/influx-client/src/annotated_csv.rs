//! Reads InfluxDB's annotated CSV: `#datatype`, `#group` and `#default` rows, several blocks
//! per response, quoted fields, CRLF or LF, and the `error,reference` table (an error, never
//! silent data). Records are read one at a time from any `Read`.

use crate::Error;
use chrono::{DateTime, Utc};
use std::io::Read;
use std::sync::Arc;

/// A decoded cell.
#[derive(Clone, Debug, PartialEq)]
pub enum FluxValue {
    Null,
    String(String),
    Long(i64),
    UnsignedLong(u64),
    Double(f64),
    Boolean(bool),
    DateTime(DateTime<Utc>),
    /// Nanoseconds.
    Duration(i64),
    Base64Binary(Vec<u8>),
}

impl FluxValue {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            FluxValue::String(s) => Some(s),
            _ => None,
        }
    }
    /// Numbers of any kind as `f64`.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            FluxValue::Double(v) => Some(v),
            FluxValue::Long(v) => Some(v as f64),
            FluxValue::UnsignedLong(v) => Some(v as f64),
            _ => None,
        }
    }
    pub fn as_time(&self) -> Option<DateTime<Utc>> {
        match self {
            FluxValue::DateTime(t) => Some(*t),
            _ => None,
        }
    }
    fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            FluxValue::Null => J::Null,
            FluxValue::String(s) => J::String(s.clone()),
            FluxValue::Long(v) => J::from(*v),
            FluxValue::UnsignedLong(v) => J::from(*v),
            FluxValue::Double(v) => serde_json::Number::from_f64(*v).map_or(J::Null, J::Number),
            FluxValue::Boolean(v) => J::Bool(*v),
            FluxValue::DateTime(t) => {
                J::String(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
            }
            FluxValue::Duration(v) => J::from(*v),
            FluxValue::Base64Binary(b) => J::Array(b.iter().map(|x| J::from(*x)).collect()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum DataType {
    String,
    Long,
    UnsignedLong,
    Double,
    Boolean,
    DateTime,
    Duration,
    Base64Binary,
}

impl DataType {
    fn parse(s: &str) -> Result<DataType, Error> {
        Ok(match s {
            "string" => DataType::String,
            "long" => DataType::Long,
            "unsignedLong" => DataType::UnsignedLong,
            "double" => DataType::Double,
            "boolean" => DataType::Boolean,
            "duration" => DataType::Duration,
            "base64Binary" => DataType::Base64Binary,
            s if s.starts_with("dateTime") => DataType::DateTime,
            other => return Err(Error::Decode(format!("unknown #datatype {other:?}"))),
        })
    }

    fn decode(self, cell: &str) -> Result<FluxValue, Error> {
        let bad = |what: &str| Error::Decode(format!("{cell:?} is not a valid {what}"));
        Ok(match self {
            DataType::String => FluxValue::String(cell.to_string()),
            DataType::Long => FluxValue::Long(cell.parse().map_err(|_| bad("long"))?),
            DataType::UnsignedLong => {
                FluxValue::UnsignedLong(cell.parse().map_err(|_| bad("unsignedLong"))?)
            }
            DataType::Double => FluxValue::Double(match cell {
                "+Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                _ => cell.parse().map_err(|_| bad("double"))?,
            }),
            DataType::Boolean => FluxValue::Boolean(match cell {
                "true" => true,
                "false" => false,
                _ => return Err(bad("boolean")),
            }),
            DataType::DateTime => FluxValue::DateTime(
                DateTime::parse_from_rfc3339(cell)
                    .map_err(|_| bad("dateTime"))?
                    .with_timezone(&Utc),
            ),
            DataType::Duration => {
                FluxValue::Duration(parse_go_duration(cell).ok_or_else(|| bad("duration"))?)
            }
            DataType::Base64Binary => {
                use base64::Engine;
                FluxValue::Base64Binary(
                    base64::engine::general_purpose::STANDARD
                        .decode(cell)
                        .map_err(|_| bad("base64Binary"))?,
                )
            }
        })
    }
}

/// Go's duration syntax (`1h2m3.5s`, `10ms`, `-5us`) in nanoseconds.
fn parse_go_duration(s: &str) -> Option<i64> {
    let (negative, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest == "0" {
        return Some(0);
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let value: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total += value * scale;
        rest = &rest[unit_len..];
    }
    let ns = if negative { -total } else { total };
    (ns.abs() < i64::MAX as f64).then_some(ns as i64)
}

/// The schema of one block of the CSV.
#[derive(Debug)]
struct Block {
    names: Vec<String>,
    types: Vec<Option<DataType>>,
    groups: Vec<bool>,
    defaults: Vec<String>,
}

/// One row, with its values by column name.
#[derive(Clone, Debug)]
pub struct Record {
    block: Arc<Block>,
    values: Vec<FluxValue>,
}

impl Record {
    /// The value of a column; `None` when the column does not exist.
    pub fn get(&self, column: &str) -> Option<&FluxValue> {
        self.block
            .names
            .iter()
            .position(|n| n == column)
            .map(|i| &self.values[i])
    }
    pub fn columns(&self) -> impl Iterator<Item = (&str, &FluxValue)> {
        self.block
            .names
            .iter()
            .map(String::as_str)
            .zip(&self.values)
    }
    pub fn result(&self) -> &str {
        self.get("result")
            .and_then(FluxValue::as_str)
            .unwrap_or("_result")
    }
    pub fn table(&self) -> i64 {
        match self.get("table") {
            Some(FluxValue::Long(t)) => *t,
            Some(FluxValue::String(s)) => s.parse().unwrap_or(0),
            _ => 0,
        }
    }
    pub fn time(&self) -> Option<DateTime<Utc>> {
        self.get("_time").and_then(FluxValue::as_time)
    }
    pub fn value(&self) -> Option<&FluxValue> {
        self.get("_value")
    }
    pub fn field(&self) -> Option<&str> {
        self.get("_field").and_then(FluxValue::as_str)
    }
    pub fn measurement(&self) -> Option<&str> {
        self.get("_measurement").and_then(FluxValue::as_str)
    }
    /// Whether `column` is part of the table's group key.
    pub fn is_group_key(&self, column: &str) -> bool {
        self.block
            .names
            .iter()
            .position(|n| n == column)
            .is_some_and(|i| self.block.groups[i])
    }
    /// The row as `T`, by column name (times become RFC 3339 strings).
    pub fn deserialize<T: serde::de::DeserializeOwned>(&self) -> Result<T, Error> {
        let map: serde_json::Map<String, serde_json::Value> = self
            .columns()
            .map(|(k, v)| (k.to_string(), v.to_json()))
            .collect();
        serde_json::from_value(serde_json::Value::Object(map))
            .map_err(|e| Error::Decode(format!("row does not fit: {e}")))
    }
}

/// An iterator of records over annotated (or plain) CSV.
pub struct AnnotatedCsvReader<R: Read> {
    csv: csv::Reader<R>,
    block: Option<Arc<Block>>,
    pending_types: Option<Vec<String>>,
    pending_groups: Option<Vec<String>>,
    pending_defaults: Option<Vec<String>>,
    /// After an `error,reference` header: the next row is the error.
    in_error_table: bool,
    done: bool,
}

impl<R: Read> AnnotatedCsvReader<R> {
    pub fn new(input: R) -> Self {
        let csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(input);
        AnnotatedCsvReader {
            csv,
            block: None,
            pending_types: None,
            pending_groups: None,
            pending_defaults: None,
            in_error_table: false,
            done: false,
        }
    }

    fn next_record(&mut self) -> Result<Option<Record>, Error> {
        let mut row = csv::StringRecord::new();
        loop {
            if !self
                .csv
                .read_record(&mut row)
                .map_err(|e| Error::Decode(format!("CSV: {e}")))?
            {
                return Ok(None);
            }
            let cells: Vec<String> = row.iter().map(str::to_string).collect();
            if cells.iter().all(String::is_empty) {
                continue;
            }
            match cells[0].as_str() {
                "#datatype" => self.pending_types = Some(cells),
                "#group" => self.pending_groups = Some(cells),
                "#default" => self.pending_defaults = Some(cells),
                c if c.starts_with('#') => {}
                _ if self.in_error_table => {
                    let message = cells.get(1).cloned().unwrap_or_default();
                    return Err(Error::Query(message));
                }
                _ if self.is_header(&cells) => {
                    if cells.get(1).map(String::as_str) == Some("error")
                        && cells.get(2).map(String::as_str) == Some("reference")
                    {
                        self.in_error_table = true;
                        continue;
                    }
                    self.start_block(cells)?;
                }
                _ => {
                    let block = self
                        .block
                        .clone()
                        .ok_or_else(|| Error::Decode("data row before any header".into()))?;
                    return self.decode_row(block, cells).map(Some);
                }
            }
        }
    }

    /// A header is the first row after annotations, or a row naming `result` and `table`.
    fn is_header(&self, cells: &[String]) -> bool {
        self.block.is_none()
            || self.pending_types.is_some()
            || (cells.get(1).map(String::as_str) == Some("result")
                && cells.get(2).map(String::as_str) == Some("table"))
            || (cells.get(1).map(String::as_str) == Some("error"))
    }

    fn start_block(&mut self, names: Vec<String>) -> Result<(), Error> {
        let n = names.len();
        let types = match self.pending_types.take() {
            // The first cell names the annotation; the types start at the second.
            Some(t) => t
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    if i == 0 {
                        Ok(None)
                    } else {
                        DataType::parse(s).map(Some)
                    }
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => vec![None; n],
        };
        let groups = self
            .pending_groups
            .take()
            .map_or(vec![false; n], |g| g.iter().map(|s| s == "true").collect());
        let defaults = self
            .pending_defaults
            .take()
            .unwrap_or_else(|| vec![String::new(); n]);
        if types.len() != n || groups.len() != n || defaults.len() != n {
            return Err(Error::Decode(
                "annotation rows and header have different lengths".into(),
            ));
        }
        self.block = Some(Arc::new(Block {
            names,
            types,
            groups,
            defaults,
        }));
        Ok(())
    }

    fn decode_row(&self, block: Arc<Block>, cells: Vec<String>) -> Result<Record, Error> {
        if cells.len() != block.names.len() {
            return Err(Error::Decode(format!(
                "row has {} cells, header has {}",
                cells.len(),
                block.names.len()
            )));
        }
        let values = cells
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                let cell = if cell.is_empty() {
                    &block.defaults[i]
                } else {
                    cell
                };
                match block.types[i] {
                    _ if cell.is_empty() => Ok(FluxValue::Null),
                    // The annotation column; the table id is a long even without #datatype.
                    _ if i == 0 => Ok(FluxValue::Null),
                    Some(t) => t.decode(cell),
                    None if block.names[i] == "table" => Ok(cell
                        .parse()
                        .map_or(FluxValue::String(cell.clone()), FluxValue::Long)),
                    None => Ok(FluxValue::String(cell.clone())),
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(Record { block, values })
    }
}

impl<R: Read> Iterator for AnnotatedCsvReader<R> {
    type Item = Result<Record, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let next = self.next_record();
        if !matches!(next, Ok(Some(_))) {
            self.done = true;
        }
        next.transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("1h2m3.5s"), Some(3_723_500_000_000));
        assert_eq!(parse_go_duration("-10ms"), Some(-10_000_000));
        assert_eq!(parse_go_duration("0"), Some(0));
        assert_eq!(parse_go_duration("5x"), None);
    }
}
