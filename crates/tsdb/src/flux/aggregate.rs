//! Selectors (first, last, min, max), aggregates (count, mean, sum) and `aggregateWindow`.

use super::args::Args;
use super::builtins::{read_series_then, tables};
use super::eval::Interpreter;
use super::limits::Budget;
use super::read::{self, Pick, ReadPlan, SeriesMeta, Windowing};
use super::table::Table;
use super::value::{ColType, Function, Stream, Value};
use super::FluxError;
use std::sync::Arc;

/// Refuses windowing that would build more windows than any chart can use.
const MAX_WINDOWS: i64 = 1_000_000;

/// One row per table: the row a selector picks from the non-null values of `column`.
pub fn selector(it: &mut Interpreter, name: &str, args: &Args) -> Result<Value, FluxError> {
    let column = args.string("column")?.unwrap_or_else(|| "_value".into());
    let mut out = Vec::new();
    for mut t in it.materialize(args.tables()?)? {
        let c = t.column(&column)?;
        if let Some(i) = pick(name, t.rows.iter().map(|r| &r[c])) {
            let row = t.rows.swap_remove(i);
            t.rows = vec![row];
            out.push(t);
        }
    }
    Ok(tables(out))
}

/// The index of the value a selector picks, skipping nulls.
fn pick<'v>(name: &str, values: impl Iterator<Item = &'v Value>) -> Option<usize> {
    let mut best: Option<(usize, &Value)> = None;
    for (i, v) in values.enumerate().filter(|(_, v)| !v.is_null()) {
        best = match (name, best) {
            (_, None) => Some((i, v)),
            ("first", b) => b,
            ("last", _) => Some((i, v)),
            ("min", Some((_, b))) if v.cmp_for_sort(b).is_lt() => Some((i, v)),
            ("max", Some((_, b))) if v.cmp_for_sort(b).is_gt() => Some((i, v)),
            (_, b) => b,
        };
    }
    best.map(|(i, _)| i)
}

/// The result type and value of an aggregate over non-null values.
fn aggregate_values<'v>(
    name: &str,
    ty: ColType,
    values: impl Iterator<Item = &'v Value>,
) -> Result<Value, FluxError> {
    let values: Vec<&Value> = values.filter(|v| !v.is_null()).collect();
    Ok(match name {
        "count" => Value::Int(values.len() as i64),
        "mean" => {
            if values.is_empty() {
                return Ok(Value::Null);
            }
            let mut sum = 0.0;
            for v in &values {
                sum += v.as_f64().ok_or_else(|| unsupported(name, ty))?;
            }
            Value::Float(sum / values.len() as f64)
        }
        _ => {
            let Some(first) = values.first() else {
                return Ok(Value::Null);
            };
            let mut acc = (*first).clone();
            for v in &values[1..] {
                acc = match (&acc, v) {
                    (Value::Int(a), Value::Int(b)) => Value::Int(a.wrapping_add(*b)),
                    (Value::UInt(a), Value::UInt(b)) => Value::UInt(a.wrapping_add(*b)),
                    (Value::Float(a), Value::Float(b)) => Value::Float(a + b),
                    _ => return Err(unsupported(name, ty)),
                };
            }
            if acc.as_f64().is_none() {
                return Err(unsupported(name, ty));
            }
            acc
        }
    })
}

fn unsupported(name: &str, ty: ColType) -> FluxError {
    FluxError::Invalid(format!(
        "unsupported input type for {name} aggregate: {}",
        ty.flux_name()
    ))
}

fn aggregate_type(name: &str, input: ColType) -> ColType {
    match name {
        "count" => ColType::Long,
        "mean" => ColType::Double,
        _ => input,
    }
}

