//! Building Flux safely: every string that goes into a query passes through [`string`], and
//! the query helpers the application uses are built only from it and typed values.

use chrono::{DateTime, SecondsFormat, Utc};
use std::time::Duration;

/// `s` as a Flux string literal: `"` and `\` are escaped, and `${` cannot start an
/// interpolation, so no input can change the query around it.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A bound of a time range.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RangeBound {
    /// This long before the query's `now()`.
    Ago(Duration),
    At(DateTime<Utc>),
}

impl RangeBound {
    fn flux(&self) -> String {
        match self {
            RangeBound::Ago(d) => format!("-{}s", d.as_secs().max(1)),
            RangeBound::At(t) => t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        }
    }
}

/// A time range `[start, stop)`; no stop means now.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeRange {
    pub start: RangeBound,
    pub stop: Option<RangeBound>,
}

impl TimeRange {
    pub fn last(d: Duration) -> TimeRange {
        TimeRange {
            start: RangeBound::Ago(d),
            stop: None,
        }
    }
    /// The range's start and stop as of `now`.
    pub fn resolve(&self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let at = |bound: &RangeBound| match bound {
            RangeBound::Ago(d) => now - chrono::Duration::from_std(*d).unwrap_or_default(),
            RangeBound::At(t) => *t,
        };
        (at(&self.start), self.stop.as_ref().map_or(now, at))
    }

    fn flux(&self) -> String {
        match &self.stop {
            Some(stop) => format!("range(start: {}, stop: {})", self.start.flux(), stop.flux()),
            None => format!("range(start: {})", self.start.flux()),
        }
    }
}

