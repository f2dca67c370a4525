//! Writes query results as InfluxDB's annotated CSV: CRLF lines, optional `#datatype`,
//! `#group` and `#default` rows, a new block whenever the schema or group key changes.

use crate::flux::{QueryResult, Table, Value};

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

/// Encodes every result; no tables at all gives the body `\r\n`.
pub fn encode(results: &[QueryResult], dialect: &Dialect, out: &mut String) {
    if results.iter().all(|r| r.tables.is_empty()) {
        out.push_str("\r\n");
        return;
    }
    for result in results.iter().filter(|r| !r.tables.is_empty()) {
        let mut previous: Option<&Table> = None;
        for (id, table) in result.tables.iter().enumerate() {
            let new_block = previous.is_none_or(|p| {
                p.rows.is_empty() || table.rows.is_empty() || !same_schema(p, table)
            });
            if new_block {
                if previous.is_some() {
                    out.push_str("\r\n");
                }
                write_block_head(out, dialect, &result.name, id, table);
            }
            let result_cell = if dialect.annotations.contains(&Annotation::Default) {
                ""
            } else {
                result.name.as_str()
            };
            for row in &table.rows {
                let mut cells = vec![String::new(), result_cell.to_string(), id.to_string()];
                cells.extend(row.iter().map(format_value));
                write_row(out, dialect.delimiter, &cells);
            }
            previous = Some(table);
        }
        out.push_str("\r\n");
    }
}

/// The error table InfluxDB writes when a query fails after output has started.
pub fn encode_error(message: &str, dialect: &Dialect, out: &mut String) {
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

fn same_schema(a: &Table, b: &Table) -> bool {
    a.columns == b.columns
        && a.columns
            .iter()
            .all(|c| a.is_key(&c.name) == b.is_key(&c.name))
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
    use crate::flux::{ColType, Column};

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
        let r = QueryResult {
            name: "_result".into(),
            tables: vec![table(vec![vec![
                Value::Time(1_500_000_000),
                Value::Float(40.0),
                Value::Str("a".into()),
            ]])],
        };
        let mut out = String::new();
        encode(&[r], &all_annotations(), &mut out);
        assert_eq!(
            out,
            "#datatype,string,long,dateTime:RFC3339,double,string\r\n#group,false,false,false,false,true\r\n#default,_result,,,,\r\n,result,table,_time,_value,host\r\n,,0,1970-01-01T00:00:01.5Z,40,a\r\n\r\n"
        );
    }

    #[test]
    fn plain_csv_and_empty_tables() {
        let r = QueryResult {
            name: "_result".into(),
            tables: vec![
                table(vec![]),
                table(vec![vec![
                    Value::Null,
                    Value::Float(0.0001),
                    Value::Str("x,y".into()),
                ]]),
            ],
        };
        let mut out = String::new();
        encode(std::slice::from_ref(&r), &Dialect::default(), &mut out);
        assert_eq!(out, ",result,table,_time,_value,host\r\n\r\n,result,table,_time,_value,host\r\n,_result,1,,0.0001,\"x,y\"\r\n\r\n");
        let mut out = String::new();
        encode(&[r], &all_annotations(), &mut out);
        assert!(out.contains("#default,_result,0,,,a\r\n"), "{out}");
    }

    #[test]
    fn nothing_and_errors() {
        let mut out = String::new();
        encode(&[], &Dialect::default(), &mut out);
        assert_eq!(out, "\r\n");
        let mut out = String::new();
        encode_error("boom", &all_annotations(), &mut out);
        assert_eq!(out, "\r\n#datatype,string,string\r\n#group,true,true\r\n#default,,\r\n,error,reference\r\n,boom,\r\n");
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
