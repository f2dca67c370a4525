//! A device's telemetry for the Query page: last values and the records, newest first, paged.

use super::{Backend, TELEMETRY_MEASUREMENT};
use crate::models::{AppError, DeviceId, LastValue, Measurements, TelemetryRow};
use chrono::SecondsFormat;
use influx_client::flux::{self, TimeRange};
use influx_client::FluxValue;

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
    window: &TimeRange,
    page: usize,
) -> Result<Measurements, AppError> {
    let bucket = &b.settings.telemetry_bucket;
    let mut last_values: Vec<LastValue> = b
        .client
        .query(&flux::device_last_values(
            bucket,
            TELEMETRY_MEASUREMENT,
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
    last_values.sort_by_key(|v| field_rank(&v.field));

    let records = b
        .client
        .query(&flux::device_telemetry(
            bucket,
            TELEMETRY_MEASUREMENT,
            id.as_str(),
            window,
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

/// The range a user picked: a preset, or `custom` with `from` and `to` (RFC 3339, or the
/// `YYYY-MM-DDTHH:MM` of a `datetime-local` input, read as UTC).
pub fn time_range(
    range: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<TimeRange, AppError> {
    if let Some(choice) = crate::models::RangeChoice::parse(range) {
        return Ok(TimeRange::last(std::time::Duration::from_secs(
            choice.seconds(),
        )));
    }
    if range != "custom" {
        return Err(AppError::Invalid(format!(
            "unknown time range {range:?}: use 5m, 1h, 6h, 1d, 7d, 30d or custom"
        )));
    }
    let parse = |name: &str, v: Option<&str>| -> Result<chrono::DateTime<chrono::Utc>, AppError> {
        let v = v
            .filter(|v| !v.is_empty())
            .ok_or_else(|| AppError::Invalid(format!("a custom range needs {name}")))?;
        chrono::DateTime::parse_from_rfc3339(v)
            .map(|t| t.with_timezone(&chrono::Utc))
            .or_else(|_| {
                chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M").map(|t| t.and_utc())
            })
            .map_err(|_| {
                AppError::Invalid(format!(
                    "{name} {v:?} is not a date and time (YYYY-MM-DDTHH:MM)"
                ))
            })
    };
    let (start, stop) = (parse("from", from)?, parse("to", to)?);
    if start >= stop {
        return Err(AppError::Invalid("from must be before to".into()));
    }
    Ok(TimeRange {
        start: flux::RangeBound::At(start),
        stop: Some(flux::RangeBound::At(stop)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_and_custom_ranges() {
        assert_eq!(
            time_range("1h", None, None).unwrap(),
            TimeRange::last(std::time::Duration::from_secs(3600))
        );
        let custom = time_range(
            "custom",
            Some("2026-01-01T10:00"),
            Some("2026-01-01T12:30:00Z"),
        )
        .unwrap();
        assert!(
            matches!(custom.start, flux::RangeBound::At(t) if t.to_rfc3339() == "2026-01-01T10:00:00+00:00")
        );
        assert!(
            time_range("custom", Some("2026-01-02T00:00"), Some("2026-01-01T00:00"))
                .unwrap_err()
                .to_string()
                .contains("before")
        );
        assert!(time_range("custom", Some("yesterday"), Some("2026-01-01T00:00")).is_err());
        assert!(time_range("custom", None, Some("2026-01-01T00:00")).is_err());
        assert!(time_range("2w", None, None).is_err());
    }
}
