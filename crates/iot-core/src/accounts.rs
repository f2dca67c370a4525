//! Users and API tokens, kept in the state database, so the server and the
//! `iot-center user|token add` commands (and every instance) see the same accounts.
//! Passwords are Argon2 hashes (`password-auth`); API tokens are random and stored as their
//! SHA-256 (they carry 256 bits, so a slow hash adds nothing). No admin can remove or demote
//! the last admin.

use crate::secrets::{random_secret, sha256_hex};
use crate::state_db::StateDb;
use crate::Error;
use iot_models::{AccountName, AccountRow, Caller, Password, Role};
use sqlx::Row;

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
    db: StateDb,
    /// Where every password is hashed: a few at a time, off the shared blocking threads.
    hashers: std::sync::Arc<crate::password_pool::PasswordPool>,
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn role(raw: &str) -> Result<Role, Error> {
    Role::parse(raw).map_err(|e| Error::Internal(format!("accounts: {e}")))
}

/// The key the changes that must spare the last admin are serialised on.
const USERS: &str = "users";

impl Accounts {
    /// Argon2 is slow and large by design: it runs on the password hashers.
    async fn hash(&self, password: &Password) -> Result<String, Error> {
        let password = password.expose().to_string();
        self.hashers
            .run(move || password_auth::generate_hash(password))
            .await
    }

    pub fn new(db: StateDb) -> Accounts {
        Accounts {
            db,
            hashers: Default::default(),
        }
    }

    pub async fn has_users(&self) -> Result<bool, Error> {
        let any: Option<String> = sqlx::query_scalar("SELECT name FROM users LIMIT 1")
            .fetch_optional(self.db.pool())
            .await?;
        Ok(any.is_some())
    }

    pub async fn users(&self) -> Result<Vec<AccountRow>, Error> {
        self.rows("SELECT name, role, created_at FROM users ORDER BY name")
            .await
    }

    /// Rows of `name, role, created_at`.
    async fn rows(&self, sql: &'static str) -> Result<Vec<AccountRow>, Error> {
        let rows = sqlx::query(sql).fetch_all(self.db.pool()).await?;
        rows.iter()
            .map(|r| {
                Ok(AccountRow {
                    name: r.try_get(0)?,
                    role: role(&r.try_get::<String, _>(1)?)?,
                    created_at: r.try_get(2)?,
                })
            })
            .collect()
    }

