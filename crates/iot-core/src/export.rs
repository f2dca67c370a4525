//! CSV export of telemetry: a header row, then one row per time and device with a column per
//! field. Streamed a day of data at a time, so a long range never sits in memory whole.

use crate::telemetry::{reading, time_range};
use crate::{queries, Backend, Error};
use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::{Stream, StreamExt as _};
use influx_client::flux::{RangeBound, TimeRange};
use iot_models::{DeviceId, ExportRequest, FieldName};
use std::collections::BTreeMap;
use std::sync::Arc;

/// How much time one query of the export covers.
const CHUNK: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// What to export, with its window fixed.
#[derive(Clone, Debug)]
pub struct Export {
    devices: Vec<DeviceId>,
    fields: Vec<FieldName>,
    start: DateTime<Utc>,
    stop: DateTime<Utc>,
}

impl Export {
    /// The export `request` asks for. The range is fixed now, so every chunk reads the same
    /// window even while new points arrive.
    pub fn new(request: ExportRequest, now: DateTime<Utc>) -> Export {
        let (start, stop) = time_range(&request.window).resolve(now);
        Export {
            devices: request.devices.into(),
            fields: request.fields,
            start,
            stop,
        }
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
            .chain(self.fields.iter().map(ToString::to_string))
            .collect()
    }

    /// The CSV of `[start, stop)`: a row per time and device, oldest first.
    async fn chunk(
        &self,
        b: &Backend,
        start: DateTime<Utc>,
        stop: DateTime<Utc>,
    ) -> Result<Vec<u8>, Error> {
        let devices: Vec<&str> = self.devices.iter().map(DeviceId::as_str).collect();
        let fields: Vec<&str> = self.fields.iter().map(FieldName::as_str).collect();
        let range = TimeRange {
            start: RangeBound::At(start),
            stop: Some(RangeBound::At(stop)),
        };
        let records = b
            .client
            .query(&queries::telemetry_series(
                &b.settings.telemetry_bucket,
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
        out.into_inner().map_err(|e| Error::Internal(e.to_string()))
    }

    /// The header, then the rows a chunk at a time; an error ends the stream.
    pub fn stream(self, b: Arc<Backend>) -> impl Stream<Item = Result<Vec<u8>, Error>> {
        let mut header = csv::Writer::from_writer(Vec::new());
        let first = header
            .write_record(self.header())
            .map_err(csv_error)
            .and_then(|_| {
                header
                    .into_inner()
                    .map_err(|e| Error::Internal(e.to_string()))
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

fn csv_error(e: csv::Error) -> Error {
    Error::Internal(format!("writing CSV: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_fixes_its_range_and_names_its_file() {
        let now = DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let request: ExportRequest =
            serde_urlencoded::from_str("devices=dev-1&fields=CO2&range=1h").unwrap();
        let e = Export::new(request, now);
        assert_eq!(e.stop - e.start, chrono::TimeDelta::hours(1));
        assert_eq!(e.file_name(), "iot-center-dev-1-20261128T1100.csv");
        assert_eq!(e.header(), ["time", "device", "CO2"]);
    }
}
