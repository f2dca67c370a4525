//! Reducing values: what selectors pick, what aggregates compute, and the windows of
//! `aggregateWindow` and `window`. Plain functions of values, used by the builtins and by
//! storage reads alike.

use super::args::Args;
use super::value::table::Table;
use super::value::{Value, Windowing};
use super::FluxError;
use crate::series::ColType;

/// Refuses windowing that would build more windows than any chart can use.
const MAX_WINDOWS: i64 = 1_000_000;

/// The index of the value a selector picks, skipping nulls.
pub fn pick<'v>(name: &str, values: impl Iterator<Item = &'v Value>) -> Option<usize> {
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
pub fn aggregate_values<'v>(
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

pub fn aggregate_type(name: &str, input: ColType) -> ColType {
    match name {
        "count" => ColType::Long,
        "mean" => ColType::Double,
        _ => input,
    }
}

impl Windowing {
    /// Calls `each(stamp, indices)` for every window over `[start, stop)` of the ascending
    /// `times`; empty windows only with `create_empty`.
    pub fn each(
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
pub fn window_value<'v>(
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

pub fn duration_arg(args: &Args, name: &str) -> Result<Option<i64>, FluxError> {
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
pub fn table_bounds(t: &Table, time: usize) -> (Option<i64>, Option<i64>) {
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

pub fn window_bounds(t: i64, every: i64, offset: i64) -> (i64, i64) {
    let ws = window_start(t, every, offset);
    (ws, ws.saturating_add(every))
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
