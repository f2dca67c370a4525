//! The arguments of a call, read by name and type: what every builtin starts from.

use super::ast::Duration;
use super::value::{Function, Stream, Value};
use super::FluxError;
use std::sync::Arc;

/// Arguments of a call: named values plus the piped-in value.
pub struct Args {
    pub named: Vec<(String, Value)>,
    pub piped: Option<Value>,
    pub function: String,
}

impl Args {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.named.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
    pub fn type_error(&self, name: &str, want: &str, got: &Value) -> FluxError {
        FluxError::Invalid(format!(
            "error calling function \"{}\": argument \"{name}\" must be {want}, got {}",
            self.function,
            got.type_name()
        ))
    }
    pub fn string(&self, name: &str) -> Result<Option<String>, FluxError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s.clone())),
            Some(v) => Err(self.type_error(name, "a string", v)),
        }
    }
    pub fn int(&self, name: &str) -> Result<Option<i64>, FluxError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Int(n)) => Ok(Some(*n)),
            Some(v) => Err(self.type_error(name, "an integer", v)),
        }
    }
    pub fn bool(&self, name: &str) -> Result<Option<bool>, FluxError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(self.type_error(name, "a boolean", v)),
        }
    }
    pub fn strings(&self, name: &str) -> Result<Option<Vec<String>>, FluxError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::Str(s) => Ok(s.clone()),
                    v => Err(self.type_error(name, "an array of strings", v)),
                })
                .collect::<Result<_, _>>()
                .map(Some),
            Some(v) => Err(self.type_error(name, "an array of strings", v)),
        }
    }
    pub fn function(&self, name: &str) -> Result<Option<Arc<Function>>, FluxError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Func(f)) => Ok(Some(f.clone())),
            Some(v) => Err(self.type_error(name, "a function", v)),
        }
    }
    pub fn required_function(&self, name: &str) -> Result<Arc<Function>, FluxError> {
        self.function(name)?.ok_or_else(|| self.missing(name))
    }
    pub fn missing(&self, name: &str) -> FluxError {
        FluxError::Invalid(format!(
            "error calling function \"{}\": missing required argument \"{name}\"",
            self.function
        ))
    }
    /// The piped-in stream of tables.
    pub fn tables(&self) -> Result<Stream, FluxError> {
        match &self.piped {
            Some(Value::Tables(s)) => Ok((**s).clone()),
            _ => Err(FluxError::Invalid(format!(
                "error calling function \"{}\": missing required argument \"tables\" (pipe a stream of tables into it)",
                self.function
            ))),
        }
    }
}

/// Whether a value counts as true: only `true` does (null and anything else do not).
pub fn truthy(v: &Value) -> bool {
    matches!(v, Value::Bool(true))
}

/// A time bound: a duration relative to now, a time, or an integer of Unix seconds.
pub fn time_bound(now: i64, args: &Args, name: &str) -> Result<Option<i64>, FluxError> {
    Ok(match args.get(name) {
        None => None,
        Some(Value::Time(t)) => Some(*t),
        Some(Value::Int(secs)) => Some(secs.saturating_mul(1_000_000_000)),
        Some(Value::Duration(d)) => Some(add_duration(now, *d)?),
        Some(v) => return Err(args.type_error(name, "a time, duration or integer", v)),
    })
}

pub fn add_duration(t: i64, d: Duration) -> Result<i64, FluxError> {
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
