//! Dashboards users build, over the JSON API: saved and read back, versions and restoring
//! one, two editors racing, export and import, errors named by their JSON path, bounds, and
//! who may do what.

mod common;

use common::{add_token, start};
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

const GREENHOUSE: &str = r##"{"title": "Greenhouse", "devices": {"prefix": "gh-"}, "range": "1d",
  "cells": [
    {"x": 0, "y": 0, "w": 8, "h": 4, "type": "line", "fields": ["Temperature"], "devices": "all"},
    {"x": 8, "y": 0, "w": 4, "h": 2, "type": "gauge", "field": "CO2", "min": 400, "max": 2000,
     "bands": [{"from": 400, "color": "#16a34a"}, {"from": 1200, "color": "#dc2626"}]},
    {"x": 8, "y": 2, "w": 4, "h": 2, "type": "value", "field": "Temperature"},
    {"x": 0, "y": 4, "w": 12, "h": 1, "type": "note", "text": "Vents open at 28 °C."}
  ]}"##;

/// `method path` as `token`, with `body`: the status and the JSON answer (`Null` if none).
async fn call(
    s: &common::Server,
    token: Option<&str>,
    method: Method,
    path: &str,
    body: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = Client::new().request(method, format!("{}{path}", s.url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let r = request.send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

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
