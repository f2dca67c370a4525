//! Points of series: a series is one field of one tag set of one measurement in a bucket
//! (the index of them: `series_index.rs`); its points live in blocks (`block.rs`,
//! `series_blocks.rs`) keyed by `(series, max_time)`. The blocks of a series never overlap in
//! time, so a read concatenates them and a point written again at the same time replaces the
//! stored one.

use super::series_blocks::{delete_from_blocks, merge_into_blocks, points_of};
use super::series_index::{field_key, lp_type_name, shared_tags, type_code, SeriesList};
use super::{StorageError, Store};
use crate::series::{ColType, FieldValue, Pick, SeriesMeta, Span};
use rusqlite::params;
use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::Arc;

/// One point of line protocol: tags sorted by key, fields typed.
#[derive(Clone, Debug)]
pub struct Point {
    pub measurement: String,
    pub tags: Vec<(String, String)>,
    pub fields: Vec<(String, FieldValue)>,
    pub time: i64,
}

/// What a write did: points dropped for field-type conflicts, with the first reason.
#[derive(Debug, Default, PartialEq)]
pub struct WriteOutcome {
    pub dropped: usize,
    pub first_conflict: Option<String>,
}

impl WriteOutcome {
    /// Adds what a later write of the same batch did.
    pub fn add(&mut self, later: WriteOutcome) {
        self.dropped += later.dropped;
        if self.first_conflict.is_none() {
            self.first_conflict = later.first_conflict;
        }
    }
}

/// `k="v" AND k2!="v2"` of the delete API, already parsed; `_measurement` is a key too.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeletePredicate {
    pub conditions: Vec<(String, bool, String)>,
}

impl DeletePredicate {
    /// The tags (key, value) a matching series must carry.
    fn required_tags(&self) -> Vec<(&str, &str)> {
        self.conditions
            .iter()
            .filter(|(key, equal, _)| *equal && key != "_measurement")
            .map(|(key, _, value)| (key.as_str(), value.as_str()))
            .collect()
    }

    fn matches(&self, s: &SeriesMeta) -> bool {
        self.conditions.iter().all(|(key, equal, value)| {
            let actual = if key == "_measurement" {
                &*s.measurement
            } else {
                s.tags
                    .iter()
                    .find(|(k, _)| **k == **key)
                    .map_or("", |(_, v)| &**v)
            };
            (actual == value) == *equal
        })
    }
}

/// A series named by borrowed parts: measurement, sorted tags, field.
type SeriesRef<'a> = (&'a str, &'a [(String, String)], &'a str);

