//! Users and API tokens, kept in SQLite under the data directory (`accounts.sqlite3`), so the
//! server and the `iot-center user|token add` commands can use them at the same time.
//! Passwords are Argon2 hashes (`password-auth`); API tokens are random and stored as their
//! SHA-256 (they carry 256 bits, so a slow hash adds nothing). No admin can remove or demote
//! the last admin.

use crate::local_db::LocalDb;
use crate::secrets::{random_secret, sha256_hex};
use crate::Error;
use iot_models::{AccountName, AccountRow, Caller, Password, Role};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;

/// The file the accounts live in, in the data directory.
pub const FILE: &str = "accounts.sqlite3";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_tokens (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);";

/// A signed-in user as the session keeps them: the hash changes with the password, which
/// ends the user's other sessions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub role: Role,
    pub password_hash: String,
}

impl User {
    pub fn caller(&self) -> Caller {
        Caller {
            name: self.name.clone(),
            role: self.role,
        }
    }
}

/// The accounts store; cheap to clone.
#[derive(Clone)]
pub struct Accounts {
    db: LocalDb,
    /// Where every password is hashed: a few at a time, off the shared blocking threads.
    hashers: std::sync::Arc<crate::password_pool::PasswordPool>,
}

fn storage(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("accounts: {e}"))
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn role(raw: String) -> Result<Role, Error> {
    Role::parse(&raw).map_err(storage)
}

impl Accounts {
    /// Argon2 is slow and large by design: it runs on the password hashers.
    async fn hash(&self, password: &Password) -> Result<String, Error> {
        let password = password.expose().to_string();
        self.hashers
            .run(move || password_auth::generate_hash(password))
            .await
    }

    /// Opens (or creates) the store in `data_dir`, readable by its owner only.
    pub fn open(data_dir: &Path) -> Result<Accounts, Error> {
        Ok(Accounts {
            db: LocalDb::open(data_dir, FILE, SCHEMA, "accounts")?,
            hashers: Default::default(),
        })
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, Error> {
        self.db.with(f)
    }

    pub fn has_users(&self) -> Result<bool, Error> {
        self.with(|db| db.query_row("SELECT EXISTS (SELECT 1 FROM users)", [], |r| r.get(0)))
    }

    pub fn users(&self) -> Result<Vec<AccountRow>, Error> {
        self.rows("SELECT name, role, created_at FROM users ORDER BY name")
    }

    /// Rows of `name, role, created_at`.
    fn rows(&self, sql: &str) -> Result<Vec<AccountRow>, Error> {
        let rows: Vec<(String, String, String)> = self.with(|db| {
            let mut q = db.prepare(sql)?;
            let rows = q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect()
        })?;
        rows.into_iter()
            .map(|(name, r, created_at)| {
                Ok(AccountRow {
                    name,
                    role: role(r)?,
                    created_at,
                })
            })
            .collect()
    }

    /// The user `name`, for a session that names them.
    pub fn user(&self, name: &str) -> Result<Option<User>, Error> {
        let row: Option<(String, String, String)> = self.with(|db| {
            db.query_row(
                "SELECT name, role, password_hash FROM users WHERE name = ?1",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
        })?;
        row.map(|(name, r, password_hash)| {
            Ok(User {
                name,
                role: role(r)?,
                password_hash,
            })
        })
        .transpose()
    }

    /// Adds a user; `Invalid` when the name is taken.
    pub async fn add_user(
        &self,
        name: &AccountName,
        role: Role,
        password: &Password,
    ) -> Result<(), Error> {
        let hash = self.hash(password).await?;
        let added = self.with(|db| {
            db.execute(
                "INSERT OR IGNORE INTO users (name, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![name.as_str(), role.as_str(), hash, now()],
            )
        })?;
        match added {
            1 => Ok(()),
            _ => Err(Error::Invalid(format!("there is already a user {name}"))),
        }
    }

    /// Adds the first admin, only while there are no users (of two at once, one wins).
    pub async fn set_up(&self, name: &AccountName, password: &Password) -> Result<(), Error> {
        let hash = self.hash(password).await?;
        let added = self.with(|db| {
            db.execute(
                "INSERT INTO users (name, role, password_hash, created_at)
                 SELECT ?1, 'admin', ?2, ?3 WHERE NOT EXISTS (SELECT 1 FROM users)",
                params![name.as_str(), hash, now()],
            )
        })?;
        match added {
            1 => Ok(()),
            _ => Err(Error::Invalid(
                "IoT Center is already set up: sign in".into(),
            )),
        }
    }

    /// The user, if `password` is theirs. An unknown name costs a hash too, so the time of
    /// the answer does not tell which names exist.
    pub async fn verify(&self, name: &str, password: &str) -> Result<Option<User>, Error> {
        let user = self.user(name)?;
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        let password = password.to_string();
        let ok = self
            .hashers
            .run(move || {
                static UNKNOWN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
                let hash = hash.unwrap_or_else(|| {
                    UNKNOWN
                        .get_or_init(|| password_auth::generate_hash("no such user"))
                        .clone()
                });
                password_auth::verify_password(password, &hash).is_ok()
            })
            .await?;
        Ok(user.filter(|_| ok))
    }

    pub async fn set_password(&self, name: &str, password: &Password) -> Result<(), Error> {
        let hash = self.hash(password).await?;
        let changed = self.with(|db| {
            db.execute(
                "UPDATE users SET password_hash = ?2 WHERE name = ?1",
                params![name, hash],
            )
        })?;
        found(changed, name)
    }

    /// Changes a user's role; the last admin stays an admin.
    pub fn set_role(&self, name: &str, new: Role) -> Result<(), Error> {
        let changed = self.with(|db| {
            db.execute(
                "UPDATE users SET role = ?2 WHERE name = ?1 AND (?2 = 'admin' OR role != 'admin'
                   OR (SELECT COUNT(*) FROM users WHERE role = 'admin') > 1)",
                params![name, new.as_str()],
            )
        })?;
        self.unless_last_admin(changed, name)
    }

    /// Removes a user; never the last admin.
    pub fn remove_user(&self, name: &str) -> Result<(), Error> {
        let removed = self.with(|db| {
            db.execute(
                "DELETE FROM users WHERE name = ?1 AND (role != 'admin'
                   OR (SELECT COUNT(*) FROM users WHERE role = 'admin') > 1)",
                [name],
            )
        })?;
        self.unless_last_admin(removed, name)
    }

