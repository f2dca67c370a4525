//! Copying the state from one database to another, table by table, in one transaction:
//! `iot-center state copy --to <url>` (SQLite to PostgreSQL), and the first start of this
//! version, which takes in the per-file SQLite stores of earlier ones.

use super::StateDb;
use crate::Error;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};
use std::path::Path;

#[derive(Clone, Copy)]
enum Kind {
    Text,
    Int,
}
use Kind::{Int, Text};

/// Every table, parents before the tables that refer to them, with its columns.
const TABLES: &[(&str, &[(&str, Kind)])] = &[
    (
        "users",
        &[
            ("name", Text),
            ("role", Text),
            ("password_hash", Text),
            ("created_at", Text),
        ],
    ),
    (
        "api_tokens",
        &[
            ("name", Text),
            ("role", Text),
            ("token_sha256", Text),
            ("created_at", Text),
        ],
    ),
    (
        "sessions",
        &[("id", Text), ("record", Text), ("expires", Int)],
    ),
    (
        "rules",
        &[("id", Text), ("spec", Text), ("created_at", Text)],
    ),
    (
        "endpoints",
        &[("id", Text), ("spec", Text), ("created_at", Text)],
    ),
    ("dashboards", &[("id", Text), ("created_at", Text)]),
    (
        "versions",
        &[
            ("dashboard", Text),
            ("version", Int),
            ("spec", Text),
            ("saved_at", Text),
            ("saved_by", Text),
        ],
    ),
    (
        "shares",
        &[
            ("id", Text),
            ("dashboard", Text),
            ("token_sha256", Text),
            ("created_by", Text),
            ("created_at", Text),
            ("expires_at", Text),
        ],
    ),
    (
        "device_pages",
        &[("dashboard", Text), ("set_by", Text), ("set_at", Text)],
    ),
    (
        "pending_devices",
        &[
            ("id", Text),
            ("first_request", Text),
            ("last_request", Text),
            ("requests", Int),
        ],
    ),
];

/// The files of earlier versions and the tables each held.
const LEGACY_FILES: &[(&str, &[&str])] = &[
    ("accounts.sqlite3", &["users", "api_tokens"]),
    ("sessions.sqlite3", &["sessions"]),
    ("alerts.sqlite3", &["rules", "endpoints"]),
    (
        "dashboards.sqlite3",
        &["dashboards", "versions", "shares", "device_pages"],
    ),
];

/// How many rows of each table were copied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Copied(pub Vec<(&'static str, u64)>);

impl std::fmt::Display for Copied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(t, n)| format!("{t}: {n}")).collect();
        write!(f, "{}", parts.join(", "))
    }
}

/// Copies every table of `from` into `to`, which must hold none of IoT Center's state yet
/// (a copy never mixes two installs); all or nothing.
pub async fn copy_all(from: &StateDb, to: &StateDb) -> Result<Copied, Error> {
    for (table, _) in TABLES {
        let rows: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
            .fetch_one(to.pool())
            .await?;
        if rows > 0 {
            return Err(Error::Invalid(format!(
                "the target already holds state ({rows} rows in {table}): copy into an empty database"
            )));
        }
    }
    copy_tables(from, to, TABLES.iter().map(|(t, _)| *t)).await
}

async fn copy_tables(
    from: &StateDb,
    to: &StateDb,
    tables: impl Iterator<Item = &str>,
) -> Result<Copied, Error> {
    let mut tx = to.pool().begin().await?;
    let mut copied = Copied::default();
    for name in tables {
        let Some((table, columns)) = TABLES.iter().find(|(t, _)| *t == name) else {
            continue;
        };
        let names: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
        let select = format!("SELECT {} FROM {table}", names.join(", "));
        let marks: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
        let insert = format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            names.join(", "),
            marks.join(", ")
        );
        let rows: Vec<AnyRow> = sqlx::query(AssertSqlSafe(select))
            .fetch_all(from.pool())
            .await?;
        for row in &rows {
            let mut query = sqlx::query(AssertSqlSafe(insert.clone()));
            for (i, (_, kind)) in columns.iter().enumerate() {
                query = match kind {
                    Text => query.bind(row.try_get::<String, _>(i)?),
                    Int => query.bind(row.try_get::<i64, _>(i)?),
                };
            }
            query.execute(&mut *tx).await?;
        }
        copied.0.push((table, rows.len() as u64));
    }
    tx.commit().await?;
    Ok(copied)
}

