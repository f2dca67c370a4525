//! Writes query results as InfluxDB's annotated CSV: CRLF lines, optional `#datatype`,
//! `#group` and `#default` rows, a new block whenever the schema or group key changes.

use crate::flux::{Column, Table, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Annotation {
    Datatype,
    Group,
    Default,
}

/// The CSV shape a query asked for (`dialect` of the request body).
#[derive(Clone, Debug, PartialEq)]
pub struct Dialect {
    pub header: bool,
    pub delimiter: u8,
    pub annotations: Vec<Annotation>,
}

impl Default for Dialect {
    /// InfluxDB's defaults: a header, commas, no annotations.
    fn default() -> Self {
        Dialect {
            header: true,
            delimiter: b',',
            annotations: Vec::new(),
        }
    }
}

/// Writes a query's tables one at a time, as the query yields them: a result's tables in
/// blocks, a blank line after each result, and `\r\n` alone when there were no tables.
pub struct Encoder {
    dialect: Dialect,
    /// The result being written: its name, the id of its next table, the shape of its last.
    open: Option<OpenResult>,
}

struct OpenResult {
    name: String,
    next_id: usize,
    last: Shape,
}

/// What decides whether a table continues the block of the one before it.
#[derive(PartialEq)]
struct Shape {
    columns: Vec<Column>,
    key: Vec<bool>,
    empty: bool,
}

impl Shape {
    fn of(table: &Table) -> Shape {
        Shape {
            columns: table.columns.clone(),
            key: table
                .columns
                .iter()
                .map(|c| table.is_key(&c.name))
                .collect(),
            empty: table.rows.is_empty(),
        }
    }
    /// A table without rows always gets its own block (its `#default` row carries its key).
    fn continues(&self, next: &Shape) -> bool {
        !self.empty && !next.empty && self.columns == next.columns && self.key == next.key
    }
}

impl Encoder {
    pub fn new(dialect: Dialect) -> Encoder {
        Encoder {
            dialect,
            open: None,
        }
    }

    /// Writes `table` as the next table of the result `result`.
    pub fn table(&mut self, result: &str, table: &Table, out: &mut String) {
        if self.open.as_ref().is_some_and(|o| o.name != result) {
            self.close(out);
        }
        let shape = Shape::of(table);
        let open = self.open.get_or_insert_with(|| OpenResult {
            name: result.to_string(),
            next_id: 0,
            last: Shape {
                columns: Vec::new(),
                key: Vec::new(),
                empty: true,
            },
        });
        let id = open.next_id;
        if !open.last.continues(&shape) {
            if id > 0 {
                out.push_str("\r\n");
            }
            write_block_head(out, &self.dialect, result, id, table);
        }
        let result_cell = if self.dialect.annotations.contains(&Annotation::Default) {
            ""
        } else {
            result
        };
        for row in &table.rows {
            let mut cells = vec![String::new(), result_cell.to_string(), id.to_string()];
            cells.extend(row.iter().map(format_value));
            write_row(out, self.dialect.delimiter, &cells);
        }
        open.next_id += 1;
        open.last = shape;
    }

    /// Whether any table has been written.
    pub fn wrote_any(&self) -> bool {
        self.open.is_some()
    }

    fn close(&mut self, out: &mut String) {
        if self.open.take().is_some() {
            out.push_str("\r\n");
        }
    }

    /// Ends the output.
    pub fn finish(mut self, out: &mut String) {
        if self.open.is_none() {
            out.push_str("\r\n");
        }
        self.close(out);
    }

    /// Ends the output with the error that stopped the query after some of it was written.
    pub fn fail(mut self, message: &str, out: &mut String) {
        let dialect = self.dialect.clone();
        self.close(out);
        encode_error(message, &dialect, out);
    }
}

/// The error table InfluxDB writes when a query fails after output has started.
fn encode_error(message: &str, dialect: &Dialect, out: &mut String) {
    out.push_str("\r\n");
    let d = dialect.delimiter;
    for a in &dialect.annotations {
        let row: [&str; 3] = match a {
            Annotation::Datatype => ["#datatype", "string", "string"],
            Annotation::Group => ["#group", "true", "true"],
            Annotation::Default => ["#default", "", ""],
        };
        write_row(out, d, &row.map(String::from));
    }
    write_row(out, d, &["", "error", "reference"].map(String::from));
    write_row(out, d, &[String::new(), message.to_string(), String::new()]);
}

fn write_block_head(out: &mut String, dialect: &Dialect, result: &str, id: usize, table: &Table) {
    let d = dialect.delimiter;
    for a in &dialect.annotations {
        let mut cells: Vec<String> = Vec::with_capacity(table.columns.len() + 3);
        match a {
            Annotation::Datatype => {
                cells.extend(["#datatype", "string", "long"].map(String::from));
                cells.extend(table.columns.iter().map(|c| c.ty.csv_name().to_string()));
            }
            Annotation::Group => {
                cells.extend(["#group", "false", "false"].map(String::from));
                cells.extend(
                    table
                        .columns
                        .iter()
                        .map(|c| table.is_key(&c.name).to_string()),
                );
            }
            Annotation::Default => {
                cells.extend(["#default".to_string(), result.to_string()]);
                if table.rows.is_empty() {
                    cells.push(id.to_string());
                    cells.extend(table.columns.iter().map(|c| {
                        table
                            .key_value(&c.name)
                            .map(format_value)
                            .unwrap_or_default()
                    }));
                } else {
                    cells.extend(std::iter::repeat_n(String::new(), table.columns.len() + 1));
                }
            }
        }
        write_row(out, d, &cells);
    }
    if dialect.header {
        let mut cells = vec![String::new(), "result".to_string(), "table".to_string()];
        cells.extend(table.columns.iter().map(|c| c.name.clone()));
        write_row(out, d, &cells);
    }
}

fn write_row(out: &mut String, delimiter: u8, cells: &[String]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(delimiter as char);
        }
        let quote = cell.starts_with(' ')
            || cell
                .bytes()
                .any(|b| b == delimiter || b == b'"' || b == b'\r' || b == b'\n');
        if quote {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(cell);
        }
    }
    out.push_str("\r\n");
}

