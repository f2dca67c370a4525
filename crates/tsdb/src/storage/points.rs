//! Series and points: a series is one field of one tag set of one measurement in a bucket;
//! its points are `(time, value)` rows keyed by `(series, time)`, so a rewrite replaces.

use super::{StorageError, Store};
use crate::flux::{ColType, Pick, SeriesMeta, Value};
use rusqlite::{params, Connection};
use std::collections::HashMap;

/// One point of line protocol: tags sorted by key, fields typed.
#[derive(Clone, Debug)]
pub struct Point {
    pub measurement: String,
    pub tags: Vec<(String, String)>,
    pub fields: Vec<(String, Value)>,
    pub time: i64,
}

/// What a write did: points dropped for field-type conflicts, with the first reason.
#[derive(Debug, Default, PartialEq)]
pub struct WriteOutcome {
    pub dropped: usize,
    pub first_conflict: Option<String>,
}

/// `k="v" AND k2!="v2"` of the delete API, already parsed; `_measurement` is a key too.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeletePredicate {
    pub conditions: Vec<(String, bool, String)>,
}

impl DeletePredicate {
    fn matches(&self, s: &SeriesMeta) -> bool {
        self.conditions.iter().all(|(key, equal, value)| {
            let actual = if key == "_measurement" {
                s.measurement.as_str()
            } else {
                s.tags
                    .iter()
                    .find(|(k, _)| k == key)
                    .map_or("", |(_, v)| v.as_str())
            };
            (actual == value) == *equal
        })
    }
}

/// A series named by borrowed parts: measurement, sorted tags, field.
type SeriesRef<'a> = (&'a str, &'a [(String, String)], &'a str);

/// The in-memory index of series; rebuilt from the `series` table when the store opens.
#[derive(Default)]
pub struct SeriesIndex {
    ids: HashMap<String, (i64, ColType)>,
    field_types: HashMap<String, ColType>,
    by_bucket: HashMap<String, Vec<SeriesMeta>>,
}

fn series_key(bucket: &str, measurement: &str, tags: &str, field: &str) -> String {
    format!("{bucket}\0{measurement}\0{tags}\0{field}")
}

fn field_key(bucket: &str, measurement: &str, field: &str) -> String {
    format!("{bucket}\0{measurement}\0{field}")
}

fn type_code(t: ColType) -> i64 {
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
fn lp_type_name(t: ColType) -> &'static str {
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
        for row in rows {
            let (id, bucket, measurement, tags, field, ty) = row?;
            index.insert(id, &bucket, &measurement, &tags, &field, type_from_code(ty));
        }
        Ok(index)
    }

    fn insert(
        &mut self,
        id: i64,
        bucket: &str,
        measurement: &str,
        tags_json: &str,
        field: &str,
        ty: ColType,
    ) {
        self.ids
            .insert(series_key(bucket, measurement, tags_json, field), (id, ty));
        self.field_types
            .insert(field_key(bucket, measurement, field), ty);
        let tags: Vec<(String, String)> = serde_json::from_str(tags_json).unwrap_or_default();
        self.by_bucket
            .entry(bucket.to_string())
            .or_default()
            .push(SeriesMeta {
                id,
                measurement: measurement.to_string(),
                tags,
                field: field.to_string(),
                ty,
            });
    }

    pub fn remove_bucket(&mut self, bucket: &str) {
        let prefix = format!("{bucket}\0");
        self.ids.retain(|k, _| !k.starts_with(&prefix));
        self.field_types.retain(|k, _| !k.starts_with(&prefix));
        self.by_bucket.remove(bucket);
    }
}

fn to_sql(v: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as Sql;
    match v {
        Value::Float(f) => Sql::Real(*f),
        Value::Int(n) => Sql::Integer(*n),
        Value::UInt(n) => Sql::Integer(*n as i64),
        Value::Bool(b) => Sql::Integer(*b as i64),
        Value::Str(s) => Sql::Text(s.clone()),
        _ => Sql::Null,
    }
}

fn from_sql(ty: ColType, row: &rusqlite::Row, i: usize) -> rusqlite::Result<Value> {
    Ok(match ty {
        ColType::Double => Value::Float(row.get(i)?),
        ColType::Long => Value::Int(row.get(i)?),
        ColType::ULong => Value::UInt(row.get::<_, i64>(i)? as u64),
        ColType::Bool => Value::Bool(row.get::<_, i64>(i)? != 0),
        ColType::String => Value::Str(row.get(i)?),
        ColType::Time => Value::Time(row.get(i)?),
    })
}