/// Takes the per-file stores of earlier versions into a new `state.sqlite3`, then renames
/// each file to `<file>.moved` (kept, never read again).
pub(super) async fn take_in_legacy_files(to: &StateDb, dir: &Path) -> Result<(), Error> {
    for (file, tables) in LEGACY_FILES {
        let path = dir.join(file);
        if !path.exists() {
            continue;
        }
        let url = format!("sqlite://{}?mode=ro", path.display());
        let from = StateDb {
            pool: sqlx::AnyPool::connect(&url).await?,
            backend: super::Backend::Sqlite,
            url: url.as_str().into(),
        };
        // A file from before a table was added lacks it.
        let present: Vec<String> =
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
                .fetch_all(from.pool())
                .await?;
        let tables = tables
            .iter()
            .copied()
            .filter(|t| present.iter().any(|p| p == t));
        let copied = copy_tables(&from, to, tables).await;
        from.pool.close().await;
        let copied = copied
            .map_err(|e| Error::Internal(format!("taking {file} into {}: {e}", super::FILE)))?;
        let moved = dir.join(format!("{file}.moved"));
        std::fs::rename(&path, &moved).map_err(|e| Error::Internal(format!("{file}: {e}")))?;
        tracing::info!(
            "took {file} into {} ({copied}); it is now {}",
            super::FILE,
            moved.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::Accounts;
    use crate::state_db::{StateLocation, FILE};
    use iot_models::{AccountName, Role};

    /// An `accounts.sqlite3` as the versions before the state database left it.
    async fn legacy_accounts(dir: &Path) {
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.join("accounts.sqlite3").display()
        );
        let old = sqlx::SqlitePool::connect(&url).await.unwrap();
        for sql in [
            "CREATE TABLE users (name TEXT PRIMARY KEY, role TEXT NOT NULL,
                password_hash TEXT NOT NULL, created_at TEXT NOT NULL)",
            "CREATE TABLE api_tokens (name TEXT PRIMARY KEY, role TEXT NOT NULL,
                token_sha256 TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL)",
            "INSERT INTO users VALUES ('olga', 'admin', 'hash', '2026-01-01T00:00:00Z')",
        ] {
            sqlx::query(sql).execute(&old).await.unwrap();
        }
        old.close().await;
    }

    #[tokio::test]
    async fn a_new_state_file_takes_in_the_earlier_files_once() {
        let dir = tempfile::tempdir().unwrap();
        legacy_accounts(dir.path()).await;
        let location = StateLocation::DataDir(dir.path().into());
        let accounts = Accounts::new(StateDb::open(&location).await.unwrap());
        let users = accounts.users().await.unwrap();
        assert_eq!((users.len(), users[0].name.as_str()), (1, "olga"));
        assert!(!dir.path().join("accounts.sqlite3").exists());
        assert!(dir.path().join("accounts.sqlite3.moved").exists());
        assert!(dir.path().join(FILE).exists());
        // Opened again, nothing is taken in twice.
        let again = Accounts::new(StateDb::open(&location).await.unwrap());
        assert_eq!(again.users().await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn state_copies_into_an_empty_database_only() {
        let dir = tempfile::tempdir().unwrap();
        let from = StateDb::open(&StateLocation::DataDir(dir.path().into()))
            .await
            .unwrap();
        let accounts = Accounts::new(from.clone());
        let name = |n: &str| AccountName::parse(n).unwrap();
        accounts
            .add_token(&name("ci"), Role::Operator)
            .await
            .unwrap();
        let token = accounts.add_token(&name("cd"), Role::Viewer).await.unwrap();
        let to = StateDb::open(&StateLocation::Url(test_postgres::fresh_database()))
            .await
            .unwrap();
        let copied = copy_all(&from, &to).await.unwrap();
        assert!(copied.0.contains(&("api_tokens", 2)), "{copied}");
        assert!(copied.0.contains(&("users", 0)), "{copied}");
        assert_eq!(copied.0.len(), TABLES.len());
        let caller = Accounts::new(to.clone()).caller_of_token(&token).await;
        assert_eq!(caller.unwrap().map(|c| c.name), Some("cd".to_string()));
        let e = copy_all(&from, &to).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "the target already holds state (2 rows in api_tokens): copy into an empty database"
        );
    }
}
