//! CSV export of telemetry: a header row, then one row per time and device with a column per
//! field. Streamed a day of data at a time, so a long range never sits in memory whole.

use super::telemetry::reading;
use super::{Backend, TELEMETRY_MEASUREMENT};
use crate::models::{AppError, DeviceId};
use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::{Stream, StreamExt as _};
use influx_client::flux::{self, RangeBound, TimeRange};
use std::collections::BTreeMap;
use std::sync::Arc;

/// How much time one query of the export covers.
const CHUNK: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// What to export; built from user input by [`Export::new`].
#[derive(Clone, Debug)]
pub struct Export {
    devices: Vec<DeviceId>,
    fields: Vec<String>,
    start: DateTime<Utc>,
    stop: DateTime<Utc>,
}

impl Export {
    /// `fields` must be named: they are the columns. The range is fixed now, so every chunk
    /// reads the same window even while new points arrive.
    pub fn new(
        devices: Vec<DeviceId>,
        fields: Vec<String>,
        window: &TimeRange,
        now: DateTime<Utc>,
    ) -> Result<Export, AppError> {
        if devices.is_empty() {
            return Err(AppError::Invalid("choose at least one device".into()));
        }
        if fields.is_empty() {
            return Err(AppError::Invalid("choose at least one field".into()));
        }
        let (start, stop) = window.resolve(now);
        Ok(Export {
            devices,
            fields,
            start,
            stop,
        })
    }

    /// A file name that says what is in it.
    pub fn file_name(&self) -> String {
        let devices = match self.devices.as_slice() {
            [one] => one.to_string(),
            many => format!("{}-devices", many.len()),
        };
        format!(
            "iot-center-{devices}-{}.csv",
            self.start.format("%Y%m%dT%H%M")
        )
    }

    fn header(&self) -> Vec<String> {
        ["time", "device"]
            .into_iter()
            .map(String::from)
            .chain(self.fields.iter().cloned())
            .collect()
    }

    /// The CSV of `[start, stop)`: a row per time and device, oldest first.
    async fn chunk(
        &self,
        b: &Backend,
        start: DateTime<Utc>,
        stop: DateTime<Utc>,
    ) -> Result<Vec<u8>, AppError> {
        let devices: Vec<&str> = self.devices.iter().map(DeviceId::as_str).collect();
        let fields: Vec<&str> = self.fields.iter().map(String::as_str).collect();
        let range = TimeRange {
            start: RangeBound::At(start),
            stop: Some(RangeBound::At(stop)),
        };
        let records = b
            .client
            .query(&flux::telemetry_series(
                &b.settings.telemetry_bucket,
                TELEMETRY_MEASUREMENT,
                &devices,
                &fields,
                &range,
                None,
            ))
            .await?;
        let mut rows: BTreeMap<(DateTime<Utc>, usize), Vec<Option<f64>>> = BTreeMap::new();
        for r in records.iter().filter_map(reading) {
            let (Some(d), Some(f)) = (
                devices.iter().position(|x| *x == r.device),
                fields.iter().position(|x| *x == r.field),
            ) else {
                continue;
            };
            rows.entry((r.time, d))
                .or_insert_with(|| vec![None; fields.len()])[f] = Some(r.value);
        }
        let mut out = csv::Writer::from_writer(Vec::new());
        for ((time, d), values) in rows {
            let mut record = vec![
                time.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                devices[d].to_string(),
            ];
            record.extend(
                values
                    .iter()
                    .map(|v| v.map(|v| v.to_string()).unwrap_or_default()),
            );
            out.write_record(&record).map_err(csv_error)?;
        }
        out.into_inner()
            .map_err(|e| AppError::ServerFn(e.to_string()))
    }

    /// The header, then the rows a chunk at a time; an error ends the stream.
    pub fn stream(self, b: Arc<Backend>) -> impl Stream<Item = Result<Vec<u8>, AppError>> {
        let mut header = csv::Writer::from_writer(Vec::new());
        let first = header
            .write_record(self.header())
            .map_err(csv_error)
            .and_then(|_| {
                header
                    .into_inner()
                    .map_err(|e| AppError::ServerFn(e.to_string()))
            });
        let start = self.start;
        futures_util::stream::once(async move { first })
            .chain(futures_util::stream::unfold(
                (self, b, start),
                |(export, b, at)| async move {
                    if at >= export.stop {
                        return None;
                    }
                    let until = (at + CHUNK).min(export.stop);
                    let chunk = export.chunk(&b, at, until).await;
                    if let Err(e) = &chunk {
                        tracing::warn!("CSV export stopped at {at}: {e}");
                    }
                    // After an error, stop: the download must not look complete.
                    let next = if chunk.is_ok() { until } else { export.stop };
                    Some((chunk, (export, b, next)))
                },
            ))
            // A compressing body may poll again after the end.
            .fuse()
    }
}

fn csv_error(e: csv::Error) -> AppError {
    AppError::ServerFn(format!("writing CSV: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn an_export_needs_devices_and_fields_and_fixes_its_range() {
        let now = DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let id = DeviceId::parse("dev-1").unwrap();
        let hour = TimeRange::last(Duration::from_secs(3_600));
        assert!(Export::new(vec![], vec!["CO2".into()], &hour, now).is_err());
        assert!(Export::new(vec![id.clone()], vec![], &hour, now).is_err());
        let e = Export::new(vec![id], vec!["CO2".into()], &hour, now).unwrap();
        assert_eq!(e.stop - e.start, chrono::TimeDelta::hours(1));
        assert_eq!(e.file_name(), "iot-center-dev-1-20261128T1100.csv");
        assert_eq!(e.header(), ["time", "device", "CO2"]);
    }
}
