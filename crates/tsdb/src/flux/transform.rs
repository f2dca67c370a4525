//! Table transformations: window, pivot, group, sort, limit, keep/drop, rename, distinct,
//! map, fill, and `range` over tables that are no longer a storage read.

use super::args::{truthy, Args};
use super::reduce::{duration_arg, window_bounds};
use super::runtime::Runtime;
use super::scan;
use super::value::table::{key_in_column_order, regroup, Column, Table};
use super::value::Value;
use super::FluxError;
use crate::series::ColType;

/// Keeps rows with `start <= _time < stop` and sets `_start`/`_stop` (part of the key).
pub fn bound(input: Vec<Table>, start: i64, stop: i64) -> Vec<Table> {
    let mut out = Vec::new();
    for mut t in input {
        t.retain_columns(|n| n != "_start" && n != "_stop");
        let time = t.index("_time");
        t.rows.retain(|r| {
            time.is_none_or(|i| matches!(r[i], Value::Time(v) if v >= start && v < stop))
        });
        if t.rows.is_empty() {
            continue;
        }
        t.columns.splice(
            0..0,
            [
                Column::new("_start", ColType::Time),
                Column::new("_stop", ColType::Time),
            ],
        );
        for row in &mut t.rows {
            row.splice(0..0, [Value::Time(start), Value::Time(stop)]);
        }
        t.key.splice(
            0..0,
            [
                ("_start".into(), Value::Time(start)),
                ("_stop".into(), Value::Time(stop)),
            ],
        );
        out.push(t);
    }
    out
}

pub fn window(it: &mut dyn Runtime, args: &Args) -> Result<Value, FluxError> {
    let every = duration_arg(args, "every")?.ok_or_else(|| args.missing("every"))?;
    let offset = duration_arg(args, "offset")?.unwrap_or(0);
    let mut out = Vec::new();
    for t in scan::materialize(it, args.tables()?)? {
        let time = t.column("_time")?;
        let mut windows: Vec<(i64, Table)> = Vec::new();
        let bounds = |name: &str| match t.key_value(name) {
            Some(Value::Time(v)) => Some(*v),
            _ => None,
        };
        let (lo, hi) = (
            bounds("_start").unwrap_or(i64::MIN),
            bounds("_stop").unwrap_or(i64::MAX),
        );
        for row in &t.rows {
            let Value::Time(ts) = row[time] else { continue };
            let (ws, we) = window_bounds(ts, every, offset);
            let (ws, we) = (ws.max(lo), we.min(hi));
            let slot = match windows.iter().position(|(s, _)| *s == ws) {
                Some(i) => i,
                None => {
                    let mut w = t.empty_like();
                    w.retain_columns(|n| n != "_start" && n != "_stop");
                    w.columns.splice(
                        0..0,
                        [
                            Column::new("_start", ColType::Time),
                            Column::new("_stop", ColType::Time),
                        ],
                    );
                    w.key.splice(
                        0..0,
                        [
                            ("_start".into(), Value::Time(ws)),
                            ("_stop".into(), Value::Time(we)),
                        ],
                    );
                    windows.push((ws, w));
                    windows.len() - 1
                }
            };
            let w = &mut windows[slot].1;
            let mut new_row: Vec<Value> = vec![Value::Time(ws), Value::Time(we)];
            new_row.extend(
                t.columns
                    .iter()
                    .zip(row)
                    .filter(|(c, _)| c.name != "_start" && c.name != "_stop")
                    .map(|(_, v)| v.clone()),
            );
            w.rows.push(new_row);
        }
        windows.sort_by_key(|(s, _)| *s);
        out.extend(windows.into_iter().map(|(_, w)| w));
    }
    Ok(Value::tables(out))
}

/// A group key: column names with their values.
type GroupKey = Vec<(String, Value)>;

