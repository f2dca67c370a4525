//! Alerts against a running server: rules and endpoints through the JSON API, devices
//! writing with their own tokens, and a local HTTP receiver for the notifications (`common/alerts.rs`; e-mail: `alerts_mail.rs`). Rules
//! are evaluated every second here (`ALERT_EVALUATE_EVERY=1`).

mod common;

use axum::http::StatusCode;
use common::alerts::{alerting_server, call, device, endpoint, get, now, post, Receiver};
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::time::Duration;

#[tokio::test]
async fn a_threshold_fires_once_is_acknowledged_and_resolves_once() {
    let s = alerting_server().await;
    let hook = Receiver::start(0).await;
    let endpoint = endpoint(&s, &hook).await;
    let write = device(&s, "co2-1").await;
    let (status, rule) = post(
        &s,
        "/api/alert-rules",
        json!({"name": "CO2 high", "devices": ["co2-1"], "kind": "threshold", "field": "CO2",
               "op": ">", "value": 1000, "for_seconds": 0, "level": "crit", "endpoints": [endpoint]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    let t = now();
    write(format!("environment,clientId=co2-1 CO2=1500i {t}")).await;
    let took = hook.wait_for(1, 20).await;
    let (fired, auth) = &took[0];
    assert_eq!(auth, "Bearer hook-token");
    for (key, expected) in [
        ("rule", json!("CO2 high")),
        ("device", json!("co2-1")),
        ("state", json!("firing")),
        ("level", json!("crit")),
        ("value", json!(1500.0)),
        ("field", json!("CO2")),
    ] {
        assert_eq!(fired[key], expected, "{key} in {fired}");
    }
    assert!(
        fired["time"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{fired}"
    );

    // Firing, and acknowledged with a note until it resolves.
    let alerts = get(&s, "/api/alerts").await;
    assert_eq!(alerts.as_array().unwrap().len(), 1, "{alerts}");
    assert_eq!(alerts[0]["state"], "firing");
    let id = alerts[0]["id"].as_str().unwrap().to_string();
    let (status, acked) = post(
        &s,
        &format!("/api/alerts/{id}/ack"),
        json!({"note": "opening a window"}),
    )
    .await;
    assert_eq!(status, 200, "{acked}");
    assert_eq!(acked["acknowledged"]["note"], "opening a window");
    assert!(acked["acknowledged"]["by"]
        .as_str()
        .unwrap()
        .starts_with("tests-"));

    // The device's page: the alert, the threshold on the CO2 chart, the span it fired.
    let page = call(&s, "device_dashboard", "id=co2-1&window[range]=1h").await;
    let said = page["alerts"][0][1].as_str().unwrap_or_default();
    assert_eq!(page["alerts"][0][0], "crit");
    assert!(
        said.starts_with(
            "CRIT · CO2 high firing: CO2 is 1500 (above 1000) · acknowledged by tests-"
        ),
        "{said}"
    );
    let now_ms = page["resolution"]["now_ms"].as_i64().unwrap();
    let marks = &page["marks"];
    assert_eq!(
        (&marks[0][0], &marks[0][1]),
        (&json!("CO2"), &json!([1000.0]))
    );
    let span = marks[0][2].as_array().unwrap();
    assert_eq!(span.len(), 2, "one span: {marks}");
    assert_eq!(
        span[1].as_f64(),
        Some(now_ms as f64),
        "still firing: until now"
    );
    // The device list: the firing alert beside its device.
    let list = call(&s, "find_devices", "query[page]=0").await;
    assert_eq!(list["firing"], json!([["co2-1", "crit", "CO2 high"]]));

    // More high points: still one notification.
    write(format!("environment,clientId=co2-1 CO2=1600i {}", t + 1)).await;
    write(format!("environment,clientId=co2-1 CO2=1700i {}", t + 2)).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(hook.took().len(), 1, "notified on change only");
    assert_eq!(
        get(&s, "/api/alerts").await[0]["acknowledged"]["note"],
        "opening a window"
    );

    write(format!("environment,clientId=co2-1 CO2=400i {}", t + 3)).await;
    let took = hook.wait_for(2, 20).await;
    assert_eq!(took[1].0["state"], "resolved");
    assert_eq!(took[1].0["value"], 400.0);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(hook.took().len(), 2, "one resolved");
    assert_eq!(get(&s, "/api/alerts").await, json!([]));
    // The history: fired, then resolved, newest first; the span closed on the chart.
    let overview = call(&s, "get_alerts", "").await;
    let states: Vec<&str> = overview["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["ok", "firing"], "{overview}");
    assert_eq!(overview["history"][1]["rule_name"], "CO2 high");
    assert_eq!(overview["history"][1]["device"], "co2-1");
    let page = call(&s, "device_dashboard", "id=co2-1&window[range]=1h").await;
    assert_eq!(page["alerts"], json!([]));
    let now_ms = page["resolution"]["now_ms"].as_f64().unwrap();
    let span = page["marks"][0][2].as_array().unwrap();
    assert!(
        span[1].as_f64().unwrap() < now_ms,
        "resolved: the span ended {page}"
    );
    let (status, _) = post(&s, &format!("/api/alerts/{id}/ack"), json!({})).await;
    assert_eq!(status, 404, "only a firing alert is acknowledged");
}

#[tokio::test]
async fn a_silent_device_fires_and_resolves_when_it_writes_again() {
    let s = alerting_server().await;
    let hook = Receiver::start(0).await;
    let endpoint = endpoint(&s, &hook).await;
    let write = device(&s, "quiet-1").await;
    write(format!(
        "environment,clientId=quiet-1 Temperature=20 {}",
        now()
    ))
    .await;
    let (status, rule) = post(
        &s,
        "/api/alert-rules",
        json!({"name": "Quiet", "devices": "*", "kind": "silent", "silent_seconds": 5,
               "endpoints": [endpoint]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    let took = hook.wait_for(1, 30).await;
    assert_eq!(
        (&took[0].0["state"], &took[0].0["device"]),
        (&json!("firing"), &json!("quiet-1"))
    );
    assert!(
        took[0].0["message"]
            .as_str()
            .unwrap()
            .contains("no data for"),
        "{}",
        took[0].0
    );
    write(format!(
        "environment,clientId=quiet-1 Temperature=20 {}",
        now()
    ))
    .await;
    let took = hook.wait_for(2, 30).await;
    assert_eq!(took[1].0["state"], "resolved");
}

#[tokio::test]
async fn a_receiver_that_fails_twice_gets_the_notification_once() {
    let s = alerting_server().await;
    let hook = Receiver::start(2).await;
    let endpoint = endpoint(&s, &hook).await;
    let write = device(&s, "retry-1").await;
    post(
        &s,
        "/api/alert-rules",
        json!({"name": "Hot", "devices": ["retry-1"], "kind": "threshold", "field": "Temperature",
               "op": ">", "value": 30, "endpoints": [endpoint]}),
    )
    .await;
    write(format!(
        "environment,clientId=retry-1 Temperature=35 {}",
        now()
    ))
    .await;
    let took = hook.wait_for(1, 30).await;
    assert_eq!(took[0].0["state"], "firing");
    assert_eq!(
        hook.tries.load(Ordering::SeqCst),
        3,
        "two failures, then the delivery"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(hook.took().len(), 1);
    // Counted for the Health page.
    let health = get(&s, "/health").await;
    assert_eq!(
        health["notifications"],
        json!({"delivered": 1, "retried": 2, "failed": 0}),
        "{health}"
    );
}

#[tokio::test]
async fn a_firing_alert_survives_a_restart_without_a_second_notification() {
    let s = alerting_server().await;
    let hook = Receiver::start(0).await;
    let endpoint = endpoint(&s, &hook).await;
    let write = device(&s, "hot-1").await;
    post(
        &s,
        "/api/alert-rules",
        json!({"name": "Hot", "devices": "*", "kind": "threshold", "field": "Temperature",
               "op": ">", "value": 30, "endpoints": [endpoint]}),
    )
    .await;
    write(format!(
        "environment,clientId=hot-1 Temperature=35 {}",
        now()
    ))
    .await;
    hook.wait_for(1, 20).await;
    let dir = s.stop();
    let s = common::start_configured(dir, &[("ALERT_EVALUATE_EVERY", "1")]).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(hook.took().len(), 1, "not notified again");
    let alerts = get(&s, "/api/alerts").await;
    assert_eq!(alerts[0]["state"], "firing", "{alerts}");
}

#[tokio::test]
async fn bad_rules_and_wrong_callers_are_refused_with_the_reason() {
    let s = alerting_server().await;
    let rule = |extra: Value| {
        let mut r = json!({"name": "n", "devices": "*", "kind": "threshold", "field": "CO2", "op": ">", "value": 1});
        r.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        r
    };
    for (body, reason) in [
        (rule(json!({"op": "outside"})), "needs value2"),
        (rule(json!({"field": "CO 2"})), "not allowed"),
        (rule(json!({"endpoints": ["nope"]})), "there is no endpoint"),
        (rule(json!({"kind": "email"})), "kind is"),
        (json!([1, 2]), "invalid type"),
    ] {
        let (status, answer) = post(&s, "/api/alert-rules", body).await;
        assert_eq!(status, 400, "{answer}");
        assert!(
            answer["error"].as_str().unwrap().contains(reason),
            "{answer}"
        );
    }
    for (body, reason) in [
        (
            json!({"name": "m", "kind": "webhook", "url": "file:///etc/passwd"}),
            "http://",
        ),
        (
            json!({"name": "m", "kind": "email", "to": "ops@example.com"}),
            "need the server's SMTP relay",
        ),
        (
            json!({"name": "m", "kind": "email", "to": "ops@example.com\r\nBcc: all@x.io"}),
            "not an e-mail address",
        ),
    ] {
        let (status, answer) = post(&s, "/api/alert-endpoints", body).await;
        assert_eq!(status, 400, "{answer}");
        assert!(
            answer["error"].as_str().unwrap().contains(reason),
            "{answer}"
        );
    }
    let not_json = s
        .client()
        .post(format!("{}/api/alert-rules", s.url))
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);
    let huge = s
        .client()
        .post(format!("{}/api/alert-rules", s.url))
        .body(vec![b' '; 2 << 20])
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), 413, "bodies are bounded");

    // An endpoint a rule uses stays until the rule goes.
    let hook = Receiver::start(0).await;
    let used = endpoint(&s, &hook).await;
    let (_, made) = post(&s, "/api/alert-rules", rule(json!({"endpoints": [used]}))).await;
    let delete = |path: String| s.client().delete(format!("{}{path}", s.url)).send();
    let refused = delete(format!("/api/alert-endpoints/{used}"))
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let rule_id = made["id"].as_str().unwrap();
    assert_eq!(
        delete(format!("/api/alert-rules/{rule_id}"))
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        delete(format!("/api/alert-rules/{rule_id}"))
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        delete(format!("/api/alert-endpoints/{used}"))
            .await
            .unwrap()
            .status(),
        204
    );

    // The test button: a receiver that takes it, one that is not there.
    let tested = endpoint(&s, &hook).await;
    let (status, _) = post(
        &s,
        &format!("/api/alert-endpoints/{tested}/test"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(hook.took()[0].0["state"], "test");
    let (_, gone) = post(
        &s,
        "/api/alert-endpoints",
        json!({"name": "gone", "kind": "slack", "url": "http://127.0.0.1:9/"}),
    )
    .await;
    let (status, answer) = post(
        &s,
        &format!("/api/alert-endpoints/{}/test", gone["id"].as_str().unwrap()),
        json!({}),
    )
    .await;
    assert_eq!(status, 502);
    assert!(
        answer["error"].as_str().unwrap().contains("unreachable"),
        "{answer}"
    );

    // Strangers get nothing; viewers read but change nothing.
    let anonymous = reqwest::get(format!("{}/api/alert-rules", s.url))
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let viewer = common::add_token(s._dir.path(), "vera", "viewer");
    let as_viewer = |method: reqwest::Method, path: &str| {
        reqwest::Client::new()
            .request(method, format!("{}{path}", s.url))
            .bearer_auth(&viewer)
            .json(&rule(json!({})))
            .send()
    };
    assert_eq!(
        as_viewer(reqwest::Method::GET, "/api/alert-rules")
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        as_viewer(reqwest::Method::GET, "/api/alerts")
            .await
            .unwrap()
            .status(),
        200
    );
    for (method, path) in [
        (reqwest::Method::POST, "/api/alert-rules".to_string()),
        (reqwest::Method::POST, "/api/alert-endpoints".to_string()),
        (
            reqwest::Method::DELETE,
            format!("/api/alert-endpoints/{tested}"),
        ),
        (
            reqwest::Method::POST,
            format!("/api/alert-endpoints/{tested}/test"),
        ),
        (reqwest::Method::POST, "/api/alerts/x:y/ack".to_string()),
    ] {
        let r = as_viewer(method, &path).await.unwrap();
        assert_eq!(r.status(), 403, "{path}");
    }
}

#[tokio::test]
async fn webhooks_into_the_servers_own_network_are_refused_unless_allowed() {
    let s = common::start().await;
    for url in [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:9/hook",
        "http://[::1]:9/hook",
        "http://10.0.0.1/hook",
        "http://localhost:9/hook",
    ] {
        let (status, answer) = post(
            &s,
            "/api/alert-endpoints",
            json!({"name": "inside", "kind": "webhook", "url": url}),
        )
        .await;
        assert_eq!(status, 400, "{url}: {answer}");
        assert!(
            answer["error"]
                .as_str()
                .unwrap()
                .contains("ALERT_ALLOWED_HOSTS"),
            "{answer}"
        );
    }
    let listed = get(&s, "/api/alert-endpoints").await;
    assert_eq!(listed, json!([]), "{listed}");
}
