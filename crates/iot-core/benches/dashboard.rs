//! The server time of a device dashboard (issue #6's budget): one device, 30 days of 1-minute
//! data with 5 fields, read as the Dashboard server function reads it, against an in-process
//! `tsdb` over HTTP on loopback. `cargo bench -p iot-core --bench dashboard`.

use influx_client::flux::TimeRange;
use influx_client::onboarding::{setup, Onboarding};
use influx_client::Tls;
use influx_client::{Client, ClientConfig, Precision};
use iot_core::{queries, telemetry, Backend, Settings};
use iot_models::{DeviceId, RangeChoice, TimeWindow};
use std::sync::Arc;
use std::time::{Duration, Instant};

const MINUTE: i64 = 60;
const DAYS: i64 = 30;

#[tokio::main]
async fn main() {
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
    let token = setup(
        &url,
        &Tls::default(),
        &Onboarding {
            username: "bench".into(),
            password: "bench-password".into(),
            org: "o".into(),
            bucket: "iot_center".into(),
            token: Some("bench-token".into()),
        },
    )
    .await
    .unwrap();
    let client = Client::new(ClientConfig::new(&url, token, "o")).unwrap();

    // 30 days × 1,440 minutes × 5 fields = 216,000 values, written in daily batches.
    let now = chrono::Utc::now().timestamp() / MINUTE * MINUTE;
    for day in 0..DAYS {
        let mut lp = String::new();
        for m in 0..1_440 {
            let i = day * 1_440 + m;
            let x = i as f64;
            lp.push_str(&format!(
                "environment,clientId=dash,TemperatureSensor=virtual_bme280 Temperature={:.2},Humidity={:.2},Pressure={:.1},CO2={}i,TVOC={}i {}\n",
                20.0 + (x / 100.0).sin() * 5.0,
                40.0 + (x / 70.0).cos() * 10.0,
                1000.0 + (x / 50.0).sin() * 8.0,
                400 + i % 200,
                100 + i % 50,
                now - i * MINUTE
            ));
        }
        client
            .write_line_protocol("iot_center", Precision::S, lp.into_bytes())
            .await
            .unwrap();
    }

    let settings = Settings {
        influx_url: url.clone(),
        org: "o".into(),
        org_id: String::new(),
        telemetry_bucket: "iot_center".into(),
        telemetry_bucket_id: String::new(),
        registry_bucket: "iot_center_devices".into(),
        default_lat: 50.0,
        default_lon: 14.4,
        measurement_interval: 60,
        status_thresholds: Default::default(),
        configuration_refresh: 3_600,
        mqtt: None,
    };
    // Where a 30-day dashboard's time goes: each of its queries alone.
    let month = TimeRange::last(Duration::from_secs(30 * 86_400));
    let queries = [
        (
            "series, 1 h means",
            queries::telemetry_series(
                "iot_center",
                &["dash"],
                &[],
                &month,
                Some(Duration::from_secs(3_600)),
            ),
        ),
        (
            "last values",
            queries::device_last_values("iot_center", "dash", &month),
        ),
        (
            "counts, last day",
            queries::device_value_counts(
                "iot_center",
                "dash",
                &TimeRange::last(Duration::from_secs(86_400)),
            ),
        ),
    ];
    for (label, q) in &queries {
        let mut samples = Vec::new();
        for _ in 0..20 {
            let t = Instant::now();
            client.query(q).await.unwrap();
            samples.push(t.elapsed());
        }
        samples.sort();
        println!("  30d query {label}: p50 {:?}", samples[samples.len() / 2]);
    }

    let backend = Backend::new(client, settings);
    let id = DeviceId::parse("dash").unwrap();
    for choice in [
        RangeChoice::H1,
        RangeChoice::D1,
        RangeChoice::D7,
        RangeChoice::D30,
    ] {
        let (label, window) = (choice.label(), TimeWindow::Last(choice));
        let first = telemetry::dashboard(&backend, &id, &window).await.unwrap();
        let points: usize = first.series.iter().map(|s| s.points.len()).sum();
        let mut samples = Vec::new();
        for _ in 0..20 {
            let t = Instant::now();
            telemetry::dashboard(&backend, &id, &window).await.unwrap();
            samples.push(t.elapsed());
        }
        samples.sort();
        println!(
            "dashboard {label}: {} series, {points} points in all, p50 {:?} (p90 {:?})",
            first.series.len(),
            samples[samples.len() / 2],
            samples[samples.len() * 9 / 10]
        );
    }
}
