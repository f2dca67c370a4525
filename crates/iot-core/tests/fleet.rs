//! The fleet index against a real `tsdb`: loaded once, then kept current by incremental
//! looks, so two servers on one InfluxDB agree after a look.

mod common;

use common::id;
use iot_core::registry;
use iot_models::DeviceStatus;

#[tokio::test]
async fn another_servers_devices_and_new_points_appear_after_a_look() {
    let f = common::start().await;
    let here = &f.backend;
    let there = f.backend_with(here.settings.clone());
    registry::register(here, &id("dev-1")).await.unwrap();
    // Loaded, and this server's own registration shows at once.
    let listed = registry::list(here).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status, DeviceStatus::NeverSeen);

    // Another server registers a device; a device writes; this server has not looked yet.
    registry::register(&there, &id("dev-2")).await.unwrap();
    let now = chrono::Utc::now().timestamp();
    f.write(&format!(
        "environment,clientId=dev-1 Temperature=21.5 {now}"
    ))
    .await;
    assert_eq!(registry::list(here).await.unwrap().len(), 1);

    here.fleet.refresh(here).await.unwrap();
    let listed = registry::list(here).await.unwrap();
    let ids: Vec<&str> = listed.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["dev-1", "dev-2"]);
    assert_eq!(listed[0].status, DeviceStatus::Online);
    assert_eq!(listed[1].status, DeviceStatus::NeverSeen);

    // A removal by the other server shows after the next look; the index then agrees with
    // a fresh read of the device.
    registry::remove(&there, &id("dev-1"), false).await.unwrap();
    here.fleet.refresh(here).await.unwrap();
    let listed = registry::list(here).await.unwrap();
    assert_eq!(listed[0].status, DeviceStatus::Removed);
    assert_eq!(
        Some(listed[0].clone()),
        registry::summary(here, &id("dev-1")).await.unwrap()
    );
}

#[tokio::test]
async fn pages_of_the_list_are_found_by_prefix_and_status() {
    use iot_models::{FleetQuery, FLEET_PAGE_SIZE};
    let f = common::start().await;
    let b = &f.backend;
    for n in 0..120 {
        registry::register(b, &id(&format!("esp-{n:03}")))
            .await
            .unwrap();
    }
    registry::register(b, &id("other-1")).await.unwrap();
    let now = chrono::Utc::now().timestamp();
    f.write(&format!("environment,clientId=esp-007 Temperature=1 {now}"))
        .await;
    b.fleet.refresh(b).await.unwrap();

    let page = |prefix: &str, status, n| {
        let q = FleetQuery::new(prefix, status, n).unwrap();
        async move { b.fleet.page(b, &q).await.unwrap() }
    };
    let first = page("esp-", None, 0).await;
    assert_eq!((first.matching, first.total, first.pages()), (120, 121, 3));
    assert_eq!(first.devices.len(), FLEET_PAGE_SIZE);
    assert_eq!(first.devices[0].id, "esp-000");
    let last = page("esp-", None, 2).await;
    let ids: Vec<&str> = last.devices.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids.len(), 20);
    assert_eq!((ids[0], ids[19]), ("esp-100", "esp-119"));
    assert!(page("esp-", None, 3).await.devices.is_empty());
    let online = page("", Some(DeviceStatus::Online), 0).await;
    assert_eq!(online.matching, 1);
    assert_eq!(online.devices[0].id, "esp-007");
    assert_eq!(page("esp-00", None, 0).await.matching, 10);

    let overview = b.fleet.overview(b).await.unwrap();
    let count = |s| overview.counts.iter().find(|(c, _)| *c == s).unwrap().1;
    assert_eq!(
        (count(DeviceStatus::Online), count(DeviceStatus::NeverSeen)),
        (1, 120)
    );
    assert!(overview.recently_late.is_empty());

    // The overview is kept for a second, but not past a change to the index.
    registry::register(b, &id("other-2")).await.unwrap();
    let overview = b.fleet.overview(b).await.unwrap();
    let never_seen = overview
        .counts
        .iter()
        .find(|(c, _)| *c == DeviceStatus::NeverSeen);
    assert_eq!(never_seen.unwrap().1, 121);
}
