//! Sessions in the state database, so a restart keeps everyone signed in and every
//! instance on one PostgreSQL knows every session. tower-sessions' own SQL store
//! (`tower-sessions-sqlx-store`) is built on sqlx 0.8, whose SQLite library cannot be linked
//! beside the one the embedded store uses; this one is the three statements it needs over
//! the state database's sqlx pool.

use async_trait::async_trait;
use iot_core::state_db::StateDb;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result};
use tower_sessions::SessionStore;

/// How often expired sessions are deleted while the server runs.
pub const PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

#[derive(Clone, Debug)]
pub struct DbSessions(StateDb);

fn backend(e: impl std::fmt::Display) -> Error {
    Error::Backend(e.to_string())
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl DbSessions {
    /// The store, forgetting expired sessions now and then every [`PURGE_EVERY`] while the
    /// server runs.
    pub async fn open(db: StateDb) -> Result<DbSessions> {
        let sessions = DbSessions(db);
        sessions.purge().await?;
        let purging = sessions.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(PURGE_EVERY);
            every.tick().await;
            loop {
                every.tick().await;
                if let Err(e) = purging.purge().await {
                    tracing::warn!("forgetting expired sessions: {e}");
                }
            }
        });
        Ok(sessions)
    }

    /// Forgets the sessions that have expired; how many.
    pub async fn purge(&self) -> Result<u64> {
        let purged = sqlx::query("DELETE FROM sessions WHERE expires <= $1")
            .bind(now())
            .execute(self.0.pool())
            .await
            .map_err(backend)?;
        Ok(purged.rows_affected())
    }
}

#[async_trait]
impl SessionStore for DbSessions {
    async fn create(&self, record: &mut Record) -> Result<()> {
        // A new id that is not taken (ids are random 128 bits: a clash is theoretical).
        while self.load(&record.id).await?.is_some() {
            record.id = Id::default();
        }
        self.save(record).await
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let json = serde_json::to_string(record).map_err(|e| Error::Encode(e.to_string()))?;
        sqlx::query(
            "INSERT INTO sessions (id, record, expires) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET record = $2, expires = $3",
        )
        .bind(record.id.to_string())
        .bind(json)
        .bind(record.expiry_date.unix_timestamp())
        .execute(self.0.pool())
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let json: Option<String> =
            sqlx::query_scalar("SELECT record FROM sessions WHERE id = $1 AND expires > $2")
                .bind(id.to_string())
                .bind(now())
                .fetch_optional(self.0.pool())
                .await
                .map_err(backend)?;
        json.map(|j| serde_json::from_str(&j).map_err(|e| Error::Decode(e.to_string())))
            .transpose()
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id.to_string())
            .execute(self.0.pool())
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iot_core::state_db::StateLocation;

    #[tokio::test]
    async fn sessions_survive_a_reopen_until_they_expire() {
        let dir = tempfile::tempdir().unwrap();
        let location = StateLocation::DataDir(dir.path().into());
        let open = async || DbSessions::open(StateDb::open(&location).await.unwrap()).await;
        let store = open().await.unwrap();
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
        let reopened = open().await.unwrap();
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
        assert_eq!(reopened.purge().await.unwrap(), 1);
        assert_eq!(reopened.purge().await.unwrap(), 0);

        reopened.delete(&record.id).await.unwrap();
        assert_eq!(store.load(&record.id).await.unwrap(), None);
    }
}
