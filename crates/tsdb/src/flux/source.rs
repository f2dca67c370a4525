//! The store as queries see it: buckets, their series, and the points of series.

use super::FluxError;
use crate::series::{FieldValue, Pick, SeriesMeta};
use std::ops::ControlFlow;
use std::sync::Arc;

/// What the evaluator needs from the store; implemented over SQLite in `storage`. Shared by
/// the threads that read series in parallel.
pub trait SeriesSource: Sync {
    /// The bucket `name`, if it exists and the caller may read it.
    fn bucket(&self, name: &str) -> Result<BucketRef, FluxError>;
    /// The bucket's series, ordered by measurement, tags, field; with tags `having`
    /// (key, value), at least those that carry all of them (perhaps more: callers filter).
    fn series(
        &self,
        bucket: &BucketRef,
        having: &[(&str, &str)],
    ) -> Result<Arc<Vec<Arc<SeriesMeta>>>, FluxError>;
    /// Hands `each` the points of each of `series` with `start <= time < stop`, in time
    /// order, as each is read, from one snapshot of the store, until `each` says stop.
    fn points(
        &self,
        series: &[Arc<SeriesMeta>],
        start: i64,
        stop: i64,
        pick: Pick,
        each: &mut dyn FnMut(Vec<(i64, FieldValue)>) -> ControlFlow<()>,
    ) -> Result<(), FluxError>;
    /// The buckets the caller may read, for `buckets()`.
    fn buckets(&self) -> Result<Vec<BucketInfo>, FluxError>;
}

#[derive(Clone, Debug)]
pub struct BucketRef {
    pub id: String,
    pub name: String,
    /// Points before this time have expired (retention), if the bucket has a retention.
    pub expired_before: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct BucketInfo {
    pub name: String,
    pub id: String,
    pub org_id: String,
    pub retention_ns: i64,
}
