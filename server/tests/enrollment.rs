//! Which devices get a token by asking: the registration policy, the provisioning secret,
//! approval by an operator, and the device-only listener.

mod common;

use common::{free_port, start, start_with, Server, SECRET};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn ask(s: &Server, query: &str) -> (StatusCode, Value) {
    let r = reqwest::get(format!("{}/api/env/{query}", s.url))
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

async fn pending(s: &Server) -> Value {
    let r = s.call("list_pending_devices", "").await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

#[tokio::test]
async fn an_unknown_device_waits_until_an_operator_approves_it() {
    let s = start().await;
    let waiting = json!({"id": "plant-7", "registered": false, "pending": true});
    assert_eq!(
        ask(&s, "plant-7").await,
        (StatusCode::FORBIDDEN, waiting.clone())
    );
    // A wrong secret, or a second request, changes nothing but the count.
    assert_eq!(
        ask(&s, "plant-7?secret=guess").await,
        (StatusCode::FORBIDDEN, waiting)
    );
    let list = pending(&s).await;
    assert_eq!(list["policy"], "Approve");
    assert_eq!(list["devices"][0]["id"], "plant-7");
    assert_eq!(list["devices"][0]["requests"], 2);
    // Asking without registering never lists a device.
    let (status, _) = ask(&s, "quiet-1?register=false").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(pending(&s).await["devices"].as_array().unwrap().len(), 1);

    let approve = s.call("register_device", "id=plant-7").await;
    assert_eq!(approve.status(), StatusCode::OK);
    let (status, env) = ask(&s, "plant-7").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(env["id"], "plant-7");
    assert!(!env["influx_token"].as_str().unwrap().is_empty());
    assert_eq!(pending(&s).await["devices"], json!([]));

    // Dismissed requests go; dismissing twice says there was nothing.
    ask(&s, "stranger-1").await;
    assert_eq!(
        s.call("dismiss_device", "id=stranger-1").await.status(),
        200
    );
    assert_eq!(pending(&s).await["devices"], json!([]));
    let again = s.call("dismiss_device", "id=stranger-1").await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    assert!(again.text().await.unwrap().contains("not waiting"));
}

#[tokio::test]
async fn fifty_devices_with_the_secret_asking_at_once_get_one_token() {
    let s = start().await;
    let mut asks = tokio::task::JoinSet::new();
    for n in 0..50 {
        let request = reqwest::Client::new().get(format!("{}/api/env/fleet-1", s.url));
        // Half by query, half by header: both carry the secret.
        let request = match n % 2 {
            0 => request.query(&[("secret", SECRET)]),
            _ => request.header("X-Provisioning-Secret", SECRET),
        };
        asks.spawn(async move {
            let r = request.send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            r.json::<Value>().await.unwrap()["influx_token"].clone()
        });
    }
    let tokens = asks.join_all().await;
    assert!(tokens.iter().all(|t| *t == tokens[0]), "{tokens:?}");
    assert_eq!(pending(&s).await["devices"], json!([]));
    // The one token writes at the gateway.
    let env = common::device_env(&s, "fleet-1").await;
    assert_eq!(env["influx_token"], tokens[0]);
    let token = env["influx_token"].as_str().unwrap();
    let write = common::gateway_write(&s.url, "bucket=iot_center", token, "environment f=1").await;
    assert_eq!(write.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn closed_registration_refuses_without_listing_and_open_registers() {
    let closed = start_with(&[("DEVICE_REGISTRATION", "closed")]).await;
    let refused = json!({"id": "plant-8", "registered": false});
    assert_eq!(
        ask(&closed, "plant-8").await,
        (StatusCode::FORBIDDEN, refused)
    );
    let list = pending(&closed).await;
    assert_eq!(
        (list["policy"].clone(), list["devices"].clone()),
        (json!("Closed"), json!([]))
    );
    let (status, _) = ask(&closed, &format!("plant-8?secret={SECRET}")).await;
    assert_eq!(status, StatusCode::OK);

    let open = start_with(&[("DEVICE_REGISTRATION", "open")]).await;
    let (status, env) = ask(&open, "plant-9").await;
    assert_eq!(
        (status, env["newlyRegistered"].clone()),
        (StatusCode::OK, json!(true))
    );
}

#[tokio::test]
async fn the_device_listener_serves_the_device_api_and_nothing_else() {
    let port = free_port();
    let s = start_with(&[("IOT_CENTER_DEVICE_LISTEN", &format!("127.0.0.1:{port}"))]).await;
    let devices = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: &str| http.get(format!("{devices}{path}")).send();
    assert_eq!(get("/api/health").await.unwrap().status(), 200);
    let env: Value = get(&format!("/api/env/line-1?secret={SECRET}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(env["id"], "line-1");
    assert_eq!(get("/api/env/line-2").await.unwrap().status(), 403);
    // The gateway is here too, and devices are told this address.
    assert_eq!(env["influx_url"], devices.as_str());
    assert_eq!(get("/ping").await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(get("/health").await.unwrap().status(), StatusCode::OK);
    let token = env["influx_token"].as_str().unwrap();
    let write =
        common::gateway_write(&devices, "bucket=iot_center", token, "environment f=1").await;
    assert_eq!(write.status(), StatusCode::NO_CONTENT);
    // Not the web application: no pages, sign-in, JSON API, CSV or server functions, even
    // with the admin's token.
    let fn_path = common::server_fn_path("find_devices");
    for path in [
        "/",
        "/login",
        "/setup",
        "/devices",
        "/api/devices",
        "/export.csv",
        &fn_path,
    ] {
        let r = http
            .get(format!("{devices}{path}"))
            .bearer_auth(&s.token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let post = http
        .post(format!("{devices}{fn_path}"))
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::NOT_FOUND);
    // The same host check as the web application.
    let foreign = http
        .get(format!("{devices}/api/health"))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::MISDIRECTED_REQUEST);
    // The web application still answers devices too.
    assert_eq!(pending(&s).await["devices"][0]["id"], "line-2");
}
