//! Remote mode: `iot-center` pointed at an InfluxDB by URL (here a `tsdb` in this test's
//! process) creates its buckets when the token may, and says what to fix when not.

mod common;

use common::{get, influx, not_ready_because, remote_server, wait_for, OPERATOR_TOKEN};
use serde_json::{json, Value};

#[tokio::test]
async fn creates_missing_buckets_and_serves_devices() {
    let influx = influx().await;
    let s = remote_server(&influx.url, OPERATOR_TOKEN, &[]).await;
    wait_for(&format!("{}/ready", s.url), 15, |status, _| status == 200).await;
    let (_, env) = get(&format!("{}/api/env/remote-1", s.url)).await;
    // Devices write to IoT Center, which forwards to InfluxDB: they never learn its address.
    assert_eq!(env["influx_url"], s.url.as_str());
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
async fn says_what_to_fix_when_it_may_not_create_a_bucket() {
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
    let token = auth["token"].as_str().unwrap();
    let s = remote_server(&influx.url, token, &[]).await;
    let reason = not_ready_because(&s, "bucket iot_center is missing").await;
    assert!(reason.contains("give it write:buckets"), "{reason}");

    let unreachable = remote_server("http://127.0.0.1:1", "t", &[]).await;
    not_ready_because(&unreachable, "cannot reach InfluxDB at http://127.0.0.1:1").await;
}
