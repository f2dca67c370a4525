//! Organizations, users, buckets and authorizations. Tokens are stored as SHA-256 hashes:
//! a token is shown once, when it is created.

use super::{now_nanos, StorageError, Store};
use rusqlite::{params, OptionalExtension, Row};
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
    pub fn grants(&self, action: &str, kind: &str, org_id: Option<&str>, id: Option<&str>) -> bool {
        let r = &self.resource;
        self.action == action
            && (r.kind == kind || r.kind == "instance")
            && r.id.as_deref().is_none_or(|want| Some(want) == id)
            && r.org_id.as_deref().is_none_or(|want| Some(want) == org_id)
    }
}

#[derive(Clone, Debug)]
pub struct Org {
    pub id: String,
    pub name: String,
    pub description: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Clone, Debug)]
pub struct User {
    pub id: String,
    pub name: String,
}

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

/// A new 16-hex-digit id, as InfluxDB's.
pub fn new_id() -> String {
    loop {
        let id: u64 = rand::random();
        if id >> 60 != 0 {
            return format!("{id:016x}");
        }
    }
}

/// 64 random bytes, base64-URL: the shape of InfluxDB's generated tokens.
fn new_token() -> String {
    use base64::Engine;
    let bytes: [u8; 64] = std::array::from_fn(|_| rand::random());
    base64::engine::general_purpose::URL_SAFE.encode(bytes)
}

fn hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The system buckets every organization gets: `(name, retention in seconds)`.
const SYSTEM_BUCKETS: [(&str, i64); 2] = [("_tasks", 3 * 86_400), ("_monitoring", 7 * 86_400)];

fn org_from(row: &Row) -> rusqlite::Result<Org> {
    Ok(Org {
        id: row.get(0)?,
        name: row.get(1)?,
        description: row.get(2)?,
        created_at: row.get(3)?,
        updated_at: row.get(4)?,
    })
}

