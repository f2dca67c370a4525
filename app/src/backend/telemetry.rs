//! A device's telemetry for the Query page: last values and the records, newest first, paged.

use super::{Backend, TELEMETRY_MEASUREMENT};
use crate::models::{AppError, DeviceId, LastValue, Measurements, RangeChoice, TelemetryRow};
use chrono::SecondsFormat;
use influx_client::flux::{self, TimeRange};
use influx_client::FluxValue;
use std::time::Duration;

pub const PAGE_SIZE: usize = 20;

/// The reference fields first, in the order people read them; anything else after.
const FIELD_ORDER: [&str; 7] = [
    "Temperature",
    "Humidity",
    "Pressure",
    "CO2",
    "TVOC",
    "Lat",
    "Lon",
];

fn field_rank(f: &str) -> (usize, String) {
    (
        FIELD_ORDER
            .iter()
            .position(|x| *x == f)
            .unwrap_or(FIELD_ORDER.len()),
        f.to_string(),
    )
}

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub async fn measurements(
    b: &Backend,
    id: &DeviceId,
    range: RangeChoice,
    page: usize,
) -> Result<Measurements, AppError> {
    let bucket = &b.settings.telemetry_bucket;
    let window = TimeRange::last(Duration::from_secs(range.seconds()));
    let mut last_values: Vec<LastValue> = b
        .client
        .query(&flux::device_last_values(
            bucket,
            TELEMETRY_MEASUREMENT,
            id.as_str(),
            &window,
        ))
        .await?
        .iter()
        .filter_map(|r| {
            Some(LastValue {
                field: r.field()?.to_string(),
                value: r.value()?.as_f64()?,
                time: rfc3339(r.time()?),
            })
        })
        .collect();
    last_values.sort_by_key(|v| field_rank(&v.field));

    let records = b
        .client
        .query(&flux::device_telemetry(
            bucket,
            TELEMETRY_MEASUREMENT,
            id.as_str(),
            &window,
            None,
        ))
        .await?;
    // Fields are what has data in the range; other pivoted columns are tags.
    let fields: Vec<String> = last_values.iter().map(|v| v.field.clone()).collect();
    let total_rows = records.len();
    let rows = records
        .iter()
        .rev()
        .skip(page * PAGE_SIZE)
        .take(PAGE_SIZE)
        .filter_map(|r| {
            let time = rfc3339(r.time()?);
            let values = fields
                .iter()
                .map(|f| (f.clone(), r.get(f).and_then(FluxValue::as_f64)))
                .collect();
            Some(TelemetryRow { time, values })
        })
        .collect();
    Ok(Measurements {
        last_values,
        fields,
        rows,
        total_rows,
        page,
        page_size: PAGE_SIZE,
    })
}
