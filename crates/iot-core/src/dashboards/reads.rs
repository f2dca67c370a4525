//! The reads a dashboard's cells need, merged: cells of the same devices share one query
//! for all their fields — charts at the same resolution, latest points — and viewers share
//! those queries while their step lasts (a dashboard of four charts of 50 devices is one
//! query, not four).

use crate::{telemetry, Backend, Error};
use futures_util::future::join_all;
use influx_client::flux::TimeRange;
use iot_models::Series;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What a read is of: `devices`' series averaged over windows of `every` seconds (a
/// chart), or their latest points as written (`every` is `None`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReadKey {
    pub devices: Vec<String>,
    pub every: Option<u64>,
}

/// The reads of one page, done.
pub struct Reads(BTreeMap<ReadKey, Result<Arc<Vec<Series>>, Error>>);

impl Reads {
    /// One query per key, for every field asked under it.
    pub async fn of(b: &Backend, wanted: Vec<(ReadKey, Vec<String>)>, range: &TimeRange) -> Reads {
        let mut merged: BTreeMap<ReadKey, Vec<String>> = BTreeMap::new();
        for (key, fields) in wanted {
            let all = merged.entry(key).or_default();
            for f in fields {
                if !all.contains(&f) {
                    all.push(f);
                }
            }
        }
        let step = telemetry::step_of(range, chrono::Utc::now());
        let reads = merged.into_iter().map(|(key, fields)| async move {
            let cache_key = (
                key.devices.join(","),
                format!("{:?} {fields:?} {range:?}", key.every),
                step,
            );
            let read = b
                .cell_reads
                .get_or_read(cache_key, || read(b, &key, &fields, range))
                .await;
            (key, read)
        });
        Reads(join_all(reads).await.into_iter().collect())
    }

    /// The series of `fields` read under `key` (none when the key was not asked for).
    pub fn get(&self, key: &ReadKey, fields: &[&str]) -> Result<Vec<Series>, Error> {
        match self.0.get(key) {
            None => Ok(Vec::new()),
            Some(Err(e)) => Err(e.clone()),
            Some(Ok(series)) => Ok(series
                .iter()
                .filter(|s| fields.contains(&s.field.as_str()))
                .cloned()
                .collect()),
        }
    }
}

async fn read(
    b: &Backend,
    key: &ReadKey,
    fields: &[String],
    range: &TimeRange,
) -> Result<Vec<Series>, Error> {
    let devices: Vec<&str> = key.devices.iter().map(String::as_str).collect();
    let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
    match key.every {
        Some(every) => Ok(telemetry::read_series(b, &devices, &fields, range, every)
            .await?
            .0),
        None => telemetry::latest_of(b, &devices, &fields, range).await,
    }
}
