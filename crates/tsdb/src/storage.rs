//! Durable storage on SQLite (WAL, `synchronous=FULL`): organizations, buckets and
//! authorizations in `meta`, series in `points`, their points in blocks (`block` encodes
//! one, `series_blocks` keeps a series' blocks in SQLite).
//!
//! One writer connection serialises writes; readers take their own connections, so queries
//! run beside writes. Series metadata is cached in memory; points stay on disk.

mod block;
mod meta;
mod points;
mod series_blocks;
mod series_index;

pub use meta::{
    Authorization, Bucket, NewAuthorization, Onboarded, Onboarding, Org, Permission, Resource, User,
};
pub use points::{DeletePredicate, Point, WriteOutcome};

use rusqlite::Connection;
use series_index::SeriesIndex;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("storage: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("storage: creating data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
}

pub struct Store {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    series: RwLock<SeriesIndex>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users(id TEXT PRIMARY KEY, name TEXT UNIQUE NOT NULL, password_hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orgs(id TEXT PRIMARY KEY, name TEXT UNIQUE NOT NULL, description TEXT NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS buckets(id TEXT PRIMARY KEY, org_id TEXT NOT NULL, name TEXT NOT NULL,
  description TEXT NOT NULL, retention_secs INTEGER NOT NULL, kind TEXT NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, UNIQUE(org_id, name));
CREATE TABLE IF NOT EXISTS authorizations(id TEXT PRIMARY KEY, token_hash TEXT UNIQUE NOT NULL,
  org_id TEXT NOT NULL, user_id TEXT NOT NULL, status TEXT NOT NULL, description TEXT NOT NULL,
  permissions TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS series(id INTEGER PRIMARY KEY, bucket_id TEXT NOT NULL, measurement TEXT NOT NULL,
  tags TEXT NOT NULL, field TEXT NOT NULL, type INTEGER NOT NULL, UNIQUE(bucket_id, measurement, tags, field));
CREATE TABLE IF NOT EXISTS blocks(series_id INTEGER NOT NULL, max_time INTEGER NOT NULL,
  min_time INTEGER NOT NULL, count INTEGER NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY(series_id, max_time)) WITHOUT ROWID;
";

impl Store {
    /// Opens (or creates) the store in `dir`, recovering whatever the last process committed.
    pub fn open(dir: &Path) -> Result<Store, StorageError> {
        std::fs::create_dir_all(dir).map_err(|source| StorageError::DataDir {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join("tsdb.sqlite");
        let mut writer = open_connection(&path, WRITER_CACHE)?;
        writer.execute_batch(SCHEMA)?;
        let series = SeriesIndex::load(&writer)?;
        series_blocks::migrate_point_rows(&mut writer, series.all())?;
        series.load_spans(&writer)?;
        Ok(Store {
            path,
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            series: RwLock::new(series),
        })
    }

    fn write_conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on a reader connection, returning it to the pool afterwards.
    fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let pooled = self.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match pooled {
            Some(c) => c,
            None => open_connection(&self.path, READER_CACHE)?,
        };
        let result = f(&conn);
        let mut idle = self.readers.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < IDLE_READERS {
            idle.push(conn);
        }
        result
    }
}

/// Page caches, in KiB. Readers keep a small one each: there are as many readers as reads
/// at once, and the operating system's file cache already holds the pages they share.
const WRITER_CACHE: u32 = 16_000;
const READER_CACHE: u32 = 2_000;
/// Readers kept open between reads; a burst opens more and closes them after.
const IDLE_READERS: usize = 8;

fn open_connection(path: &Path, cache_kib: u32) -> Result<Connection, StorageError> {
    let conn = Connection::open(path)?;
    conn.execute_batch(&format!("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000; PRAGMA cache_size=-{cache_kib};"))?;
    Ok(conn)
}

pub fn now_nanos() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX)
}