/// One row per table: the key columns and the aggregate in `column`. Straight after a
/// storage read it runs on the points themselves.
pub fn aggregate(it: &mut Interpreter, name: &str, args: &Args) -> Result<Value, FluxError> {
    let column = args.string("column")?.unwrap_or_else(|| "_value".into());
    let stream = args.tables()?;
    if let Stream::Read(plan) = &stream {
        if plan.row_filters.is_empty() && plan.pick == Pick::All && column == "_value" {
            return aggregate_series(it, plan, name);
        }
    }
    let mut out = Vec::new();
    for t in it.materialize(stream)? {
        let c = t.column(&column)?;
        let value = aggregate_values(name, t.columns[c].ty, t.rows.iter().map(|r| &r[c]))?;
        let mut result = t.empty_like();
        result.rows = vec![t.rows.first().cloned().unwrap_or_else(|| key_row(&t))];
        result.columns[c].ty = aggregate_type(name, t.columns[c].ty);
        result.rows[0][c] = value;
        result.retain_columns(|n| n == column || t.is_key(n));
        out.push(result);
    }
    Ok(tables(out))
}

/// `count`, `mean` or `sum` of each series a read selects, on the threads that read the
/// points: no rows are built for the points, one per series for the aggregate.
fn aggregate_series(it: &mut Interpreter, plan: &ReadPlan, name: &str) -> Result<Value, FluxError> {
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
    Ok(tables(out))
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
pub fn aggregate_window(it: &mut Interpreter, args: &Args) -> Result<Value, FluxError> {
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
    for t in it.materialize(stream)? {
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
    Ok(tables(out))
}

impl Windowing {
    /// Calls `each(stamp, indices)` for every window over `[start, stop)` of the ascending
    /// `times`; empty windows only with `create_empty`.
    fn each(
        &self,
        times: &[i64],
        start: i64,
        stop: i64,
        mut each: impl FnMut(i64, std::ops::Range<usize>) -> Result<(), FluxError>,
    ) -> Result<(), FluxError> {
        if self.create_empty && (stop - start) / self.every > MAX_WINDOWS {
            return Err(FluxError::Invalid(format!(
                "aggregateWindow: more than {MAX_WINDOWS} windows; use a larger every"
            )));
        }
        let mut i = times.partition_point(|t| *t < start);
        let mut ws = window_start(start, self.every, self.offset);
        while ws < stop {
            if !self.create_empty {
                // Without empty windows, jump straight to the window of the next point.
                match times.get(i) {
                    Some(t) if *t >= ws.saturating_add(self.every) => {
                        ws = window_start(*t, self.every, self.offset)
                    }
                    None => break,
                    _ => {}
                }
            }
            let we = ws.saturating_add(self.every);
            let end = i + times[i..].partition_point(|t| *t < we.min(stop));
            if end > i || self.create_empty {
                each(we.min(stop), i..end)?;
            }
            i = end;
            ws = we;
        }
        Ok(())
    }
}

/// A built-in aggregate or selector over one window; `None` for an empty window that is left out.
fn window_value<'v>(
    name: &str,
    ty: ColType,
    values: impl Iterator<Item = &'v Value> + Clone,
    create_empty: bool,
) -> Result<Option<Value>, FluxError> {
    Ok(match name {
        "first" | "last" | "min" | "max" => {
            pick(name, values.clone()).and_then(|i| values.clone().nth(i).cloned())
        }
        _ if values.clone().next().is_some() || create_empty => {
            Some(aggregate_values(name, ty, values)?)
        }
        _ => None,
    })
}

/// The table of `function` over the windows of one series' points, straight from a read: no
/// rows are built for the points, only for the windows, on the thread that read them.
pub fn window_table(
    plan: &ReadPlan,
    series: &SeriesMeta,
    points: Vec<(i64, Value)>,
    function: &str,
    w: &Windowing,
    budget: &Budget,
) -> Result<Option<Table>, FluxError> {
    if points.is_empty() {
        return Ok(None);
    }
    let times: Vec<i64> = points.iter().map(|(t, _)| *t).collect();
    let mut table = read::series_table(plan, series);
    table.columns[3].ty = aggregate_type(function, series.ty);
    let mut rows = Vec::new();
    w.each(&times, plan.start, plan.stop, |stamp, range| {
        let values = points[range].iter().map(|(_, v)| v);
        if let Some(value) = window_value(function, series.ty, values, w.create_empty)? {
            rows.push(read::series_row(&table, stamp, value));
        }
        Ok(())
    })?;
    budget.charge(rows.len())?;
    table.rows = rows;
    Ok(Some(table))
}

/// Runs a user-defined aggregate (`fn: (column, tables=<-) => …`) on one window's rows.
fn custom_window(
    it: &mut Interpreter,
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
    let piped = tables(vec![input]);
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
    let tables = it.materialize((*stream).clone())?;
    Ok(tables.first().and_then(|t| {
        let c = t.index(column)?;
        t.rows.first().map(|r| r[c].clone())
    }))
}

fn duration_arg(args: &Args, name: &str) -> Result<Option<i64>, FluxError> {
    match args.get(name) {
        None => Ok(None),
        Some(Value::Duration(d)) if d.months == 0 && (d.nanos > 0 || name == "offset") => Ok(Some(d.nanos)),
        Some(Value::Duration(d)) if d.months != 0 => Err(FluxError::Invalid(format!(
            "error calling function \"{}\": calendar durations (mo, y) are not supported for \"{name}\"",
            args.function
        ))),
        Some(v) => Err(args.type_error(name, "a positive duration", v)),
    }
}

fn window_start(t: i64, every: i64, offset: i64) -> i64 {
    let shifted = t - offset.rem_euclid(every);
    shifted - shifted.rem_euclid(every) + offset.rem_euclid(every)
}

/// The time span of a table: its `_start`/`_stop` key, else the span of its rows.
fn table_bounds(t: &Table, time: usize) -> (Option<i64>, Option<i64>) {
    let bound = |name: &str| match t.key_value(name) {
        Some(Value::Time(v)) => Some(*v),
        _ => None,
    };
    let times = || {
        t.rows.iter().filter_map(|r| {
            if let Value::Time(v) = r[time] {
                Some(v)
            } else {
                None
            }
        })
    };
    (
        bound("_start").or_else(|| times().min()),
        bound("_stop").or_else(|| times().max().map(|m| m + 1)),
    )
}

pub(super) fn window_bounds(t: i64, every: i64, offset: i64) -> (i64, i64) {
    let ws = window_start(t, every, offset);
    (ws, ws.saturating_add(every))
}

pub(super) fn window_duration(args: &Args, name: &str) -> Result<Option<i64>, FluxError> {
    duration_arg(args, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_align_to_the_epoch_and_offset() {
        let m = 60_000_000_000;
        assert_eq!(window_start(90 * 1_000_000_000, m, 0), m);
        assert_eq!(window_start(m, m, 0), m);
        assert_eq!(window_start(-1, m, 0), -m);
        assert_eq!(
            window_start(90 * 1_000_000_000, m, 30_000_000_000),
            90 * 1_000_000_000
        );
    }

    #[test]
    fn selectors_skip_nulls() {
        let v = [
            Value::Null,
            Value::Int(3),
            Value::Int(1),
            Value::Null,
            Value::Int(2),
        ];
        assert_eq!(pick("first", v.iter()), Some(1));
        assert_eq!(pick("last", v.iter()), Some(4));
        assert_eq!(pick("min", v.iter()), Some(2));
        assert_eq!(pick("max", v.iter()), Some(1));
        assert_eq!(pick("max", [Value::Null].iter()), None);
    }

    #[test]
    fn aggregates_have_their_types() {
        let v = [Value::Int(1), Value::Int(2), Value::Null];
        assert!(matches!(
            aggregate_values("count", ColType::Long, v.iter()).unwrap(),
            Value::Int(2)
        ));
        assert!(
            matches!(aggregate_values("mean", ColType::Long, v.iter()).unwrap(), Value::Float(f) if f == 1.5)
        );
        assert!(matches!(
            aggregate_values("sum", ColType::Long, v.iter()).unwrap(),
            Value::Int(3)
        ));
        assert!(
            aggregate_values("mean", ColType::String, [Value::Str("a".into())].iter()).is_err()
        );
    }
}
