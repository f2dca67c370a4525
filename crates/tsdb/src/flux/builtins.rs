//! The functions a query can call, by name, and the storage read they start from.

use super::aggregate;
use super::args::{truthy, Args};
use super::eval::Interpreter;
use super::limits::Budget;
use super::read::{self, Pick, ReadPlan, SeriesMeta, Windowing};
use super::schema;
use super::table::{regroup, Column, Table};
use super::transform;
use super::value::{ColType, Stream, Value};
use super::FluxError;
use std::ops::ControlFlow;
use std::sync::Arc;

/// A function of the universe: the interpreter, the name it was called by, its arguments.
type Builtin = fn(&mut Interpreter, &str, &Args) -> Result<Value, FluxError>;

/// Every function a query can call without an import, with what runs it.
const UNIVERSE: [(&str, Builtin); 25] = [
    ("now", |it, _, _| Ok(Value::Time(it.now))),
    ("from", |_, _, args| from(args)),
    ("range", |it, _, args| range(it, args)),
    ("filter", |it, _, args| filter(it, args)),
    ("yield", yield_tables),
    ("buckets", |it, _, _| buckets(it)),
    ("first", select_edge),
    ("last", select_edge),
    ("min", aggregate::selector),
    ("max", aggregate::selector),
    ("count", aggregate::aggregate),
    ("mean", aggregate::aggregate),
    ("sum", aggregate::aggregate),
    ("aggregateWindow", |it, _, args| {
        aggregate::aggregate_window(it, args)
    }),
    ("window", |it, _, args| transform::window(it, args)),
    ("pivot", |it, _, args| transform::pivot(it, args)),
    ("group", |it, _, args| transform::group(it, args)),
    ("sort", |it, _, args| transform::sort(it, args)),
    ("limit", |it, _, args| transform::limit(it, args)),
    ("keep", |it, _, args| {
        transform::keep_or_drop(it, true, args)
    }),
    ("drop", |it, _, args| {
        transform::keep_or_drop(it, false, args)
    }),
    ("rename", |it, _, args| transform::rename(it, args)),
    ("distinct", |it, _, args| transform::distinct(it, args)),
    ("map", |it, _, args| transform::map(it, args)),
    ("fill", |it, _, args| transform::fill(it, args)),
];

pub fn universe(name: &str) -> Option<&'static str> {
    UNIVERSE.iter().find(|(n, _)| *n == name).map(|(n, _)| *n)
}

pub fn package(path: &str) -> Option<&'static str> {
    match path {
        "influxdata/influxdb/schema" => Some("schema"),
        "profiler" => Some("profiler"),
        _ => None,
    }
}

pub fn package_member(package: &str, name: &str) -> Option<&'static str> {
    match package {
        "schema" => schema::FUNCTIONS
            .iter()
            .find(|f| f.strip_prefix("schema.") == Some(name))
            .copied(),
        _ => None,
    }
}

pub fn tables(tables: Vec<Table>) -> Value {
    Value::Tables(Arc::new(Stream::Tables(tables)))
}

pub fn call(it: &mut Interpreter, name: &str, args: Args) -> Result<Value, FluxError> {
    if name.starts_with("schema.") {
        return schema::call(it, name, &args);
    }
    match UNIVERSE.iter().find(|(n, _)| *n == name) {
        Some((_, run)) => run(it, name, &args),
        None => Err(FluxError::Invalid(format!(
            "function \"{name}\" is not supported"
        ))),
    }
}

/// `yield` inside a pipeline: the tables go out and on. (A statement's final `yield` streams
/// its read instead: `Interpreter::statement`.)
fn yield_tables(it: &mut Interpreter, _: &str, args: &Args) -> Result<Value, FluxError> {
    let result = it.materialize(args.tables()?)?;
    let name = args.string("name")?.unwrap_or_else(|| "_result".into());
    it.yield_tables(&name, result.clone())?;
    Ok(tables(result))
}

