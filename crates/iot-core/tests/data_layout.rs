//! Telemetry tagged `clientId` (the reference IoT Center) and `device` (the Python tutorial)
//! is found by every path that reads it, and deleted by the removal that deletes it.

mod common;

use futures_util::StreamExt;
use influx_client::flux::TimeRange;
use iot_core::export::Export;
use iot_core::{queries, registry, telemetry};
use iot_models::{
    DeviceId, DeviceSelection, DeviceStatus, ExportRequest, FieldName, RangeChoice, TimeWindow,
};
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3_600);

/// Every read of one device's telemetry, written under `tag`, and then its deletion.
async fn each_path_finds_a_device_tagged(tag: &str) {
    let f = common::start().await;
    let b = &f.backend;
    let id = DeviceId::parse("dev-1").unwrap();
    registry::register(b, &id).await.unwrap();
    let now = chrono::Utc::now().timestamp();
    f.write(&format!(
        "environment,{tag}=dev-1 Temperature=21.5,Lat=50.1,Lon=14.5 {}\n\
         environment,{tag}=dev-1 Temperature=22.5,Lat=50.1,Lon=14.5 {}\n\
         environment,clientId=other Temperature=9 {}",
        now - 120,
        now - 60,
        now - 60
    ))
    .await;
    let hour = TimeRange::last(HOUR);

    let listed = registry::list(b).await.unwrap();
    assert_eq!(listed.len(), 1, "{tag}");
    assert!(listed[0].last_seen.is_some(), "{tag}: {listed:?}");
    assert_eq!(listed[0].status, DeviceStatus::Online, "{tag}");
    let one = registry::summary(b, &id).await.unwrap().unwrap();
    assert_eq!(one.last_seen, listed[0].last_seen, "{tag}");

    let last_hour = TimeWindow::Last(RangeChoice::H1);
    let dashboard = telemetry::dashboard(b, &id, &last_hour).await.unwrap();
    let temperature = dashboard.series.iter().find(|s| s.field == "Temperature");
    assert_eq!(temperature.map(|s| s.points.len()), Some(2), "{tag}");
    assert_eq!(
        dashboard.export_href.as_deref(),
        Some("/export.csv?devices=dev-1&fields=Temperature&range=1h")
    );
    let records = telemetry::measurements(b, &id, &hour, 0).await.unwrap();
    assert_eq!(records.rows.len(), 2, "{tag}");

    let selection = DeviceSelection::new(vec![id.clone()]).unwrap();
    let field = FieldName::parse("Temperature").unwrap();
    let compared = telemetry::compare(b, &selection, &field, &last_hour)
        .await
        .unwrap();
    assert_eq!(compared.rows.len(), 2, "{tag}");
    assert_eq!(compared.export_href, dashboard.export_href);

    let positions = telemetry::positions(b).await.unwrap();
    assert!(
        positions.markers.iter().any(|p| p.device == "dev-1"),
        "{tag}: {positions:?}"
    );

    let request: ExportRequest =
        serde_urlencoded::from_str("devices=dev-1&fields=Temperature&range=1h").unwrap();
    let mut csv = Vec::new();
    let mut chunks = Box::pin(Export::new(request, chrono::Utc::now()).stream(b.clone()));
    while let Some(chunk) = chunks.next().await {
        csv.extend(chunk.unwrap());
    }
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(csv.lines().count(), 3, "{tag}: {csv}");
    assert!(
        csv.lines().nth(1).unwrap().ends_with(",dev-1,21.5"),
        "{tag}: {csv}"
    );

    // Removal with its telemetry deletes this device's points, and only them.
    assert_eq!(f.telemetry_values().await, 7, "{tag}");
    assert!(registry::remove(b, &id, true).await.unwrap());
    assert_eq!(f.telemetry_values().await, 1, "{tag}");
}

#[tokio::test]
async fn telemetry_tagged_client_id_is_found_and_deleted() {
    each_path_finds_a_device_tagged("clientId").await;
}

#[tokio::test]
async fn telemetry_tagged_device_is_found_and_deleted() {
    each_path_finds_a_device_tagged("device").await;
}

#[tokio::test]
async fn the_fleet_s_last_seen_times_cover_both_tags_and_all_field_types() {
    let f = common::start().await;
    f.write(
        "environment,clientId=a Temperature=1.5,CO2=400i 60\n\
         environment,clientId=a CO2=410i 90\n\
         environment,device=b Temperature=2 120\n\
         environment,device=b ok=true 150",
    )
    .await;
    let all_time = TimeRange {
        start: influx_client::flux::RangeBound::At(chrono::DateTime::from_timestamp(0, 0).unwrap()),
        stop: None,
    };
    let seen: Vec<(String, i64)> = f
        .backend
        .client
        .query(&queries::fleet_last_seen("iot_center", &all_time))
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                iot_core::layout::device_of(r).unwrap().to_string(),
                r.time().unwrap().timestamp(),
            )
        })
        .collect();
    assert_eq!(seen, [("a".to_string(), 90), ("b".to_string(), 150)]);
}
