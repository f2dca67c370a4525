//! Reading telemetry, by job: a device's records (`records`), the dashboard it draws
//! (`dashboard`), one field of several devices side by side (`compare`), where devices last
//! were (`positions`), the application's own metrics (`app_metrics`); here the reads they
//! share.

mod app_metrics;
mod compare;
mod dashboard;
mod field_stats;
mod positions;
mod records;

pub use app_metrics::app_metrics;
pub use compare::compare;
pub use dashboard::{dashboard, Charted};
pub use field_stats::{field_stats, field_stats_range};
pub use positions::positions;
pub use records::{measurements, PAGE_SIZE};

use crate::Error;
use crate::{layout, queries, Backend};
use chrono::SecondsFormat;
use influx_client::flux::{RangeBound, TimeRange};
use influx_client::{FluxValue, Record};
use iot_models::{field_rank, window_for, DeviceId, LastValue, Resolution, Series, TimeWindow};
use std::collections::BTreeMap;
use std::time::Duration;

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

/// The latest point of each of `fields` of each of `devices` within a range, as written:
/// a one-point series per device and field that has one.
pub(crate) async fn latest_of(
    b: &Backend,
    devices: &[&str],
    fields: &[&str],
    range: &TimeRange,
) -> Result<Vec<Series>, Error> {
    let q = queries::last_values(&b.settings.telemetry_bucket, devices, fields, range);
    let records = b.client.query(&q).await?;
    Ok(records
        .iter()
        .filter_map(reading)
        .map(|r| Series {
            device: r.device.to_string(),
            field: r.field.to_string(),
            points: vec![(r.time.timestamp_millis(), r.value)],
        })
        .collect())
}

/// Which step of its chart windows a range is in at `now`: reads of one step are shared by
/// every viewer (5 s for an hour, 2 min for a day).
pub(crate) fn step_of(range: &TimeRange, now: chrono::DateTime<chrono::Utc>) -> i64 {
    let step = window_for(range_seconds(range, now)).unwrap_or(1).max(1) as i64;
    now.timestamp() / step
}

/// How long a range is, in seconds, as of `now`.
pub(crate) fn range_seconds(window: &TimeRange, now: chrono::DateTime<chrono::Utc>) -> u64 {
    let (start, stop) = window.resolve(now);
    (stop - start).num_seconds().max(1) as u64
}

/// Series of `fields` (all when empty) of `devices` over a range, averaged over windows of at
/// least `min_every` seconds when the range is long: one per device and field, in the order
/// of `devices` and then of [`field_rank`].
pub(crate) async fn read_series(
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
