//! Authorizations: tokens with permissions. Tokens are stored as SHA-256 hashes (a token is
//! 64 random bytes, so a fast hash is enough); a token is shown once, when it is created.

use super::{all, new_id, one, unique_violation};
use crate::storage::{now_nanos, StorageError, Store};
use rusqlite::{params, Connection, Row};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "orgID", default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Permission {
    pub action: String,
    pub resource: Resource,
}

impl Permission {
    /// Whether this permission grants `action` on a resource of `kind` with `id` in `org_id`.
    /// A permission without an org grants in every org; asked with no org, only such one does.
    pub fn grants(&self, action: &str, kind: &str, org_id: Option<&str>, id: Option<&str>) -> bool {
        let r = &self.resource;
        self.action == action
            && (r.kind == kind || r.kind == "instance")
            && r.id.as_deref().is_none_or(|want| Some(want) == id)
            && r.org_id.as_deref().is_none_or(|want| Some(want) == org_id)
    }
}

#[derive(Clone, Debug)]
pub struct Authorization {
    pub id: String,
    pub org_id: String,
    pub user_id: String,
    pub active: bool,
    pub description: String,
    pub permissions: Vec<Permission>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Authorization {
    pub fn grants(&self, action: &str, kind: &str, org_id: Option<&str>, id: Option<&str>) -> bool {
        self.active
            && self
                .permissions
                .iter()
                .any(|p| p.grants(action, kind, org_id, id))
    }

    /// Whether this token may read any bucket of the organization `org_id`.
    pub fn may_read_in(&self, org_id: &str) -> bool {
        self.active
            && self.permissions.iter().any(|p| {
                p.action == "read"
                    && (p.resource.kind == "buckets" || p.resource.kind == "instance")
                    && p.resource.org_id.as_deref().is_none_or(|o| o == org_id)
            })
    }
}

pub struct NewAuthorization {
    pub org_id: String,
    pub user_id: String,
    pub active: bool,
    pub description: String,
    pub permissions: Vec<Permission>,
    /// A caller-chosen token (setup accepts one); otherwise a random one is made.
    pub token: Option<String>,
}

const COLUMNS: &str =
    "id, org_id, user_id, status, description, permissions, created_at, updated_at";

fn from_row(row: &Row) -> rusqlite::Result<Authorization> {
    let permissions: String = row.get(5)?;
    Ok(Authorization {
        id: row.get(0)?,
        org_id: row.get(1)?,
        user_id: row.get(2)?,
        active: row.get::<_, String>(3)? == "active",
        description: row.get(4)?,
        permissions: serde_json::from_str(&permissions).unwrap_or_default(),
        created_at: row.get(6)?,
        updated_at: row.get(7)?,
    })
}

/// 64 random bytes, base64-URL: the shape of InfluxDB's generated tokens.
fn new_token() -> String {
    use base64::Engine;
    let bytes: [u8; 64] = std::array::from_fn(|_| rand::random());
    base64::engine::general_purpose::URL_SAFE.encode(bytes)
}

fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn status(active: bool) -> &'static str {
    if active {
        "active"
    } else {
        "inactive"
    }
}

/// Inserts an authorization; returns it with its token, which is not stored.
pub(super) fn insert(
    c: &Connection,
    new: NewAuthorization,
) -> Result<(Authorization, String), StorageError> {
    let token = new.token.unwrap_or_else(new_token);
    let now = now_nanos();
    let auth = Authorization {
        id: new_id(),
        org_id: new.org_id,
        user_id: new.user_id,
        active: new.active,
        description: new.description,
        permissions: new.permissions,
        created_at: now,
        updated_at: now,
    };
    let permissions = serde_json::to_string(&auth.permissions)
        .map_err(|e| StorageError::Invalid(e.to_string()))?;
    c.execute(
        "INSERT INTO authorizations VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        params![
            auth.id,
            hash(&token),
            auth.org_id,
            auth.user_id,
            status(auth.active),
            auth.description,
            permissions,
            now
        ],
    )
    .map_err(|e| unique_violation(e, "token already exists".into()))?;
    Ok((auth, token))
}

impl Store {
    /// Creates an authorization; returns it with its token, which is not stored.
    pub fn create_authorization(
        &self,
        new: NewAuthorization,
    ) -> Result<(Authorization, String), StorageError> {
        insert(&self.write_conn(), new)
    }

