//! The `profiler` package: with `option profiler.enabledProfilers = ["query", "operator"]` a
//! query's answer gains a `_profiler` result, as InfluxDB's does (the official clients ask
//! for it with their `profilers` option): how long the query took, and each function's calls.
//! Measures what this store can measure; the columns it has nothing for (queueing, planning,
//! allocation) are 0, so clients that read them by name still find them.

use super::value::table::{Column, Table};
use super::value::Value;
use super::FluxError;
use crate::series::ColType;
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Default)]
pub struct Profiler {
    query: bool,
    operator: bool,
    /// Calls per function, when `operator` is on.
    calls: BTreeMap<String, Calls>,
}

struct Calls {
    count: i64,
    min: i64,
    max: i64,
    sum: i64,
}

/// How long the phases of a query took, and how many values it read.
pub struct QueryTimings {
    pub compile: Duration,
    pub execute: Duration,
    pub scanned_values: usize,
}

impl Profiler {
    pub fn enable(&mut self, names: &Value) -> Result<(), FluxError> {
        let Value::Array(names) = names else {
            return Err(FluxError::Invalid(
                "profiler.enabledProfilers must be an array of strings".into(),
            ));
        };
        for name in names {
            match name {
                Value::Str(s) if s == "query" => self.query = true,
                Value::Str(s) if s == "operator" => self.operator = true,
                other => {
                    return Err(FluxError::Invalid(format!(
                    "invalid profiler name {other:?}: the profilers are \"query\" and \"operator\""
                )))
                }
            }
        }
        Ok(())
    }

    pub fn times_calls(&self) -> bool {
        self.operator
    }

    pub fn record_call(&mut self, function: &str, took: Duration) {
        let ns = nanos(took);
        let calls = self.calls.entry(function.to_string()).or_insert(Calls {
            count: 0,
            min: i64::MAX,
            max: 0,
            sum: 0,
        });
        calls.count += 1;
        calls.min = calls.min.min(ns);
        calls.max = calls.max.max(ns);
        calls.sum += ns;
    }

    /// The tables of the `_profiler` result: one per profiler that is on.
    pub fn tables(&self, timings: &QueryTimings) -> Vec<Table> {
        let mut tables = Vec::new();
        if self.query {
            tables.push(query_table(timings));
        }
        if self.operator {
            tables.push(self.operator_table());
        }
        tables
    }

    fn operator_table(&self) -> Table {
        let mut table = measurement_table(
            "profiler/operator",
            &[
                ("Type", ColType::String),
                ("Label", ColType::String),
                ("Count", ColType::Long),
                ("MinDuration", ColType::Long),
                ("MaxDuration", ColType::Long),
                ("DurationSum", ColType::Long),
                ("MeanDuration", ColType::Double),
            ],
        );
        for (function, c) in &self.calls {
            table.rows.push(vec![
                Value::Str("profiler/operator".into()),
                Value::Str(function.clone()),
                Value::Str(function.clone()),
                Value::Int(c.count),
                Value::Int(c.min),
                Value::Int(c.max),
                Value::Int(c.sum),
                Value::Float(c.sum as f64 / c.count as f64),
            ]);
        }
        table
    }
}

fn query_table(t: &QueryTimings) -> Table {
    let mut table = measurement_table(
        "profiler/query",
        &[
            ("TotalDuration", ColType::Long),
            ("CompileDuration", ColType::Long),
            ("QueueDuration", ColType::Long),
            ("PlanDuration", ColType::Long),
            ("RequeueDuration", ColType::Long),
            ("ExecuteDuration", ColType::Long),
            ("Concurrency", ColType::Long),
            ("MaxAllocated", ColType::Long),
            ("TotalAllocated", ColType::Long),
            ("RuntimeErrors", ColType::String),
            ("influxdb/scanned-bytes", ColType::Long),
            ("influxdb/scanned-values", ColType::Long),
        ],
    );
    let (compile, execute) = (nanos(t.compile), nanos(t.execute));
    table.rows.push(vec![
        Value::Str("profiler/query".into()),
        Value::Int(compile + execute),
        Value::Int(compile),
        Value::Int(0),
        Value::Int(0),
        Value::Int(0),
        Value::Int(execute),
        Value::Int(1),
        Value::Int(0),
        Value::Int(0),
        Value::Str(String::new()),
        Value::Int(0),
        Value::Int(t.scanned_values as i64),
    ]);
    table
}

/// An empty table grouped by `_measurement`, with `columns` after it.
fn measurement_table(measurement: &str, columns: &[(&str, ColType)]) -> Table {
    let mut all = vec![Column::new("_measurement", ColType::String)];
    all.extend(columns.iter().map(|(name, ty)| Column::new(name, *ty)));
    Table {
        columns: all,
        key: vec![("_measurement".into(), Value::Str(measurement.into()))],
        rows: Vec::new(),
    }
}

fn nanos(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}
