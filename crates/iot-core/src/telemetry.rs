//! Reading telemetry: a device's records (paged, newest first), the series its dashboard
//! draws, one field of several devices side by side, and where devices last were.

use crate::Error;
use crate::{layout, metrics, queries, Backend};
use chrono::SecondsFormat;
use influx_client::flux::{RangeBound, TimeRange};
use influx_client::{FluxValue, Record};
use iot_models::{
    align, field_rank, gaps, window_for, Activity, Comparison, Dashboard, DeviceId, DevicePosition,
    DeviceSelection, ExportRequest, FieldName, FleetMap, LastValue, Measurements, Resolution,
    Series, TelemetryRow, TimeWindow, POSITION_FIELDS,
};
use std::collections::BTreeMap;
use std::time::Duration;

pub const PAGE_SIZE: usize = 20;

/// How far back latest values and positions are looked for.
const LAST_VALUES_WITHIN: Duration = Duration::from_secs(30 * 86_400);

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The last value of each field of a device within a range, reference fields first.
async fn last_values(
    b: &Backend,
    id: &DeviceId,
    window: &TimeRange,
) -> Result<Vec<LastValue>, Error> {
    let mut values: Vec<LastValue> = b
        .client
        .query(&queries::device_last_values(
            &b.settings.telemetry_bucket,
            id.as_str(),
            window,
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
    // A field written by differently tagged series has a last value in each: keep the latest.
    values.sort_by(|a, b| {
        field_rank(&a.field)
            .cmp(&field_rank(&b.field))
            .then_with(|| b.time.cmp(&a.time))
    });
    values.dedup_by(|later, first| later.field == first.field);
    Ok(values)
}

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

/// One value of one field of one device, from a record of a telemetry query.
pub(crate) struct Reading<'a> {
    pub device: &'a str,
    pub field: &'a str,
    pub time: chrono::DateTime<chrono::Utc>,
    pub value: f64,
}

/// The reading in a record, by whichever device tag it carries.
pub(crate) fn reading(r: &Record) -> Option<Reading<'_>> {
    Some(Reading {
        device: layout::device_of(r)?,
        field: r.field()?,
        time: r.time()?,
        value: r.value().and_then(FluxValue::as_f64)?,
    })
}

