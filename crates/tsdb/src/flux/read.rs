//! The shape of storage reads (`from |> range |> filter |> first/last`): which filters can be
//! decided per series before any point is read, and the records and tables of a series.
//! `scan` runs the reads.

use super::value::table::{Column, Table};
use super::value::{Function, ReadPlan, Record, Value};
use crate::series::{ColType, SeriesMeta};

/// Which filter predicates can run per series: those that read only key columns of `r`.
pub fn is_series_predicate(f: &Function) -> bool {
    use super::ast::Expr;
    let Function::Closure { params, body, .. } = f else {
        return false;
    };
    let [param] = params.as_slice() else {
        return false;
    };
    fn key_only(e: &Expr, r: &str) -> bool {
        match e {
            Expr::Member(obj, name) if matches!(&**obj, Expr::Ident(i) if i == r) => {
                name != "_time" && name != "_value"
            }
            Expr::Ident(i) => i != r,
            Expr::Member(obj, _) => key_only(obj, r),
            Expr::Index(a, b) | Expr::Binary(_, a, b) | Expr::Logical(_, a, b) => {
                key_only(a, r) && key_only(b, r)
            }
            Expr::Unary(_, a) => key_only(a, r),
            Expr::Conditional(a, b, c) => key_only(a, r) && key_only(b, r) && key_only(c, r),
            Expr::Call(f, args) => key_only(f, r) && args.iter().all(|(_, a)| key_only(a, r)),
            Expr::Array(items) => items.iter().all(|a| key_only(a, r)),
            Expr::Str(_)
            | Expr::Int(_)
            | Expr::Float(_)
            | Expr::Duration(_)
            | Expr::Time(_)
            | Expr::Regex(_) => true,
            _ => false,
        }
    }
    body.vars.is_empty() && key_only(&body.result, &param.name)
}

/// A series predicate made only of `r.key == "text"` / `!=` joined by `and` / `or`, the shape
/// dashboards send: decided on the series itself, without building a record per series and
/// running the interpreter (which was most of `last()` over a large bucket). Same answers as
/// the interpreter: a key the series lacks is null, and a comparison with null is not true.
#[derive(Debug)]
pub enum KeyMatch {
    Compare {
        key: String,
        text: String,
        equal: bool,
    },
    All(Box<KeyMatch>, Box<KeyMatch>),
    Any(Box<KeyMatch>, Box<KeyMatch>),
}

impl KeyMatch {
    /// The predicate as a `KeyMatch`, if it has that shape.
    pub fn of(f: &Function) -> Option<KeyMatch> {
        use super::ast::{BinaryOp, Expr, LogicalOp};
        let Function::Closure { params, body, .. } = f else {
            return None;
        };
        let [param] = params.as_slice() else {
            return None;
        };
        fn key_of<'e>(e: &'e Expr, r: &str) -> Option<&'e str> {
            match e {
                Expr::Member(obj, key) if matches!(&**obj, Expr::Ident(i) if i == r) => {
                    Some(key.as_str())
                }
                Expr::Index(obj, key) if matches!(&**obj, Expr::Ident(i) if i == r) => match &**key
                {
                    Expr::Str(key) => Some(key.as_str()),
                    _ => None,
                },
                _ => None,
            }
            // The bounds are times: comparing them with text is the interpreter's error to give.
            .filter(|key| *key != "_start" && *key != "_stop")
        }
        fn build(e: &Expr, r: &str) -> Option<KeyMatch> {
            match e {
                Expr::Binary(op @ (BinaryOp::Eq | BinaryOp::Ne), a, b) => {
                    let (key, text) = match (&**a, &**b) {
                        (k, Expr::Str(t)) | (Expr::Str(t), k) => (key_of(k, r)?, t),
                        _ => return None,
                    };
                    Some(KeyMatch::Compare {
                        key: key.to_string(),
                        text: text.clone(),
                        equal: *op == BinaryOp::Eq,
                    })
                }
                Expr::Logical(op, a, b) => {
                    let (a, b) = (Box::new(build(a, r)?), Box::new(build(b, r)?));
                    Some(match op {
                        LogicalOp::And => KeyMatch::All(a, b),
                        LogicalOp::Or => KeyMatch::Any(a, b),
                    })
                }
                _ => None,
            }
        }
        if !body.vars.is_empty() {
            return None;
        }
        build(&body.result, &param.name)
    }

    /// The tags (key, value) every series it matches carries.
    pub fn required_tags(&self) -> Vec<(&str, &str)> {
        match self {
            KeyMatch::Compare {
                key,
                text,
                equal: true,
            } if key != "_measurement" && key != "_field" => vec![(key.as_str(), text.as_str())],
            KeyMatch::Compare { .. } | KeyMatch::Any(..) => Vec::new(),
            KeyMatch::All(a, b) => [a.required_tags(), b.required_tags()].concat(),
        }
    }

    pub fn matches(&self, s: &SeriesMeta) -> bool {
        match self {
            KeyMatch::Compare { key, text, equal } => {
                let value = match key.as_str() {
                    "_measurement" => Some(&*s.measurement),
                    "_field" => Some(&*s.field),
                    _ => s.tags.iter().find(|(k, _)| **k == **key).map(|(_, v)| &**v),
                };
                value.is_some_and(|v| (v == text) == *equal)
            }
            KeyMatch::All(a, b) => a.matches(s) && b.matches(s),
            KeyMatch::Any(a, b) => a.matches(s) || b.matches(s),
        }
    }
}

/// The record a series-level predicate sees.
pub fn series_record(plan: &ReadPlan, s: &SeriesMeta) -> Record {
    let mut r = vec![
        ("_start".to_string(), Value::Time(plan.start)),
        ("_stop".to_string(), Value::Time(plan.stop)),
        ("_field".to_string(), Value::Str(s.field.to_string())),
        (
            "_measurement".to_string(),
            Value::Str(s.measurement.to_string()),
        ),
    ];
    r.extend(
        s.tags
            .iter()
            .map(|(k, v)| (k.to_string(), Value::Str(v.to_string()))),
    );
    Record(r)
}

/// Columns and key of the table of one series: `_start,_stop,_time,_value,_field,_measurement,tags…`.
pub fn series_table(plan: &ReadPlan, s: &SeriesMeta) -> Table {
    let mut columns = vec![
        Column::new("_start", ColType::Time),
        Column::new("_stop", ColType::Time),
        Column::new("_time", ColType::Time),
        Column::new("_value", s.ty),
        Column::new("_field", ColType::String),
        Column::new("_measurement", ColType::String),
    ];
    let mut key = vec![
        ("_start".to_string(), Value::Time(plan.start)),
        ("_stop".to_string(), Value::Time(plan.stop)),
        ("_field".to_string(), Value::Str(s.field.to_string())),
        (
            "_measurement".to_string(),
            Value::Str(s.measurement.to_string()),
        ),
    ];
    for (k, v) in &s.tags {
        columns.push(Column::new(k, ColType::String));
        key.push((k.to_string(), Value::Str(v.to_string())));
    }
    Table {
        columns,
        key,
        rows: Vec::new(),
    }
}

/// The row of one point in a series table.
pub fn series_row(table: &Table, time: i64, value: Value) -> Vec<Value> {
    let mut row = Vec::with_capacity(table.columns.len());
    row.push(table.key[0].1.clone());
    row.push(table.key[1].1.clone());
    row.push(Value::Time(time));
    row.push(value);
    row.extend(table.key[2..].iter().map(|(_, v)| v.clone()));
    row
}
