//! InfluxDB over TLS: a store serving HTTPS with a certificate from a test CA; `iot-center`
//! trusts it with `--influx-ca-cert`, and refuses it without.

mod common;

use common::test_ca::TestCa;
use common::{not_ready_because, remote_server, wait_for, OPERATOR_TOKEN, ORG};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// `tsdb` serving HTTPS on a free port, onboarded; its `https://localhost:…` URL.
async fn tls_store(ca: &TestCa, data: &std::path::Path) -> String {
    let store = std::sync::Arc::new(tsdb::storage::Store::open(data).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://localhost:{}",
        listener.local_addr().unwrap().port()
    );
    let tls = tsdb::tls::server_config(&ca.path("cert.pem"), &ca.path("key.pem")).unwrap();
    tokio::spawn(tsdb::serve(
        tsdb::Endpoint::Tls(listener, tls),
        store,
        tsdb::Config::default(),
        std::future::pending(),
    ));
    let trusting = ca.client();
    let setup = json!({"username": "u", "password": "password", "org": ORG, "bucket": "other", "token": OPERATOR_TOKEN});
    let answer = trusting
        .post(format!("{url}/api/v2/setup"))
        .json(&setup)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::CREATED);
    url
}

// The store runs on this test's runtime while the test waits for a process: two threads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reaches_influxdb_over_tls_with_its_ca_and_refuses_it_without() {
    let ca = TestCa::new();
    let data = tempfile::tempdir().unwrap();
    let url = tls_store(&ca, data.path()).await;
    // The store speaks TLS only, and a client without the CA refuses its certificate.
    let plain = reqwest::get(url.replace("https://", "http://") + "/health").await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
    let untrusted = reqwest::get(format!("{url}/health")).await.unwrap_err();
    assert!(
        format!("{untrusted:?}").contains("UnknownIssuer"),
        "{untrusted:?}"
    );

    // Without the CA: not ready, with a clear certificate error.
    let untrusting = remote_server(&url, OPERATOR_TOKEN, &[]).await;
    not_ready_because(&untrusting, "invalid peer certificate: UnknownIssuer").await;

    // With it: devices, writes and reads through the server functions.
    let ca_cert = ca.path("ca.pem");
    let s = remote_server(
        &url,
        OPERATOR_TOKEN,
        &["--influx-ca-cert".as_ref(), ca_cert.as_ref()],
    )
    .await;
    wait_for(&format!("{}/ready", s.url), 15, |status, _| status == 200).await;
    assert_eq!(s.call("register_device", "id=tls-1").await.status(), 200);
    let wrote = s.call("write_point_now", "devices[0]=tls-1").await;
    assert_eq!(wrote.status(), 200);
    let dashboard: Value = s
        .call_json("device_dashboard", "id=tls-1&window[range]=1h")
        .await;
    let fields: Vec<&str> = dashboard["last_values"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["field"].as_str())
        .collect();
    assert!(fields.contains(&"Temperature"), "{dashboard}");
    // Devices are told IoT Center's address, never InfluxDB's.
    let env: Value = reqwest::get(format!("{}/api/env/tls-1", s.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(env["influx_url"], s.url.as_str());
}

#[tokio::test]
async fn the_device_listener_serves_devices_over_tls() {
    let ca = TestCa::new();
    let (cert, key) = (ca.path("cert.pem"), ca.path("key.pem"));
    let devices = format!("127.0.0.1:{}", common::free_port());
    let s = common::start_with(&[
        ("IOT_CENTER_DEVICE_LISTEN", devices.as_str()),
        ("DEVICE_TLS_CERT", cert.to_str().unwrap()),
        ("DEVICE_TLS_KEY", key.to_str().unwrap()),
    ])
    .await;
    let env = common::device_env(&s, "tls-2").await;
    let url = env["influx_url"].as_str().unwrap();
    let port = devices.rsplit_once(':').unwrap().1;
    assert_eq!(url, format!("https://localhost:{port}"), "{env}");
    // A device that trusts the CA fetches its configuration and writes over TLS; the
    // application reads it back.
    let device = ca.client();
    let again = device
        .get(format!("{url}/api/env/tls-2?register=false"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    let write = device
        .post(format!(
            "{url}/api/v2/write?org={}&bucket=iot_center&precision=s",
            env["influx_org"].as_str().unwrap()
        ))
        .header(
            "Authorization",
            format!("Token {}", env["influx_token"].as_str().unwrap()),
        )
        .body("environment,clientId=tls-2 Temperature=21.5")
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), StatusCode::NO_CONTENT);
    let dashboard: Value = s
        .call_json("device_dashboard", "id=tls-2&window[range]=1h")
        .await;
    assert_eq!(
        dashboard["last_values"][0]["field"], "Temperature",
        "{dashboard}"
    );
    // The device listener's port speaks nothing else.
    let plain = reqwest::get(url.replace("https://", "http://") + "/ping").await;
    assert!(plain.is_err(), "{plain:?}");
}
