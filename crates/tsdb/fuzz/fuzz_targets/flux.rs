//! Any query text is parsed and run within small limits: it must answer or fail, never panic
//! or overflow, over a bucket of two series.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Duration;
use tsdb::flux::{self, BucketInfo, BucketRef, FluxError, SeriesSource};
use tsdb::series::{ColType, FieldValue, Pick, SeriesMeta};

/// Bucket `b`: a float series and a string series, ten points each.
struct TwoSeries(Arc<Vec<SeriesMeta>>);

impl SeriesSource for TwoSeries {
    fn bucket(&self, name: &str) -> Result<BucketRef, FluxError> {
        match name {
            "b" => Ok(BucketRef { id: "b".into(), name: "b".into(), expired_before: None }),
            _ => Err(FluxError::NotFound(format!("could not find bucket {name:?}"))),
        }
    }
    fn series(&self, _: &BucketRef) -> Result<Arc<Vec<SeriesMeta>>, FluxError> {
        Ok(self.0.clone())
    }
    fn points(
        &self,
        series: &[SeriesMeta],
        start: i64,
        stop: i64,
        pick: Pick,
        each: &mut dyn FnMut(Vec<(i64, FieldValue)>) -> ControlFlow<()>,
    ) -> Result<(), FluxError> {
        for s in series {
            let mut points: Vec<(i64, FieldValue)> = (0..10i64)
                .map(|t| t * 1_000_000_000)
                .filter(|t| (start..stop).contains(t))
                .map(|t| match s.ty {
                    ColType::String => (t, FieldValue::Str(format!("s{t}"))),
                    _ => (t, FieldValue::Float(t as f64 / 3.0)),
                })
                .collect();
            match pick {
                Pick::First => points.truncate(1),
                Pick::Last => points = points.split_off(points.len().saturating_sub(1)),
                Pick::All => {}
            }
            if each(points).is_break() {
                break;
            }
        }
        Ok(())
    }
    fn buckets(&self) -> Result<Vec<BucketInfo>, FluxError> {
        Ok(vec![BucketInfo { name: "b".into(), id: "b".into(), org_id: "o".into(), retention_ns: 0 }])
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else { return };
    let meta = |id, field: &str, ty| SeriesMeta {
        id,
        measurement: "m".into(),
        tags: vec![("host".into(), "a".into())],
        field: field.into(),
        ty,
    };
    let source = TwoSeries(Arc::new(vec![meta(1, "v", ColType::Double), meta(2, "s", ColType::String)]));
    let limits = flux::Limits {
        max_depth: 100,
        timeout: Duration::from_secs(1),
        max_rows: 100_000,
    };
    let _ = flux::execute(query, &source, 5_000_000_000, limits, &mut |_, _| Ok(()));
});
