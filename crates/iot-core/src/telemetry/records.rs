//! A device's records: a page of rows, newest first.

use super::{last_values, rfc3339};
use crate::{queries, Backend, Error};
use influx_client::flux::TimeRange;
use influx_client::FluxValue;
use iot_models::{DeviceId, Measurements, TelemetryRow};

pub const PAGE_SIZE: usize = 20;
pub async fn measurements(
    b: &Backend,
    id: &DeviceId,
    window: &TimeRange,
    page: usize,
) -> Result<Measurements, Error> {
    let bucket = &b.settings.telemetry_bucket;
    let last_values = last_values(b, id, window).await?;

    let records = b
        .client
        .query(&queries::device_telemetry(bucket, id.as_str(), window))
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