pub fn pivot(it: &mut dyn Runtime, args: &Args) -> Result<Value, FluxError> {
    let row_key = args
        .strings("rowKey")?
        .ok_or_else(|| args.missing("rowKey"))?;
    let column_key = args
        .strings("columnKey")?
        .ok_or_else(|| args.missing("columnKey"))?;
    let value_column = args
        .string("valueColumn")?
        .ok_or_else(|| args.missing("valueColumn"))?;
    let input = scan::materialize(it, args.tables()?)?;
    // Tables whose keys differ only in the pivoted columns become one table.
    let mut groups: Vec<(GroupKey, Vec<Table>)> = Vec::new();
    for t in input {
        let key: Vec<(String, Value)> = t
            .key
            .iter()
            .filter(|(k, _)| !column_key.contains(k) && *k != value_column)
            .cloned()
            .collect();
        match groups.iter_mut().find(|(k, _)| {
            k.len() == key.len()
                && k.iter()
                    .zip(&key)
                    .all(|(a, b)| a.0 == b.0 && a.1.same(&b.1))
        }) {
            Some((_, ts)) => ts.push(t),
            None => groups.push((key, vec![t])),
        }
    }
    let mut out = Vec::new();
    for (key, group) in groups {
        let first = &group[0];
        let mut columns: Vec<Column> = first
            .columns
            .iter()
            .filter(|c| key.iter().any(|(k, _)| *k == c.name) || row_key.contains(&c.name))
            .cloned()
            .collect();
        let fixed = columns.len();
        let mut new_columns: Vec<Column> = Vec::new();
        let mut cells: Vec<PivotCell> = Vec::new();
        for (table, t) in group.iter().enumerate() {
            let vc = t.column(&value_column)?;
            let rk: Vec<usize> = row_key
                .iter()
                .map(|k| t.column(k))
                .collect::<Result<_, _>>()?;
            let ck: Vec<usize> = column_key
                .iter()
                .map(|k| t.column(k))
                .collect::<Result<_, _>>()?;
            for (row_index, row) in t.rows.iter().enumerate() {
                let name = ck
                    .iter()
                    .map(|&i| match &row[i] {
                        Value::Str(s) => s.clone(),
                        Value::Null => "null".into(),
                        v => format!("{v:?}"),
                    })
                    .collect::<Vec<_>>()
                    .join("_");
                let column = match new_columns.iter().position(|c| c.name == name) {
                    Some(i) => i,
                    None => {
                        new_columns.push(Column::new(&name, t.columns[vc].ty));
                        new_columns.len() - 1
                    }
                };
                cells.push(PivotCell {
                    row_key: rk.iter().map(|&i| &row[i]).collect(),
                    table,
                    row: row_index,
                    column,
                    value: &row[vc],
                });
            }
        }
        // New columns by name; `position[i]` is where the i-th one found ends up.
        let mut by_name: Vec<usize> = (0..new_columns.len()).collect();
        by_name.sort_by(|&a, &b| new_columns[a].name.cmp(&new_columns[b].name));
        let mut position = vec![0; by_name.len()];
        for (pos, &i) in by_name.iter().enumerate() {
            position[i] = pos;
        }
        columns.extend(by_name.iter().map(|&i| new_columns[i].clone()));
        // Sorting the cells by row key (stable: input order within a row) makes each output
        // row a run: its fixed columns come from its first cell, its values in input order.
        cells.sort_by(|a, b| compare_row_keys(&a.row_key, &b.row_key));
        let mut rows = Vec::new();
        for run in cells.chunk_by(|a, b| compare_row_keys(&a.row_key, &b.row_key).is_eq()) {
            let t = &group[run[0].table];
            let first = &t.rows[run[0].row];
            let mut row: Vec<Value> = columns[..fixed]
                .iter()
                .map(|c| t.index(&c.name).map_or(Value::Null, |i| first[i].clone()))
                .collect();
            row.resize(columns.len(), Value::Null);
            for cell in run {
                row[fixed + position[cell.column]] = cell.value.clone();
            }
            rows.push(row);
        }
        let key = key_in_column_order(&columns, key);
        out.push(Table { columns, key, rows });
    }
    Ok(Value::tables(out))
}

/// One value of `pivot`'s input on its way to an output row and column.
struct PivotCell<'a> {
    row_key: Vec<&'a Value>,
    table: usize,
    row: usize,
    /// Index into the new columns in the order they were found.
    column: usize,
    value: &'a Value,
}

/// Row keys in output order; values that compare equal but differ in type stay apart.
fn compare_row_keys(a: &[&Value], b: &[&Value]) -> std::cmp::Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            x.cmp_for_sort(y)
                .then_with(|| x.type_name().cmp(y.type_name()))
        })
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