    /// The user `name`, for a session that names them.
    pub async fn user(&self, name: &str) -> Result<Option<User>, Error> {
        let row = sqlx::query("SELECT name, role, password_hash FROM users WHERE name = $1")
            .bind(name)
            .fetch_optional(self.db.pool())
            .await?;
        row.map(|r| {
            Ok(User {
                name: r.try_get(0)?,
                role: role(&r.try_get::<String, _>(1)?)?,
                password_hash: r.try_get(2)?,
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
        let added = sqlx::query(
            "INSERT INTO users (name, role, password_hash, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
        )
        .bind(name.as_str())
        .bind(role.as_str())
        .bind(hash)
        .bind(now())
        .execute(self.db.pool())
        .await?;
        match added.rows_affected() {
            1 => Ok(()),
            _ => Err(Error::Invalid(format!("there is already a user {name}"))),
        }
    }

    /// Adds the first admin, only while there are no users (of two at once, one wins).
    pub async fn set_up(&self, name: &AccountName, password: &Password) -> Result<(), Error> {
        let hash = self.hash(password).await?;
        let mut tx = self.db.begin_serialised(USERS).await?;
        let added = sqlx::query(
            "INSERT INTO users (name, role, password_hash, created_at)
             SELECT $1, 'admin', $2, $3 WHERE NOT EXISTS (SELECT 1 FROM users)",
        )
        .bind(name.as_str())
        .bind(hash)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        match added.rows_affected() {
            1 => Ok(()),
            _ => Err(Error::Invalid(
                "IoT Center is already set up: sign in".into(),
            )),
        }
    }

    /// The user, if `password` is theirs. An unknown name costs a hash too, so the time of
    /// the answer does not tell which names exist.
    pub async fn verify(&self, name: &str, password: &str) -> Result<Option<User>, Error> {
        let user = self.user(name).await?;
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
        let changed = sqlx::query("UPDATE users SET password_hash = $2 WHERE name = $1")
            .bind(name)
            .bind(hash)
            .execute(self.db.pool())
            .await?;
        found(changed.rows_affected(), name)
    }

    /// Changes a user's role; the last admin stays an admin.
    pub async fn set_role(&self, name: &str, new: Role) -> Result<(), Error> {
        self.sparing_the_last_admin(
            name,
            sqlx::query(
                "UPDATE users SET role = $2 WHERE name = $1 AND ($2 = 'admin' OR role != 'admin'
                   OR (SELECT COUNT(*) FROM users WHERE role = 'admin') > 1)",
            )
            .bind(name)
            .bind(new.as_str()),
        )
        .await
    }

    /// Removes a user; never the last admin.
    pub async fn remove_user(&self, name: &str) -> Result<(), Error> {
        self.sparing_the_last_admin(
            name,
            sqlx::query(
                "DELETE FROM users WHERE name = $1 AND (role != 'admin'
                   OR (SELECT COUNT(*) FROM users WHERE role = 'admin') > 1)",
            )
            .bind(name),
        )
        .await
    }

    /// Runs a change that spares the last admin, serialised with the others (two admins
    /// demoting each other at once leave one); done, refused for them, or no such user.
    async fn sparing_the_last_admin(
        &self,
        name: &str,
        change: sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> Result<(), Error> {
        let mut tx = self.db.begin_serialised(USERS).await?;
        let changed = change.execute(&mut *tx).await?.rows_affected();
        tx.commit().await?;
        match (changed, self.user(name).await?) {
            (1, _) => Ok(()),
            (_, Some(_)) => Err(Error::Invalid(format!(
                "{name} is the last admin: make another user an admin first"
            ))),
            (_, None) => found(0, name),
        }
    }

    /// Creates an API token; the token itself is returned once and never stored.
    pub async fn add_token(&self, name: &AccountName, role: Role) -> Result<String, Error> {
        let token = random_secret();
        let added = sqlx::query(
            "INSERT INTO api_tokens (name, role, token_sha256, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
        )
        .bind(name.as_str())
        .bind(role.as_str())
        .bind(sha256_hex(&token))
        .bind(now())
        .execute(self.db.pool())
        .await?;
        match added.rows_affected() {
            1 => Ok(token),
            _ => Err(Error::Invalid(format!("there is already a token {name}"))),
        }
    }

    /// The caller an API token stands for.
    pub async fn caller_of_token(&self, token: &str) -> Result<Option<Caller>, Error> {
        let row = sqlx::query("SELECT name, role FROM api_tokens WHERE token_sha256 = $1")
            .bind(sha256_hex(token))
            .fetch_optional(self.db.pool())
            .await?;
        row.map(|r| {
            Ok(Caller {
                name: r.try_get(0)?,
                role: role(&r.try_get::<String, _>(1)?)?,
            })
        })
        .transpose()
    }

    pub async fn tokens(&self) -> Result<Vec<AccountRow>, Error> {
        self.rows("SELECT name, role, created_at FROM api_tokens ORDER BY name")
            .await
    }

    pub async fn remove_token(&self, name: &str) -> Result<(), Error> {
        let removed = sqlx::query("DELETE FROM api_tokens WHERE name = $1")
            .bind(name)
            .execute(self.db.pool())
            .await?;
        found(removed.rows_affected(), name)
    }
}

fn found(changed: u64, name: &str) -> Result<(), Error> {
    match changed {
        0 => Err(Error::NotFound(format!("there is no {name}"))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state_db::{each_backend, StateLocation};

    fn name(raw: &str) -> AccountName {
        AccountName::parse(raw).unwrap()
    }

    fn password(raw: &str) -> Password {
        Password::parse(raw).unwrap()
    }

    #[tokio::test]
    async fn the_first_admin_is_set_up_once() {
        for (db, ..) in each_backend().await {
            let a = Accounts::new(db);
            assert!(!a.has_users().await.unwrap());
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
            let users = a.users().await.unwrap();
            assert_eq!(users.len(), 1);
            assert_eq!(
                (users[0].name.as_str(), users[0].role),
                ("alice", Role::Admin)
            );
        }
    }

    #[tokio::test]
    async fn of_two_set_ups_at_once_one_wins() {
        for (db, ..) in each_backend().await {
            let a = Accounts::new(db);
            let (n1, n2, p) = (name("one"), name("two"), password("a-password"));
            let (one, two) = tokio::join!(a.set_up(&n1, &p), a.set_up(&n2, &p));
            assert!(one.is_ok() != two.is_ok(), "{one:?} {two:?}");
            assert_eq!(a.users().await.unwrap().len(), 1);
        }
    }

    #[tokio::test]
    async fn passwords_are_verified_against_their_hash() {
        for (db, ..) in each_backend().await {
            let a = Accounts::new(db);
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
    }

    #[tokio::test]
    async fn the_last_admin_stays() {
        for (db, ..) in each_backend().await {
            let a = Accounts::new(db);
            a.set_up(&name("root"), &password("root-password"))
                .await
                .unwrap();
            let last = Err(Error::Invalid(
                "root is the last admin: make another user an admin first".into(),
            ));
            assert_eq!(a.set_role("root", Role::Viewer).await, last);
            assert_eq!(a.remove_user("root").await, last);
            a.add_user(&name("op"), Role::Operator, &password("op-password"))
                .await
                .unwrap();
            a.set_role("op", Role::Admin).await.unwrap();
            // Two admins removing each other at once: one of them stays.
            let (root, op) = tokio::join!(a.remove_user("root"), a.remove_user("op"));
            assert!(root.is_ok() != op.is_ok(), "{root:?} {op:?}");
            let left = a.users().await.unwrap();
            assert_eq!((left.len(), left[0].role), (1, Role::Admin));
            let gone = if root.is_ok() { "root" } else { "op" };
            assert_eq!(
                a.remove_user(gone).await,
                Err(Error::NotFound(format!("there is no {gone}")))
            );
        }
    }

    #[tokio::test]
    async fn api_tokens_are_shown_once_and_stored_hashed() {
        for (db, ..) in each_backend().await {
            let a = Accounts::new(db.clone());
            let token = a.add_token(&name("ci"), Role::Operator).await.unwrap();
            assert_eq!(token.len(), 43);
            assert_eq!(
                a.caller_of_token(&token).await.unwrap(),
                Some(Caller {
                    name: "ci".into(),
                    role: Role::Operator
                })
            );
            assert_eq!(a.caller_of_token("guess").await.unwrap(), None);
            let stored: Vec<String> =
                sqlx::query_scalar("SELECT name || role || token_sha256 FROM api_tokens")
                    .fetch_all(db.pool())
                    .await
                    .unwrap();
            assert!(!stored.concat().contains(&token));
            a.remove_token("ci").await.unwrap();
            assert_eq!(a.caller_of_token(&token).await.unwrap(), None);
        }
    }

    #[tokio::test]
    async fn a_second_opener_sees_the_same_accounts() {
        for (db, location, dir) in each_backend().await {
            let server = Accounts::new(db);
            let cli = Accounts::new(StateDb::open(&location).await.unwrap());
            cli.add_user(&name("late"), Role::Viewer, &password("late-password"))
                .await
                .unwrap();
            assert!(server.user("late").await.unwrap().is_some());
            if let StateLocation::DataDir(_) = location {
                use std::os::unix::fs::PermissionsExt;
                let file = dir.path().join(crate::state_db::FILE);
                let mode = std::fs::metadata(file).unwrap().permissions().mode();
                assert_eq!(mode & 0o777, 0o600);
            }
        }
    }
}
