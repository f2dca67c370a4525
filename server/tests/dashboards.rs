//! Dashboards users build, over the JSON API: saved and read back, versions and restoring
//! one, two editors racing, export and import (the reference's too), errors named by their
//! JSON path, bounds, and who may do what. What their cells read: `dashboard_cells.rs`.

mod common;

use common::dashboards::{call, GREENHOUSE};
use common::{add_token, start};
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_versioned_restored_exported_and_imported() {
    let s = start().await;
    let admin = Some(s.token.as_str());
    let (status, made) = call(&s, admin, Method::POST, "/api/dashboards", Some(GREENHOUSE)).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let id = made["id"].as_str().unwrap().to_string();
    assert_eq!(made["version"], 1);
    assert_eq!(made["spec"]["cells"][1]["bands"][1]["color"], "#dc2626");

    // A change is saved from the version it was made from.
    let mut changed: Value = serde_json::from_str(GREENHOUSE).unwrap();
    changed["title"] = json!("Greenhouse (north)");
    let changed = changed.to_string();
    let one = format!("/api/dashboards/{id}");
    let (status, answer) = call(&s, admin, Method::PUT, &one, Some(&changed)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        answer["error"].as_str().unwrap().contains("?version=N"),
        "{answer}"
    );
    let (status, two) = call(
        &s,
        admin,
        Method::PUT,
        &format!("{one}?version=1"),
        Some(&changed),
    )
    .await;
    assert_eq!(
        (status, two["version"].clone()),
        (StatusCode::OK, json!(2)),
        "{two}"
    );
    // A second editor who also started from version 1 is told, and nothing is lost.
    let (status, answer) = call(
        &s,
        admin,
        Method::PUT,
        &format!("{one}?version=1"),
        Some(GREENHOUSE),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert!(
        answer["error"].as_str().unwrap().contains("version 2"),
        "{answer}"
    );
    let (_, latest) = call(&s, admin, Method::GET, &one, None).await;
    assert_eq!(latest["spec"]["title"], "Greenhouse (north)");

    // Versions, newest first; restoring one saves it as the newest.
    let (_, versions) = call(&s, admin, Method::GET, &format!("{one}/versions"), None).await;
    let titles: Vec<&str> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Greenhouse (north)", "Greenhouse"]);
    let (status, restored) = call(
        &s,
        admin,
        Method::POST,
        &format!("{one}/versions/1/restore"),
        None,
    )
    .await;
    assert_eq!(
        (status, restored["version"].clone()),
        (StatusCode::OK, json!(3))
    );
    assert_eq!(restored["spec"]["title"], "Greenhouse");
    let (status, _) = call(
        &s,
        admin,
        Method::POST,
        &format!("{one}/versions/9/restore"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Exported as a file and imported again: the same dashboard.
    let export = Client::new()
        .get(format!("{}{one}/export", s.url))
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap();
    assert!(export.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let file = export.text().await.unwrap();
    let (status, imported) = call(&s, admin, Method::POST, "/api/dashboards", Some(&file)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_ne!(imported["id"], restored["id"]);
    assert_eq!(imported["spec"], restored["spec"]);
    let (_, list) = call(&s, admin, Method::GET, "/api/dashboards", None).await;
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    assert_eq!(list[0]["cells"], 4);

    let (status, _) = call(&s, admin, Method::DELETE, &one, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for method in [Method::GET, Method::DELETE] {
        assert_eq!(
            call(&s, admin, method, &one, None).await.0,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_dashboards_are_refused_by_their_json_path_and_nothing_is_kept() {
    let s = start().await;
    let admin = Some(s.token.as_str());
    let mut bad: Value = serde_json::from_str(GREENHOUSE).unwrap();
    bad["cells"][2]["w"] = json!(5);
    let cases = [
        (
            bad.to_string(),
            "cells[2].w: 5 columns from column 8 do not fit in 12",
        ),
        (
            GREENHOUSE.replace("\"gauge\"", "\"pie\""),
            "cells[1]: unknown variant `pie`",
        ),
        (
            GREENHOUSE.replace("#dc2626", "red"),
            "cells[1].bands[1].color",
        ),
        (
            GREENHOUSE.replace("\"1d\"", "\"2d\""),
            "range: \"2d\" is not one of",
        ),
        ("{\"title\": \"t\"".to_string(), "EOF while parsing"),
        ("not json".to_string(), "expected"),
    ];
    for (body, why) in cases {
        let (status, answer) = call(&s, admin, Method::POST, "/api/dashboards", Some(&body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{why}: {answer}");
        let error = answer["error"].as_str().unwrap();
        assert!(error.contains(why), "{why}: {error}");
    }
    // At and past the size bound (256 KiB).
    let note = |len: usize| {
        let mut d: Value = serde_json::from_str(GREENHOUSE).unwrap();
        d["cells"][3]["text"] = json!("n".repeat(4_000));
        let base = d.to_string().len();
        d["title"] = json!("t");
        let mut text = d.to_string();
        text.push_str(&" ".repeat(len.saturating_sub(text.len())));
        assert!(base < len);
        text
    };
    let at = note(256 * 1024);
    assert_eq!(at.len(), 256 * 1024);
    assert_eq!(
        call(&s, admin, Method::POST, "/api/dashboards", Some(&at))
            .await
            .0,
        StatusCode::CREATED
    );
    let past = note(256 * 1024 + 1);
    assert_eq!(
        call(&s, admin, Method::POST, "/api/dashboards", Some(&past))
            .await
            .0,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    let (_, list) = call(&s, admin, Method::GET, "/api/dashboards", None).await;
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "only the one at the bound: {list}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_read_operators_change_strangers_get_nothing() {
    let s = start().await;
    let viewer = add_token(s._dir.path(), "viewer-1", "viewer");
    let operator = add_token(s._dir.path(), "operator-1", "operator");
    let (status, made) = call(
        &s,
        Some(&operator),
        Method::POST,
        "/api/dashboards",
        Some(GREENHOUSE),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(made["saved_by"], "operator-1");
    let one = format!("/api/dashboards/{}", made["id"].as_str().unwrap());
    for path in [
        "/api/dashboards".to_string(),
        one.clone(),
        format!("{one}/versions"),
        format!("{one}/export"),
    ] {
        assert_eq!(
            call(&s, Some(&viewer), Method::GET, &path, None).await.0,
            StatusCode::OK,
            "{path}"
        );
        assert_eq!(
            call(&s, None, Method::GET, &path, None).await.0,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
    }
    let changes = [
        (
            Method::POST,
            "/api/dashboards".to_string(),
            Some(GREENHOUSE),
        ),
        (Method::PUT, format!("{one}?version=1"), Some(GREENHOUSE)),
        (Method::POST, format!("{one}/versions/1/restore"), None),
        (Method::DELETE, one.clone(), None),
    ];
    for (method, path, body) in changes {
        let viewer_status = call(&s, Some(&viewer), method.clone(), &path, body).await.0;
        assert_eq!(viewer_status, StatusCode::FORBIDDEN, "{method} {path}");
        let stranger = call(&s, None, method.clone(), &path, body).await.0;
        assert_eq!(stranger, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
    let (_, versions) = call(
        &s,
        Some(&viewer),
        Method::GET,
        &format!("{one}/versions"),
        None,
    )
    .await;
    assert_eq!(
        versions.as_array().unwrap().len(),
        1,
        "nothing changed: {versions}"
    );
}

/// A dynamic dashboard as the reference IoT Center's definitions directory holds them.
const REFERENCE: &str = r#"{"supportedDevices": {"devices": ["virtual_device"]}, "cells": [
  {"type": "plot", "plotType": "gauge", "layout": {"x": 0, "y": 0, "w": 3, "h": 3},
   "field": "Temperature", "label": "Temperature", "range": {"min": -10, "max": 50}},
  {"type": "plot", "plotType": "line", "layout": {"x": 3, "y": 0, "w": 9, "h": 3},
   "field": ["Temperature", "Humidity"], "label": "Climate"},
  {"type": "svg", "layout": {"x": 0, "y": 3, "w": 6, "h": 4}, "field": ["Temperature"], "file": "house.svg"}
]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reference_dashboard_imports_through_the_api_and_the_page_and_viewers_cannot() {
    let s = start().await;
    let (status, made) = call(
        &s,
        Some(&s.token),
        Method::POST,
        "/api/dashboards",
        Some(REFERENCE),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let kinds: Vec<&str> = made["spec"]["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["gauge", "line", "note"], "{made}");
    assert_eq!(made["spec"]["cells"][1]["title"], "Climate");
    assert_eq!(
        made["spec"]["devices"],
        json!({"devices": ["virtual_device"]})
    );
    let left_out = made["spec"]["cells"][2]["text"].as_str().unwrap();
    assert!(
        left_out.contains("cells[2]") && left_out.contains("house.svg"),
        "{left_out}"
    );

    // The page's import goes the same way.
    let form = serde_urlencoded::to_string([("json", REFERENCE)]).unwrap();
    let r = s.call("create_dashboard", &form).await;
    assert_eq!(r.status(), 200);
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["spec"]["cells"], made["spec"]["cells"]);

    let viewer = add_token(s._dir.path(), "viewer-1", "viewer");
    let (status, _) = call(
        &s,
        Some(&viewer),
        Method::POST,
        "/api/dashboards",
        Some(REFERENCE),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, answer) = call(
        &s,
        Some(&s.token),
        Method::POST,
        "/api/dashboards",
        Some(&REFERENCE.replace(r#""w": 9"#, r#""w": 19"#)),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer["error"],
        "cells[1].w: 19 columns from column 3 do not fit in 12"
    );
    let (_, list) = call(&s, Some(&s.token), Method::GET, "/api/dashboards", None).await;
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
}
