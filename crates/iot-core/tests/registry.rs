//! The device registry against a real store: registration, idempotence, removal, and the
//! rollback of a registration that could not be recorded.

mod common;

use common::id;
use iot_core::registry;
use iot_models::DeviceStatus;

#[tokio::test]
async fn a_registration_mints_one_write_only_token() {
    let f = common::start().await;
    let b = &f.backend;
    let reg = registry::register(b, &id("dev-1")).await.unwrap();
    assert!(reg.newly_registered);
    assert!(!reg.token.is_empty() && !reg.key.is_empty());

    let auth = b.client.authorization(&reg.key).await.unwrap().unwrap();
    assert!(auth.is_active());
    let granted: Vec<(&str, Option<&str>)> = auth
        .permissions
        .iter()
        .map(|p| (p.action.as_str(), p.resource.id.as_deref()))
        .collect();
    assert_eq!(
        granted,
        [("write", Some(b.settings.telemetry_bucket_id.as_str()))]
    );
    assert_eq!(
        registry::lookup(b, &id("dev-1"))
            .await
            .unwrap()
            .unwrap()
            .token,
        reg.token
    );
}

#[tokio::test]
async fn registering_twice_returns_the_same_token() {
    let f = common::start().await;
    let b = &f.backend;
    let first = registry::register(b, &id("dev-1")).await.unwrap();
    let again = registry::register(b, &id("dev-1")).await.unwrap();
    assert!(!again.newly_registered);
    assert_eq!((again.key, again.token), (first.key, first.token));
    let devices = registry::list(b).await.unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].status, DeviceStatus::NeverSeen);
}

#[tokio::test]
async fn removal_revokes_the_token_and_keeps_the_history() {
    let f = common::start().await;
    let b = &f.backend;
    let reg = registry::register(b, &id("dev-1")).await.unwrap();
    assert!(registry::remove(b, &id("dev-1"), false).await.unwrap());
    assert!(b.client.authorization(&reg.key).await.unwrap().is_none());
    assert!(registry::lookup(b, &id("dev-1")).await.unwrap().is_none());
    let summary = registry::summary(b, &id("dev-1")).await.unwrap().unwrap();
    assert!(summary.removed);
    assert_eq!(summary.status, DeviceStatus::Removed);
    assert_eq!(summary.created_at.as_deref(), Some(reg.created_at.as_str()));

    assert!(!registry::remove(b, &id("never-registered"), false)
        .await
        .unwrap());
    // Registering again after removal makes a new token.
    let back = registry::register(b, &id("dev-1")).await.unwrap();
    assert!(back.newly_registered);
    assert_ne!(back.token, reg.token);
}

#[tokio::test]
async fn a_registration_that_cannot_be_recorded_takes_its_token_back() {
    let f = common::start().await;
    let mut settings = f.backend.settings.clone();
    settings.registry_bucket = "no_such_bucket".into();
    let b = f.backend_with(settings);
    let err = registry::register(&b, &id("dev-1")).await.unwrap_err();
    assert!(
        matches!(&err, iot_core::Error::Influx(m) if m.contains("no_such_bucket")),
        "{err:?}"
    );
    let descriptions: Vec<String> = b
        .client
        .authorizations()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.description)
        .collect();
    assert!(
        !descriptions.iter().any(|d| d.contains("dev-1")),
        "{descriptions:?}"
    );
}

#[tokio::test]
async fn fifty_simultaneous_first_registrations_mint_one_token() {
    let f = common::start().await;
    let b = f.backend.clone();
    let attempts: Vec<_> = (0..50)
        .map(|_| {
            let b = b.clone();
            tokio::spawn(async move { registry::register(&b, &id("dev-1")).await })
        })
        .collect();
    let mut tokens = Vec::new();
    for attempt in attempts {
        tokens.push(attempt.await.unwrap().unwrap().token);
    }
    tokens.dedup();
    assert_eq!(tokens.len(), 1);
    let minted = b
        .client
        .authorizations()
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.description == registry::token_description(&id("dev-1")))
        .count();
    assert_eq!(minted, 1);
}
