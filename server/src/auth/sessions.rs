//! Sessions in SQLite under the data directory (`sessions.sqlite3`), so a restart keeps
//! everyone signed in. tower-sessions ships no SQLite store without sqlx; this one is the
//! three statements it needs over the `rusqlite` the store already builds.

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::{Arc, Mutex};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result};
use tower_sessions::SessionStore;

pub const FILE: &str = "sessions.sqlite3";
/// How often expired sessions are deleted while the server runs.
pub const PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

#[derive(Clone, Debug)]
pub struct SqliteSessions(Arc<Mutex<Connection>>);

fn backend(e: impl std::fmt::Display) -> Error {
    Error::Backend(e.to_string())
}

impl SqliteSessions {
    /// Opens the store in `data_dir` (owner-only) and forgets expired sessions, then again
    /// every [`PURGE_EVERY`] while the server runs.
    pub fn open(data_dir: &Path) -> anyhow::Result<SqliteSessions> {
        let path = data_dir.join(FILE);
        let db = Connection::open(&path)?;
        iot_core::local_db::owner_only(&path)?;
        db.busy_timeout(std::time::Duration::from_secs(5))?;
        db.execute_batch(
            "CREATE TABLE IF NOT EXISTS sessions (
                id TEXT PRIMARY KEY, record TEXT NOT NULL, expires INTEGER NOT NULL)",
        )?;
        let sessions = SqliteSessions(Arc::new(Mutex::new(db)));
        sessions.purge()?;
        let purging = sessions.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(PURGE_EVERY);
            every.tick().await;
            loop {
                every.tick().await;
                if let Err(e) = purging.purge() {
                    tracing::warn!("forgetting expired sessions: {e}");
                }
            }
        });
        Ok(sessions)
    }

    /// Forgets the sessions that have expired; how many.
    pub fn purge(&self) -> Result<usize> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        self.with(|db| db.execute("DELETE FROM sessions WHERE expires <= ?1", [now]))
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        let db = self.0.lock().unwrap_or_else(|e| e.into_inner());
        f(&db).map_err(backend)
    }
}

#[async_trait]
impl SessionStore for SqliteSessions {
    async fn create(&self, record: &mut Record) -> Result<()> {
        // A new id that is not taken (ids are random 128 bits: a clash is theoretical).
        while self.load(&record.id).await?.is_some() {
            record.id = Id::default();
        }
        self.save(record).await
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let json = serde_json::to_string(record).map_err(|e| Error::Encode(e.to_string()))?;
        self.with(|db| {
            db.execute(
                "INSERT INTO sessions (id, record, expires) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET record = ?2, expires = ?3",
                params![
                    record.id.to_string(),
                    json,
                    record.expiry_date.unix_timestamp()
                ],
            )
        })?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let json: Option<String> = self.with(|db| {
            db.query_row(
                "SELECT record FROM sessions WHERE id = ?1 AND expires > ?2",
                params![id.to_string(), now],
                |r| r.get(0),
            )
            .optional()
        })?;
        json.map(|j| serde_json::from_str(&j).map_err(|e| Error::Decode(e.to_string())))
            .transpose()
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        self.with(|db| db.execute("DELETE FROM sessions WHERE id = ?1", [id.to_string()]))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sessions_survive_a_reopen_until_they_expire() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteSessions::open(dir.path()).unwrap();
        let later = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
        let mut record = Record {
            id: Id::default(),
            data: Default::default(),
            expiry_date: later,
        };
        record
            .data
            .insert("user".into(), serde_json::json!("alice"));
        store.create(&mut record).await.unwrap();
        let reopened = SqliteSessions::open(dir.path()).unwrap();
        assert_eq!(
            reopened.load(&record.id).await.unwrap(),
            Some(record.clone())
        );

        let mut expired = record.clone();
        expired.id = Id::default();
        expired.expiry_date = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
        reopened.save(&expired).await.unwrap();
        assert_eq!(reopened.load(&expired.id).await.unwrap(), None);
        // Kept until purged: the purge forgets it, and only it.
        assert_eq!(reopened.purge().unwrap(), 1);
        assert_eq!(reopened.purge().unwrap(), 0);

        reopened.delete(&record.id).await.unwrap();
        assert_eq!(store.load(&record.id).await.unwrap(), None);
    }
}
