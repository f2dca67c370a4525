//! IoT Center's own state — users, sessions, API tokens, alert rules, dashboards — in one
//! database: SQLite under the data directory (`state.sqlite3`, the zero-setup default) or
//! PostgreSQL (`DATABASE_URL`), through one sqlx pool. The SQL is written once in the
//! dialect both speak (`$1` parameters, `ON CONFLICT`, TEXT and BIGINT); the schema is
//! versioned by sqlx's migrations (`migrations/`), applied at open under the migrator's lock,
//! so two instances starting together on an empty database migrate it once.

mod copy;

pub use copy::{copy_all, Copied};

use crate::Error;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{Any, AnyPool, Transaction};
use std::path::{Path, PathBuf};

/// The SQLite file in the data directory.
pub const FILE: &str = "state.sqlite3";

/// Where the state lives, as the settings name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StateLocation {
    /// `state.sqlite3` in this directory.
    DataDir(PathBuf),
    /// A `postgres://` (or `sqlite://`) URL.
    Url(String),
}

impl StateLocation {
    /// Whether other instances may share it: PostgreSQL's.
    pub fn shared(&self) -> bool {
        matches!(self, StateLocation::Url(url) if url.starts_with("postgres"))
    }

    /// What the start log and errors may print: the URL without its password.
    pub fn describe(&self) -> String {
        match self {
            StateLocation::DataDir(dir) => format!("SQLite {}", dir.join(FILE).display()),
            StateLocation::Url(url) => without_password(url),
        }
    }
}

/// `postgres://user:secret@host/db` as `postgres://user:…@host/db`.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _)) => format!("{scheme}://{name}:…@{host}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The open database; cheap to clone.
#[derive(Clone, Debug)]
pub struct StateDb {
    pool: AnyPool,
    backend: Backend,
    /// Where it is, for connections of their own (PostgreSQL's LISTEN).
    url: std::sync::Arc<str>,
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::Internal(format!("state database: {e}"))
    }
}

/// The migrations, compiled in: the binary needs no files beside it.
fn migrator() -> Migrator {
    let migration = |version, description: &'static str, sql: &'static str| {
        Migration::new(
            version,
            description.into(),
            MigrationType::Simple,
            sqlx::SqlSafeStr::into_sql_str(sql),
            false,
        )
    };
    Migrator::with_migrations(vec![
        migration(1, "state", include_str!("../migrations/0001_state.sql")),
        migration(
            2,
            "sign-in failures",
            include_str!("../migrations/0002_sign_in_failures.sql"),
        ),
        migration(
            3,
            "instances",
            include_str!("../migrations/0003_instances.sql"),
        ),
        migration(
            4,
            "live watches",
            include_str!("../migrations/0004_live_watches.sql"),
        ),
        migration(
            5,
            "pending devices",
            include_str!("../migrations/0005_pending_devices.sql"),
        ),
        migration(
            6,
            "alert acknowledgements",
            include_str!("../migrations/0006_alert_acks.sql"),
        ),
    ])
}

