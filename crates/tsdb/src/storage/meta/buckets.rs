//! Buckets: named, with a retention, in an organization; `system` ones come with every org.

use super::{all, new_id, one, unique_violation};
use crate::storage::{now_nanos, StorageError, Store};
use rusqlite::{params, Connection, Row};

#[derive(Clone, Debug)]
pub struct Bucket {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub description: String,
    /// 0 = keep forever.
    pub retention_secs: i64,
    /// `user` or `system`.
    pub kind: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, org_id, name, description, retention_secs, kind, created_at, updated_at";

/// The system buckets every organization gets: `(name, retention in seconds)`.
const SYSTEM_BUCKETS: [(&str, i64); 2] = [("_tasks", 3 * 86_400), ("_monitoring", 7 * 86_400)];

fn from_row(row: &Row) -> rusqlite::Result<Bucket> {
    Ok(Bucket {
        id: row.get(0)?,
        org_id: row.get(1)?,
        name: row.get(2)?,
        description: row.get(3)?,
        retention_secs: row.get(4)?,
        kind: row.get(5)?,
        created_at: row.get(6)?,
        updated_at: row.get(7)?,
    })
}

pub(super) fn insert_system(c: &Connection, org_id: &str, now: i64) -> Result<(), StorageError> {
    for (name, retention) in SYSTEM_BUCKETS {
        c.execute(
            "INSERT INTO buckets VALUES (?1, ?2, ?3, '', ?4, 'system', ?5, ?5)",
            params![new_id(), org_id, name, retention, now],
        )?;
    }
    Ok(())
}

pub(super) fn insert(
    c: &Connection,
    org_id: &str,
    name: &str,
    description: &str,
    retention_secs: i64,
) -> Result<Bucket, StorageError> {
    let now = now_nanos();
    let bucket = Bucket {
        id: new_id(),
        org_id: org_id.into(),
        name: name.into(),
        description: description.into(),
        retention_secs,
        kind: "user".into(),
        created_at: now,
        updated_at: now,
    };
    c.execute(
        "INSERT INTO buckets VALUES (?1, ?2, ?3, ?4, ?5, 'user', ?6, ?6)",
        params![
            bucket.id,
            bucket.org_id,
            bucket.name,
            bucket.description,
            retention_secs,
            now
        ],
    )
    .map_err(|e| unique_violation(e, format!("bucket with name {name} already exists")))?;
    Ok(bucket)
}

impl Store {
    /// Every bucket, system buckets first.
    pub fn buckets(&self) -> Result<Vec<Bucket>, StorageError> {
        let sql = format!("SELECT {COLUMNS} FROM buckets ORDER BY kind DESC, id");
        self.read(|c| all(c, &sql, from_row))
    }

    pub fn bucket(&self, id: &str) -> Result<Option<Bucket>, StorageError> {
        let sql = format!("SELECT {COLUMNS} FROM buckets WHERE id = ?1");
        self.read(|c| one(c, &sql, [id], from_row))
    }

    pub fn bucket_by_name(&self, org_id: &str, name: &str) -> Result<Option<Bucket>, StorageError> {
        let sql = format!("SELECT {COLUMNS} FROM buckets WHERE org_id = ?1 AND name = ?2");
        self.read(|c| one(c, &sql, [org_id, name], from_row))
    }

    pub fn create_bucket(
        &self,
        org_id: &str,
        name: &str,
        description: &str,
        retention_secs: i64,
    ) -> Result<Bucket, StorageError> {
        insert(
            &self.write_conn(),
            org_id,
            name,
            description,
            retention_secs,
        )
    }

    pub fn update_bucket(
        &self,
        id: &str,
        name: Option<&str>,
        description: Option<&str>,
        retention_secs: Option<i64>,
    ) -> Result<Bucket, StorageError> {
        let n = self
            .write_conn()
            .execute(
                "UPDATE buckets SET name = coalesce(?2, name), description = coalesce(?3, description),
                 retention_secs = coalesce(?4, retention_secs), updated_at = ?5 WHERE id = ?1",
                params![id, name, description, retention_secs, now_nanos()],
            )
            .map_err(|e| unique_violation(e, "bucket name is not unique".into()))?;
        if n == 0 {
            return Err(StorageError::NotFound("bucket not found".into()));
        }
        self.bucket(id)?
            .ok_or_else(|| StorageError::NotFound("bucket not found".into()))
    }

    /// Deletes a bucket and every point in it.
    pub fn delete_bucket(&self, id: &str) -> Result<(), StorageError> {
        let mut conn = self.write_conn();
        let tx = conn.transaction()?;
        tx.execute(
            "DELETE FROM blocks WHERE series_id IN (SELECT id FROM series WHERE bucket_id = ?1)",
            [id],
        )?;
        tx.execute("DELETE FROM series WHERE bucket_id = ?1", [id])?;
        let n = tx.execute("DELETE FROM buckets WHERE id = ?1", [id])?;
        tx.commit()?;
        if n == 0 {
            return Err(StorageError::NotFound("bucket not found".into()));
        }
        self.series
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove_bucket(id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::storage::meta::test_store;
    use crate::storage::StorageError;

    #[test]
    fn buckets_are_unique_per_org_updated_and_deleted() {
        let (_dir, store) = test_store::open();
        let org = store.create_org("acme", "").unwrap();
        let other = store.create_org("other", "").unwrap();
        let b = store
            .create_bucket(&org.id, "iot", "telemetry", 3600)
            .unwrap();
        assert!(
            store.create_bucket(&other.id, "iot", "", 0).is_ok(),
            "names are per org"
        );
        assert!(matches!(
            store.create_bucket(&org.id, "iot", "", 0),
            Err(StorageError::Conflict(m)) if m == "bucket with name iot already exists"
        ));
        assert_eq!(
            store.bucket_by_name(&org.id, "iot").unwrap().unwrap().id,
            b.id
        );
        assert!(store.bucket_by_name(&org.id, "nope").unwrap().is_none());
        let kinds: Vec<String> = store
            .buckets()
            .unwrap()
            .into_iter()
            .map(|b| b.kind)
            .collect();
        assert_eq!(
            kinds,
            ["user", "user", "system", "system", "system", "system"]
        );
        let updated = store.update_bucket(&b.id, None, None, Some(0)).unwrap();
        assert_eq!(
            (updated.retention_secs, updated.description.as_str()),
            (0, "telemetry")
        );
        store.delete_bucket(&b.id).unwrap();
        assert!(store.bucket(&b.id).unwrap().is_none());
        assert!(matches!(
            store.delete_bucket(&b.id),
            Err(StorageError::NotFound(_))
        ));
        assert!(matches!(
            store.update_bucket(&b.id, Some("x"), None, None),
            Err(StorageError::NotFound(_))
        ));
    }
}