fn from(args: &Args) -> Result<Value, FluxError> {
    let bucket = match (args.string("bucket")?, args.string("bucketID")?) {
        (Some(b), _) => b,
        (None, Some(id)) => id,
        (None, None) => {
            return Err(FluxError::Invalid(
                "error calling function \"from\": missing required argument \"bucket\"".into(),
            ))
        }
    };
    Ok(Value::Tables(Arc::new(Stream::Unbounded(bucket))))
}

/// A time bound: a duration relative to now, a time, or an integer of Unix seconds.
pub fn time_bound(it: &Interpreter, args: &Args, name: &str) -> Result<Option<i64>, FluxError> {
    Ok(match args.get(name) {
        None => None,
        Some(Value::Time(t)) => Some(*t),
        Some(Value::Int(secs)) => Some(secs.saturating_mul(1_000_000_000)),
        Some(Value::Duration(d)) => Some(add_duration(it.now, *d)?),
        Some(v) => return Err(args.type_error(name, "a time, duration or integer", v)),
    })
}

pub fn add_duration(t: i64, d: super::ast::Duration) -> Result<i64, FluxError> {
    use chrono::{DateTime, Months};
    let mut t = t;
    if d.months != 0 {
        let dt = DateTime::from_timestamp_nanos(t);
        let months = Months::new(d.months.unsigned_abs() as u32);
        let moved = if d.months > 0 {
            dt.checked_add_months(months)
        } else {
            dt.checked_sub_months(months)
        };
        t = moved
            .and_then(|m| m.timestamp_nanos_opt())
            .ok_or_else(|| FluxError::Invalid("time out of range".into()))?;
    }
    t.checked_add(d.nanos)
        .ok_or_else(|| FluxError::Invalid("time out of range".into()))
}

fn range(it: &mut Interpreter, args: &Args) -> Result<Value, FluxError> {
    let start = time_bound(it, args, "start")?.ok_or_else(|| {
        FluxError::Invalid(
            "error calling function \"range\": missing required argument \"start\"".into(),
        )
    })?;
    let stop = time_bound(it, args, "stop")?.unwrap_or(it.now);
    match args.tables()? {
        Stream::Unbounded(bucket) => Ok(Value::Tables(Arc::new(Stream::Read(ReadPlan {
            bucket,
            start,
            stop,
            series_filters: Vec::new(),
            row_filters: Vec::new(),
            pick: Pick::All,
        })))),
        stream => {
            let input = it.materialize(stream)?;
            Ok(tables(transform::bound(input, start, stop)))
        }
    }
}

fn filter(it: &mut Interpreter, args: &Args) -> Result<Value, FluxError> {
    let f = args.required_function("fn")?;
    let keep_empty = args.string("onEmpty")?.as_deref() == Some("keep");
    match args.tables()? {
        Stream::Read(mut plan) if !keep_empty && plan.pick == Pick::All => {
            if read::is_series_predicate(&f) && plan.row_filters.is_empty() {
                plan.series_filters.push(f);
            } else {
                plan.row_filters.push(f);
            }
            Ok(Value::Tables(Arc::new(Stream::Read(plan))))
        }
        stream => {
            let mut out = Vec::new();
            for mut t in it.materialize(stream)? {
                let mut rows = Vec::with_capacity(t.rows.len());
                for row in std::mem::take(&mut t.rows) {
                    if truthy(&it.call_row(&f, t.record(&row))?) {
                        rows.push(row);
                    }
                }
                if !rows.is_empty() || keep_empty {
                    t.rows = rows;
                    out.push(t);
                }
            }
            Ok(tables(out))
        }
    }
}

/// `first`/`last`: straight after a read they read one point per series.
fn select_edge(it: &mut Interpreter, name: &str, args: &Args) -> Result<Value, FluxError> {
    let column = args.string("column")?.unwrap_or_else(|| "_value".into());
    match args.tables()? {
        Stream::Read(mut plan)
            if plan.row_filters.is_empty() && plan.pick == Pick::All && column == "_value" =>
        {
            plan.pick = if name == "first" {
                Pick::First
            } else {
                Pick::Last
            };
            Ok(Value::Tables(Arc::new(Stream::Read(plan))))
        }
        _ => aggregate::selector(it, name, args),
    }
}

