//! Remote mode: `iot-center` pointed at an InfluxDB by URL (here a `tsdb` in this test's
//! process) creates its buckets when the token may, and stops with a clear message when not.

mod common;

use common::{free_port, onboard, remote_iot_center, OPERATOR_TOKEN};
use serde_json::{json, Value};
use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

struct Influx {
    url: String,
    _dir: tempfile::TempDir,
}

async fn influx() -> Influx {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(tsdb::storage::Store::open(dir.path()).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(tsdb::serve(
        listener,
        store,
        tsdb::Config::default(),
        std::future::pending(),
    ));
    onboard(&url).await;
    Influx { url, _dir: dir }
}

#[tokio::test]
async fn creates_missing_buckets_and_serves_devices() {
    let influx = influx().await;
    let port = free_port();
    let mut child = remote_iot_center(&influx.url, OPERATOR_TOKEN, port)
        .spawn()
        .unwrap();
    let mut env: Option<Value> = None;
    for _ in 0..200 {
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/api/env/remote-1")).await {
            env = r.json().await.ok();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let env = env.expect("iot-center answered");
    assert_eq!(env["influx_url"], influx.url.as_str());
    assert_eq!(env["influx_org"], "remote-org");
    let buckets: Value = reqwest::Client::new()
        .get(format!("{}/api/v2/buckets?org=remote-org", influx.url))
        .header("Authorization", "Token op")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = buckets["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"iot_center") && names.contains(&"iot_center_devices"),
        "{names:?}"
    );
}

#[tokio::test]
async fn stops_with_a_reason_when_it_may_not_create_a_bucket() {
    let influx = influx().await;
    let http = reqwest::Client::new();
    let orgs: Value = http
        .get(format!("{}/api/v2/orgs", influx.url))
        .header("Authorization", "Token op")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let org_id = orgs["orgs"][0]["id"].as_str().unwrap();
    let read_only = json!({"orgID": org_id, "permissions": [
        {"action": "read", "resource": {"type": "buckets", "orgID": org_id}},
        {"action": "read", "resource": {"type": "orgs", "id": org_id}}]});
    let auth: Value = http
        .post(format!("{}/api/v2/authorizations", influx.url))
        .header("Authorization", "Token op")
        .json(&read_only)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let port = free_port();
    let (url, token) = (
        influx.url.clone(),
        auth["token"].as_str().unwrap().to_string(),
    );
    let output: Output = tokio::task::spawn_blocking(move || {
        remote_iot_center(&url, &token, port).output().unwrap()
    })
    .await
    .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("bucket iot_center is missing and the token may not create it"),
        "{stderr}"
    );

    let unreachable = tokio::task::spawn_blocking(move || {
        remote_iot_center("http://127.0.0.1:1", "t", port)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(String::from_utf8_lossy(&unreachable.stderr)
        .contains("cannot reach InfluxDB at http://127.0.0.1:1"));
}