impl Store {
    /// Writes points in one transaction: all of them are durable when this returns, or none.
    /// Points whose field type conflicts with stored data are dropped and counted.
    pub fn write(&self, bucket_id: &str, points: &[Point]) -> Result<WriteOutcome, StorageError> {
        let mut conn = self.write_conn();
        let mut outcome = WriteOutcome::default();
        let mut created: Vec<SeriesMeta> = Vec::new();
        let mut local_types: HashMap<String, ColType> = HashMap::new();
        let mut new_points: HashMap<i64, (ColType, Vec<(i64, FieldValue)>)> = HashMap::new();
        let tx = conn.transaction()?;
        {
            let index = self.series.read().unwrap_or_else(|e| e.into_inner());
            let mut insert_series = tx.prepare_cached("INSERT INTO series(bucket_id, measurement, tags, field, type) VALUES (?1, ?2, ?3, ?4, ?5)")?;
            // Per-batch memos on borrowed keys: a batch of one device resolves each of its
            // series once, not once per point, and a series created by this batch is found
            // here (the index learns of it only once the batch commits).
            let mut series_memo: HashMap<SeriesRef, i64> = HashMap::new();
            let mut type_memo: HashMap<(&str, &str), ColType> = HashMap::new();
            for p in points {
                let mut conflict = None;
                for (f, v) in &p.fields {
                    let ty = v.col_type();
                    let known = match type_memo.get(&(p.measurement.as_str(), f.as_str())) {
                        Some(t) => Some(*t),
                        None => {
                            let key = field_key(bucket_id, &p.measurement, f);
                            local_types
                                .get(&key)
                                .or_else(|| index.field_types.get(&key))
                                .copied()
                        }
                    };
                    if let Some(known) = known.filter(|k| *k != ty) {
                        conflict = Some(format!(
                            "field type conflict: input field \"{f}\" on measurement \"{}\" is type {}, already exists as type {}",
                            p.measurement,
                            lp_type_name(ty),
                            lp_type_name(known)
                        ));
                        break;
                    }
                }
                if let Some(reason) = conflict {
                    outcome.dropped += 1;
                    outcome.first_conflict.get_or_insert(reason);
                    continue;
                }
                for (field, value) in &p.fields {
                    let ty = value.col_type();
                    let memo_key = (p.measurement.as_str(), p.tags.as_slice(), field.as_str());
                    let id = match series_memo.get(&memo_key) {
                        Some(id) => *id,
                        None => {
                            let known = index.find(bucket_id, &p.measurement, &p.tags, field);
                            let id = match known {
                                Some(id) => id,
                                None => {
                                    let tags_json = serde_json::to_string(&p.tags)
                                        .map_err(|e| StorageError::Invalid(e.to_string()))?;
                                    insert_series.execute(params![
                                        bucket_id,
                                        p.measurement,
                                        tags_json,
                                        field,
                                        type_code(ty)
                                    ])?;
                                    let id = tx.last_insert_rowid();
                                    local_types
                                        .insert(field_key(bucket_id, &p.measurement, field), ty);
                                    let series = SeriesMeta {
                                        id,
                                        measurement: p.measurement.as_str().into(),
                                        tags: shared_tags(&p.tags),
                                        field: field.as_str().into(),
                                        ty,
                                        span: Span::default(),
                                    };
                                    created.push(series);
                                    id
                                }
                            };
                            series_memo.insert(memo_key, id);
                            type_memo.insert((p.measurement.as_str(), field.as_str()), ty);
                            id
                        }
                    };
                    let (_, series_points) = new_points.entry(id).or_insert((ty, Vec::new()));
                    series_points.push((p.time, value.clone()));
                }
            }
        }
        // Spans widen before the points are visible, so no read skips a series it should see.
        {
            let index = self.series.read().unwrap_or_else(|e| e.into_inner());
            let created = created.iter().map(|s| (s.id, s));
            let created: HashMap<i64, &SeriesMeta> = created.collect();
            for (id, (_, points)) in &new_points {
                let series = index.get(*id).or(created.get(id).copied());
                let times = points.iter().map(|(t, _)| *t);
                if let (Some(series), Some(first), Some(last)) =
                    (series, times.clone().min(), times.max())
                {
                    series.span.widen(first, last);
                }
            }
        }
        for (id, (ty, points)) in new_points {
            merge_into_blocks(&tx, id, ty, points)?;
        }
        tx.commit()?;
        let mut index = self.series.write().unwrap_or_else(|e| e.into_inner());
        index.insert(bucket_id, created);
        Ok(outcome)
    }

    /// The series of a bucket that may carry all of the tags `having` (key, value): those of
    /// the one of them that fewest series carry; with no tags, all of the bucket's series.
    /// Callers still filter: a series here may lack the other tags.
    pub fn series_of(&self, bucket_id: &str, having: &[(&str, &str)]) -> SeriesList {
        let index = self.series.read().unwrap_or_else(|e| e.into_inner());
        index.series_of(bucket_id, having)
    }

    /// Hands `each` the points of each of `series` with `start <= time < stop`, in time order
    /// (until it says stop),
    /// as each series is read, all in one transaction: one snapshot for all of them, and one
    /// transaction instead of one per series (a `last()` over a thousand devices reads a
    /// thousand small series).
    pub fn read_points(
        &self,
        series: &[Arc<SeriesMeta>],
        start: i64,
        stop: i64,
        pick: Pick,
        mut each: impl FnMut(Vec<(i64, FieldValue)>) -> ControlFlow<()>,
    ) -> Result<(), StorageError> {
        self.read(|c| {
            let tx = c.unchecked_transaction()?;
            for s in series {
                if each(points_of(&tx, s, start, stop, pick)?).is_break() {
                    break;
                }
            }
            Ok(())
        })
    }

