//! Who may register itself: the device registration policy, the optional provisioning
//! secret, and the devices waiting for an operator's approval.
//!
//! A stranger who can reach `GET /api/env/<id>` must not get a token by asking. Under
//! [`Policy::Approve`] (the default) an unknown device is listed as pending and gets its
//! configuration once an operator approves it; devices retry on their own. The pending list
//! lives in memory, bounded: a device that keeps asking reappears after a restart, and a
//! flood of made-up ids only pushes out the oldest requests.

use crate::registry::{self, Registration};
use crate::{Backend, Error};
use chrono::{SecondsFormat, Utc};
pub use iot_models::RegistrationPolicy as Policy;
use iot_models::{DeviceId, PendingDevice};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

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
    pending: Mutex<HashMap<DeviceId, PendingDevice>>,
}

fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Enrollment {
    /// `secret`: a device presenting it registers itself whatever the policy.
    pub fn new(policy: Policy, secret: Option<&str>) -> Enrollment {
        Enrollment {
            policy,
            secret: secret.filter(|s| !s.is_empty()).map(digest),
            pending: Mutex::default(),
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
    pub fn pending(&self) -> Vec<PendingDevice> {
        let mut list: Vec<_> = self.waiting().values().cloned().collect();
        list.sort_by(|a, b| b.last_request.cmp(&a.last_request).then(a.id.cmp(&b.id)));
        list
    }

    /// Forgets a pending request; `false` when there was none.
    pub fn dismiss(&self, id: &DeviceId) -> bool {
        self.waiting().remove(id).is_some()
    }

    fn note_request(&self, id: &DeviceId) {
        let mut waiting = self.waiting();
        let stamp = now();
        if !waiting.contains_key(id) && waiting.len() >= MAX_PENDING {
            let oldest = waiting
                .values()
                .min_by(|a, b| a.last_request.cmp(&b.last_request))
                .and_then(|p| DeviceId::parse(&p.id).ok());
            if let Some(oldest) = oldest {
                waiting.remove(&oldest);
            }
        }
        let entry = waiting.entry(id.clone()).or_insert_with(|| PendingDevice {
            id: id.to_string(),
            first_request: stamp.clone(),
            last_request: stamp.clone(),
            requests: 0,
        });
        entry.last_request = stamp;
        entry.requests += 1;
    }

    fn waiting(&self) -> std::sync::MutexGuard<'_, HashMap<DeviceId, PendingDevice>> {
        // A panic elsewhere while holding it leaves a plain map: still usable.
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A device asks for its configuration (`GET /api/env/<id>`), presenting `secret` if it has
/// one: a registered device gets its registration; an unknown one is registered, listed as
/// pending or refused, as the policy says.
pub async fn request(b: &Backend, id: &DeviceId, secret: Option<&str>) -> Result<Answer, Error> {
    if b.enrollment.may_self_register(secret) {
        let registration = registry::register(b, id).await?;
        b.enrollment.dismiss(id);
        return Ok(Answer::Registered(registration));
    }
    if let Some(registration) = registry::lookup(b, id).await? {
        return Ok(Answer::Registered(registration));
    }
    Ok(match b.enrollment.policy {
        Policy::Approve => {
            b.enrollment.note_request(id);
            Answer::Pending
        }
        Policy::Open | Policy::Closed => Answer::Refused,
    })
}

/// An operator registers a device (approving it, if it was waiting).
pub async fn approve(b: &Backend, id: &DeviceId) -> Result<Registration, Error> {
    let registration = registry::register(b, id).await?;
    b.enrollment.dismiss(id);
    Ok(registration)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> DeviceId {
        DeviceId::parse(s).unwrap()
    }

    #[test]
    fn only_the_right_secret_lets_a_device_register_itself() {
        let e = Enrollment::new(Policy::Closed, Some("fleet-secret"));
        assert!(e.may_self_register(Some("fleet-secret")));
        assert!(!e.may_self_register(Some("fleet-secreT")));
        assert!(!e.may_self_register(Some("")));
        assert!(!e.may_self_register(None));
        let no_secret = Enrollment::new(Policy::Approve, Some(""));
        assert!(!no_secret.may_self_register(Some("")));
        assert!(Enrollment::new(Policy::Open, None).may_self_register(None));
    }

    #[test]
    fn pending_requests_are_counted_and_bounded() {
        let e = Enrollment::default();
        e.note_request(&id("dev-a"));
        e.note_request(&id("dev-a"));
        let list = e.pending();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].requests, 2);
        for n in 0..MAX_PENDING + 10 {
            e.note_request(&id(&format!("flood-{n}")));
        }
        assert_eq!(e.pending().len(), MAX_PENDING);
        assert!(e.dismiss(&id(&format!("flood-{}", MAX_PENDING + 9))));
        assert!(!e.dismiss(&id("never-asked")));
    }
}
