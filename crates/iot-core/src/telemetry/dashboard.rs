//! A device's dashboard: its charts, latest values and activity.

use super::{last_values, read_series, step_of, time_range, LAST_VALUES_WITHIN};
use crate::{queries, Backend, Error};
use influx_client::flux::TimeRange;
use influx_client::FluxValue;
use iot_models::{
    gaps, Activity, Dashboard, DeviceId, ExportRequest, Resolution, Series, TimeWindow,
    POSITION_FIELDS,
};
use std::collections::BTreeMap;
use std::time::Duration;

/// The most values any one field of a device has within a range: its number of points.
async fn points_within(b: &Backend, id: &DeviceId, window: &TimeRange) -> Result<u64, Error> {
    let mut per_field: BTreeMap<String, u64> = BTreeMap::new();
    let records = b
        .client
        .query(&queries::device_value_counts(
            &b.settings.telemetry_bucket,
            id.as_str(),
            window,
        ))
        .await?;
    for r in &records {
        if let (Some(field), Some(FluxValue::Long(n))) = (r.field(), r.value()) {
            *per_field.entry(field.to_string()).or_default() += (*n).max(0) as u64;
        }
    }
    Ok(per_field.into_values().max().unwrap_or(0))
}

/// How much the device wrote, and the gaps in its first charted series.
fn activity(b: &Backend, charted: &Charted) -> Activity {
    let every = charted.resolution.every_seconds.unwrap_or(0);
    let stale_after = u64::from(b.settings.status_thresholds.stale_after);
    let min_gap = every.max(stale_after * b.settings.measurement_interval);
    let times: Vec<i64> = charted
        .series
        .first()
        .map_or_else(Vec::new, |s| s.points.iter().map(|p| p.0).collect());
    Activity {
        points_last_hour: charted.points_last_hour,
        points_last_day: charted.points_last_day,
        gaps: gaps(&times, every as i64 * 1_000, min_gap as i64 * 1_000),
        gap_resolution_seconds: min_gap,
    }
}

/// What a dashboard reads for its charts: the series and how they were read, and the
/// device's points in the last hour and day.
#[derive(Debug)]
pub struct Charted {
    pub series: Vec<Series>,
    pub resolution: Resolution,
    pub points_last_hour: u64,
    pub points_last_day: u64,
}

/// A device's charts over `range`: its series and its points in the last hour and day, read
/// at once.
async fn read_charted(b: &Backend, id: &DeviceId, range: &TimeRange) -> Result<Charted, Error> {
    let (device, hour, day) = (
        [id.as_str()],
        TimeRange::last(Duration::from_secs(3_600)),
        TimeRange::last(Duration::from_secs(86_400)),
    );
    let (read, points_last_hour, points_last_day) = tokio::try_join!(
        read_series(b, &device, &[], range, 1),
        points_within(b, id, &hour),
        points_within(b, id, &day),
    )?;
    let (mut series, resolution) = read;
    series.retain(|s| !POSITION_FIELDS.contains(&s.field.as_str()));
    Ok(Charted {
        series,
        resolution,
        points_last_hour,
        points_last_day,
    })
}

/// A device's dashboard: every field but its position, charted over the window.
pub async fn dashboard(
    b: &Backend,
    id: &DeviceId,
    window: &TimeWindow,
) -> Result<Dashboard, Error> {
    let range = time_range(window);
    let now = chrono::Utc::now();
    // The charts come from the cache while the window's step lasts; the tiles show the
    // device's latest values whatever the range (its current state), at most a second old.
    let key = (id.to_string(), format!("{window:?}"), step_of(&range, now));
    let latest = TimeRange::last(LAST_VALUES_WITHIN);
    let latest_key = (id.to_string(), "latest".into(), now.timestamp());
    let (charted, last_values) = tokio::try_join!(
        b.charts.get_or_read(key, || read_charted(b, id, &range)),
        b.latest
            .get_or_read(latest_key, || last_values(b, id, &latest)),
    )?;
    let mut last_values = (*last_values).clone();
    last_values.retain(|v| !POSITION_FIELDS.contains(&v.field.as_str()));
    let activity = activity(b, &charted);
    let series = charted.series.clone();
    let resolution = Resolution {
        now_ms: now.timestamp_millis(),
        ..charted.resolution.clone()
    };
    let fields: Vec<&str> = series.iter().map(|s| s.field.as_str()).collect();
    let export_href = (!fields.is_empty())
        .then(|| ExportRequest::link(&[id.as_str()], &fields, *window))
        .flatten();
    Ok(Dashboard {
        export_href,
        series,
        last_values,
        resolution,
        activity,
        interval_seconds: b.settings.measurement_interval,
        thresholds: b.settings.status_thresholds,
        alerts: vec![],
        marks: vec![],
    })
}
