//! A device's records: a page of rows, newest first, paged by the store. Viewers of one
//! page share its read while its window's step lasts (5 s for an hour, 2 min for a day), as
//! a dashboard's charts are shared; the gateway's next points for the device end it sooner.

use super::{last_values, rfc3339, step_of};
use crate::{queries, Backend, Error};
use influx_client::flux::TimeRange;
use influx_client::FluxValue;
use iot_models::{DeviceId, Measurements, TelemetryRow};
use std::sync::Arc;

pub const PAGE_SIZE: usize = 20;

pub async fn measurements(
    b: &Backend,
    id: &DeviceId,
    window: &TimeRange,
    page: usize,
) -> Result<Arc<Measurements>, Error> {
    let key = (
        id.to_string(),
        format!("{window:?} {page}"),
        step_of(window, chrono::Utc::now()),
    );
    b.records
        .get_or_read(key, || read(b, id, window, page))
        .await
}

async fn read(
    b: &Backend,
    id: &DeviceId,
    window: &TimeRange,
    page: usize,
) -> Result<Measurements, Error> {
    let bucket = &b.settings.telemetry_bucket;
    let offset = page.saturating_mul(PAGE_SIZE);
    let page_query = queries::device_records(bucket, id.as_str(), window, offset, PAGE_SIZE);
    let count_query = queries::device_record_count(bucket, id.as_str(), window);
    let (last_values, records, counted) = tokio::try_join!(
        last_values(b, id, window),
        async { Ok(b.client.query(&page_query).await?) },
        async { Ok(b.client.query(&count_query).await?) },
    )?;
    // Fields are what has data in the range; other pivoted columns are tags.
    let fields: Vec<String> = last_values.iter().map(|v| v.field.clone()).collect();
    let total_rows = counted
        .first()
        .and_then(|r| r.get("_time"))
        .and_then(FluxValue::as_f64)
        .unwrap_or(0.0) as usize;
    let rows = records
        .iter()
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
