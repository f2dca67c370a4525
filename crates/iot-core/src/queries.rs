//! The Flux the application sends, built only from [`influx_client::flux::string`] literals, typed ranges and
//! the names of [`crate::layout`]: no input can change a query around it.

use crate::layout::{
    ALERTS_MEASUREMENT, ALERT_DEVICE_TAG, ALERT_STATE, DEVICE_TAGS, METRICS_MEASUREMENT,
    METRICS_ROUTE_TAG, REGISTRY_DEVICE_TAG, REGISTRY_MEASUREMENT, REGISTRY_TOKEN,
    TELEMETRY_MEASUREMENT,
};
use chrono::{DateTime, Utc};
use influx_client::flux::{string, TimeRange};
use std::time::Duration;

/// `r.k == "v" or …` for every key and value: true when any column `keys` holds any of `values`.
fn equals_any(keys: &[&str], values: &[&str]) -> String {
    values
        .iter()
        .flat_map(|v| keys.iter().map(move |k| format!("r.{k} == {}", string(v))))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// `["a", "b", …]`
fn columns(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| string(n)).collect();
    format!("[{}]", quoted.join(", "))
}

/// The telemetry of `range`, all devices.
fn telemetry_rows(bucket: &str, range: &TimeRange) -> String {
    format!(
        "from(bucket: {}) |> {} |> filter(fn: (r) => r._measurement == {})",
        string(bucket),
        range.flux(),
        string(TELEMETRY_MEASUREMENT)
    )
}

/// The telemetry of `range` of devices, by either device tag.
fn devices_rows(bucket: &str, device_ids: &[&str], range: &TimeRange) -> String {
    format!(
        "from(bucket: {}) |> {} |> filter(fn: (r) => r._measurement == {} and ({}))",
        string(bucket),
        range.flux(),
        string(TELEMETRY_MEASUREMENT),
        equals_any(&DEVICE_TAGS, device_ids)
    )
}

/// `aggregateWindow` taking the mean of each window of `every`, without empty windows.
fn mean_every(every: Duration) -> String {
    format!(
        " |> aggregateWindow(every: {}s, fn: mean, createEmpty: false)",
        every.as_secs().max(1)
    )
}

/// `keep(columns:)` of `names` and the device tags.
fn keep_with_device(names: &[&str]) -> String {
    let mut all = names.to_vec();
    all.extend(DEVICE_TAGS);
    format!(" |> keep(columns: {})", columns(&all))
}

/// Fields of devices over a range as one table per device and field (columns `_time`,
/// `_field`, `_value` and the device tags), oldest first: all fields, or only `fields`; with
/// `every`, the mean of each window.
pub fn telemetry_series(
    bucket: &str,
    device_ids: &[&str],
    fields: &[&str],
    range: &TimeRange,
    every: Option<Duration>,
) -> String {
    let mut q = devices_rows(bucket, device_ids, range);
    if !fields.is_empty() {
        q.push_str(&format!(
            " |> filter(fn: (r) => {})",
            equals_any(&["_field"], fields)
        ));
    }
    if let Some(every) = every {
        q.push_str(&mean_every(every));
    }
    q.push_str(&keep_with_device(&["_time", "_field", "_value"]));
    q
}

/// How many values of each field a device wrote within a range (a table per series).
pub fn device_value_counts(bucket: &str, device_id: &str, range: &TimeRange) -> String {
    format!(
        "{} |> count() |> keep(columns: [\"_field\", \"_value\"])",
        devices_rows(bucket, &[device_id], range)
    )
}

/// Every field of the app's metrics of `route`, over a range, as one table per field
/// (`_time`, `_field`, `_value`); with `every`, the mean of each window.
pub fn app_metrics(
    bucket: &str,
    route: &str,
    range: &TimeRange,
    every: Option<Duration>,
) -> String {
    let mut q = format!(
        "from(bucket: {}) |> {} |> filter(fn: (r) => r._measurement == {} and {})",
        string(bucket),
        range.flux(),
        string(METRICS_MEASUREMENT),
        equals_any(&[METRICS_ROUTE_TAG], &[route])
    );
    if let Some(every) = every {
        q.push_str(&mean_every(every));
    }
    q.push_str(" |> keep(columns: [\"_time\", \"_field\", \"_value\"])");
    q
}

/// The last value of `fields` of every device that reported them within a range (tables
/// by device and field).
pub fn fleet_last_values(bucket: &str, fields: &[&str], range: &TimeRange) -> String {
    format!(
        "{} |> filter(fn: (r) => {}) |> last(){}",
        telemetry_rows(bucket, range),
        equals_any(&["_field"], fields),
        keep_with_device(&["_time", "_field", "_value"])
    )
}

/// One device's fields over a range, pivoted to one row per time.
pub fn device_telemetry(bucket: &str, device_id: &str, range: &TimeRange) -> String {
    format!(
        "{} |> drop(columns: {}) |> pivot(rowKey: [\"_time\"], columnKey: [\"_field\"], valueColumn: \"_value\")",
        devices_rows(bucket, &[device_id], range),
        columns(&DEVICE_TAGS)
    )
}

