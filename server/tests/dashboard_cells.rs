//! What dashboards' cells read and show: a geo cell's positions, a drawing saved without
//! scripts, a stats cell, a dashboard made its devices' page, and a page's charts' data
//! inlined once.

mod common;

use common::dashboards::{call, GREENHOUSE};
use common::{add_token, start};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_geo_cell_reads_the_picked_devices_positions() {
    let s = start().await;
    let env = common::device_env(&s, "car-1").await;
    let t = chrono::Utc::now().timestamp();
    let body = format!("environment,clientId=car-1 Lat=50.08,Lon=14.42 {}\nenvironment,clientId=car-1 Lat=50.09,Lon=14.44 {}", t - 120, t - 60);
    let written = common::gateway_write(
        &s.url,
        "bucket=iot_center&precision=s",
        env["influx_token"].as_str().unwrap(),
        body,
    )
    .await;
    assert_eq!(written.status(), 204);
    let spec = r#"{"title": "Car", "devices": {"device": "car-1"}, "cells": [{"x": 0, "y": 0, "w": 6, "h": 4, "type": "geo"}]}"#;
    let (status, made) = call(
        &s,
        Some(&s.token),
        Method::POST,
        "/api/dashboards",
        Some(spec),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let view = s
        .call_json(
            "open_dashboard",
            &format!("id={}", made["id"].as_str().unwrap()),
        )
        .await;
    let series = view["cells"][0]["series"].as_array().unwrap();
    let fields: Vec<&str> = series
        .iter()
        .map(|s| s["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["Lat", "Lon"], "{view}");
    assert_eq!(series[0]["points"]["values"], json!([50.08, 50.09]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drawing_is_saved_without_scripts_and_a_stats_cell_reads_its_device() {
    let s = start().await;
    let env = common::device_env(&s, "gh-1").await;
    let t = chrono::Utc::now().timestamp();
    let body = format!(
        "environment,clientId=gh-1,TemperatureSensor=BME280 Temperature=20.5 {}\n\
         environment,clientId=gh-1,TemperatureSensor=BME280 Temperature=24.5 {}",
        t - 120,
        t - 60
    );
    let token = env["influx_token"].as_str().unwrap();
    let written = common::gateway_write(&s.url, "bucket=iot_center&precision=s", token, body).await;
    assert_eq!(written.status(), 204);

    let drawing = r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 40" onload="alert(1)"><script>alert(2)</script><text x="4" y="20" onclick="steal()">{Temperature} °C</text><image href="https://evil.example/x.png"/></svg>"#;
    let spec = json!({"title": "House", "devices": {"device": "gh-1"}, "range": "1h", "cells": [
        {"x": 0, "y": 0, "w": 6, "h": 3, "type": "svg", "svg": drawing, "fields": ["Temperature"]},
        {"x": 6, "y": 0, "w": 6, "h": 3, "type": "stats", "fields": ["Temperature"]}
    ]});
    let (status, made) = call(
        &s,
        Some(&s.token),
        Method::POST,
        "/api/dashboards",
        Some(&spec.to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let saved = made["spec"]["cells"][0]["svg"].as_str().unwrap();
    for gone in [
        "script",
        "alert",
        "onload",
        "onclick",
        "steal",
        "evil.example",
        "<image",
    ] {
        assert!(!saved.contains(gone), "{gone} is still in {saved}");
    }
    assert!(saved.contains("{Temperature} °C"), "{saved}");

    let view = s
        .call_json(
            "open_dashboard",
            &format!("id={}", made["id"].as_str().unwrap()),
        )
        .await;
    let stats = &view["cells"][1]["stats"];
    assert_eq!(stats.as_array().unwrap().len(), 1, "{view}");
    assert_eq!(
        (stats[0]["min"].as_f64(), stats[0]["max"].as_f64()),
        (Some(20.5), Some(24.5))
    );
    assert_eq!(
        (stats[0]["count"].as_u64(), stats[0]["mean"].as_f64()),
        (Some(2), Some(22.5))
    );
    assert_eq!(stats[0]["sensor"], "BME280");

    // A stats cell is for one device; a drawing that is not SVG is refused by its path.
    let mut many = spec.clone();
    many["cells"][1]["devices"] = json!("all");
    let mut not_svg = spec.clone();
    not_svg["cells"][0]["svg"] = json!("<html><body/></html>");
    // A drawing of 64 KiB (as kept: cleaned) is saved; one byte more is refused.
    let drawing_of = |len: usize| {
        let (head, tail) = (
            r#"<svg xmlns="http://www.w3.org/2000/svg"><text>"#,
            "</text></svg>",
        );
        let mut d = spec.clone();
        let text = "x".repeat(len - head.len() - tail.len());
        d["cells"][0]["svg"] = json!(format!("{head}{text}{tail}"));
        d
    };
    let at_bound = drawing_of(64 * 1024).to_string();
    let (status, answer) = call(
        &s,
        Some(&s.token),
        Method::POST,
        "/api/dashboards",
        Some(&at_bound),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    for (bad, at) in [
        (many, "cells[1].devices"),
        (not_svg, "cells[0].svg"),
        (
            drawing_of(64 * 1024 + 1),
            "cells[0].svg: 65537 bytes, at most 65536",
        ),
    ] {
        let body = bad.to_string();
        let (status, answer) = call(
            &s,
            Some(&s.token),
            Method::POST,
            "/api/dashboards",
            Some(&body),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            answer["error"].as_str().unwrap().starts_with(at),
            "{answer}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dashboard_made_its_devices_page_is_what_their_pages_show_until_it_is_not() {
    let s = start().await;
    let (_, made) = call(
        &s,
        Some(&s.token),
        Method::POST,
        "/api/dashboards",
        Some(GREENHOUSE),
    )
    .await;
    let id = made["id"].as_str().unwrap();
    let page_of = |device: &'static str| {
        let s = &s;
        async move { s.call_json("device_page_of", &format!("id={device}")).await }
    };
    assert_eq!(
        page_of("gh-1").await,
        Value::Null,
        "the standard charts until one is picked"
    );
    assert_eq!(
        s.call_json("set_device_page", &format!("id={id}&on=true"))
            .await,
        Value::Null
    );
    assert_eq!(page_of("gh-1").await, json!(id));
    assert_eq!(
        page_of("car-1").await,
        Value::Null,
        "not one of its devices"
    );
    let view = s
        .call_json("open_dashboard", &format!("id={id}&device=gh-1"))
        .await;
    assert_eq!(view["device_page"], true);
    let (_, list) = call(&s, Some(&s.token), Method::GET, "/api/dashboards", None).await;
    assert_eq!(list[0]["device_page"], true);

    // A viewer sees it but cannot change it; an unknown dashboard is named.
    let viewer = add_token(s._dir.path(), "viewer-1", "viewer");
    let as_viewer = s
        .client()
        .post(format!(
            "{}{}",
            s.url,
            common::server_fn_path("set_device_page")
        ))
        .bearer_auth(&viewer)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("id={id}&on=false"))
        .send()
        .await
        .unwrap();
    assert_eq!(as_viewer.status(), 403);
    let unknown = s
        .call("set_device_page", "id=0000000000000000&on=true")
        .await;
    assert_eq!(unknown.status(), 404);
    assert!(unknown
        .text()
        .await
        .unwrap()
        .contains("there is no dashboard"));
    assert_eq!(page_of("gh-1").await, json!(id));

    s.call_json("set_device_page", &format!("id={id}&on=false"))
        .await;
    assert_eq!(page_of("gh-1").await, Value::Null);
    s.call_json("set_device_page", &format!("id={id}&on=true"))
        .await;
    call(
        &s,
        Some(&s.token),
        Method::DELETE,
        &format!("/api/dashboards/{id}"),
        None,
    )
    .await;
    assert_eq!(
        page_of("gh-1").await,
        Value::Null,
        "a removed dashboard is no one's page"
    );
}

/// A device page's charts are built once: their data is inlined into the page once, beside
/// the (small) answer of which dashboard is its page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_page_inlines_its_charts_data_once() {
    let s = start().await;
    let env = common::device_env(&s, "gh-1").await;
    let t = chrono::Utc::now().timestamp();
    let body = format!("environment,clientId=gh-1 Temperature=20.5 {}", t - 60);
    let token = env["influx_token"].as_str().unwrap();
    let written = common::gateway_write(&s.url, "bucket=iot_center&precision=s", token, body).await;
    assert_eq!(written.status(), 204);
    let page = s.page("/devices/gh-1").await;
    let inlined = page.matches("__RESOLVED_RESOURCES[").count();
    let charts = page.matches(r#"\"series\":[{\"device\":\"gh-1\""#).count();
    assert!(inlined >= 3, "the page inlines its data: {inlined}");
    assert_eq!(charts, 1, "the charts' data, once");
}
