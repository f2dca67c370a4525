//! `GET /api/live/{id}`: a device's points pushed as the gateway stores them (HTTP and MQTT),
//! to signed-in callers only.

mod common;

use common::gateway::Device;
use std::time::Duration;

/// The stream's text until it holds `needle`, within 5 s.
async fn read_until(stream: &mut reqwest::Response, needle: &str) -> String {
    let mut text = String::new();
    while !text.contains(needle) {
        let chunk = tokio::time::timeout(Duration::from_secs(5), stream.chunk())
            .await
            .unwrap_or_else(|_| panic!("no {needle:?} in {text:?}"))
            .unwrap()
            .expect("the stream goes on");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_gets_each_point_as_it_is_stored() {
    let s = common::start().await;
    let device = Device::new(&s, "live-1").await;
    let url = format!("{}/api/live/live-1", s.url);
    let mut stream = s.client().get(&url).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");

    let t = chrono::Utc::now().timestamp();
    let line = format!("environment Temperature=21.5,Humidity=40i,Note=\"x\" {t}");
    assert_eq!(device.write(line).await.0, 204);
    let text = read_until(&mut stream, "\n\n").await;
    let ms = t * 1000;
    assert_eq!(
        text,
        format!("event: points\ndata: {ms} 21.5 Temperature\ndata: {ms} 40 Humidity\n\n")
    );

    // Another device's points never reach it.
    let other = Device::new(&s, "live-2").await;
    let line = format!("environment Temperature=1 {t}");
    assert_eq!(other.write(line).await.0, 204);
    let line = format!("environment Temperature=22.5 {}", t + 1);
    assert_eq!(device.write(line).await.0, 204);
    let text = read_until(&mut stream, "22.5").await;
    assert!(!text.contains(" 1 Temperature"), "{text}");
}

#[tokio::test]
async fn strangers_unknown_devices_and_bad_ids_get_no_stream() {
    let s = common::start().await;
    let url = |id: &str| format!("{}/api/live/{id}", s.url);
    let stranger = reqwest::get(url("dev-x")).await.unwrap();
    assert_eq!(stranger.status(), 401);
    let unknown = s
        .client()
        .get(url("never-registered"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let bad = s.client().get(url(&"x".repeat(300))).send().await.unwrap();
    assert_eq!(bad.status(), 400);
}
