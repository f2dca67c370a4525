//! The series index, in memory: every series by its key, by id, and per bucket all of them
//! and by each tag they carry, with the time span of each one's points. Rebuilt from the
//! `series` table (and the blocks' times) when the store opens.

use super::StorageError;
use crate::series::{ColType, SeriesMeta, Span};
use rusqlite::Connection;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// A list of series shared with the queries reading it, ordered by measurement, tags, field.
pub type SeriesList = Arc<Vec<Arc<SeriesMeta>>>;

/// The in-memory index of series; rebuilt from the `series` table when the store opens.
#[derive(Default)]
pub struct SeriesIndex {
    pub(super) field_types: HashMap<String, ColType>,
    by_id: HashMap<i64, Arc<SeriesMeta>>,
    by_bucket: HashMap<String, BucketSeries>,
    /// Every measurement, tag and field name the series carry, once.
    names: HashSet<Arc<str>>,
}

/// One bucket's series, all of them and by each tag they carry: a query for one device
/// starts from that device's few series, not from the whole bucket. A list is copied only
/// when a write adds a series while a query holds it, and then only its pointers.
#[derive(Default)]
struct BucketSeries {
    all: SeriesList,
    by_tag: HashMap<TagPair, SeriesList>,
}

/// A tag's key and value.
type TagPair = (Arc<str>, Arc<str>);

impl BucketSeries {
    /// Adds new series (of one write, or one at a time on load): merged into each list in
    /// one pass, so a write of 10,000 devices in random order does not shift a list of
    /// 300,000 once per series.
    fn insert(&mut self, mut new: Vec<Arc<SeriesMeta>>) {
        new.sort_by(|a, b| series_order(a, b));
        let mut by_tag: HashMap<TagPair, Vec<Arc<SeriesMeta>>> = HashMap::new();
        for series in &new {
            for (key, value) in series.tags.iter() {
                by_tag
                    .entry((key.clone(), value.clone()))
                    .or_default()
                    .push(series.clone());
            }
        }
        for (tag, series) in by_tag {
            merge_ordered(self.by_tag.entry(tag).or_default(), series);
        }
        merge_ordered(&mut self.all, new);
    }
}

/// Merges `new` (in order) into `list` (in order); at the end when series come in order,
/// as on load.
fn merge_ordered(list: &mut SeriesList, new: Vec<Arc<SeriesMeta>>) {
    let Some(first) = new.first() else {
        return;
    };
    let list = Arc::make_mut(list);
    if list
        .last()
        .is_none_or(|last| series_order(last, first).is_lt())
    {
        list.extend(new);
        return;
    }
    let old = std::mem::take(list);
    list.reserve_exact(old.len() + new.len());
    let (mut old, mut new) = (old.into_iter().peekable(), new.into_iter().peekable());
    while let (Some(a), Some(b)) = (old.peek(), new.peek()) {
        let next = if series_order(a, b).is_le() {
            old.next()
        } else {
            new.next()
        };
        list.extend(next);
    }
    list.extend(old);
    list.extend(new);
}

/// A point's tags as a series holds them (the index then shares each name).
pub(super) fn shared_tags(tags: &[(String, String)]) -> Box<[(Arc<str>, Arc<str>)]> {
    tags.iter()
        .map(|(k, v)| (Arc::from(k.as_str()), Arc::from(v.as_str())))
        .collect()
}

/// How series sort in a bucket: by measurement, then tags (sorted), then field.
pub(super) fn series_order(a: &SeriesMeta, b: &SeriesMeta) -> std::cmp::Ordering {
    let tags = b.tags.iter().map(|(k, v)| (&**k, &**v));
    order_against(a, &b.measurement, tags, &b.field)
}

/// How series `s` sorts against the one named by `measurement`, `tags` (sorted), `field`
/// ([`series_order`], with the second one's names borrowed).
fn order_against<'a>(
    s: &'a SeriesMeta,
    measurement: &str,
    tags: impl Iterator<Item = (&'a str, &'a str)>,
    field: &str,
) -> std::cmp::Ordering {
    let own_tags = s.tags.iter().map(|(k, v)| (&**k, &**v));
    (*s.measurement)
        .cmp(measurement)
        .then_with(|| own_tags.cmp(tags))
        .then_with(|| (*s.field).cmp(field))
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
        // Read in about the index's order, so each series goes at the end of its lists (no
        // list of them all is held first: at 300,000 series it was 70 MB).
        let mut stmt = conn.prepare(
            "SELECT id, bucket_id, measurement, tags, field, type FROM series \
             ORDER BY bucket_id, measurement, tags, field",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (bucket, tags_json): (String, String) = (r.get(1)?, r.get(3)?);
            let tags: Vec<(String, String)> = serde_json::from_str(&tags_json).unwrap_or_default();
            let series = SeriesMeta {
                id: r.get(0)?,
                measurement: r.get::<_, String>(2)?.into(),
                tags: shared_tags(&tags),
                field: r.get::<_, String>(4)?.into(),
                ty: type_from_code(r.get(5)?),
                span: Span::default(),
            };
            index.insert(&bucket, vec![series]);
        }
        Ok(index)
    }

    /// The one copy of `name`.
    fn intern(&mut self, name: &Arc<str>) -> Arc<str> {
        match self.names.get(name) {
            Some(known) => known.clone(),
            None => {
                self.names.insert(name.clone());
                name.clone()
            }
        }
    }

    /// Adds new series of one bucket.
    pub(super) fn insert(&mut self, bucket: &str, created: Vec<SeriesMeta>) {
        let mut new = Vec::with_capacity(created.len());
        for mut series in created {
            series.measurement = self.intern(&series.measurement);
            series.field = self.intern(&series.field);
            let tags = std::mem::take(&mut series.tags);
            series.tags = tags
                .iter()
                .map(|(k, v)| (self.intern(k), self.intern(v)))
                .collect();
            let (measurement, field, ty) = (&series.measurement, &series.field, series.ty);
            self.field_types
                .insert(field_key(bucket, measurement, field), ty);
            let series = Arc::new(series);
            self.by_id.insert(series.id, series.clone());
            new.push(series);
        }
        self.by_bucket
            .entry(bucket.to_string())
            .or_default()
            .insert(new);
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
                let list = bucket.by_tag.get(&(Arc::from(*k), Arc::from(*v)));
                list.cloned().unwrap_or_default()
            })
            .min_by_key(|list| list.len())
            .unwrap_or_else(|| bucket.all.clone())
    }

    /// The id of a bucket's series named by `measurement`, `tags` (sorted) and `field`, if
    /// it has one: found in the bucket's ordered list, so the index keeps no second map of
    /// every series by its name (at 300,000 series that map was ~50 MB).
    pub(super) fn find(
        &self,
        bucket_id: &str,
        measurement: &str,
        tags: &[(String, String)],
        field: &str,
    ) -> Option<i64> {
        let all = &self.by_bucket.get(bucket_id)?.all;
        let tags = || tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        let at = all
            .binary_search_by(|s| order_against(s, measurement, tags(), field))
            .ok()?;
        Some(all[at].id)
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
        self.field_types.retain(|k, _| !k.starts_with(&prefix));
        if let Some(gone) = self.by_bucket.remove(bucket) {
            for series in gone.all.iter() {
                self.by_id.remove(&series.id);
            }
        }
        // Names no series carries any more go too.
        self.names.retain(|name| Arc::strong_count(name) > 1);
    }
}
