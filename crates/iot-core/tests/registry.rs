//! The device registry against a real store: registration, idempotence, removal, and the
//! upgrade from devices that held InfluxDB tokens.

mod common;

use common::id;
use influx_client::{Permission, Point, Precision};
use iot_core::registry;
use iot_models::DeviceStatus;

#[tokio::test]
async fn a_registration_mints_an_iot_center_token_and_no_influxdb_token() {
    let f = common::start().await;
    let b = &f.backend;
    let before = b.client.authorizations().await.unwrap().len();
    let reg = registry::register(b, &id("dev-1")).await.unwrap();
    assert!(reg.newly_registered);
    // 256 random bits, base64url: 43 characters after the prefix.
    let secret = reg.token.strip_prefix("iotc_").unwrap();
    assert_eq!(secret.len(), 43, "{}", reg.token);
    assert!(!reg.key.is_empty());
    assert_eq!(b.client.authorizations().await.unwrap().len(), before);
    assert_eq!(
        registry::lookup(b, &id("dev-1"))
            .await
            .unwrap()
            .unwrap()
            .token,
        reg.token
    );
    assert_eq!(
        b.fleet.device_of_token(b, &reg.token).await.unwrap(),
        Some(id("dev-1"))
    );
    assert_eq!(
        b.fleet.device_of_token(b, "iotc_guess").await.unwrap(),
        None
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
async fn removal_revokes_the_token_at_once_and_keeps_the_history() {
    let f = common::start().await;
    let b = &f.backend;
    let reg = registry::register(b, &id("dev-1")).await.unwrap();
    assert!(b
        .fleet
        .device_of_token(b, &reg.token)
        .await
        .unwrap()
        .is_some());
    assert!(registry::remove(b, &id("dev-1"), false).await.unwrap());
    assert_eq!(b.fleet.device_of_token(b, &reg.token).await.unwrap(), None);
    assert!(registry::lookup(b, &id("dev-1")).await.unwrap().is_none());
    let summary = registry::summary(b, &id("dev-1")).await.unwrap().unwrap();
    assert!(summary.removed);
    assert_eq!(summary.status, DeviceStatus::Removed);
    assert_eq!(summary.created_at.as_deref(), Some(reg.created_at.as_str()));

    assert!(!registry::remove(b, &id("never-registered"), false)
        .await
        .unwrap());
    // Registering again after removal makes a new token; the old one stays dead, also
    // for an index loaded afresh from the registry.
    let back = registry::register(b, &id("dev-1")).await.unwrap();
    assert!(back.newly_registered);
    assert_ne!(back.token, reg.token);
    let fresh = f.backend_with(b.settings.clone());
    assert_eq!(
        fresh
            .fleet
            .device_of_token(&fresh, &reg.token)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        fresh
            .fleet
            .device_of_token(&fresh, &back.token)
            .await
            .unwrap(),
        Some(id("dev-1"))
    );
}

#[tokio::test]
async fn a_registration_that_cannot_be_recorded_leaves_no_token() {
    let f = common::start().await;
    let mut settings = f.backend.settings.clone();
    settings.registry_bucket = "no_such_bucket".into();
    let b = f.backend_with(settings);
    let err = registry::register(&b, &id("dev-1")).await.unwrap_err();
    assert!(
        matches!(&err, iot_core::Error::Influx(m) if m.contains("no_such_bucket")),
        "{err:?}"
    );
    assert!(registry::lookup(&f.backend, &id("dev-1"))
        .await
        .unwrap()
        .is_none());
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
    assert_eq!(
        registry::lookup(&b, &id("dev-1"))
            .await
            .unwrap()
            .unwrap()
            .token,
        tokens[0]
    );
}

#[tokio::test]
async fn an_upgrade_deletes_the_devices_influxdb_tokens_and_keeps_them_working_at_the_gateway() {
    let f = common::start().await;
    let b = &f.backend;
    // A device registered the old way: an InfluxDB authorization, named in its registry row.
    let write = Permission::write_bucket(&b.settings.org_id, &b.settings.telemetry_bucket_id);
    let old = b
        .client
        .create_authorization("IoTCenterDevice: dev-old", vec![write.clone()])
        .await
        .unwrap();
    let unrelated = b
        .client
        .create_authorization("someone else's", vec![write])
        .await
        .unwrap();
    let row = Point::new("deviceauth")
        .tag("deviceId", "dev-old")
        .field("key", old.id.as_str())
        .field("token", old.token.as_str())
        .field("createdAt", "2025-01-01T00:00:00.000Z");
    b.client
        .write(&b.settings.registry_bucket, Precision::Ms, &[row])
        .await
        .unwrap();

    assert_eq!(registry::retire_influx_authorizations(b).await.unwrap(), 1);
    assert!(b.client.authorization(&old.id).await.unwrap().is_none());
    assert!(b
        .client
        .authorization(&unrelated.id)
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        b.fleet.device_of_token(b, &old.token).await.unwrap(),
        Some(id("dev-old"))
    );
    // Done once: a second start finds nothing to delete.
    assert_eq!(registry::retire_influx_authorizations(b).await.unwrap(), 0);
}
