//! Share links: a read-only link opens its dashboard without signing in — that dashboard
//! and nothing else — until it is revoked or expires, which takes effect at the next
//! request.

mod common;

use common::{add_token, start};
use reqwest::{header, redirect, Client, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

const WALL: &str = r#"{"title": "Wall screen", "devices": {"devices": ["wall-1", "wall-2"]},
  "cells": [{"x": 0, "y": 0, "w": 4, "h": 2, "type": "value", "field": "Temperature"}]}"#;

fn anonymous() -> Client {
    Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

/// The shared dashboard's server function, as the share page calls it, with no session.
async fn open(url: &str, token: &str, device: Option<&str>) -> (StatusCode, Value) {
    let mut form = vec![("token", token)];
    if let Some(device) = device {
        form.push(("device", device));
    }
    let r = anonymous()
        .post(format!("{url}/api/shared_dashboard"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn make(s: &common::Server, token: &str, body: &str) -> String {
    let r = Client::new()
        .post(format!("{}/api/dashboards", s.url))
        .bearer_auth(token)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A share link to `id` working for `seconds`: (its id, its token).
async fn share(s: &common::Server, token: &str, id: &str, seconds: u64) -> (String, String) {
    let r = Client::new()
        .post(format!("{}/api/dashboards/{id}/shares", s.url))
        .bearer_auth(token)
        .json(&json!({ "seconds": seconds }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let made: Value = r.json().await.unwrap();
    let path = made["path"].as_str().unwrap();
    let token = path.strip_prefix("/share/").unwrap().to_string();
    (made["link"]["id"].as_str().unwrap().to_string(), token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_opens_its_dashboard_only_until_revoked() {
    let s = start().await;
    let operator = add_token(s._dir.path(), "operator-1", "operator");
    let id = make(&s, &operator, WALL).await;
    let other = make(&s, &operator, &WALL.replace("Wall screen", "Private")).await;
    let (link, token) = share(&s, &operator, &id, 3_600).await;

    // The page and its data, without signing in.
    let page = anonymous()
        .get(format!("{}/share/{token}", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Wall screen") && !html.contains("Private"),
        "{html}"
    );
    assert!(
        !html.contains("href=\"/devices\""),
        "no navigation on a shared page"
    );
    let (status, view) = open(&s.url, &token, None).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(
        (view["dashboard"]["id"].as_str(), view["editable"].as_bool()),
        (Some(id.as_str()), Some(false))
    );
    assert_eq!(view["picked"], "wall-1");
    assert_eq!(open(&s.url, &token, Some("wall-2")).await.0, StatusCode::OK);

    // Nothing else: another device, the other dashboard, the JSON API, other pages.
    let (status, answer) = open(&s.url, &token, Some("elsewhere-1")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    for path in [
        "/api/dashboards".to_string(),
        format!("/api/dashboards/{id}"),
        format!("/api/dashboards/{other}"),
        "/api/devices".to_string(),
        "/api/shares".to_string(),
    ] {
        let as_bearer = anonymous()
            .get(format!("{}{path}", s.url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(as_bearer.status(), StatusCode::UNAUTHORIZED, "{path}");
        let plain = anonymous()
            .get(format!("{}{path}", s.url))
            .send()
            .await
            .unwrap();
        assert_eq!(plain.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    let devices = anonymous()
        .get(format!("{}/devices", s.url))
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(devices.status(), StatusCode::SEE_OTHER);
    let (status, _) = open(&s.url, &format!("{token}x"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Listed for operators; revoked, it stops at the next request.
    let links: Value = Client::new()
        .get(format!("{}/api/shares", s.url))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(links[0]["title"], "Wall screen");
    assert!(
        !links.to_string().contains(&token),
        "a listed link never shows its token"
    );
    let revoked = Client::new()
        .delete(format!("{}/api/shares/{link}", s.url))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let (status, answer) = open(&s.url, &token, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        answer.to_string().contains("expired or was revoked"),
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_stops_when_it_expires_and_only_operators_make_them() {
    let s = start().await;
    let operator = add_token(s._dir.path(), "operator-1", "operator");
    let viewer = add_token(s._dir.path(), "viewer-1", "viewer");
    let id = make(&s, &operator, WALL).await;
    let (_, token) = share(&s, &operator, &id, 1).await;
    assert_eq!(open(&s.url, &token, None).await.0, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(open(&s.url, &token, None).await.0, StatusCode::NOT_FOUND);

    for seconds in [0, 365 * 86_400 + 1] {
        let r = Client::new()
            .post(format!("{}/api/dashboards/{id}/shares", s.url))
            .bearer_auth(&operator)
            .json(&json!({ "seconds": seconds }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{seconds}");
    }
    let by_viewer = Client::new()
        .post(format!("{}/api/dashboards/{id}/shares", s.url))
        .bearer_auth(&viewer)
        .json(&json!({ "seconds": 60 }))
        .send()
        .await
        .unwrap();
    assert_eq!(by_viewer.status(), StatusCode::FORBIDDEN);
    let list = Client::new()
        .get(format!("{}/api/shares", s.url))
        .bearer_auth(&viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), StatusCode::FORBIDDEN);
    let stranger = anonymous()
        .post(format!("{}/api/dashboards/{id}/shares", s.url))
        .json(&json!({ "seconds": 60 }))
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), StatusCode::UNAUTHORIZED);
}