    /// Deletes the points with `start <= time <= stop` of the series matching `predicate`.
    pub fn delete_points(
        &self,
        bucket_id: &str,
        start: i64,
        stop: i64,
        predicate: &DeletePredicate,
    ) -> Result<usize, StorageError> {
        let series: Vec<Arc<SeriesMeta>> = self
            .series_of(bucket_id, &predicate.required_tags())
            .iter()
            .filter(|s| s.span.overlaps(start, stop.saturating_add(1)) && predicate.matches(s))
            .cloned()
            .collect();
        let mut conn = self.write_conn();
        let tx = conn.transaction()?;
        let mut deleted = 0;
        for s in series {
            deleted += delete_from_blocks(&tx, &s, start, stop)?;
        }
        tx.commit()?;
        Ok(deleted)
    }

    /// Drops points older than each bucket's retention; returns how many went.
    pub fn expire(&self, now: i64) -> Result<usize, StorageError> {
        let mut deleted = 0;
        for bucket in self.buckets()?.into_iter().filter(|b| b.retention_secs > 0) {
            let cutoff = now.saturating_sub(bucket.retention_secs.saturating_mul(1_000_000_000));
            deleted += self.delete_points(
                &bucket.id,
                i64::MIN,
                cutoff - 1,
                &DeletePredicate::default(),
            )?;
        }
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::block::BLOCK_POINTS;
    use crate::storage::series_index::series_order;

    /// The points of one series.
    fn points(
        store: &Store,
        s: &Arc<SeriesMeta>,
        start: i64,
        stop: i64,
        pick: Pick,
    ) -> Vec<(i64, FieldValue)> {
        let mut all = Vec::new();
        store
            .read_points(std::slice::from_ref(s), start, stop, pick, |p| {
                all = p;
                ControlFlow::Continue(())
            })
            .unwrap();
        all
    }

    /// A fresh store with one bucket (kept forever); the directory lives as long as the store.
    fn store_with_bucket() -> (tempfile::TempDir, Store, String) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let org = store.create_org("o", "").unwrap();
        let bucket = store.create_bucket(&org.id, "b", "", 0).unwrap();
        (dir, store, bucket.id)
    }

