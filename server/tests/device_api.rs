//! The device HTTP API through HTTP, on the real binary with its embedded store; and what a
//! device's token may do at the store: write telemetry, nothing else.

mod common;

use common::{device_env, start, start_in};
use serde_json::{json, Value};

#[tokio::test]
async fn the_device_protocol_and_the_device_token_scope() {
    let s = start().await;
    let http = reqwest::Client::new();
    let env = device_env(&s, "ESP32-A0B1C2D3E4F5").await;
    assert_eq!(env["id"], "ESP32-A0B1C2D3E4F5");
    assert_eq!(env["newlyRegistered"], true);
    assert_eq!(env["influx_bucket"], "iot_center");
    // Devices are told this server's address: they write to its gateway.
    assert_eq!(env["influx_url"], s.url.as_str());
    let (influx, org, token) = (
        env["influx_url"].as_str().unwrap(),
        env["influx_org"].as_str().unwrap(),
        env["influx_token"].as_str().unwrap(),
    );
    let auth = format!("Token {token}");

    // The device's token writes telemetry …
    let write = |bucket: &str| {
        http.post(format!(
            "{influx}/api/v2/write?org={org}&bucket={bucket}&precision=s"
        ))
        .header("Authorization", &auth)
        .body("environment,clientId=ESP32-A0B1C2D3E4F5 Temperature=21.5")
    };
    assert_eq!(write("iot_center").send().await.unwrap().status(), 204);
    assert_eq!(
        write("iot_center_devices").send().await.unwrap().status(),
        404
    );
    // … and opens nothing else, here or at the store: no reading, no resources, no tokens.
    for base in [influx, s.store.as_str()] {
        let read = http
            .post(format!("{base}/api/v2/query?org={org}"))
            .header("Authorization", &auth)
            .json(&json!({"query": "from(bucket: \"iot_center\") |> range(start: -1h)"}))
            .send()
            .await
            .unwrap();
        assert_eq!(read.status(), 401, "{base}");
        for path in ["/api/v2/orgs", "/api/v2/authorizations", "/api/v2/buckets"] {
            let r = http
                .get(format!("{base}{path}"))
                .header("Authorization", &auth)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 401, "{base}{path}");
        }
        let mint = http
            .post(format!("{base}/api/v2/authorizations"))
            .header("Authorization", &auth)
            .json(&json!({"orgID": "x", "permissions": []}))
            .send()
            .await
            .unwrap();
        assert_eq!(mint.status(), 401, "{base}");
    }
    // And no InfluxDB authorization was made for it.
    let authorizations = s.store_json("/api/v2/authorizations").await;
    let descriptions = authorizations["authorizations"].to_string();
    assert!(!descriptions.contains("IoTCenterDevice"), "{descriptions}");

    // The list has the device, never a token; the text form has one key per line.
    let (_, list) = common::get_as(&format!("{}/api/devices", s.url), &s.token).await;
    assert_eq!(list[0]["deviceId"], "ESP32-A0B1C2D3E4F5");
    assert!(!list.to_string().contains(token));
    let text = http
        .get(format!("{}/api/env/ESP32-A0B1C2D3E4F5", s.url))
        .header("Accept", "text/plain")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.starts_with(&format!(
            "influx_url: {influx}\ninflux_org: {org}\ninflux_token: {token}\n"
        )),
        "{text}"
    );

    // Removal: 204, the token stops working, an unknown device is 404, a bad id is 400.
    let admin = s.client();
    let delete = |id: &str| admin.delete(format!("{}/api/devices/{id}", s.url)).send();
    assert_eq!(delete("ESP32-A0B1C2D3E4F5").await.unwrap().status(), 204);
    assert_eq!(write("iot_center").send().await.unwrap().status(), 401);
    assert_eq!(delete("never-registered").await.unwrap().status(), 404);
    let bad = http
        .get(format!("{}/api/env/a%22b", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.json::<Value>().await.unwrap()["error"]
        .as_str()
        .unwrap()
        .contains("not allowed"));
    let gone = http
        .get(format!(
            "{}/api/env/ESP32-A0B1C2D3E4F5?register=false",
            s.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 403);
}

#[tokio::test]
async fn the_embedded_store_keeps_its_operator_token_private_and_restarts() {
    let s = start().await;
    let token_file = s._dir.path().join("operator-token");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let operator = std::fs::read_to_string(&token_file).unwrap();
    let env = device_env(&s, "dev-1").await;
    let page = s.page("/devices").await;
    assert!(page.contains("dev-1"), "dev-1 not listed: {page}");
    assert!(!page.contains(operator.trim()));

    // A restart on the same data directory finds its store, token and devices again.
    let s = start_in(s.stop()).await;
    let again = reqwest::get(format!("{}/api/env/dev-1?register=false", s.url))
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(
        again.json::<Value>().await.unwrap()["influx_token"],
        env["influx_token"]
    );
}