fn bucket_from(row: &Row) -> rusqlite::Result<Bucket> {
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

fn auth_from(row: &Row) -> rusqlite::Result<Authorization> {
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

const ORG_COLS: &str = "id, name, description, created_at, updated_at";
const BUCKET_COLS: &str =
    "id, org_id, name, description, retention_secs, kind, created_at, updated_at";
const AUTH_COLS: &str =
    "id, org_id, user_id, status, description, permissions, created_at, updated_at";

impl Store {
    /// Whether onboarding may still run: no users and no organizations yet.
    pub fn setup_allowed(&self) -> Result<bool, StorageError> {
        self.read(|c| {
            let n: i64 = c.query_row(
                "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM orgs)",
                [],
                |r| r.get(0),
            )?;
            Ok(n == 0)
        })
    }

    pub fn create_user(&self, name: &str, password: &str) -> Result<User, StorageError> {
        let salt = new_id();
        let user = User {
            id: new_id(),
            name: name.to_string(),
        };
        self.write_conn()
            .execute(
                "INSERT INTO users VALUES (?1, ?2, ?3)",
                params![
                    user.id,
                    user.name,
                    format!("{salt}:{}", hash(&format!("{salt}{password}")))
                ],
            )
            .map_err(|e| unique_violation(e, format!("user with name {name} already exists")))?;
        Ok(user)
    }

    pub fn user(&self, id: &str) -> Result<Option<User>, StorageError> {
        self.read(|c| {
            Ok(
                c.query_row("SELECT id, name FROM users WHERE id = ?1", [id], |r| {
                    Ok(User {
                        id: r.get(0)?,
                        name: r.get(1)?,
                    })
                })
                .optional()?,
            )
        })
    }

    pub fn orgs(&self) -> Result<Vec<Org>, StorageError> {
        self.read(|c| {
            Ok(
                c.prepare(&format!("SELECT {ORG_COLS} FROM orgs ORDER BY id"))?
                    .query_map([], org_from)?
                    .collect::<Result<_, _>>()?,
            )
        })
    }

    pub fn org(&self, id: &str) -> Result<Option<Org>, StorageError> {
        self.read(|c| {
            Ok(c.query_row(
                &format!("SELECT {ORG_COLS} FROM orgs WHERE id = ?1"),
                [id],
                org_from,
            )
            .optional()?)
        })
    }

    pub fn org_by_name(&self, name: &str) -> Result<Option<Org>, StorageError> {
        self.read(|c| {
            Ok(c.query_row(
                &format!("SELECT {ORG_COLS} FROM orgs WHERE name = ?1"),
                [name],
                org_from,
            )
            .optional()?)
        })
    }

    /// Creates an organization with its system buckets.
    pub fn create_org(&self, name: &str, description: &str) -> Result<Org, StorageError> {
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
        let mut conn = self.write_conn();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO orgs VALUES (?1, ?2, ?3, ?4, ?4)",
            params![org.id, org.name, org.description, now],
        )
        .map_err(|e| {
            unique_violation(e, format!("organization with name {name} already exists"))
        })?;
        for (system, retention) in SYSTEM_BUCKETS {
            tx.execute(
                "INSERT INTO buckets VALUES (?1, ?2, ?3, '', ?4, 'system', ?5, ?5)",
                params![new_id(), org.id, system, retention, now],
            )?;
        }
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

    pub fn buckets(&self) -> Result<Vec<Bucket>, StorageError> {
        self.read(|c| {
            Ok(c.prepare(&format!(
                "SELECT {BUCKET_COLS} FROM buckets ORDER BY kind DESC, id"
            ))?
            .query_map([], bucket_from)?
            .collect::<Result<_, _>>()?)
        })
    }

    pub fn bucket(&self, id: &str) -> Result<Option<Bucket>, StorageError> {
        self.read(|c| {
            Ok(c.query_row(
                &format!("SELECT {BUCKET_COLS} FROM buckets WHERE id = ?1"),
                [id],
                bucket_from,
            )
            .optional()?)
        })
    }

    pub fn bucket_by_name(&self, org_id: &str, name: &str) -> Result<Option<Bucket>, StorageError> {
        self.read(|c| {
            Ok(c.query_row(
                &format!("SELECT {BUCKET_COLS} FROM buckets WHERE org_id = ?1 AND name = ?2"),
                [org_id, name],
                bucket_from,
            )
            .optional()?)
        })
    }

    pub fn create_bucket(
        &self,
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
        self.write_conn()
            .execute(
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

    /// Creates an authorization; returns it with its token, which is not stored.
    pub fn create_authorization(
        &self,
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
        self.write_conn()
            .execute(
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

    pub fn authorization_by_token(
        &self,
        token: &str,
    ) -> Result<Option<Authorization>, StorageError> {
        self.read(|c| {
            Ok(c.query_row(
                &format!("SELECT {AUTH_COLS} FROM authorizations WHERE token_hash = ?1"),
                [hash(token)],
                auth_from,
            )
            .optional()?)
        })
    }

    pub fn authorizations(&self) -> Result<Vec<Authorization>, StorageError> {
        self.read(|c| {
            Ok(c.prepare(&format!(
                "SELECT {AUTH_COLS} FROM authorizations ORDER BY created_at, id"
            ))?
            .query_map([], auth_from)?
            .collect::<Result<_, _>>()?)
        })
    }

    pub fn authorization(&self, id: &str) -> Result<Option<Authorization>, StorageError> {
        self.read(|c| {
            Ok(c.query_row(
                &format!("SELECT {AUTH_COLS} FROM authorizations WHERE id = ?1"),
                [id],
                auth_from,
            )
            .optional()?)
        })
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

fn status(active: bool) -> &'static str {
    if active {
        "active"
    } else {
        "inactive"
    }
}

fn unique_violation(e: rusqlite::Error, message: String) -> StorageError {
    match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            StorageError::Conflict(message)
        }
        e => StorageError::Sqlite(e),
    }
}