/// `r.k == "v" or …` for every key and value: true when any column `keys` holds any of `values`.
fn equals_any(keys: &[&str], values: &[&str]) -> String {
    values
        .iter()
        .flat_map(|v| keys.iter().map(move |k| format!("r.{k} == {}", string(v))))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// `from |> range |> filter(measurement and devices)`: a device may be tagged `clientId`
/// (the reference IoT Center) or `device` (the Python tutorial).
fn devices_rows(bucket: &str, measurement: &str, device_ids: &[&str], range: &TimeRange) -> String {
    let devices = equals_any(&["clientId", "device"], device_ids);
    format!(
        "from(bucket: {}) |> {} |> filter(fn: (r) => r._measurement == {} and ({devices}))",
        string(bucket),
        range.flux(),
        string(measurement)
    )
}

fn device_rows(bucket: &str, measurement: &str, device_id: &str, range: &TimeRange) -> String {
    devices_rows(bucket, measurement, &[device_id], range)
}

/// `aggregateWindow` taking the mean of each window of `every`, without empty windows.
fn mean_every(every: Duration) -> String {
    format!(
        " |> aggregateWindow(every: {}s, fn: mean, createEmpty: false)",
        every.as_secs().max(1)
    )
}

/// Fields of devices over a range as one table per device and field (columns `_time`,
/// `_field`, `_value` and the device tags), oldest first: all fields, or only `fields`; with
/// `every`, the mean of each window.
pub fn telemetry_series(
    bucket: &str,
    measurement: &str,
    device_ids: &[&str],
    fields: &[&str],
    range: &TimeRange,
    every: Option<Duration>,
) -> String {
    let mut q = devices_rows(bucket, measurement, device_ids, range);
    if !fields.is_empty() {
        q.push_str(&format!(
            " |> filter(fn: (r) => {})",
            equals_any(&["_field"], fields)
        ));
    }
    if let Some(every) = every {
        q.push_str(&mean_every(every));
    }
    q.push_str(" |> keep(columns: [\"_time\", \"_field\", \"_value\", \"clientId\", \"device\"])");
    q
}

/// How many values of each field a device wrote within a range (a table per series).
pub fn device_value_counts(
    bucket: &str,
    measurement: &str,
    device_id: &str,
    range: &TimeRange,
) -> String {
    format!(
        "{} |> count() |> keep(columns: [\"_field\", \"_value\"])",
        device_rows(bucket, measurement, device_id, range)
    )
}

/// Every field of `measurement` where tag `tag` is `value`, over a range, as one table per
/// field (`_time`, `_field`, `_value`); with `every`, the mean of each window.
pub fn tagged_series(
    bucket: &str,
    measurement: &str,
    (tag, value): (&str, &str),
    range: &TimeRange,
    every: Option<Duration>,
) -> String {
    let mut q = format!(
        "from(bucket: {}) |> {} |> filter(fn: (r) => r._measurement == {} and {})",
        string(bucket),
        range.flux(),
        string(measurement),
        equals_any(&[tag], &[value])
    );
    if let Some(every) = every {
        q.push_str(&mean_every(every));
    }
    q.push_str(" |> keep(columns: [\"_time\", \"_field\", \"_value\"])");
    q
}

/// The last value of `fields` of every device that reported them within a range (tables
/// by device and field).
pub fn fleet_last_values(
    bucket: &str,
    measurement: &str,
    fields: &[&str],
    range: &TimeRange,
) -> String {
    format!(
        "from(bucket: {}) |> {} |> filter(fn: (r) => r._measurement == {} and ({})) |> last() \
         |> keep(columns: [\"_time\", \"_field\", \"_value\", \"clientId\", \"device\"])",
        string(bucket),
        range.flux(),
        string(measurement),
        equals_any(&["_field"], fields)
    )
}

/// One device's fields over a range; with `every`, the mean of each window (so a long range
/// stays at a bounded number of points), pivoted to one row per time.
pub fn device_telemetry(
    bucket: &str,
    measurement: &str,
    device_id: &str,
    range: &TimeRange,
    every: Option<Duration>,
) -> String {
    let mut q = device_rows(bucket, measurement, device_id, range);
    if let Some(every) = every {
        q.push_str(&mean_every(every));
    }
    q.push_str(" |> drop(columns: [\"clientId\", \"device\"]) |> pivot(rowKey: [\"_time\"], columnKey: [\"_field\"], valueColumn: \"_value\")");
    q
}

/// The last value of every field of one device within a range.
pub fn device_last_values(
    bucket: &str,
    measurement: &str,
    device_id: &str,
    range: &TimeRange,
) -> String {
    format!(
        "{} |> last() |> keep(columns: [\"_time\", \"_field\", \"_value\"])",
        device_rows(bucket, measurement, device_id, range)
    )
}

/// When each device (tag `clientId`) last wrote, in one query for the whole fleet.
pub fn fleet_last_seen(bucket: &str, measurement: &str, range: &TimeRange) -> String {
    format!(
        "from(bucket: {}) |> {} |> filter(fn: (r) => r._measurement == {}) |> last() \
         |> keep(columns: [\"clientId\", \"_time\"]) |> group(columns: [\"clientId\"]) |> max(column: \"_time\")",
        string(bucket),
        range.flux(),
        string(measurement)
    )
}

/// The device registry of the reference IoT Center: the latest `deviceauth` row per device
/// and field, tokens left out unless `with_tokens`.
pub fn registry(bucket: &str, device_id: Option<&str>, with_tokens: bool) -> String {
    let mut filter = "r._measurement == \"deviceauth\"".to_string();
    if let Some(id) = device_id {
        filter.push_str(&format!(" and r.deviceId == {}", string(id)));
    }
    if !with_tokens {
        filter.push_str(" and r._field != \"token\"");
    }
    format!(
        "from(bucket: {}) |> range(start: 0) |> filter(fn: (r) => {filter}) |> last()",
        string(bucket)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_escape_quotes_backslashes_and_interpolation() {
        assert_eq!(string(r#"a"b\c${d}$e"#), r#""a\"b\\c\${d}$e""#);
        assert_eq!(string(""), "\"\"");
    }

    #[test]
    fn helpers_put_user_strings_only_in_literals() {
        let q = device_last_values(
            "iot",
            "environment",
            "x\" or true or \"",
            &TimeRange::last(Duration::from_secs(3600)),
        );
        assert!(q.contains(r#"r.clientId == "x\" or true or \"""#), "{q}");
        assert!(registry("b", Some("ESP32-A0"), false).contains("r._field != \"token\""));
    }
}