pub fn group(it: &mut dyn Runtime, args: &Args) -> Result<Value, FluxError> {
    let columns = args.strings("columns")?.unwrap_or_default();
    let mode = args.string("mode")?.unwrap_or_else(|| "by".into());
    let input = scan::materialize(it, args.tables()?)?;
    let key: Vec<String> = match mode.as_str() {
        "by" => columns,
        "except" => {
            let mut all: Vec<String> = Vec::new();
            for t in &input {
                for c in &t.columns {
                    if !columns.contains(&c.name) && !all.contains(&c.name) {
                        all.push(c.name.clone());
                    }
                }
            }
            all
        }
        other => {
            return Err(FluxError::Invalid(format!(
                "group: unknown mode \"{other}\" (use \"by\" or \"except\")"
            )))
        }
    };
    Ok(Value::tables(regroup(input, &key)?))
}

pub fn sort(it: &mut dyn Runtime, args: &Args) -> Result<Value, FluxError> {
    let columns = args
        .strings("columns")?
        .unwrap_or_else(|| vec!["_value".into()]);
    let desc = args.bool("desc")?.unwrap_or(false);
    let mut out = scan::materialize(it, args.tables()?)?;
    for t in &mut out {
        let idx: Vec<usize> = columns.iter().filter_map(|c| t.index(c)).collect();
        t.rows.sort_by(|a, b| {
            let ord = idx
                .iter()
                .map(|&i| a[i].cmp_for_sort(&b[i]))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal);
            if desc {
                ord.reverse()
            } else {
                ord
            }
        });
    }
    Ok(Value::tables(out))
}

pub fn limit(it: &mut dyn Runtime, args: &Args) -> Result<Value, FluxError> {
    let n = args.int("n")?.ok_or_else(|| args.missing("n"))?.max(0) as usize;
    let offset = args.int("offset")?.unwrap_or(0).max(0) as usize;
    let mut out = scan::materialize(it, args.tables()?)?;
    for t in &mut out {
        t.rows = std::mem::take(&mut t.rows)
            .into_iter()
            .skip(offset)
            .take(n)
            .collect();
    }
    Ok(Value::tables(out))
}

pub fn keep_or_drop(it: &mut dyn Runtime, keep: bool, args: &Args) -> Result<Value, FluxError> {
    let columns = args.strings("columns")?;
    let predicate = args.function("fn")?;
    if columns.is_none() && predicate.is_none() {
        return Err(args.missing("columns"));
    }
    let mut out = Vec::new();
    for mut t in scan::materialize(it, args.tables()?)? {
        let mut chosen = Vec::new();
        for c in &t.columns {
            let hit = match (&columns, &predicate) {
                (Some(cols), _) => cols.contains(&c.name),
                (None, Some(f)) => truthy(&it.call(
                    f,
                    vec![("column".into(), Value::Str(c.name.clone()))],
                    None,
                    "fn",
                )?),
                (None, None) => false,
            };
            if hit == keep {
                chosen.push(c.name.clone());
            }
        }
        t.retain_columns(|n| chosen.iter().any(|c| c == n));
        out.push(t);
    }
    Ok(Value::tables(out))
}

pub fn rename(it: &mut dyn Runtime, args: &Args) -> Result<Value, FluxError> {
    let mapping: Vec<(String, String)> = match args.get("columns") {
        Some(Value::Record(r)) => {
            r.0.iter()
                .map(|(k, v)| match v {
                    Value::Str(s) => Ok((k.clone(), s.clone())),
                    v => Err(args.type_error("columns", "a record of strings", v)),
                })
                .collect::<Result<_, _>>()?
        }
        Some(v) => return Err(args.type_error("columns", "a record", v)),
        None => Vec::new(),
    };
    let f = args.function("fn")?;
    let mut out = Vec::new();
    for mut t in scan::materialize(it, args.tables()?)? {
        for c in &mut t.columns {
            let new = match mapping.iter().find(|(old, _)| *old == c.name) {
                Some((_, new)) => Some(new.clone()),
                None => match &f {
                    Some(f) => match it.call(
                        f,
                        vec![("column".into(), Value::Str(c.name.clone()))],
                        None,
                        "fn",
                    )? {
                        Value::Str(s) => Some(s),
                        _ => None,
                    },
                    None => None,
                },
            };
            if let Some(new) = new {
                for (k, _) in &mut t.key {
                    if *k == c.name {
                        *k = new.clone();
                    }
                }
                c.name = new;
            }
        }
        out.push(t);
    }
    Ok(Value::tables(out))
}

