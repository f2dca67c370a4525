//! Organizations; each is made with its system buckets.

use super::{all, buckets, new_id, one, unique_violation};
use crate::storage::{now_nanos, StorageError, Store};
use rusqlite::{params, Connection, Row};

#[derive(Clone, Debug)]
pub struct Org {
    pub id: String,
    pub name: String,
    pub description: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, name, description, created_at, updated_at";

fn from_row(row: &Row) -> rusqlite::Result<Org> {
    Ok(Org {
        id: row.get(0)?,
        name: row.get(1)?,
        description: row.get(2)?,
        created_at: row.get(3)?,
        updated_at: row.get(4)?,
    })
}

/// Inserts an organization and its system buckets; `c` is inside a transaction.
pub(super) fn insert(c: &Connection, name: &str, description: &str) -> Result<Org, StorageError> {
    if name.is_empty() {
        return Err(StorageError::Invalid("org name is empty".into()));
    }
    let now = now_nanos();
    let org = Org {
        id: new_id(),
        name: name.into(),
        description: description.into(),
        created_at: now,
        updated_at: now,
    };
    c.execute(
        "INSERT INTO orgs VALUES (?1, ?2, ?3, ?4, ?4)",
        params![org.id, org.name, org.description, now],
    )
    .map_err(|e| unique_violation(e, format!("organization with name {name} already exists")))?;
    buckets::insert_system(c, &org.id, now)?;
    Ok(org)
}

impl Store {
    pub fn orgs(&self) -> Result<Vec<Org>, StorageError> {
        self.read(|c| {
            all(
                c,
                &format!("SELECT {COLUMNS} FROM orgs ORDER BY id"),
                from_row,
            )
        })
    }

    pub fn org(&self, id: &str) -> Result<Option<Org>, StorageError> {
        let sql = format!("SELECT {COLUMNS} FROM orgs WHERE id = ?1");
        self.read(|c| one(c, &sql, [id], from_row))
    }

    pub fn org_by_name(&self, name: &str) -> Result<Option<Org>, StorageError> {
        let sql = format!("SELECT {COLUMNS} FROM orgs WHERE name = ?1");
        self.read(|c| one(c, &sql, [name], from_row))
    }

    /// Creates an organization with its system buckets.
    pub fn create_org(&self, name: &str, description: &str) -> Result<Org, StorageError> {
        let mut conn = self.write_conn();
        let tx = conn.transaction()?;
        let org = insert(&tx, name, description)?;
        tx.commit()?;
        Ok(org)
    }

    pub fn update_org(
        &self,
        id: &str,
        name: Option<&str>,
        description: Option<&str>,
    ) -> Result<Org, StorageError> {
        let n = self
            .write_conn()
            .execute(
                "UPDATE orgs SET name = coalesce(?2, name), description = coalesce(?3, description), updated_at = ?4 WHERE id = ?1",
                params![id, name, description, now_nanos()],
            )
            .map_err(|e| unique_violation(e, format!("organization with name {} already exists", name.unwrap_or(""))))?;
        if n == 0 {
            return Err(StorageError::NotFound("organization not found".into()));
        }
        self.org(id)?
            .ok_or_else(|| StorageError::NotFound("organization not found".into()))
    }

    /// Deletes an organization with its buckets (and their data) and authorizations.
    pub fn delete_org(&self, id: &str) -> Result<(), StorageError> {
        for bucket in self.buckets()?.into_iter().filter(|b| b.org_id == id) {
            self.delete_bucket(&bucket.id)?;
        }
        let conn = self.write_conn();
        conn.execute("DELETE FROM authorizations WHERE org_id = ?1", [id])?;
        if conn.execute("DELETE FROM orgs WHERE id = ?1", [id])? == 0 {
            return Err(StorageError::NotFound("organization not found".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::storage::meta::test_store;
    use crate::storage::StorageError;

    #[test]
    fn orgs_are_created_found_renamed_and_deleted_with_their_buckets() {
        let (_dir, store) = test_store::open();
        let org = store.create_org("acme", "sensors").unwrap();
        assert_eq!(store.org(&org.id).unwrap().unwrap().name, "acme");
        assert_eq!(store.org_by_name("acme").unwrap().unwrap().id, org.id);
        let mut system: Vec<String> = store
            .buckets()
            .unwrap()
            .into_iter()
            .map(|b| b.name)
            .collect();
        system.sort();
        assert_eq!(system, ["_monitoring", "_tasks"]);
        assert!(matches!(
            store.create_org("acme", ""),
            Err(StorageError::Conflict(m)) if m == "organization with name acme already exists"
        ));
        assert!(matches!(
            store.create_org("", ""),
            Err(StorageError::Invalid(_))
        ));
        let renamed = store.update_org(&org.id, Some("acme2"), None).unwrap();
        assert_eq!(
            (renamed.name.as_str(), renamed.description.as_str()),
            ("acme2", "sensors")
        );
        store.create_org("other", "").unwrap();
        assert!(matches!(
            store.update_org(&org.id, Some("other"), None),
            Err(StorageError::Conflict(_))
        ));
        store.delete_org(&org.id).unwrap();
        assert!(store.org(&org.id).unwrap().is_none());
        assert_eq!(store.orgs().unwrap().len(), 1);
        assert_eq!(
            store.buckets().unwrap().len(),
            2,
            "the deleted org's buckets went too"
        );
        assert!(matches!(
            store.delete_org(&org.id),
            Err(StorageError::NotFound(_))
        ));
    }
}
