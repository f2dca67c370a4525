//! Who may register itself: the device registration policy, the optional provisioning
//! secret, and the devices waiting for an operator's approval.
//!
//! A stranger who can reach `GET /api/env/<id>` must not get a token by asking. Under
//! [`Policy::Approve`] (the default) an unknown device is listed as pending and gets its
//! configuration once an operator approves it; devices retry on their own. The pending list
//! is kept in the state database, so every instance lists every instance's requests;
//! bounded: a flood of made-up ids only pushes out the oldest requests.

use crate::registry::{self, Registration};
use crate::state_db::StateDb;
use crate::{Backend, Error};
use chrono::{SecondsFormat, Utc};
pub use iot_models::RegistrationPolicy as Policy;
use iot_models::{DeviceId, PendingDevice};
use sha2::{Digest, Sha256};
use sqlx::Row;

/// How many unapproved devices are remembered at most; the oldest request goes first.
pub const MAX_PENDING: usize = 1_000;

/// The answer to a device asking for its configuration.
#[derive(Debug)]
pub enum Answer {
    Registered(Registration),
    /// Waiting for an operator (under [`Policy::Approve`]).
    Pending,
    /// Not registered, and it may not register itself.
    Refused,
}

/// The policy, the secret and the waiting devices, shared by the whole server.
#[derive(Default)]
pub struct Enrollment {
    policy: Policy,
    /// SHA-256 of the provisioning secret: compared digest to digest, so the time a
    /// comparison takes says nothing about the secret.
    secret: Option<[u8; 32]>,
    /// Where the waiting devices are kept; a backend made without one (in tests) keeps none.
    pending: Option<StateDb>,
}

fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Enrollment {
    /// `secret`: a device presenting it registers itself whatever the policy; waiting
    /// devices are kept in `pending`.
    pub fn new(policy: Policy, secret: Option<&str>, pending: StateDb) -> Enrollment {
        Enrollment {
            policy,
            secret: secret.filter(|s| !s.is_empty()).map(digest),
            pending: Some(pending),
        }
    }

    pub fn policy(&self) -> Policy {
        self.policy
    }

    fn may_self_register(&self, presented: Option<&str>) -> bool {
        self.policy == Policy::Open
            || matches!((self.secret, presented), (Some(s), Some(p)) if s == digest(p))
    }

    /// Devices waiting for approval, the most recent request first.
    pub async fn pending(&self) -> Result<Vec<PendingDevice>, Error> {
        let Some(db) = &self.pending else {
            return Ok(Vec::new());
        };
        let rows = sqlx::query(
            "SELECT id, first_request, last_request, requests FROM pending_devices
             ORDER BY last_request DESC, id",
        )
        .fetch_all(db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PendingDevice {
                    id: r.try_get(0)?,
                    first_request: r.try_get(1)?,
                    last_request: r.try_get(2)?,
                    requests: r.try_get::<i64, _>(3)?.try_into().unwrap_or(0),
                })
            })
            .collect()
    }

    /// Forgets a pending request; `false` when there was none.
    pub async fn dismiss(&self, id: &DeviceId) -> Result<bool, Error> {
        let Some(db) = &self.pending else {
            return Ok(false);
        };
        let gone = sqlx::query("DELETE FROM pending_devices WHERE id = $1")
            .bind(id.as_str())
            .execute(db.pool())
            .await?;
        Ok(gone.rows_affected() > 0)
    }

    /// Device `id` asked (again); past [`MAX_PENDING`] waiting, the oldest request goes.
    async fn note_request(&self, id: &DeviceId) -> Result<(), Error> {
        let Some(db) = &self.pending else {
            return Ok(());
        };
        sqlx::query(
            "INSERT INTO pending_devices (id, first_request, last_request, requests)
             VALUES ($1, $2, $2, 1)
             ON CONFLICT (id) DO UPDATE SET last_request = $2,
                requests = pending_devices.requests + 1",
        )
        .bind(id.as_str())
        .bind(now())
        .execute(db.pool())
        .await?;
        let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM pending_devices")
            .fetch_one(db.pool())
            .await?;
        let over = waiting - MAX_PENDING as i64;
        if over > 0 {
            sqlx::query(
                "DELETE FROM pending_devices WHERE id IN (
                    SELECT id FROM pending_devices ORDER BY last_request, id LIMIT $1)",
            )
            .bind(over)
            .execute(db.pool())
            .await?;
        }
        Ok(())
    }
}

/// A device asks for its configuration (`GET /api/env/<id>`), presenting `secret` if it has
/// one: a registered device gets its registration; an unknown one is registered, listed as
/// pending or refused, as the policy says.
pub async fn request(b: &Backend, id: &DeviceId, secret: Option<&str>) -> Result<Answer, Error> {
    if b.enrollment.may_self_register(secret) {
        let registration = registry::register(b, id).await?;
        b.enrollment.dismiss(id).await?;
        return Ok(Answer::Registered(registration));
    }
    if let Some(registration) = registry::lookup(b, id).await? {
        return Ok(Answer::Registered(registration));
    }
    Ok(match b.enrollment.policy {
        Policy::Approve => {
            b.enrollment.note_request(id).await?;
            Answer::Pending
        }
        Policy::Open | Policy::Closed => Answer::Refused,
    })
}

/// An operator registers a device (approving it, if it was waiting).
pub async fn approve(b: &Backend, id: &DeviceId) -> Result<Registration, Error> {
    let registration = registry::register(b, id).await?;
    b.enrollment.dismiss(id).await?;
    Ok(registration)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> DeviceId {
        DeviceId::parse(s).unwrap()
    }

    #[tokio::test]
    async fn only_the_right_secret_lets_a_device_register_itself() {
        let dir = tempfile::tempdir().unwrap();
        let at = crate::state_db::StateLocation::DataDir(dir.path().into());
        let db = StateDb::open(&at).await.unwrap();
        let e = Enrollment::new(Policy::Closed, Some("fleet-secret"), db.clone());
        assert!(e.may_self_register(Some("fleet-secret")));
        assert!(!e.may_self_register(Some("fleet-secreT")));
        assert!(!e.may_self_register(Some("")));
        assert!(!e.may_self_register(None));
        let no_secret = Enrollment::new(Policy::Approve, Some(""), db.clone());
        assert!(!no_secret.may_self_register(Some("")));
        assert!(Enrollment::new(Policy::Open, None, db).may_self_register(None));
    }

    #[tokio::test]
    async fn pending_requests_are_counted_and_bounded() {
        for (db, ..) in crate::state_db::each_backend().await {
            let e = Enrollment::new(Policy::Approve, None, db);
            e.note_request(&id("dev-a")).await.unwrap();
            e.note_request(&id("dev-a")).await.unwrap();
            let list = e.pending().await.unwrap();
            assert_eq!(list.len(), 1);
            assert_eq!(list[0].requests, 2);
            for n in 0..MAX_PENDING + 10 {
                e.note_request(&id(&format!("flood-{n}"))).await.unwrap();
            }
            let waiting = e.pending().await.unwrap();
            assert_eq!(waiting.len(), MAX_PENDING);
            assert!(
                waiting.iter().all(|p| p.id != "dev-a"),
                "the oldest went first"
            );
            let newest = id(&format!("flood-{}", MAX_PENDING + 9));
            assert!(e.dismiss(&newest).await.unwrap());
            assert!(!e.dismiss(&id("never-asked")).await.unwrap());
        }
    }
}