/// A cell as InfluxDB writes it: floats shortest without exponent, times RFC 3339 with
/// trailing zeros of the fraction trimmed, null empty.
pub fn format_value(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Int(n) => n.to_string(),
        Value::UInt(n) => n.to_string(),
        Value::Float(f) if f.is_nan() => "NaN".into(),
        Value::Float(f) if f.is_infinite() => if *f > 0.0 { "+Inf" } else { "-Inf" }.into(),
        Value::Float(f) => f.to_string(),
        Value::Str(s) => s.clone(),
        Value::Time(t) => format_time(*t),
        Value::Duration(d) => format!("{}ns", d.nanos),
        other => other.type_name().to_string(),
    }
}

/// RFC 3339 in UTC with as many fraction digits as needed (Go's RFC3339Nano).
pub fn format_time(ns: i64) -> String {
    use chrono::{Datelike, Timelike};
    use std::fmt::Write;
    // Field by field rather than through `format("%Y…")`: a large result formats many
    // times, and parsing the pattern each time was a measurable part of a query.
    let t = chrono::DateTime::from_timestamp_nanos(ns);
    let mut out = String::with_capacity(30);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    let frac = ns.rem_euclid(1_000_000_000);
    if frac != 0 {
        let _ = write!(out, ".{frac:09}");
        out.truncate(out.trim_end_matches('0').len());
    }
    out.push('Z');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::series::ColType;

    /// The CSV of `results`, each a name and its tables, written table by table.
    fn encode(results: &[(&str, Vec<Table>)], dialect: &Dialect) -> String {
        let mut encoder = Encoder::new(dialect.clone());
        let mut out = String::new();
        for (name, tables) in results {
            for t in tables {
                encoder.table(name, t, &mut out);
            }
        }
        encoder.finish(&mut out);
        out
    }

    fn table(rows: Vec<Vec<Value>>) -> Table {
        Table {
            columns: vec![
                Column::new("_time", ColType::Time),
                Column::new("_value", ColType::Double),
                Column::new("host", ColType::String),
            ],
            key: vec![("host".into(), Value::Str("a".into()))],
            rows,
        }
    }

    fn all_annotations() -> Dialect {
        Dialect {
            annotations: vec![Annotation::Datatype, Annotation::Group, Annotation::Default],
            ..Dialect::default()
        }
    }

    #[test]
    fn annotated_table() {
        let r = (
            "_result",
            vec![table(vec![vec![
                Value::Time(1_500_000_000),
                Value::Float(40.0),
                Value::Str("a".into()),
            ]])],
        );
        let out = encode(&[r], &all_annotations());
        assert_eq!(
            out,
            "#datatype,string,long,dateTime:RFC3339,double,string\r\n#group,false,false,false,false,true\r\n#default,_result,,,,\r\n,result,table,_time,_value,host\r\n,,0,1970-01-01T00:00:01.5Z,40,a\r\n\r\n"
        );
    }

    #[test]
    fn plain_csv_and_empty_tables() {
        let r = (
            "_result",
            vec![
                table(vec![]),
                table(vec![vec![
                    Value::Null,
                    Value::Float(0.0001),
                    Value::Str("x,y".into()),
                ]]),
            ],
        );
        let out = encode(std::slice::from_ref(&r), &Dialect::default());
        assert_eq!(out, ",result,table,_time,_value,host\r\n\r\n,result,table,_time,_value,host\r\n,_result,1,,0.0001,\"x,y\"\r\n\r\n");
        let out = encode(&[r], &all_annotations());
        assert!(out.contains("#default,_result,0,,,a\r\n"), "{out}");
    }

    #[test]
    fn nothing_and_errors() {
        assert_eq!(encode(&[], &Dialect::default()), "\r\n");
        let mut out = String::new();
        let mut encoder = Encoder::new(all_annotations());
        encoder.table("_result", &table(vec![]), &mut out);
        let before = out.len();
        encoder.fail("boom", &mut out);
        assert_eq!(&out[before..], "\r\n\r\n#datatype,string,string\r\n#group,true,true\r\n#default,,\r\n,error,reference\r\n,boom,\r\n");
    }

    #[test]
    fn results_follow_each_other_with_table_ids_from_zero() {
        let row = || vec![Value::Time(0), Value::Float(1.0), Value::Str("a".into())];
        let out = encode(
            &[
                ("a", vec![table(vec![row()]), table(vec![row()])]),
                ("b", vec![table(vec![row()])]),
            ],
            &Dialect::default(),
        );
        assert_eq!(
            out,
            ",result,table,_time,_value,host\r\n,a,0,1970-01-01T00:00:00Z,1,a\r\n,a,1,1970-01-01T00:00:00Z,1,a\r\n\r\n\
             ,result,table,_time,_value,host\r\n,b,0,1970-01-01T00:00:00Z,1,a\r\n\r\n"
        );
    }

    #[test]
    fn floats_and_times_as_influxdb_writes_them() {
        assert_eq!(format_value(&Value::Float(1e21)), "1000000000000000000000");
        assert_eq!(format_value(&Value::Float(f64::INFINITY)), "+Inf");
        assert_eq!(format_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_time(123), "1970-01-01T00:00:00.000000123Z");
        assert_eq!(format_time(-1), "1969-12-31T23:59:59.999999999Z");
        assert_eq!(format_time(1_500_000_000), "1970-01-01T00:00:01.5Z");
    }
}