    /// The outcome of a change that spares the last admin: done, refused for them, or no
    /// such user.
    fn unless_last_admin(&self, changed: usize, name: &str) -> Result<(), Error> {
        match (changed, self.user(name)?) {
            (1, _) => Ok(()),
            (_, Some(_)) => Err(Error::Invalid(format!(
                "{name} is the last admin: make another user an admin first"
            ))),
            (_, None) => found(0, name),
        }
    }

    /// Creates an API token; the token itself is returned once and never stored.
    pub fn add_token(&self, name: &AccountName, role: Role) -> Result<String, Error> {
        let token = random_secret();
        let added = self.with(|db| {
            db.execute(
                "INSERT OR IGNORE INTO api_tokens (name, role, token_sha256, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![name.as_str(), role.as_str(), sha256_hex(&token), now()],
            )
        })?;
        match added {
            1 => Ok(token),
            _ => Err(Error::Invalid(format!("there is already a token {name}"))),
        }
    }

    /// The caller an API token stands for.
    pub fn caller_of_token(&self, token: &str) -> Result<Option<Caller>, Error> {
        let row: Option<(String, String)> = self.with(|db| {
            db.query_row(
                "SELECT name, role FROM api_tokens WHERE token_sha256 = ?1",
                [sha256_hex(token)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
        })?;
        row.map(|(name, r)| {
            Ok(Caller {
                name,
                role: role(r)?,
            })
        })
        .transpose()
    }

    pub fn tokens(&self) -> Result<Vec<AccountRow>, Error> {
        self.rows("SELECT name, role, created_at FROM api_tokens ORDER BY name")
    }

    pub fn remove_token(&self, name: &str) -> Result<(), Error> {
        let removed =
            self.with(|db| db.execute("DELETE FROM api_tokens WHERE name = ?1", [name]))?;
        found(removed, name)
    }
}

fn found(changed: usize, name: &str) -> Result<(), Error> {
    match changed {
        0 => Err(Error::NotFound(format!("there is no {name}"))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(raw: &str) -> AccountName {
        AccountName::parse(raw).unwrap()
    }

    fn password(raw: &str) -> Password {
        Password::parse(raw).unwrap()
    }

    #[tokio::test]
    async fn the_first_admin_is_set_up_once() {
        let dir = tempfile::tempdir().unwrap();
        let a = Accounts::open(dir.path()).unwrap();
        assert!(!a.has_users().unwrap());
        a.set_up(&name("alice"), &password("alice-password"))
            .await
            .unwrap();
        assert_eq!(
            a.set_up(&name("mallory"), &password("mallory-password"))
                .await,
            Err(Error::Invalid(
                "IoT Center is already set up: sign in".into()
            ))
        );
        let users = a.users().unwrap();
        assert_eq!(users.len(), 1);
        assert_eq!(
            (users[0].name.as_str(), users[0].role),
            ("alice", Role::Admin)
        );
    }

    #[tokio::test]
    async fn passwords_are_verified_against_their_hash() {
        let dir = tempfile::tempdir().unwrap();
        let a = Accounts::open(dir.path()).unwrap();
        a.add_user(&name("vic"), Role::Viewer, &password("vic-password"))
            .await
            .unwrap();
        let user = a.verify("vic", "vic-password").await.unwrap().unwrap();
        assert_eq!(user.role, Role::Viewer);
        assert!(user.password_hash.starts_with("$argon2"));
        assert_eq!(a.verify("vic", "wrong-password").await.unwrap(), None);
        assert_eq!(a.verify("nobody", "vic-password").await.unwrap(), None);
        a.set_password("vic", &password("new-password"))
            .await
            .unwrap();
        assert_eq!(a.verify("vic", "vic-password").await.unwrap(), None);
        assert!(a.verify("vic", "new-password").await.unwrap().is_some());
        assert_eq!(
            a.add_user(&name("vic"), Role::Admin, &password("other-password"))
                .await,
            Err(Error::Invalid("there is already a user vic".into()))
        );
    }

    #[tokio::test]
    async fn the_last_admin_stays() {
        let dir = tempfile::tempdir().unwrap();
        let a = Accounts::open(dir.path()).unwrap();
        a.set_up(&name("root"), &password("root-password"))
            .await
            .unwrap();
        let last = Err(Error::Invalid(
            "root is the last admin: make another user an admin first".into(),
        ));
        assert_eq!(a.set_role("root", Role::Viewer), last);
        assert_eq!(a.remove_user("root"), last);
        a.add_user(&name("op"), Role::Operator, &password("op-password"))
            .await
            .unwrap();
        a.set_role("op", Role::Admin).unwrap();
        a.set_role("root", Role::Viewer).unwrap();
        a.remove_user("root").unwrap();
        assert_eq!(
            a.remove_user("root"),
            Err(Error::NotFound("there is no root".into()))
        );
    }

    #[tokio::test]
    async fn api_tokens_are_shown_once_and_stored_hashed() {
        let dir = tempfile::tempdir().unwrap();
        let a = Accounts::open(dir.path()).unwrap();
        let token = a.add_token(&name("ci"), Role::Operator).unwrap();
        assert_eq!(token.len(), 43);
        assert_eq!(
            a.caller_of_token(&token).unwrap(),
            Some(Caller {
                name: "ci".into(),
                role: Role::Operator
            })
        );
        assert_eq!(a.caller_of_token("guess").unwrap(), None);
        let stored = std::fs::read(dir.path().join(FILE)).unwrap();
        assert!(!stored.windows(token.len()).any(|w| w == token.as_bytes()));
        a.remove_token("ci").unwrap();
        assert_eq!(a.caller_of_token(&token).unwrap(), None);
    }

    #[tokio::test]
    async fn a_second_opener_sees_the_same_accounts() {
        let dir = tempfile::tempdir().unwrap();
        let server = Accounts::open(dir.path()).unwrap();
        let cli = Accounts::open(dir.path()).unwrap();
        cli.add_user(&name("late"), Role::Viewer, &password("late-password"))
            .await
            .unwrap();
        assert!(server.user("late").unwrap().is_some());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
