//! A device's fields over a range (its page: the last 30 days; a dashboard's stats cell:
//! the dashboard's) — min, max and when, mean, count, the sensor — computed by the store
//! (four aggregates over the field's points), not by the browser. Viewers of one device
//! and range within a minute share the read.

use super::rfc3339;
use crate::{layout, queries, Backend, Error};
use influx_client::flux::TimeRange;
use influx_client::{FluxValue, Record};
use iot_models::{field_rank, FieldStats, FIELD_STATS_DAYS};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// The range a device's page tells its fields over.
pub fn field_stats_range() -> TimeRange {
    TimeRange::last(Duration::from_secs(FIELD_STATS_DAYS as u64 * 86_400))
}

pub async fn field_stats(
    b: &Backend,
    id: &str,
    range: &TimeRange,
) -> Result<Arc<Vec<FieldStats>>, Error> {
    let key = (
        id.to_string(),
        format!("field stats {range:?}"),
        chrono::Utc::now().timestamp() / 60,
    );
    b.field_stats.get_or_read(key, || read(b, id, range)).await
}

async fn read(b: &Backend, id: &str, range: &TimeRange) -> Result<Vec<FieldStats>, Error> {
    let stat = |name| queries::device_field_stat(&b.settings.telemetry_bucket, id, range, name);
    let [min, max, mean, count] = ["min", "max", "mean", "count"].map(stat);
    let (min, max, mean, count) = tokio::try_join!(
        b.client.query(&min),
        b.client.query(&max),
        b.client.query(&mean),
        b.client.query(&count),
    )?;
    let by_field = |records: &[Record]| -> BTreeMap<String, Record> {
        records
            .iter()
            .filter_map(|r| Some((r.field()?.to_string(), r.clone())))
            .collect()
    };
    let number = |r: Option<&Record>| r.and_then(|r| r.value()).and_then(FluxValue::as_f64);
    let (min, mean, count) = (by_field(&min), by_field(&mean), by_field(&count));
    let mut stats: Vec<FieldStats> = by_field(&max)
        .into_iter()
        .filter_map(|(field, top)| {
            let sensor = match top.get(&layout::sensor_tag(&field)) {
                Some(FluxValue::String(s)) if !s.is_empty() => Some(s.clone()),
                _ => None,
            };
            Some(FieldStats {
                min: number(min.get(&field))?,
                max: number(Some(&top))?,
                max_time: rfc3339(top.time()?),
                mean: number(mean.get(&field))?,
                count: number(count.get(&field))? as u64,
                sensor,
                field,
            })
        })
        .collect();
    stats.sort_by_key(|s| field_rank(&s.field));
    Ok(stats)
}