    #[test]
    fn expire_deletes_only_what_retention_no_longer_keeps() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let org = store.create_org("o", "").unwrap();
        let hourly = store.create_bucket(&org.id, "hourly", "", 3600).unwrap();
        let forever = store.create_bucket(&org.id, "forever", "", 0).unwrap();
        let now = 10_000 * 1_000_000_000i64;
        let point = |t: i64| Point {
            measurement: "m".into(),
            tags: vec![],
            fields: vec![("v".into(), FieldValue::Int(t))],
            time: t,
        };
        let old = now - 7200 * 1_000_000_000;
        for bucket in [&hourly.id, &forever.id] {
            store.write(bucket, &[point(old), point(now - 1)]).unwrap();
        }
        assert_eq!(store.expire(now).unwrap(), 1);
        let kept = |bucket: &str| {
            store
                .series_of(bucket, &[])
                .iter()
                .map(|s| points(&store, s, i64::MIN, i64::MAX, Pick::All).len())
                .sum::<usize>()
        };
        assert_eq!((kept(&hourly.id), kept(&forever.id)), (1, 2));
    }

    #[test]
    fn a_reopened_store_has_its_series_and_field_types() {
        let (dir, store, b) = store_with_bucket();
        let p = |v: FieldValue| Point {
            measurement: "m".into(),
            tags: vec![("k".into(), "a".into())],
            fields: vec![("v".into(), v)],
            time: 1,
        };
        store.write(&b, &[p(FieldValue::Float(1.0))]).unwrap();
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.series_of(&b, &[]).len(), 1);
        let outcome = store.write(&b, &[p(FieldValue::Str("x".into()))]).unwrap();
        assert_eq!(
            outcome.dropped, 1,
            "the type from before the restart still holds"
        );
    }
    #[test]
    fn series_lists_stay_ordered_and_a_tag_narrows_them() {
        let (dir, store, b) = store_with_bucket();
        let point = |measurement: &str, tags: &[(&str, &str)], field: &str| Point {
            measurement: measurement.into(),
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            fields: vec![(field.into(), FieldValue::Int(1))],
            time: 1,
        };
        // Written out of order, one series a write, with tag values that sort differently
        // as JSON text ("a b" before "a") than as strings.
        for (m, tags, f) in [
            ("m", vec![("k", "b")], "y"),
            ("m", vec![("k", "a b")], "x"),
            ("a", vec![("k", "a"), ("z", "1")], "x"),
            ("m", vec![("k", "a")], "y"),
            ("m", vec![("k", "a")], "x"),
            ("m", vec![], "x"),
        ] {
            store.write(&b, &[point(m, &tags, f)]).unwrap();
        }
        let names = |list: SeriesList| -> Vec<String> {
            let name = |s: &SeriesMeta| {
                let tags: Vec<String> = s.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("{} {} {}", s.measurement, tags.join(","), s.field)
            };
            list.iter().map(|s| name(s)).collect()
        };
        let check = |store: &Store| {
            let all = store.series_of(&b, &[]);
            assert!(
                all.is_sorted_by(|x, y| series_order(x, y).is_le()),
                "ordered by measurement, tags, field"
            );
            assert_eq!(
                names(store.series_of(&b, &[("k", "a")])),
                ["a k=a,z=1 x", "m k=a x", "m k=a y"]
            );
            assert_eq!(
                names(store.series_of(&b, &[("k", "a"), ("z", "1")])),
                ["a k=a,z=1 x"],
                "the tag fewest series carry"
            );
            assert!(store.series_of(&b, &[("k", "none")]).is_empty());
            assert!(store.series_of(&b, &[("k", "a"), ("z", "2")]).is_empty());
            assert!(store.series_of("no such bucket", &[]).is_empty());
            names(all)
        };
        let before = check(&store);
        assert_eq!(before.len(), 6);
        // A write of many new series, out of order, merges them into the lists in place.
        let batch: Vec<Point> = ["n", "c", "m", "b"]
            .iter()
            .flat_map(|v| [point("m", &[("k", v)], "y"), point("m", &[("k", v)], "x")])
            .collect();
        store.write(&b, &batch).unwrap();
        let before = check(&store);
        assert_eq!(before.len(), 13, "one of them was there");
        assert_eq!(
            names(store.series_of(&b, &[("k", "c")])),
            ["m k=c x", "m k=c y"]
        );
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(check(&store), before, "the same lists after a reopen");
    }

    #[test]
    fn a_series_span_covers_its_points_through_writes_deletes_and_a_reopen() {
        let (dir, store, b) = store_with_bucket();
        store
            .write(&b, &[float_point(100, 1.0), float_point(200, 2.0)])
            .unwrap();
        let overlaps = |store: &Store, start, stop| {
            let series = store.series_of(&b, &[]);
            series[0].span.overlaps(start, stop)
        };
        assert!(!overlaps(&store, 0, 100) && overlaps(&store, 0, 101));
        assert!(overlaps(&store, 200, 300) && !overlaps(&store, 201, 300));
        store.write(&b, &[float_point(50, 0.5)]).unwrap();
        assert!(overlaps(&store, 0, 51), "an older point widens it");
        let all = DeletePredicate::default();
        assert_eq!(store.delete_points(&b, 150, 250, &all).unwrap(), 1);
        assert!(overlaps(&store, 150, 250), "a delete never narrows it");
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert!(overlaps(&store, 50, 51) && overlaps(&store, 100, 101));
        assert!(
            !overlaps(&store, 0, 50) && !overlaps(&store, 101, 300),
            "from the blocks"
        );
    }

    fn float_point(time: i64, v: f64) -> Point {
        Point {
            measurement: "m".into(),
            tags: vec![],
            fields: vec![("v".into(), FieldValue::Float(v))],
            time,
        }
    }

    fn stored(store: &Store, bucket: &str) -> Vec<(i64, f64)> {
        let series = store.series_of(bucket, &[]);
        points(store, &series[0], i64::MIN, i64::MAX, Pick::All)
            .into_iter()
            .map(|(t, v)| match v {
                FieldValue::Float(f) => (t, f),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    fn block_sizes(store: &Store) -> Vec<i64> {
        store
            .read(|c| {
                let mut stmt = c.prepare("SELECT count FROM blocks ORDER BY max_time")?;
                let rows = stmt.query_map([], |r| r.get(0))?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .unwrap()
    }

    #[test]
    fn writes_in_any_order_read_back_sorted_with_the_last_write_winning() {
        let (_dir, store, b) = store_with_bucket();
        let n = BLOCK_POINTS as i64 * 3;
        // Newer half first, then the older half, then one at a time over the middle.
        let newer: Vec<_> = (n / 2..n).map(|t| float_point(t * 10, t as f64)).collect();
        let older: Vec<_> = (0..n / 2).map(|t| float_point(t * 10, t as f64)).collect();
        store.write(&b, &newer).unwrap();
        store.write(&b, &older).unwrap();
        for t in [n / 2 - 1, n / 2, 5] {
            store.write(&b, &[float_point(t * 10, -1.0)]).unwrap();
        }
        // A batch that writes one time twice keeps its last value.
        store
            .write(&b, &[float_point(70, 1.0), float_point(70, 2.0)])
            .unwrap();
        let points = stored(&store, &b);
        assert_eq!(points.len(), n as usize);
        assert!(points.windows(2).all(|w| w[0].0 < w[1].0));
        for (t, v) in points {
            let expected = match t / 10 {
                x if x == n / 2 - 1 || x == n / 2 || x == 5 => -1.0,
                7 => 2.0,
                x => x as f64,
            };
            assert_eq!(v, expected, "at {t}");
        }
        assert!(block_sizes(&store)
            .iter()
            .all(|c| *c as usize <= BLOCK_POINTS));
    }

    #[test]
    fn a_device_appending_a_point_at_a_time_fills_blocks() {
        let (_dir, store, b) = store_with_bucket();
        let n = BLOCK_POINTS + 10;
        for t in 0..n as i64 {
            store.write(&b, &[float_point(t, t as f64)]).unwrap();
        }
        assert_eq!(block_sizes(&store), vec![BLOCK_POINTS as i64, 10]);
        let series = &store.series_of(&b, &[])[0];
        let last = points(&store, series, 0, 500, Pick::Last);
        let first = points(&store, series, 500, i64::MAX, Pick::First);
        assert_eq!((last[0].0, first[0].0), (499, 500));
        let middle = points(&store, series, 1000, 1030, Pick::All);
        assert_eq!(middle.len(), 30, "a range across two blocks");
    }

    #[test]
    fn deletes_cut_blocks_and_count_what_went() {
        let (_dir, store, b) = store_with_bucket();
        let points: Vec<_> = (0..3000).map(|t| float_point(t, t as f64)).collect();
        store.write(&b, &points).unwrap();
        let all = DeletePredicate::default();
        assert_eq!(store.delete_points(&b, 100, 2099, &all).unwrap(), 2000);
        let left: Vec<i64> = stored(&store, &b).iter().map(|(t, _)| *t).collect();
        assert_eq!(left, (0..100).chain(2100..3000).collect::<Vec<_>>());
        assert_eq!(store.delete_points(&b, 100, 2099, &all).unwrap(), 0);
    }

    #[test]
    fn a_store_of_the_row_per_value_layout_moves_into_blocks_on_open() {
        let (dir, store, b) = store_with_bucket();
        store.write(&b, &[float_point(1, 0.0)]).unwrap();
        let id = store.series_of(&b, &[])[0].id;
        store
            .write_conn()
            .execute_batch(&format!(
                "DELETE FROM blocks;
                 CREATE TABLE points(series_id INTEGER NOT NULL, time INTEGER NOT NULL, value,
                   PRIMARY KEY(series_id, time)) WITHOUT ROWID;
                 WITH RECURSIVE n(i) AS (SELECT 2499 UNION ALL SELECT i - 1 FROM n WHERE i > 0)
                 INSERT INTO points SELECT {id}, i * 10, i * 0.5 FROM n;"
            ))
            .unwrap();
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        let expected: Vec<(i64, f64)> = (0..2500).map(|i| (i * 10, i as f64 * 0.5)).collect();
        assert_eq!(stored(&store, &b), expected);
        assert_eq!(block_sizes(&store), vec![1024, 1024, 452]);
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(stored(&store, &b), expected, "migrated once, kept");
    }
}