impl StateDb {
    /// Opens the database, creating and migrating it as needed. A new SQLite file takes in
    /// the per-file stores of earlier versions found beside it.
    pub async fn open(location: &StateLocation) -> Result<StateDb, Error> {
        sqlx::any::install_default_drivers();
        let fail = |e: &dyn std::fmt::Display| {
            Error::Internal(format!("state database {}: {e}", location.describe()))
        };
        let (url, backend, created) = match location {
            StateLocation::DataDir(dir) => {
                let path = dir.join(FILE);
                let created = !path.exists();
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .and_then(|_| owner_only(&path))
                    .map_err(|e| fail(&e))?;
                (sqlite_url(&path), Backend::Sqlite, created)
            }
            StateLocation::Url(url) if url.starts_with("sqlite:") => {
                (url.clone(), Backend::Sqlite, false)
            }
            StateLocation::Url(url) if url.starts_with("postgres") => {
                (url.clone(), Backend::Postgres, false)
            }
            StateLocation::Url(_) => {
                return Err(Error::Invalid(format!(
                    "the state database must be postgres://… or sqlite://…, not {}",
                    location.describe()
                )))
            }
        };
        // SQLite writes one at a time: one connection, as the earlier stores had.
        let connections = match backend {
            Backend::Sqlite => 1,
            Backend::Postgres => 8,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(connections)
            .acquire_timeout(std::time::Duration::from_secs(10))
            // A connection to a local SQLite file cannot drop; pinging it before each query
            // was a second trip through its worker thread (a query costs a round trip each).
            .test_before_acquire(backend == Backend::Postgres)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    // A commit is durable at the next checkpoint, not each fsync: a session's
                    // write costs microseconds (WAL itself is kept in the file).
                    if backend == Backend::Sqlite {
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA synchronous = NORMAL")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .map_err(|e| fail(&e))?;
        migrator().run(&pool).await.map_err(|e| fail(&e))?;
        let db = StateDb {
            pool,
            backend,
            url: url.into(),
        };
        if let (StateLocation::DataDir(dir), true) = (location, created) {
            copy::take_in_legacy_files(&db, dir).await?;
        }
        Ok(db)
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A connection that listens for PostgreSQL's notifications on `channel`; `None` for
    /// SQLite, which has none (and no other instances).
    pub async fn listen(&self, channel: &str) -> Result<Option<sqlx::postgres::PgListener>, Error> {
        if self.backend != Backend::Postgres {
            return Ok(None);
        }
        let mut listener = sqlx::postgres::PgListener::connect(&self.url).await?;
        listener.listen(channel).await?;
        Ok(Some(listener))
    }

    /// The database's clock, in ms since the epoch: what every instance agrees on, however
    /// their own clocks drift (leases expire by it).
    pub async fn now_ms(&self) -> Result<i64, Error> {
        let sql = match self.backend {
            Backend::Sqlite => "SELECT CAST((julianday('now') - 2440587.5) * 86400000 AS BIGINT)",
            Backend::Postgres => "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT",
        };
        Ok(sqlx::query_scalar(sql).fetch_one(&self.pool).await?)
    }

    /// A transaction no other instance's transaction on the same `key` runs beside
    /// (PostgreSQL's advisory lock; SQLite's one connection already does it): for the checks
    /// that must hold across a write, like "not the last admin".
    pub async fn begin_serialised(&self, key: &str) -> Result<Transaction<'static, Any>, Error> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            // Counted, so that the row holds a type every driver reads (the lock's is void).
            sqlx::query(
                "SELECT count(*) FROM (SELECT pg_advisory_xact_lock(hashtext($1))) AS locked",
            )
            .bind(key)
            .fetch_one(&mut *tx)
            .await?;
        }
        Ok(tx)
    }

    /// A serialised transaction to insert into `table`, unless it holds `max` rows already:
    /// a bound on what one list costs, refused with what to do.
    pub async fn begin_bounded(
        &self,
        table: &str,
        max: usize,
        what: &str,
    ) -> Result<Transaction<'static, Any>, Error> {
        let mut tx = self.begin_serialised(table).await?;
        let count: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(&mut *tx)
                .await?;
        if count >= max as i64 {
            return Err(Error::Invalid(format!(
                "there are {max} {what} already: remove one first"
            )));
        }
        Ok(tx)
    }
}

/// `sqlite://` for a file, created if missing.
fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// Makes a file of secrets (hashes, sessions, tokens) its owner's only, however it was
/// created: 0600 on Unix.
pub fn owner_only(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// Fresh databases of both backends for the tests: SQLite in a temporary directory and a new
/// database on the process's test PostgreSQL.
#[cfg(test)]
pub(crate) async fn each_backend() -> Vec<(StateDb, StateLocation, tempfile::TempDir)> {
    let mut all = Vec::new();
    for postgres in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let location = match postgres {
            false => StateLocation::DataDir(dir.path().to_path_buf()),
            true => StateLocation::Url(test_postgres::fresh_database()),
        };
        all.push((StateDb::open(&location).await.unwrap(), location, dir));
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_described_without_its_password() {
        assert_eq!(
            without_password("postgres://iot:s3cret@db:5432/iot"),
            "postgres://iot:…@db:5432/iot"
        );
        assert_eq!(
            without_password("postgres://iot@db/iot"),
            "postgres://iot@db/iot"
        );
    }
}