    pub fn authorization_by_token(
        &self,
        token: &str,
    ) -> Result<Option<Authorization>, StorageError> {
        let sql = format!("SELECT {COLUMNS} FROM authorizations WHERE token_hash = ?1");
        self.read(|c| one(c, &sql, [hash(token)], from_row))
    }

    pub fn authorizations(&self) -> Result<Vec<Authorization>, StorageError> {
        let sql = format!("SELECT {COLUMNS} FROM authorizations ORDER BY created_at, id");
        self.read(|c| all(c, &sql, from_row))
    }

    pub fn authorization(&self, id: &str) -> Result<Option<Authorization>, StorageError> {
        let sql = format!("SELECT {COLUMNS} FROM authorizations WHERE id = ?1");
        self.read(|c| one(c, &sql, [id], from_row))
    }

    pub fn update_authorization(
        &self,
        id: &str,
        active: Option<bool>,
        description: Option<&str>,
    ) -> Result<Authorization, StorageError> {
        let n = self.write_conn().execute(
            "UPDATE authorizations SET status = coalesce(?2, status), description = coalesce(?3, description), updated_at = ?4 WHERE id = ?1",
            params![id, active.map(status), description, now_nanos()],
        )?;
        if n == 0 {
            return Err(StorageError::NotFound("authorization not found".into()));
        }
        self.authorization(id)?
            .ok_or_else(|| StorageError::NotFound("authorization not found".into()))
    }

    pub fn delete_authorization(&self, id: &str) -> Result<(), StorageError> {
        if self
            .write_conn()
            .execute("DELETE FROM authorizations WHERE id = ?1", [id])?
            == 0
        {
            return Err(StorageError::NotFound("authorization not found".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::meta::test_store;

    fn permission(action: &str, kind: &str, org: Option<&str>, id: Option<&str>) -> Permission {
        Permission {
            action: action.into(),
            resource: Resource {
                kind: kind.into(),
                id: id.map(Into::into),
                org_id: org.map(Into::into),
            },
        }
    }

    #[test]
    fn permissions_grant_their_action_kind_org_and_id_only() {
        let write_one = permission("write", "buckets", Some("o1"), Some("b1"));
        assert!(write_one.grants("write", "buckets", Some("o1"), Some("b1")));
        assert!(!write_one.grants("read", "buckets", Some("o1"), Some("b1")));
        assert!(!write_one.grants("write", "buckets", Some("o1"), Some("b2")));
        assert!(!write_one.grants("write", "buckets", Some("o2"), Some("b1")));
        assert!(!write_one.grants("write", "buckets", None, Some("b1")));
        let every_org = permission("read", "buckets", None, None);
        assert!(every_org.grants("read", "buckets", Some("o1"), Some("b9")));
        assert!(every_org.grants("read", "buckets", None, None));
        assert!(permission("read", "instance", None, None).grants("read", "orgs", None, None));
    }

    #[test]
    fn tokens_are_found_by_their_hash_updated_and_deleted() {
        let (_dir, store) = test_store::open();
        let new = |token: Option<&str>| NewAuthorization {
            org_id: "o1".into(),
            user_id: "u1".into(),
            active: true,
            description: "device".into(),
            permissions: vec![permission("read", "buckets", Some("o1"), None)],
            token: token.map(Into::into),
        };
        let (auth, token) = store.create_authorization(new(None)).unwrap();
        assert_eq!(token.len(), 88, "64 random bytes in base64");
        let stored: String = store
            .read(|c| Ok(c.query_row("SELECT token_hash FROM authorizations", [], |r| r.get(0))?))
            .unwrap();
        assert_ne!(stored, token, "only the hash is kept");
        let found = store.authorization_by_token(&token).unwrap().unwrap();
        assert_eq!(
            (found.id.as_str(), found.permissions.len()),
            (auth.id.as_str(), 1)
        );
        assert!(found.may_read_in("o1") && !found.may_read_in("o2"));
        assert!(store.authorization_by_token("guess").unwrap().is_none());
        store.create_authorization(new(Some("chosen"))).unwrap();
        assert!(matches!(
            store.create_authorization(new(Some("chosen"))),
            Err(StorageError::Conflict(m)) if m == "token already exists"
        ));
        let off = store
            .update_authorization(&auth.id, Some(false), None)
            .unwrap();
        assert!(!off.active && !off.may_read_in("o1"));
        assert_eq!(off.description, "device");
        assert_eq!(store.authorizations().unwrap().len(), 2);
        store.delete_authorization(&auth.id).unwrap();
        assert!(matches!(
            store.delete_authorization(&auth.id),
            Err(StorageError::NotFound(_))
        ));
    }
}
