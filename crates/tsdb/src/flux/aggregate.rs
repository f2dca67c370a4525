//! Selectors (first, last, min, max), aggregates (count, mean, sum) and `aggregateWindow`.

use super::args::Args;
use super::read;
use super::reduce::{
    aggregate_type, aggregate_values, duration_arg, pick, table_bounds, window_value,
};
use super::runtime::Runtime;
use super::scan::{self, read_series_then};
use super::value::table::Table;
use super::value::{Function, ReadPlan, Stream, Value, Windowing};
use super::FluxError;
use crate::series::Pick;
use std::sync::Arc;

/// One row per table: the row a selector picks from the non-null values of `column`.
pub fn selector(it: &mut dyn Runtime, name: &str, args: &Args) -> Result<Value, FluxError> {
    let column = args.string("column")?.unwrap_or_else(|| "_value".into());
    let mut out = Vec::new();
    for mut t in scan::materialize(it, args.tables()?)? {
        let c = t.column(&column)?;
        if let Some(i) = pick(name, t.rows.iter().map(|r| &r[c])) {
            let row = t.rows.swap_remove(i);
            t.rows = vec![row];
            out.push(t);
        }
    }
    Ok(Value::tables(out))
}

/// One row per table: the key columns and the aggregate in `column`. Straight after a
/// storage read it runs on the points themselves.
pub fn aggregate(it: &mut dyn Runtime, name: &str, args: &Args) -> Result<Value, FluxError> {
    let column = args.string("column")?.unwrap_or_else(|| "_value".into());
    let stream = args.tables()?;
    if let Stream::Read(plan) = &stream {
        if plan.row_filters.is_empty() && plan.pick == Pick::All && column == "_value" {
            return aggregate_series(it, plan, name);
        }
    }
    let mut out = Vec::new();
    for t in scan::materialize(it, stream)? {
        let c = t.column(&column)?;
        let value = aggregate_values(name, t.columns[c].ty, t.rows.iter().map(|r| &r[c]))?;
        let mut result = t.empty_like();
        result.rows = vec![t.rows.first().cloned().unwrap_or_else(|| key_row(&t))];
        result.columns[c].ty = aggregate_type(name, t.columns[c].ty);
        result.rows[0][c] = value;
        result.retain_columns(|n| n == column || t.is_key(n));
        out.push(result);
    }
    Ok(Value::tables(out))
}

/// `count`, `mean` or `sum` of each series a read selects, on the threads that read the
/// points: no rows are built for the points, one per series for the aggregate.
fn aggregate_series(it: &mut dyn Runtime, plan: &ReadPlan, name: &str) -> Result<Value, FluxError> {
    let values = read_series_then(it, plan, |series, points, _| {
        if points.is_empty() {
            return Ok(None);
        }
        aggregate_values(name, series.ty, points.iter().map(|(_, v)| v)).map(Some)
    })?;
    let mut out = Vec::new();
    for (series, value) in values {
        let Some(value) = value else { continue };
        let mut table = read::series_table(plan, &series);
        table.columns[3].ty = aggregate_type(name, series.ty);
        let row = read::series_row(&table, 0, value);
        table.rows.push(row);
        table.retain_columns(|c| c != "_time");
        out.push(table);
    }
    Ok(Value::tables(out))
}

/// A row holding the key values (null elsewhere), for aggregates of empty tables.
fn key_row(t: &Table) -> Vec<Value> {
    t.columns
        .iter()
        .map(|c| t.key_value(&c.name).cloned().unwrap_or(Value::Null))
        .collect()
}

/// `aggregateWindow(every, fn, offset, createEmpty, column)`: per table, one row per window
/// of `every`, aligned to the epoch (plus `offset`), stamped with the window's stop.
/// Straight after a storage read, built-in aggregates run on the points themselves.
pub fn aggregate_window(it: &mut dyn Runtime, args: &Args) -> Result<Value, FluxError> {
    let w = Windowing {
        every: duration_arg(args, "every")?.ok_or_else(|| args.missing("every"))?,
        offset: duration_arg(args, "offset")?.unwrap_or(0),
        create_empty: args.bool("createEmpty")?.unwrap_or(true),
    };
    let column = args.string("column")?.unwrap_or_else(|| "_value".into());
    let f = args.required_function("fn")?;
    let builtin = match &*f {
        Function::Builtin(name @ ("mean" | "sum" | "count" | "min" | "max" | "first" | "last")) => {
            Some(*name)
        }
        _ => None,
    };
    let stream = args.tables()?;
    if let (Some(name), Stream::Read(plan)) = (builtin, &stream) {
        if plan.row_filters.is_empty() && plan.pick == Pick::All && column == "_value" {
            return Ok(Value::Tables(Arc::new(Stream::Windows(
                plan.clone(),
                name,
                w,
            ))));
        }
    }
    let mut out = Vec::new();
    for t in scan::materialize(it, stream)? {
        let c = t.column(&column)?;
        let time = t.column("_time")?;
        let (start, stop) = table_bounds(&t, time);
        let Some((start, stop)) = start.zip(stop) else {
            continue;
        };
        let mut result = t.empty_like();
        result.retain_columns(|n| n == column || n == "_time" || t.is_key(n));
        let (rc, rtime) = (result.column(&column)?, result.column("_time")?);
        result.columns[rc].ty =
            builtin.map_or(t.columns[c].ty, |b| aggregate_type(b, t.columns[c].ty));
        let rows: Vec<&Vec<Value>> = t
            .rows
            .iter()
            .filter(|r| matches!(r[time], Value::Time(_)))
            .collect();
        let times: Vec<i64> = rows
            .iter()
            .map(|r| if let Value::Time(ts) = r[time] { ts } else { 0 })
            .collect();
        w.each(&times, start, stop, |stamp, range| {
            let window = &rows[range];
            let value = match builtin {
                Some(name) => window_value(
                    name,
                    t.columns[c].ty,
                    window.iter().map(|r| &r[c]),
                    w.create_empty,
                )?,
                None => custom_window(it, &f, &t, window, &column)?,
            };
            if let Some(value) = value {
                let mut row = key_row(&result);
                row[rtime] = Value::Time(stamp);
                row[rc] = value;
                result.rows.push(row);
            }
            Ok(())
        })?;
        if builtin.is_none() {
            if let Some(ty) = result.rows.iter().find_map(|r| r[rc].col_type()) {
                result.columns[rc].ty = ty;
            }
        }
        out.push(result);
    }
    Ok(Value::tables(out))
}

/// Runs a user-defined aggregate (`fn: (column, tables=<-) => …`) on one window's rows.
fn custom_window(
    it: &mut dyn Runtime,
    f: &Function,
    t: &Table,
    window: &[&Vec<Value>],
    column: &str,
) -> Result<Option<Value>, FluxError> {
    if window.is_empty() {
        return Ok(None);
    }
    let mut input = t.empty_like();
    input.rows = window.iter().map(|r| (*r).clone()).collect();
    let piped = Value::tables(vec![input]);
    let result = it.call(
        f,
        vec![("column".into(), Value::Str(column.into()))],
        Some(piped),
        "fn",
    )?;
    let Value::Tables(stream) = result else {
        return Err(FluxError::Invalid(
            "aggregateWindow: fn must return a stream of tables".into(),
        ));
    };
    let tables = scan::materialize(it, (*stream).clone())?;
    Ok(tables.first().and_then(|t| {
        let c = t.index(column)?;
        t.rows.first().map(|r| r[c].clone())
    }))
}
