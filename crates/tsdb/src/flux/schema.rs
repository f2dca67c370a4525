//! The `influxdata/influxdb/schema` package: tag values, tag keys, measurements, field keys.
//! Answered from series metadata, counting only series with points in the time range.

use super::args::{time_bound, truthy, Args};
use super::read;
use super::runtime::Runtime;
use super::value::table::{Column, Table};
use super::value::{ReadPlan, Value};
use super::FluxError;
use crate::series::{ColType, Pick};
use std::ops::ControlFlow;

pub const FUNCTIONS: [&str; 7] = [
    "schema.tagValues",
    "schema.tagKeys",
    "schema.measurements",
    "schema.fieldKeys",
    "schema.measurementTagValues",
    "schema.measurementTagKeys",
    "schema.measurementFieldKeys",
];

const THIRTY_DAYS: i64 = 30 * 86_400 * 1_000_000_000;

pub fn call(it: &mut dyn Runtime, name: &str, args: &Args) -> Result<Value, FluxError> {
    let bucket = args
        .string("bucket")?
        .ok_or_else(|| args.missing("bucket"))?;
    let measurement = args.string("measurement")?;
    let (column, is_keys) = match name {
        "schema.tagValues" | "schema.measurementTagValues" => (
            args.string("tag")?.ok_or_else(|| args.missing("tag"))?,
            false,
        ),
        "schema.measurements" => ("_measurement".to_string(), false),
        "schema.fieldKeys" | "schema.measurementFieldKeys" => ("_field".to_string(), false),
        _ => (String::new(), true),
    };
    if name.starts_with("schema.measurement") && measurement.is_none() {
        return Err(args.missing("measurement"));
    }
    let plan = ReadPlan {
        bucket,
        start: time_bound(it.now(), args, "start")?.unwrap_or(it.now() - THIRTY_DAYS),
        stop: time_bound(it.now(), args, "stop")?.unwrap_or(it.now()),
        series_filters: Vec::new(),
        row_filters: Vec::new(),
        pick: Pick::Last,
    };
    let predicate = args.function("predicate")?;
    let bucket = it.source().bucket(&plan.bucket)?;
    let start = plan.start.max(bucket.expired_before.unwrap_or(i64::MIN));
    let mut values: Vec<String> = Vec::new();
    for s in it.source().series(&bucket, &[])?.iter() {
        if measurement.as_ref().is_some_and(|m| **m != *s.measurement) {
            continue;
        }
        let record = read::series_record(&plan, s);
        if let Some(p) = &predicate {
            if !truthy(&it.call_row(p, record.clone())?) {
                continue;
            }
        }
        let found: Vec<String> = if is_keys {
            record
                .0
                .iter()
                .map(|(k, _)| k.clone())
                .filter(|k| k != "_start" && k != "_stop")
                .collect()
        } else {
            match record.get(&column) {
                Some(Value::Str(v)) => vec![v.clone()],
                _ => continue,
            }
        };
        if found.iter().all(|v| values.contains(v)) {
            continue;
        }
        let mut has_points = false;
        let one = std::slice::from_ref(s);
        it.source()
            .points(one, start, plan.stop, Pick::Last, &mut |p| {
                has_points = !p.is_empty();
                ControlFlow::Continue(())
            })?;
        if !has_points {
            continue;
        }
        for v in found {
            if !values.contains(&v) {
                values.push(v);
            }
        }
    }
    values.sort();
    let table = Table {
        columns: vec![Column::new("_value", ColType::String)],
        key: Vec::new(),
        rows: values.into_iter().map(|v| vec![Value::Str(v)]).collect(),
    };
    Ok(Value::tables(vec![table]))
}