/// One page of a device's rows (fields pivoted by time), newest first: cut by the store,
/// so a day of data is not sent to be cut here.
pub fn device_records(
    bucket: &str,
    device_id: &str,
    range: &TimeRange,
    offset: usize,
    n: usize,
) -> String {
    format!(
        "{} |> group() |> sort(columns: [\"_time\"], desc: true) |> limit(n: {n}, offset: {offset})",
        device_telemetry(bucket, device_id, range)
    )
}

/// How many rows [`device_records`] pages through.
pub fn device_record_count(bucket: &str, device_id: &str, range: &TimeRange) -> String {
    format!(
        "{} |> group() |> count(column: \"_time\")",
        device_telemetry(bucket, device_id, range)
    )
}

/// The last value of `fields` of each of `device_ids` within a range (tables by device and
/// field): the points as written, not window means.
pub fn last_values(
    bucket: &str,
    device_ids: &[&str],
    fields: &[&str],
    range: &TimeRange,
) -> String {
    format!(
        "{} |> filter(fn: (r) => {}) |> last(){}",
        devices_rows(bucket, device_ids, range),
        equals_any(&["_field"], fields),
        keep_with_device(&["_time", "_field", "_value"])
    )
}

/// `stat` (`min`, `max`, `mean` or `count`) of each field of one device within a range: a
/// table per field (the selectors `min` and `max` keep their point's time and tags).
pub fn device_field_stat(bucket: &str, device_id: &str, range: &TimeRange, stat: &str) -> String {
    format!(
        "{} |> group(columns: [\"_field\"]) |> {stat}()",
        devices_rows(bucket, &[device_id], range)
    )
}

/// The last value of every field of one device within a range.
pub fn device_last_values(bucket: &str, device_id: &str, range: &TimeRange) -> String {
    format!(
        "{} |> last() |> keep(columns: [\"_time\", \"_field\", \"_value\"])",
        devices_rows(bucket, &[device_id], range)
    )
}

/// When each device last wrote, by either device tag, in one query for the whole fleet.
pub fn fleet_last_seen(bucket: &str, range: &TimeRange) -> String {
    format!(
        "{} |> last(){} |> group(columns: {}) |> max(column: \"_time\")",
        telemetry_rows(bucket, range),
        keep_with_device(&["_time"]),
        columns(&DEVICE_TAGS)
    )
}

/// The last alert state of each rule and device within a range.
pub fn alert_states(bucket: &str, range: &TimeRange) -> String {
    format!(
        "from(bucket: {}) |> {} |> filter(fn: (r) => r._measurement == {} and r._field == {}) |> last()",
        string(bucket),
        range.flux(),
        string(ALERTS_MEASUREMENT),
        string(ALERT_STATE)
    )
}

/// The newest `n` alert state changes within a range, of one device or all, newest first:
/// one row per change with its fields (state, value, message) side by side.
pub fn alert_events(bucket: &str, device: Option<&str>, range: &TimeRange, n: usize) -> String {
    let device = device
        .map(|d| format!(" and r.{ALERT_DEVICE_TAG} == {}", string(d)))
        .unwrap_or_default();
    format!(
        "from(bucket: {}) |> {} |> filter(fn: (r) => r._measurement == {}{device}) \
         |> pivot(rowKey: [\"_time\"], columnKey: [\"_field\"], valueColumn: \"_value\") \
         |> group() |> sort(columns: [\"_time\"], desc: true) |> limit(n: {n})",
        string(bucket),
        range.flux(),
        string(ALERTS_MEASUREMENT),
    )
}

/// The device registry of the reference IoT Center: the latest row per device and field,
/// tokens left out unless `with_tokens`; only rows written since `since`, when given.
pub fn registry(
    bucket: &str,
    device_id: Option<&str>,
    with_tokens: bool,
    since: Option<DateTime<Utc>>,
) -> String {
    let mut filter = format!("r._measurement == {}", string(REGISTRY_MEASUREMENT));
    if let Some(id) = device_id {
        filter.push_str(&format!(" and r.{REGISTRY_DEVICE_TAG} == {}", string(id)));
    }
    if !with_tokens {
        filter.push_str(&format!(" and r._field != {}", string(REGISTRY_TOKEN)));
    }
    let range = match since {
        Some(t) => TimeRange::since(t).flux(),
        None => "range(start: 0)".to_string(),
    };
    format!(
        "from(bucket: {}) |> {range} |> filter(fn: (r) => {filter}) |> last()",
        string(bucket)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_strings_stay_inside_literals() {
        let q = device_last_values(
            "iot",
            "x\" or true or \"",
            &TimeRange::last(Duration::from_secs(3600)),
        );
        assert!(q.contains(r#"r.clientId == "x\" or true or \"""#), "{q}");
        assert!(q.contains(r#"r.device == "x\" or true or \"""#), "{q}");
        assert!(registry("b", Some("ESP32-A0"), false, None).contains("r._field != \"token\""));
    }

    #[test]
    fn fleet_queries_know_both_device_tags() {
        let month = TimeRange::last(Duration::from_secs(30 * 86_400));
        let seen = fleet_last_seen("iot", &month);
        assert!(
            seen.contains("group(columns: [\"clientId\", \"device\"])"),
            "{seen}"
        );
        let positions = fleet_last_values("iot", &["Lat", "Lon"], &month);
        assert!(
            positions.contains("\"clientId\", \"device\"]"),
            "{positions}"
        );
    }
}
