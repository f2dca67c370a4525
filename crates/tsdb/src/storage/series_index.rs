//! The series index, in memory: every series by its key, by id, and per bucket all of them
//! and by each tag they carry, with the time span of each one's points. Rebuilt from the
//! `series` table (and the blocks' times) when the store opens.

use super::StorageError;
use crate::series::{ColType, SeriesMeta, Span};
use rusqlite::Connection;
use std::collections::HashMap;
use std::sync::Arc;

/// A list of series shared with the queries reading it, ordered by measurement, tags, field.
pub type SeriesList = Arc<Vec<Arc<SeriesMeta>>>;

/// The in-memory index of series; rebuilt from the `series` table when the store opens.
#[derive(Default)]
pub struct SeriesIndex {
    pub(super) ids: HashMap<String, (i64, ColType)>,
    pub(super) field_types: HashMap<String, ColType>,
    by_id: HashMap<i64, Arc<SeriesMeta>>,
    by_bucket: HashMap<String, BucketSeries>,
}

/// One bucket's series, all of them and by each tag they carry: a query for one device
/// starts from that device's few series, not from the whole bucket. A list is copied only
/// when a write adds a series while a query holds it, and then only its pointers.
#[derive(Default)]
struct BucketSeries {
    all: SeriesList,
    by_tag: HashMap<(String, String), SeriesList>,
}

impl BucketSeries {
    fn insert(&mut self, series: Arc<SeriesMeta>) {
        for (key, value) in &series.tags {
            let list = self.by_tag.entry((key.clone(), value.clone())).or_default();
            insert_ordered(list, &series);
        }
        insert_ordered(&mut self.all, &series);
    }
}

/// Puts `series` in its place in `list` (at the end when series come in order, as on load).
fn insert_ordered(list: &mut SeriesList, series: &Arc<SeriesMeta>) {
    let list = Arc::make_mut(list);
    let at = list.partition_point(|s| series_order(s, series).is_lt());
    list.insert(at, series.clone());
}

pub(super) fn series_order(a: &SeriesMeta, b: &SeriesMeta) -> std::cmp::Ordering {
    (&a.measurement, &a.tags, &a.field).cmp(&(&b.measurement, &b.tags, &b.field))
}

pub(super) fn series_key(bucket: &str, measurement: &str, tags: &str, field: &str) -> String {
    format!("{bucket}\0{measurement}\0{tags}\0{field}")
}

pub(super) fn field_key(bucket: &str, measurement: &str, field: &str) -> String {
    format!("{bucket}\0{measurement}\0{field}")
}

pub(super) fn type_code(t: ColType) -> i64 {
    match t {
        ColType::Bool => 0,
        ColType::Long => 1,
        ColType::ULong => 2,
        ColType::Double => 3,
        ColType::String => 4,
        ColType::Time => 5,
    }
}

fn type_from_code(c: i64) -> ColType {
    match c {
        0 => ColType::Bool,
        1 => ColType::Long,
        2 => ColType::ULong,
        4 => ColType::String,
        5 => ColType::Time,
        _ => ColType::Double,
    }
}

/// Line protocol's names for field types, as InfluxDB's conflict messages use them.
pub(super) fn lp_type_name(t: ColType) -> &'static str {
    match t {
        ColType::Bool => "boolean",
        ColType::Long => "integer",
        ColType::ULong => "unsigned",
        ColType::String => "string",
        _ => "float",
    }
}

impl SeriesIndex {
    pub fn load(conn: &Connection) -> Result<SeriesIndex, StorageError> {
        let mut index = SeriesIndex::default();
        let mut stmt =
            conn.prepare("SELECT id, bucket_id, measurement, tags, field, type FROM series")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })?;
        let mut all = Vec::new();
        for row in rows {
            let (id, bucket, measurement, tags_json, field, ty) = row?;
            let series = SeriesMeta {
                id,
                measurement,
                tags: serde_json::from_str(&tags_json).unwrap_or_default(),
                field,
                ty: type_from_code(ty),
                span: Span::default(),
            };
            all.push((bucket, tags_json, series));
        }
        // In order, each series goes at the end of its lists.
        all.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| series_order(&a.2, &b.2)));
        for (bucket, tags_json, series) in all {
            index.insert(&bucket, &tags_json, series);
        }
        Ok(index)
    }

    /// Adds a series; `tags_json` is its tags as the `series` table stores them.
    pub(super) fn insert(&mut self, bucket: &str, tags_json: &str, series: SeriesMeta) {
        let (measurement, field, ty) = (&series.measurement, &series.field, series.ty);
        self.ids.insert(
            series_key(bucket, measurement, tags_json, field),
            (series.id, ty),
        );
        self.field_types
            .insert(field_key(bucket, measurement, field), ty);
        let series = Arc::new(series);
        self.by_id.insert(series.id, series.clone());
        self.by_bucket
            .entry(bucket.to_string())
            .or_default()
            .insert(series);
    }

    /// Learns when each series' points lie from its blocks.
    pub fn load_spans(&self, conn: &Connection) -> Result<(), StorageError> {
        let mut stmt = conn.prepare(
            "SELECT series_id, MIN(min_time), MAX(max_time) FROM blocks GROUP BY series_id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?)))?;
        for row in rows {
            let (id, first, last) = row?;
            if let Some(series) = self.by_id.get(&id) {
                series.span.widen(first, last);
            }
        }
        Ok(())
    }

    /// The series of a bucket that may carry all of the tags `having` (key, value): those of
    /// the one of them that fewest series carry; with no tags, all of the bucket's series.
    /// Callers still filter: a series here may lack the other tags.
    pub fn series_of(&self, bucket_id: &str, having: &[(&str, &str)]) -> SeriesList {
        let Some(bucket) = self.by_bucket.get(bucket_id) else {
            return SeriesList::default();
        };
        having
            .iter()
            .map(|(k, v)| {
                let list = bucket.by_tag.get(&(k.to_string(), v.to_string()));
                list.cloned().unwrap_or_default()
            })
            .min_by_key(|list| list.len())
            .unwrap_or_else(|| bucket.all.clone())
    }

    pub fn get(&self, id: i64) -> Option<&SeriesMeta> {
        self.by_id.get(&id).map(|s| &**s)
    }

    /// Every series of every bucket.
    pub fn all(&self) -> impl Iterator<Item = &SeriesMeta> {
        self.by_bucket
            .values()
            .flat_map(|b| b.all.iter().map(|s| &**s))
    }

    pub fn remove_bucket(&mut self, bucket: &str) {
        let prefix = format!("{bucket}\0");
        self.ids.retain(|k, _| !k.starts_with(&prefix));
        self.field_types.retain(|k, _| !k.starts_with(&prefix));
        if let Some(gone) = self.by_bucket.remove(bucket) {
            for series in gone.all.iter() {
                self.by_id.remove(&series.id);
            }
        }
    }
}
