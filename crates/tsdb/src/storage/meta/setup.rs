//! Onboarding: the first user, organization, bucket and operator token, in one transaction,
//! so a crash during a first start leaves either all of them or none (and setup still open).

use super::{authorizations, buckets, orgs, users};
use super::{Authorization, Bucket, NewAuthorization, Org, Permission, User};
use crate::storage::{StorageError, Store};
use rusqlite::Connection;

pub struct Onboarding {
    pub username: String,
    pub password: String,
    pub org: String,
    pub bucket: String,
    pub retention_secs: i64,
    /// The operator token to use; a random one when `None`.
    pub token: Option<String>,
    pub permissions: Vec<Permission>,
}

pub struct Onboarded {
    pub user: User,
    pub org: Org,
    pub bucket: Bucket,
    pub auth: Authorization,
    pub token: String,
}

/// Whether onboarding may still run: no users and no organizations yet.
fn allowed(c: &Connection) -> Result<bool, StorageError> {
    let n: i64 = c.query_row(
        "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM orgs)",
        [],
        |r| r.get(0),
    )?;
    Ok(n == 0)
}

impl Store {
    pub fn setup_allowed(&self) -> Result<bool, StorageError> {
        self.read(allowed)
    }

    /// Onboards the store, unless it already is (`Conflict`): checked in the same
    /// transaction, so of two concurrent setups exactly one succeeds.
    pub fn onboard(&self, setup: Onboarding) -> Result<Onboarded, StorageError> {
        let mut conn = self.write_conn();
        let tx = conn.transaction()?;
        if !allowed(&tx)? {
            return Err(StorageError::Conflict(
                "onboarding has already been completed".into(),
            ));
        }
        let user = users::insert(&tx, &setup.username, &setup.password)?;
        let org = orgs::insert(&tx, &setup.org, "")?;
        let bucket = buckets::insert(&tx, &org.id, &setup.bucket, "", setup.retention_secs)?;
        let (auth, token) = authorizations::insert(
            &tx,
            NewAuthorization {
                org_id: org.id.clone(),
                user_id: user.id.clone(),
                active: true,
                description: format!("{}'s Token", setup.username),
                permissions: setup.permissions,
                token: setup.token,
            },
        )?;
        tx.commit()?;
        Ok(Onboarded {
            user,
            org,
            bucket,
            auth,
            token,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::meta::test_store;

    fn onboarding(token: &str) -> Onboarding {
        Onboarding {
            username: "admin".into(),
            password: "".into(),
            org: "acme".into(),
            bucket: "iot".into(),
            retention_secs: 0,
            token: Some(token.into()),
            permissions: Vec::new(),
        }
    }

    #[test]
    fn onboarding_makes_everything_once() {
        let (_dir, store) = test_store::open();
        assert!(store.setup_allowed().unwrap());
        let done = store.onboard(onboarding("t1")).unwrap();
        assert_eq!(
            (done.org.name.as_str(), done.bucket.name.as_str()),
            ("acme", "iot")
        );
        assert_eq!(done.auth.description, "admin's Token");
        assert!(store.authorization_by_token("t1").unwrap().is_some());
        assert!(!store.setup_allowed().unwrap());
        assert!(matches!(
            store.onboard(onboarding("t2")),
            Err(StorageError::Conflict(_))
        ));
        assert!(store.authorization_by_token("t2").unwrap().is_none());
    }

    #[test]
    fn a_failed_onboarding_leaves_nothing_behind() {
        let (_dir, store) = test_store::open();
        let mut bad = onboarding("t1");
        bad.bucket = "_tasks".into(); // clashes with a system bucket, after user and org
        assert!(matches!(store.onboard(bad), Err(StorageError::Conflict(_))));
        assert!(store.setup_allowed().unwrap(), "nothing of it was kept");
        assert!(store.orgs().unwrap().is_empty());
        assert!(
            store.onboard(onboarding("t1")).is_ok(),
            "and it can run again"
        );
    }

    #[test]
    fn of_two_concurrent_onboardings_one_wins() {
        let (_dir, store) = test_store::open();
        let results: Vec<bool> = std::thread::scope(|s| {
            let a = s.spawn(|| store.onboard(onboarding("a")).is_ok());
            let b = s.spawn(|| store.onboard(onboarding("b")).is_ok());
            vec![a.join().unwrap(), b.join().unwrap()]
        });
        assert_eq!(results.iter().filter(|ok| **ok).count(), 1, "{results:?}");
        assert_eq!(store.orgs().unwrap().len(), 1);
    }
}
