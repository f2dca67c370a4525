//! The application's own metrics, as the Health page charts them.

use super::range_seconds;
use crate::{metrics, queries, Backend, Error};
use influx_client::flux::TimeRange;
use influx_client::FluxValue;
use iot_models::{window_for, Series};
use std::collections::BTreeMap;
use std::time::Duration;

/// The application's own metrics (totals over all routes) over a range, a series per field.
pub async fn app_metrics(b: &Backend, window: &TimeRange) -> Result<Vec<Series>, Error> {
    let every = window_for(range_seconds(window, chrono::Utc::now()))
        .map(|w| Duration::from_secs(w.max(metrics::FLUSH_EVERY.as_secs())));
    let records = b
        .client
        .query(&queries::app_metrics(
            &b.settings.telemetry_bucket,
            metrics::ALL_ROUTES,
            window,
            every,
        ))
        .await?;
    let mut by_field: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
    for r in &records {
        if let (Some(field), Some(time), Some(value)) =
            (r.field(), r.time(), r.value().and_then(FluxValue::as_f64))
        {
            by_field
                .entry(field.to_string())
                .or_default()
                .push((time.timestamp_millis(), value));
        }
    }
    Ok(by_field
        .into_iter()
        .map(|(field, mut points)| {
            points.sort_by_key(|p| p.0);
            Series {
                device: metrics::ALL_ROUTES.into(),
                field,
                points,
            }
        })
        .collect())
}