/// Hands `each` the latest value of each of `fields` of every device that wrote them
/// within `within`.
pub(crate) async fn latest_readings(
    b: &Backend,
    fields: &[&str],
    within: Duration,
    each: impl FnMut(Reading<'_>),
) -> Result<(), Error> {
    let q = queries::fleet_last_values(
        &b.settings.telemetry_bucket,
        fields,
        &TimeRange::last(within),
    );
    b.client
        .query(&q)
        .await?
        .iter()
        .filter_map(reading)
        .for_each(each);
    Ok(())
}

/// How long a range is, in seconds, as of `now`.
fn range_seconds(window: &TimeRange, now: chrono::DateTime<chrono::Utc>) -> u64 {
    let (start, stop) = window.resolve(now);
    (stop - start).num_seconds().max(1) as u64
}

/// Series of `fields` (all when empty) of `devices` over a range, averaged over windows of at
/// least `min_every` seconds when the range is long: one per device and field, in the order
/// of `devices` and then of [`field_rank`].
async fn read_series(
    b: &Backend,
    devices: &[&str],
    fields: &[&str],
    window: &TimeRange,
    min_every: u64,
) -> Result<(Vec<Series>, Resolution), Error> {
    let now = chrono::Utc::now();
    let every = window_for(range_seconds(window, now)).map(|w| w.max(min_every));
    let records = b
        .client
        .query(&queries::telemetry_series(
            &b.settings.telemetry_bucket,
            devices,
            fields,
            window,
            every.map(Duration::from_secs),
        ))
        .await?;
    let mut by_key: BTreeMap<(usize, (usize, String)), Series> = BTreeMap::new();
    for Reading {
        device,
        field,
        time,
        value,
    } in records.iter().filter_map(reading)
    {
        let Some(rank) = devices.iter().position(|d| *d == device) else {
            continue;
        };
        by_key
            .entry((rank, field_rank(field)))
            .or_insert_with(|| Series {
                device: device.to_string(),
                field: field.to_string(),
                points: Vec::new(),
            })
            .points
            .push((time.timestamp_millis(), value));
    }
    let mut series: Vec<Series> = by_key.into_values().collect();
    for s in &mut series {
        s.points.sort_by_key(|p| p.0);
    }
    let resolution = Resolution {
        every_seconds: every,
        now_ms: now.timestamp_millis(),
    };
    Ok((series, resolution))
}

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

/// Points in the last hour and day, and the gaps in the first charted series.
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
    let step = window_for(range_seconds(&range, now)).unwrap_or(1).max(1) as i64;
    let key = (
        id.to_string(),
        format!("{window:?}"),
        now.timestamp() / step,
    );
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

/// One field of several devices. Windows are at least one measurement interval long, so the
/// devices' points fall on the same times and their lines can be read against each other.
pub async fn compare(
    b: &Backend,
    selection: &DeviceSelection,
    field_name: &FieldName,
    window: &TimeWindow,
) -> Result<Comparison, Error> {
    let range = time_range(window);
    let devices: Vec<&str> = selection.ids().iter().map(DeviceId::as_str).collect();
    let field = field_name.as_str();
    let (series, resolution) = read_series(
        b,
        &devices,
        &[field],
        &range,
        b.settings.measurement_interval,
    )
    .await?;
    // Every chosen device gets a line, with or without data.
    let series: Vec<Series> = devices
        .iter()
        .map(|d| {
            series
                .iter()
                .find(|s| s.device == *d)
                .cloned()
                .unwrap_or_else(|| Series {
                    device: d.to_string(),
                    field: field.to_string(),
                    points: Vec::new(),
                })
        })
        .collect();
    let export = ExportRequest {
        devices: selection.clone(),
        fields: vec![field_name.clone()],
        window: *window,
    };
    Ok(Comparison {
        field: field.to_string(),
        devices: devices.iter().map(|d| d.to_string()).collect(),
        rows: align(&series),
        resolution,
        export_href: Some(export.href()),
    })
}

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

/// Where every device last reported a position (`Lat` and `Lon`) in the last 30 days, as
/// the map draws it (nearby devices sharing a marker past [`iot_models::MAP_MARKERS`]).
pub async fn positions(b: &Backend) -> Result<FleetMap, Error> {
    let mut by_device: BTreeMap<String, (Option<f64>, Option<f64>, String)> = BTreeMap::new();
    latest_readings(b, &POSITION_FIELDS, LAST_VALUES_WITHIN, |r| {
        let entry = by_device.entry(r.device.to_string()).or_default();
        match r.field {
            "Lat" => entry.0 = Some(r.value),
            _ => entry.1 = Some(r.value),
        }
        entry.2 = entry.2.clone().max(rfc3339(r.time));
    })
    .await?;
    let positions = by_device
        .into_iter()
        .filter_map(|(device, (lat, lon, time))| {
            Some(DevicePosition {
                device,
                lat: lat.filter(|l| (-90.0..=90.0).contains(l))?,
                lon: lon.filter(|l| (-180.0..=180.0).contains(l))?,
                time,
            })
        });
    Ok(FleetMap::of(positions.collect()))
}

/// The time range a window stands for.
pub fn time_range(window: &TimeWindow) -> TimeRange {
    match *window {
        TimeWindow::Last(choice) => TimeRange::last(Duration::from_secs(choice.seconds())),
        TimeWindow::Between { from, to } => TimeRange {
            start: RangeBound::At(from),
            stop: Some(RangeBound::At(to)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iot_models::RangeChoice;

    #[test]
    fn windows_become_ranges() {
        assert_eq!(
            time_range(&TimeWindow::Last(RangeChoice::H1)),
            TimeRange::last(Duration::from_secs(3600))
        );
        let (from, to) = (
            chrono::DateTime::from_timestamp(1_000, 0).unwrap(),
            chrono::DateTime::from_timestamp(2_000, 0).unwrap(),
        );
        let custom = time_range(&TimeWindow::Between { from, to });
        assert_eq!(custom.start, RangeBound::At(from));
        assert_eq!(custom.stop, Some(RangeBound::At(to)));
    }
}