pub fn distinct(it: &mut dyn Runtime, args: &Args) -> Result<Value, FluxError> {
    let column = args.string("column")?.unwrap_or_else(|| "_value".into());
    let mut out = Vec::new();
    for t in scan::materialize(it, args.tables()?)? {
        let c = t.column(&column)?;
        let mut seen: Vec<Value> = Vec::new();
        for row in &t.rows {
            if !seen.iter().any(|v| v.same(&row[c])) {
                seen.push(row[c].clone());
            }
        }
        let mut columns: Vec<Column> = t
            .columns
            .iter()
            .filter(|col| t.is_key(&col.name) && col.name != "_value")
            .cloned()
            .collect();
        columns.push(Column::new("_value", t.columns[c].ty));
        let base: Vec<Value> = columns[..columns.len() - 1]
            .iter()
            .map(|col| t.key_value(&col.name).cloned().unwrap_or(Value::Null))
            .collect();
        let rows = seen
            .into_iter()
            .map(|v| {
                let mut row = base.clone();
                row.push(v);
                row
            })
            .collect();
        let key = t
            .key
            .iter()
            .filter(|(k, _)| k != "_value")
            .cloned()
            .collect();
        out.push(Table { columns, key, rows });
    }
    Ok(Value::tables(out))
}

pub fn map(it: &mut dyn Runtime, args: &Args) -> Result<Value, FluxError> {
    let f = args.required_function("fn")?;
    let mut mapped = Vec::new();
    let mut key_columns: Vec<String> = Vec::new();
    for t in scan::materialize(it, args.tables()?)? {
        let mut records = Vec::with_capacity(t.rows.len());
        for row in &t.rows {
            match it.call_row(&f, t.record(row))? {
                Value::Record(r) => records.push(r),
                v => {
                    return Err(FluxError::Invalid(format!(
                        "map: fn must return a record, got {}",
                        v.type_name()
                    )))
                }
            }
        }
        let mut names: Vec<String> = records
            .iter()
            .flat_map(|r| r.0.iter().map(|(k, _)| k.clone()))
            .collect();
        names.sort();
        names.dedup();
        let columns: Vec<Column> = names
            .iter()
            .map(|n| {
                let ty = records
                    .iter()
                    .find_map(|r| r.get(n).and_then(Value::col_type));
                Column::new(n, ty.unwrap_or(ColType::String))
            })
            .collect();
        for (k, _) in &t.key {
            if names.contains(k) && !key_columns.contains(k) {
                key_columns.push(k.clone());
            }
        }
        let rows = records
            .iter()
            .map(|r| {
                names
                    .iter()
                    .map(|n| r.get(n).cloned().unwrap_or(Value::Null))
                    .collect()
            })
            .collect();
        let key = t
            .key
            .iter()
            .filter(|(k, _)| names.contains(k))
            .cloned()
            .collect();
        mapped.push(Table {
            key: key_in_column_order(&columns, key),
            columns,
            rows,
        });
    }
    // A changed key value moves the row to the table of its new key.
    let unchanged = mapped.iter().all(|t| {
        t.key.iter().all(|(k, v)| {
            t.index(k)
                .is_some_and(|i| t.rows.iter().all(|r| r[i].same(v)))
        })
    });
    Ok(Value::tables(if unchanged {
        mapped
    } else {
        regroup(mapped, &key_columns)?
    }))
}

pub fn fill(it: &mut dyn Runtime, args: &Args) -> Result<Value, FluxError> {
    let column = args.string("column")?.unwrap_or_else(|| "_value".into());
    let use_previous = args.bool("usePrevious")?.unwrap_or(false);
    let value = args.get("value").cloned();
    if value.is_none() && !use_previous {
        return Err(FluxError::Invalid(
            "fill: either value or usePrevious: true is required".into(),
        ));
    }
    let mut out = scan::materialize(it, args.tables()?)?;
    for t in &mut out {
        let c = t.column(&column)?;
        if let Some(v) = &value {
            if v.col_type() != Some(t.columns[c].ty) {
                return Err(FluxError::Invalid(format!(
                    "fill: value type {} does not match column type {}",
                    v.type_name(),
                    t.columns[c].ty.flux_name()
                )));
            }
        }
        let mut previous = Value::Null;
        for row in &mut t.rows {
            if row[c].is_null() {
                row[c] = value.clone().unwrap_or_else(|| previous.clone());
            }
            previous = row[c].clone();
        }
    }
    Ok(Value::tables(out))
}