pub fn materialize(it: &mut Interpreter, stream: Stream) -> Result<Vec<Table>, FluxError> {
    let (plan, windows) = match stream {
        Stream::Tables(t) => return Ok(t),
        Stream::Unbounded(bucket) => {
            return Err(FluxError::Invalid(format!(
                "cannot submit unbounded read to \"{bucket}\"; try bounding 'from' with a call to 'range'"
            )))
        }
        Stream::Read(plan) => (plan, None),
        Stream::Windows(plan, function, w) => (plan, Some((function, w))),
    };
    let mut out = Vec::new();
    read_tables(it, &plan, windows, |_, table| {
        out.push(table);
        Ok(())
    })?;
    Ok(out)
}

/// Series read at first in one go: as many as threads read at once, twice over.
const FIRST_BATCH_SERIES: usize = 4;
/// A batch that read fewer points than this is followed by one of twice as many series.
const SMALL_BATCH_POINTS: usize = 100_000;

/// The tables of a storage read, one per series with points left after the row filters
/// (or with the `windows` of a built-in aggregate), handed to `each` as they are read. A few
/// series are read at a time, more while they are small, so a large read holds a few
/// series' points at once, not all of them.
pub fn read_tables(
    it: &mut Interpreter,
    plan: &ReadPlan,
    windows: Option<(&'static str, Windowing)>,
    mut each: impl FnMut(&mut Interpreter, Table) -> Result<(), FluxError>,
) -> Result<(), FluxError> {
    let selection = select_series(it, plan)?;
    let mut rest = selection.series;
    // `first`/`last` read one point a series: all of them at once hold little.
    let mut batch = match plan.pick {
        Pick::All => FIRST_BATCH_SERIES,
        Pick::First | Pick::Last => rest.len(),
    };
    while !rest.is_empty() {
        let later = rest.split_off(batch.min(rest.len()));
        let now = std::mem::replace(&mut rest, later);
        let mut points_read = 0;
        if let Some((function, w)) = &windows {
            let read = |s: &SeriesMeta, points: Vec<(i64, Value)>, budget: &Budget| {
                let count = points.len();
                Ok((
                    count,
                    aggregate::window_table(plan, s, points, function, w, budget)?,
                ))
            };
            for (_, (count, table)) in read_selected(it, plan, selection.start, now, read)? {
                points_read += count;
                if let Some(table) = table {
                    each(it, table)?;
                }
            }
        } else {
            for (series, points) in read_selected(it, plan, selection.start, now, |_, p, _| Ok(p))?
            {
                points_read += points.len();
                let mut table = read::series_table(plan, &series);
                'points: for (time, value) in points {
                    let row = read::series_row(&table, time, value);
                    for f in &plan.row_filters {
                        if !truthy(&it.call_row(f, table.record(&row))?) {
                            continue 'points;
                        }
                    }
                    table.rows.push(row);
                }
                if !table.rows.is_empty() {
                    each(it, table)?;
                }
            }
        }
        if points_read < SMALL_BATCH_POINTS {
            batch *= 2;
        }
    }
    Ok(())
}

/// The series a read selects, each with what `then` makes of its points, in series order.
/// `then` charges the budget for any rows it makes.
pub fn read_series_then<T: Send>(
    it: &mut Interpreter,
    plan: &ReadPlan,
    then: impl Fn(&SeriesMeta, Vec<(i64, Value)>, &Budget) -> Result<T, FluxError> + Sync,
) -> Result<Vec<(SeriesMeta, T)>, FluxError> {
    let selection = select_series(it, plan)?;
    read_selected(it, plan, selection.start, selection.series, then)
}

/// The series of a read that its series filters keep, and where in time it starts.
struct Selection {
    /// The read's start, moved up to the bucket's retention.
    start: i64,
    series: Vec<SeriesMeta>,
}

