//! The notification log: every notification is claimed here, under a key its state change
//! names, before it is sent, and marked sent once its delivery is over. Two evaluators that
//! see the same change claim the same key, so only one sends; an evaluator that took over
//! sends what the one before it claimed but never finished.

use crate::state_db::StateDb;
use crate::Error;
use sqlx::Row;

/// Claimed notifications kept this long, then forgotten.
const KEPT_MS: i64 = 7 * 24 * 3600 * 1000;

/// What was claimed and not sent: its key, endpoint id and body.
pub type Unsent = (String, String, serde_json::Value);

#[derive(Clone)]
pub struct Outbox {
    db: StateDb,
    /// The instance claiming.
    by: String,
}

impl Outbox {
    pub fn new(db: StateDb, by: String) -> Outbox {
        Outbox { db, by }
    }

    /// Claims notification `key` for `endpoint`: false when it was claimed already.
    pub async fn claim(
        &self,
        key: &str,
        endpoint: &str,
        body: &serde_json::Value,
    ) -> Result<bool, Error> {
        let claimed = sqlx::query(
            "INSERT INTO notification_log (key, endpoint, body, claimed_by, created)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(endpoint)
        .bind(body.to_string())
        .bind(&self.by)
        .bind(self.db.now_ms().await?)
        .execute(self.db.pool())
        .await?;
        Ok(claimed.rows_affected() == 1)
    }

    /// Delivery of `key` is over (delivered, or given up after every try).
    pub async fn sent(&self, key: &str) -> Result<(), Error> {
        sqlx::query("UPDATE notification_log SET sent = $2 WHERE key = $1")
            .bind(key)
            .bind(self.db.now_ms().await?)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// What other instances claimed and never finished sending, now claimed by this one;
    /// and the log's old entries forgotten.
    pub async fn take_over(&self) -> Result<Vec<Unsent>, Error> {
        let now = self.db.now_ms().await?;
        sqlx::query("DELETE FROM notification_log WHERE created < $1")
            .bind(now - KEPT_MS)
            .execute(self.db.pool())
            .await?;
        let rows = sqlx::query(
            "UPDATE notification_log SET claimed_by = $1
             WHERE sent IS NULL AND claimed_by != $1 RETURNING key, endpoint, body",
        )
        .bind(&self.by)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let body: String = r.try_get(2)?;
                let body = serde_json::from_str(&body)
                    .map_err(|e| Error::Internal(format!("notification log: {e}")))?;
                Ok((r.try_get(0)?, r.try_get(1)?, body))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state_db::each_backend;

    #[tokio::test]
    async fn a_notification_is_claimed_once_and_taken_over_until_sent() {
        for (db, ..) in each_backend().await {
            let (a, b) = (
                Outbox::new(db.clone(), "a".into()),
                Outbox::new(db, "b".into()),
            );
            let body = serde_json::json!({"rule": "r", "state": "firing"});
            assert!(a.claim("r/d/firing/0/e1", "e1", &body).await.unwrap());
            assert!(!b.claim("r/d/firing/0/e1", "e1", &body).await.unwrap());
            assert!(a.claim("r/d/firing/0/e2", "e2", &body).await.unwrap());
            a.sent("r/d/firing/0/e2").await.unwrap();
            // A died with e1 unsent: B sends it, once.
            let unsent = b.take_over().await.unwrap();
            assert_eq!(unsent, [("r/d/firing/0/e1".into(), "e1".into(), body)]);
            assert!(b.take_over().await.unwrap().is_empty());
        }
    }
}
