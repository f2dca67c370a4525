//! Devices of every kind through the gateway: a reference device configured from
//! `/api/env` alone, a virtual device's back-fill within its bounds, and writes while
//! InfluxDB is away.

mod common;

use common::gateway::Device;
use common::{start, start_with};
use reqwest::StatusCode;
use serde_json::Value;

/// The reference's Arduino sketch, step by step: its configuration as `key: value` lines,
/// the client's connection check, then a point a minute with its default tags, in seconds.
#[tokio::test]
async fn a_reference_device_works_unchanged_against_what_api_env_tells_it() {
    let s = start().await;
    let id = "ESP32-A0B1C2D3E4F5";
    let text = reqwest::Client::new()
        .get(format!("{}/api/env/{id}?secret={}", s.url, common::SECRET))
        .header("Accept", "text/plain")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // As the sketch reads it: the first `key: ` to the end of its line.
    let value = |key: &str| {
        let start = text.find(&format!("{key}: ")).unwrap() + key.len() + 2;
        text[start..].lines().next().unwrap().to_string()
    };
    let (url, org, token, bucket) = (
        value("influx_url"),
        value("influx_org"),
        value("influx_token"),
        value("influx_bucket"),
    );
    let http = reqwest::Client::new();
    for probe in ["/health", "/ping"] {
        let r = http.get(format!("{url}{probe}")).send().await.unwrap();
        assert!(r.status().is_success(), "{probe}: {}", r.status());
    }
    let now = chrono::Utc::now().timestamp();
    let body: String = (0..3)
        .map(|m| format!(
            "environment,clientId={id},Device=ESP32,Version=1.0.0,TemperatureSensor=BME280,HumiditySensor=BME280,PressureSensor=BME280,CO2Sensor=CCS811,TVOCSensor=CCS811,GPSSensor=GPS \
             Temperature=21.{m},Humidity=40.2,Pressure=1013.1,CO2=512i,TVOC=120i,Lat=50.087,Lon=14.407 {}\n",
            now - 120 + m * 60
        ))
        .collect();
    let write = http
        .post(format!(
            "{url}/api/v2/write?org={org}&bucket={bucket}&precision=s"
        ))
        .header("Authorization", format!("Token {token}"))
        .header("Content-Type", "text/plain")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), StatusCode::NO_CONTENT);
    let dashboard: Value = s
        .call_json("device_dashboard", &format!("id={id}&window[range]=1h"))
        .await;
    let latest: Vec<(&str, f64)> = dashboard["last_values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["field"].as_str().unwrap(),
                l["value"].as_f64().unwrap_or(f64::NAN),
            )
        })
        .collect();
    assert!(latest.contains(&("Temperature", 21.2)), "{dashboard}");
    assert!(latest.contains(&("CO2", 512.0)), "{dashboard}");
    // The device list says it was seen just now.
    let (_, devices) = common::get_as(&format!("{}/api/devices", s.url), &s.token).await;
    assert_eq!(devices[0]["deviceId"], id);
}

/// A `tsdb` on `port` over `data`, onboarded by [`common::onboard`] on its first start;
/// stopped (and its store closed) by the sender.
async fn store_on(
    port: u16,
    data: &std::path::Path,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let store = std::sync::Arc::new(tsdb::storage::Store::open(data).unwrap());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(tsdb::serve(
        listener,
        store,
        tsdb::Config::default(),
        async {
            let _ = stopped.await;
        },
    ));
    (stop, serving)
}

// The store runs on this test's runtime while the test waits for a process: two threads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_influxdb_is_away_writes_get_503_and_nothing_acknowledged_is_lost() {
    let data = tempfile::tempdir().unwrap();
    let port = common::free_port();
    let influx = format!("http://127.0.0.1:{port}");
    let (stop, serving) = store_on(port, data.path()).await;
    common::onboard(&influx).await;
    let s = common::remote_server(&influx, common::OPERATOR_TOKEN, &[]).await;
    common::wait_for(&format!("{}/ready", s.url), 15, |status, _| status == 200).await;
    let device = Device::new(&s, "dev-1").await;
    let lines = |from: i64| -> String {
        (from..from + 10)
            .map(|i| format!("environment Temperature={i} {}\n", 1_700_000_000 + i))
            .collect()
    };
    assert_eq!(device.write(lines(0)).await.0, StatusCode::NO_CONTENT);

    stop.send(()).unwrap();
    serving.await.unwrap().unwrap();
    let (status, error) = device.write(lines(10)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{error}");
    assert_eq!(error["code"], "unavailable");

    // Back: the device's retry is written, and what was acknowledged before is all there.
    let (_stop, _serving) = store_on(port, data.path()).await;
    assert_eq!(device.write(lines(10)).await.0, StatusCode::NO_CONTENT);
    let operator = format!("Token {}", common::OPERATOR_TOKEN);
    let flux = "from(bucket: \"iot_center\") |> range(start: 0) |> filter(fn: (r) => r._measurement == \"environment\")";
    let rows = common::query_rows(&influx, common::ORG, &operator, flux).await;
    assert_eq!(rows.len(), 20, "{rows:?}");
}

/// A virtual device's back-fill goes through the gateway like any device's writes: in
/// requests no longer than its line bound, waiting out its rate.
#[tokio::test]
async fn a_back_fill_keeps_to_the_devices_bounds_and_loses_nothing() {
    let s = start_with(&[
        ("DEVICE_MAX_LINES", "500"),
        ("DEVICE_BURST", "500"),
        ("DEVICE_POINTS_PER_SECOND", "1000"),
    ])
    .await;
    assert_eq!(
        s.call("register_device", "id=virtual-1").await.status(),
        200
    );
    let started = s
        .call("start_backfill", "devices[0]=virtual-1&days=1")
        .await;
    assert_eq!(started.status(), 200);
    let status = loop {
        let status: Value = s.call("get_writer_status", "").await.json().await.unwrap();
        if status["backfill"].is_null() {
            break status;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert!(status["last_error"].is_null(), "{status}");
    // A day of minutes, seven fields each.
    assert_eq!(s.values_of("virtual-1").await, 1_440 * 7);
}