fn select_series(it: &mut Interpreter, plan: &ReadPlan) -> Result<Selection, FluxError> {
    let bucket = it.source.bucket(&plan.bucket)?;
    let start = plan.start.max(bucket.expired_before.unwrap_or(i64::MIN));
    let filters: Vec<_> = plan
        .series_filters
        .iter()
        .map(|f| (f, read::KeyMatch::of(f)))
        .collect();
    let mut selected = Vec::new();
    'series: for s in it.source.series(&bucket)?.iter() {
        for (f, key_match) in &filters {
            let keep = match key_match {
                Some(m) => m.matches(s),
                None => truthy(&it.call_row(f, read::series_record(plan, s))?),
            };
            if !keep {
                continue 'series;
            }
        }
        selected.push(s.clone());
    }
    Ok(Selection {
        start,
        series: selected,
    })
}

/// `then` of the points of each of `selected`. Reading points is most of a query's time, so
/// the series are read on as many threads as there are cores, each with its own connection,
/// and `then` runs there too, right after the read.
fn read_selected<T: Send>(
    it: &mut Interpreter,
    plan: &ReadPlan,
    start: i64,
    selected: Vec<SeriesMeta>,
    then: impl Fn(&SeriesMeta, Vec<(i64, Value)>, &Budget) -> Result<T, FluxError> + Sync,
) -> Result<Vec<(SeriesMeta, T)>, FluxError> {
    let (source, budget) = (it.source, &it.budget);
    // A chunk of series per thread, read in one transaction; `then` runs on each series as
    // soon as it is read, while its points are fresh in the cache. Every series' points count
    // against the query's row limit, and reading stops at the first that is past it.
    let read = |chunk: &[SeriesMeta]| -> Vec<Result<T, FluxError>> {
        let mut done = Vec::with_capacity(chunk.len());
        let mut series = chunk.iter();
        let mut each = |points: Vec<(i64, Value)>| {
            let result = budget.charge(points.len()).and_then(|()| {
                series
                    .next()
                    .map_or(Ok(None), |s| then(s, points, budget).map(Some))
            });
            match result {
                Ok(Some(t)) => done.push(Ok(t)),
                Ok(None) => {}
                Err(e) => {
                    done.push(Err(e));
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        };
        let read = if start < plan.stop {
            source.points(chunk, start, plan.stop, plan.pick, &mut each)
        } else {
            for _ in chunk {
                let _ = each(Vec::new());
            }
            Ok(())
        };
        if let Err(e) = read {
            done.push(Err(e));
        }
        // A stop leaves the chunk's other series without a result: they share its error.
        if let Some(Err(e)) = done.last() {
            let e = e.clone();
            done.resize_with(chunk.len(), || Err(e.clone()));
        }
        done
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = selected.len().div_ceil(threads).max(1);
    let results: Vec<Result<T, FluxError>> = std::thread::scope(|scope| {
        let mut chunks = selected.chunks(chunk);
        let first = chunks.next().unwrap_or_default();
        let read = &read;
        let others: Vec<_> = chunks.map(|c| scope.spawn(move || read(c))).collect();
        let mut all = read(first);
        for handle in others {
            match handle.join() {
                Ok(results) => all.extend(results),
                Err(_) => all.push(Err(FluxError::Internal("a storage read failed".into()))),
            }
        }
        all
    });
    selected
        .into_iter()
        .zip(results)
        .map(|(s, result)| Ok((s, result?)))
        .collect()
}

fn buckets(it: &mut Interpreter) -> Result<Value, FluxError> {
    let columns = vec![
        Column::new("name", ColType::String),
        Column::new("id", ColType::String),
        Column::new("organizationID", ColType::String),
        Column::new("retentionPolicy", ColType::String),
        Column::new("retentionPeriod", ColType::Long),
    ];
    let rows = it
        .source
        .buckets()?
        .into_iter()
        .map(|b| {
            vec![
                Value::Str(b.name),
                Value::Str(b.id),
                Value::Str(b.org_id),
                Value::Str(String::new()),
                Value::Int(b.retention_ns),
            ]
        })
        .collect();
    let all = Table {
        columns,
        key: Vec::new(),
        rows,
    };
    Ok(tables(regroup(vec![all], &["organizationID".to_string()])?))
}
