//! This instance among the others on the same state database: its heartbeat, the list the
//! Health page shows, and the leases that let exactly one of them do a job (evaluate the
//! alert rules). A lease is a row renewed by its holder; one not renewed for [`LEASE_TTL`]
//! is taken over. Times are the database's clock, so instances' clocks may drift.

use crate::state_db::StateDb;
use crate::Error;
use iot_models::InstanceState;
use sqlx::Row;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a lease holds without renewal: a dead holder's job moves within it (plus one
/// [`RENEW_EVERY`]).
pub const LEASE_TTL: Duration = Duration::from_secs(15);
/// How often heartbeats are written and leases renewed.
pub const RENEW_EVERY: Duration = Duration::from_secs(5);
/// Instances not heard from for this long are left off the list.
const LISTED_WITHIN: Duration = Duration::from_secs(60);

/// The lease of the alert evaluator.
pub const ALERT_EVALUATOR: &str = "alert-evaluator";

/// This instance; cheap to share.
pub struct Instances {
    db: StateDb,
    pub id: String,
    version: String,
    address: String,
    /// Until when this instance's hold on each lease is sure (by its own monotonic clock,
    /// counted from before the renewal was sent).
    held: Mutex<Vec<(&'static str, Instant)>>,
}

fn ms(d: Duration) -> i64 {
    d.as_millis() as i64
}

impl Instances {
    /// This instance, `id`, serving at `address`.
    pub fn new(db: StateDb, id: String, address: String) -> Instances {
        Instances {
            db,
            id,
            version: env!("CARGO_PKG_VERSION").to_string(),
            address,
            held: Mutex::default(),
        }
    }

    fn held(&self) -> std::sync::MutexGuard<'_, Vec<(&'static str, Instant)>> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes this instance's heartbeat and renews (or takes) `lease`: whether it holds it.
    pub async fn renew(&self, lease: &'static str) -> Result<bool, Error> {
        let sent = Instant::now();
        let now = self.db.now_ms().await?;
        sqlx::query(
            "INSERT INTO instances (id, version, address, started, seen) VALUES ($1, $2, $3, $4, $4)
             ON CONFLICT (id) DO UPDATE SET seen = $4",
        )
        .bind(&self.id)
        .bind(&self.version)
        .bind(&self.address)
        .bind(now)
        .execute(self.db.pool())
        .await?;
        let taken = sqlx::query(
            "INSERT INTO leases (name, holder, expires) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET holder = $2, expires = $3
             WHERE leases.holder = $2 OR leases.expires < $4",
        )
        .bind(lease)
        .bind(&self.id)
        .bind(now + ms(LEASE_TTL))
        .bind(now)
        .execute(self.db.pool())
        .await?;
        let holds = taken.rows_affected() == 1;
        let mut held = self.held();
        held.retain(|(name, _)| *name != lease);
        if holds {
            held.push((lease, sent + LEASE_TTL));
        }
        Ok(holds)
    }

    /// Whether this instance surely holds `lease` now.
    pub fn holds(&self, lease: &str) -> bool {
        let now = Instant::now();
        self.held()
            .iter()
            .any(|(name, until)| *name == lease && *until > now)
    }

    /// Gives up `lease` at once (a stopping server), so another takes it without waiting.
    pub async fn release(&self, lease: &'static str) -> Result<(), Error> {
        self.held().retain(|(name, _)| *name != lease);
        sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
            .bind(lease)
            .bind(&self.id)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// The instances heard from lately, this one first, with who evaluates the alerts.
    pub async fn list(&self) -> Result<Vec<InstanceState>, Error> {
        let now = self.db.now_ms().await?;
        let rows = sqlx::query(
            "SELECT i.id, i.version, i.address, i.seen,
                    CASE WHEN l.holder IS NULL THEN 0 ELSE 1 END
             FROM instances i LEFT JOIN leases l
                ON l.name = $1 AND l.holder = i.id AND l.expires >= $2
             WHERE i.seen >= $3 ORDER BY i.started, i.id",
        )
        .bind(ALERT_EVALUATOR)
        .bind(now)
        .bind(now - ms(LISTED_WITHIN))
        .fetch_all(self.db.pool())
        .await?;
        let mut list = rows
            .iter()
            .map(|r| {
                let id: String = r.try_get(0)?;
                Ok(InstanceState {
                    this: id == self.id,
                    id,
                    version: r.try_get(1)?,
                    address: r.try_get(2)?,
                    seen_seconds_ago: ((now - r.try_get::<i64, _>(3)?).max(0) / 1000) as u64,
                    evaluates_alerts: r.try_get::<i64, _>(4)? == 1,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        list.sort_by_key(|i| !i.this);
        Ok(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state_db::each_backend;

    #[tokio::test]
    async fn one_instance_holds_a_lease_until_it_lets_go() {
        for (db, ..) in each_backend().await {
            let a = Instances::new(db.clone(), "a".into(), "127.0.0.1:1".into());
            let b = Instances::new(db, "b".into(), "127.0.0.1:2".into());
            assert!(a.renew(ALERT_EVALUATOR).await.unwrap());
            assert!(!b.renew(ALERT_EVALUATOR).await.unwrap());
            assert!(
                a.renew(ALERT_EVALUATOR).await.unwrap(),
                "its holder renews it"
            );
            assert!(a.holds(ALERT_EVALUATOR) && !b.holds(ALERT_EVALUATOR));
            let listed = b.list().await.unwrap();
            assert_eq!(listed.len(), 2);
            assert!(listed[0].this && listed[0].address == "127.0.0.1:2");
            assert!(!listed[0].evaluates_alerts && listed[1].evaluates_alerts);
            a.release(ALERT_EVALUATOR).await.unwrap();
            assert!(!a.holds(ALERT_EVALUATOR));
            assert!(b.renew(ALERT_EVALUATOR).await.unwrap());
            assert!(!a.renew(ALERT_EVALUATOR).await.unwrap());
        }
    }
}
