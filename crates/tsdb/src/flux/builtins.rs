//! The functions a query can call, by name, and the storage read they start from.

use super::aggregate;
use super::args::{time_bound, truthy, Args};
use super::read;
use super::runtime::Runtime;
use super::scan;
use super::schema;
use super::transform;
use super::value::table::{regroup, Column, Table};
use super::value::{ReadPlan, Stream, Value};
use super::FluxError;
use crate::series::{ColType, Pick};
use std::sync::Arc;

/// A function of the universe: the interpreter, the name it was called by, its arguments.
type Builtin = fn(&mut dyn Runtime, &str, &Args) -> Result<Value, FluxError>;

/// Every function a query can call without an import, with what runs it.
const UNIVERSE: [(&str, Builtin); 25] = [
    ("now", |it, _, _| Ok(Value::Time(it.now()))),
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

pub fn call(it: &mut dyn Runtime, name: &str, args: Args) -> Result<Value, FluxError> {
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
fn yield_tables(it: &mut dyn Runtime, _: &str, args: &Args) -> Result<Value, FluxError> {
    let result = scan::materialize(it, args.tables()?)?;
    let name = args.string("name")?.unwrap_or_else(|| "_result".into());
    it.begin_result(&name)?;
    for table in &result {
        it.send(&name, table.clone())?;
    }
    Ok(Value::tables(result))
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

fn range(it: &mut dyn Runtime, args: &Args) -> Result<Value, FluxError> {
    let start = time_bound(it.now(), args, "start")?.ok_or_else(|| {
        FluxError::Invalid(
            "error calling function \"range\": missing required argument \"start\"".into(),
        )
    })?;
    let stop = time_bound(it.now(), args, "stop")?.unwrap_or(it.now());
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
            let input = scan::materialize(it, stream)?;
            Ok(Value::tables(transform::bound(input, start, stop)))
        }
    }
}

fn filter(it: &mut dyn Runtime, args: &Args) -> Result<Value, FluxError> {
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
            for mut t in scan::materialize(it, stream)? {
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
            Ok(Value::tables(out))
        }
    }
}

/// `first`/`last`: straight after a read they read one point per series.
fn select_edge(it: &mut dyn Runtime, name: &str, args: &Args) -> Result<Value, FluxError> {
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

fn buckets(it: &mut dyn Runtime) -> Result<Value, FluxError> {
    let columns = vec![
        Column::new("name", ColType::String),
        Column::new("id", ColType::String),
        Column::new("organizationID", ColType::String),
        Column::new("retentionPolicy", ColType::String),
        Column::new("retentionPeriod", ColType::Long),
    ];
    let rows = it
        .source()
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
    Ok(Value::tables(regroup(
        vec![all],
        &["organizationID".to_string()],
    )?))
}