impl Store {
    /// Writes points in one transaction: all of them are durable when this returns, or none.
    /// Points whose field type conflicts with stored data are dropped and counted.
    pub fn write(&self, bucket_id: &str, points: &[Point]) -> Result<WriteOutcome, StorageError> {
        let mut conn = self.write_conn();
        let mut outcome = WriteOutcome::default();
        let mut created: Vec<(i64, String, String, String, ColType)> = Vec::new();
        let mut local_ids: HashMap<String, (i64, ColType)> = HashMap::new();
        let mut local_types: HashMap<String, ColType> = HashMap::new();
        let tx = conn.transaction()?;
        {
            let index = self.series.read().unwrap_or_else(|e| e.into_inner());
            let mut insert_point = tx.prepare_cached(
                "INSERT INTO points(series_id, time, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT(series_id, time) DO UPDATE SET value = excluded.value",
            )?;
            let mut insert_series = tx.prepare_cached("INSERT INTO series(bucket_id, measurement, tags, field, type) VALUES (?1, ?2, ?3, ?4, ?5)")?;
            // Per-batch memos on borrowed keys: a batch of one device resolves each of its
            // series once, not once per point.
            let mut series_memo: HashMap<SeriesRef, i64> = HashMap::new();
            let mut type_memo: HashMap<(&str, &str), ColType> = HashMap::new();
            for p in points {
                let mut conflict = None;
                for (f, v) in &p.fields {
                    let Some(ty) = v.col_type() else { continue };
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
                    let Some(ty) = value.col_type() else { continue };
                    let memo_key = (p.measurement.as_str(), p.tags.as_slice(), field.as_str());
                    let id = match series_memo.get(&memo_key) {
                        Some(id) => *id,
                        None => {
                            let tags_json = serde_json::to_string(&p.tags)
                                .map_err(|e| StorageError::Invalid(e.to_string()))?;
                            let key = series_key(bucket_id, &p.measurement, &tags_json, field);
                            let id = match local_ids.get(&key).or_else(|| index.ids.get(&key)) {
                                Some((id, _)) => *id,
                                None => {
                                    insert_series.execute(params![
                                        bucket_id,
                                        p.measurement,
                                        tags_json,
                                        field,
                                        type_code(ty)
                                    ])?;
                                    let id = tx.last_insert_rowid();
                                    local_ids.insert(key, (id, ty));
                                    local_types
                                        .insert(field_key(bucket_id, &p.measurement, field), ty);
                                    created.push((
                                        id,
                                        p.measurement.clone(),
                                        tags_json.clone(),
                                        field.clone(),
                                        ty,
                                    ));
                                    id
                                }
                            };
                            series_memo.insert(memo_key, id);
                            type_memo.insert((p.measurement.as_str(), field.as_str()), ty);
                            id
                        }
                    };
                    insert_point.execute(params![id, p.time, to_sql(value)])?;
                }
            }
        }
        tx.commit()?;
        let mut index = self.series.write().unwrap_or_else(|e| e.into_inner());
        for (id, measurement, tags, field, ty) in created {
            index.insert(id, bucket_id, &measurement, &tags, &field, ty);
        }
        Ok(outcome)
    }

    /// The series of a bucket, ordered by measurement, tags, field.
    pub fn series_of(&self, bucket_id: &str) -> Vec<SeriesMeta> {
        let index = self.series.read().unwrap_or_else(|e| e.into_inner());
        let mut series = index.by_bucket.get(bucket_id).cloned().unwrap_or_default();
        series.sort_by(|a, b| {
            (&a.measurement, &a.tags, &a.field).cmp(&(&b.measurement, &b.tags, &b.field))
        });
        series
    }

    /// Points of one series with `start <= time < stop`, in time order.
    pub fn read_points(
        &self,
        series: &SeriesMeta,
        start: i64,
        stop: i64,
        pick: Pick,
    ) -> Result<Vec<(i64, Value)>, StorageError> {
        let sql = match pick {
            Pick::All => "SELECT time, value FROM points WHERE series_id = ?1 AND time >= ?2 AND time < ?3 ORDER BY time",
            Pick::First => "SELECT time, value FROM points WHERE series_id = ?1 AND time >= ?2 AND time < ?3 ORDER BY time LIMIT 1",
            Pick::Last => "SELECT time, value FROM points WHERE series_id = ?1 AND time >= ?2 AND time < ?3 ORDER BY time DESC LIMIT 1",
        };
        self.read(|c| {
            let mut stmt = c.prepare_cached(sql)?;
            let rows = stmt.query_map(params![series.id, start, stop], |r| {
                Ok((r.get(0)?, from_sql(series.ty, r, 1)?))
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
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
        let series: Vec<i64> = self
            .series_of(bucket_id)
            .into_iter()
            .filter(|s| predicate.matches(s))
            .map(|s| s.id)
            .collect();
        let mut conn = self.write_conn();
        let tx = conn.transaction()?;
        let mut deleted = 0;
        {
            let mut stmt = tx.prepare_cached(
                "DELETE FROM points WHERE series_id = ?1 AND time >= ?2 AND time <= ?3",
            )?;
            for id in series {
                deleted += stmt.execute(params![id, start, stop])?;
            }
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
            fields: vec![("v".into(), Value::Int(t))],
            time: t,
        };
        let old = now - 7200 * 1_000_000_000;
        for bucket in [&hourly.id, &forever.id] {
            store.write(bucket, &[point(old), point(now - 1)]).unwrap();
        }
        assert_eq!(store.expire(now).unwrap(), 1);
        let kept = |bucket: &str| {
            store
                .series_of(bucket)
                .iter()
                .map(|s| {
                    store
                        .read_points(s, i64::MIN, i64::MAX, Pick::All)
                        .unwrap()
                        .len()
                })
                .sum::<usize>()
        };
        assert_eq!((kept(&hourly.id), kept(&forever.id)), (1, 2));
    }

    #[test]
    fn a_reopened_store_has_its_series_and_field_types() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let org = store.create_org("o", "").unwrap();
        let b = store.create_bucket(&org.id, "b", "", 0).unwrap();
        let p = |v: Value| Point {
            measurement: "m".into(),
            tags: vec![("k".into(), "a".into())],
            fields: vec![("v".into(), v)],
            time: 1,
        };
        store.write(&b.id, &[p(Value::Float(1.0))]).unwrap();
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.series_of(&b.id).len(), 1);
        let outcome = store.write(&b.id, &[p(Value::Str("x".into()))]).unwrap();
        assert_eq!(
            outcome.dropped, 1,
            "the type from before the restart still holds"
        );
    }
}
