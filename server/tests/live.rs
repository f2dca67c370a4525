//! `GET /api/live/{id}`: a device's points pushed as the gateway stores them (HTTP and MQTT),
//! to signed-in callers, and a shared dashboard's by its link.

mod common;

use common::alerts::post;
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

/// A shared dashboard's link streams its devices' points to anyone who has it, and no other
/// device's; the stream ends within a second of the link's revocation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_share_link_streams_its_dashboards_devices_until_it_is_revoked() {
    let s = common::start().await;
    let device = Device::new(&s, "gh-1").await;
    Device::new(&s, "car-1").await;
    let spec = serde_json::json!({"title": "G", "devices": {"prefix": "gh-"}, "range": "5m",
        "cells": [{"x": 0, "y": 0, "w": 4, "h": 2, "type": "value", "field": "Temperature"}]});
    let api = |path: &str| format!("{}{path}", s.url);
    let (_, made) = post(&s, "/api/dashboards", spec).await;
    let shares = format!("/api/dashboards/{}/shares", made["id"].as_str().unwrap());
    let (_, link) = post(&s, &shares, serde_json::json!({"seconds": 3600})).await;
    let path = link["path"].as_str().unwrap();
    let live = |device: &str| api(&format!("{path}/live/{device}"));

    // By the link alone, no caller.
    let mut stream = reqwest::get(live("gh-1")).await.unwrap();
    assert_eq!(stream.status(), 200);
    let t = chrono::Utc::now().timestamp();
    assert_eq!(
        device
            .write(format!("environment Temperature=21.5 {t}"))
            .await
            .0,
        204
    );
    let text = read_until(&mut stream, "\n\n").await;
    assert_eq!(
        text,
        format!("event: points\ndata: {} 21.5 Temperature\n\n", t * 1000)
    );
    for (url, why, expected) in [
        (live("car-1"), "not on the dashboard", 404),
        (api("/share/share_not-a-link/live/gh-1"), "not a link", 404),
        (api("/api/live/gh-1"), "the signed-in stream", 401),
        (live(&"a".repeat(65)), "an id past its bound", 400),
    ] {
        let status = reqwest::get(&url).await.unwrap().status();
        assert_eq!(status, expected, "{why}");
    }

    // Revoked: the open stream ends within a second, and a new one is refused.
    let revoked = s
        .client()
        .delete(api(&format!(
            "/api/shares/{}",
            link["link"]["id"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    let ended = tokio::time::timeout(Duration::from_secs(1), async {
        while let Some(chunk) = stream.chunk().await.unwrap() {
            assert!(
                !String::from_utf8_lossy(&chunk).contains("points"),
                "nothing after revocation"
            );
        }
    });
    ended
        .await
        .expect("the stream ends within 1 s of the revocation");
    assert_eq!(reqwest::get(live("gh-1")).await.unwrap().status(), 404);
}
