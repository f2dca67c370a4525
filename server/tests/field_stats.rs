//! A device's fields over 30 days, as the device page's panel reads them: computed by the
//! store from the points the device wrote, older points left out.

mod common;

use common::{device_env, gateway_write, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn min_max_and_when_mean_count_and_sensor_per_field() {
    let s = start().await;
    let env = device_env(&s, "stats-1").await;
    let token = env["influx_token"].as_str().unwrap();
    let now = chrono::Utc::now().timestamp();
    let line = |t: i64, temperature: f64, co2: i64, sensor: &str| {
        format!("environment,clientId=stats-1,TemperatureSensor={sensor} Temperature={temperature},CO2={co2}i {t}")
    };
    let body = [
        line(now - 3_600, 20.0, 400, "BME280"),
        line(now - 1_800, 26.5, 900, "BME280"),
        line(now - 60, 22.0, 500, "SHT31"),
        // 31 days ago: outside the window, though the hottest of all.
        line(now - 31 * 86_400, 40.0, 5_000, "old"),
    ]
    .join("\n");
    let written = gateway_write(&s.url, "bucket=iot_center&precision=s", token, body).await;
    assert_eq!(written.status(), 204);

    let stats = s.call_json("device_field_stats", "id=stats-1").await;
    let fields: Vec<&str> = stats
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["Temperature", "CO2"], "{stats}");
    let t = &stats[0];
    assert_eq!(
        (t["min"].as_f64(), t["max"].as_f64(), t["count"].as_u64()),
        (Some(20.0), Some(26.5), Some(3)),
        "{t}"
    );
    assert!((t["mean"].as_f64().unwrap() - 22.833).abs() < 0.01, "{t}");
    let at = chrono::DateTime::from_timestamp(now - 1_800, 0).unwrap();
    assert_eq!(
        t["max_time"],
        at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    assert_eq!(t["sensor"], "BME280", "the sensor at the maximum");
    let co2 = &stats[1];
    assert_eq!(
        (
            co2["min"].as_f64(),
            co2["max"].as_f64(),
            co2["sensor"].is_null()
        ),
        (Some(400.0), Some(900.0), true),
        "{co2}"
    );

    // A device without data in the window has no fields; one that is not a device id is refused.
    device_env(&s, "stats-2").await;
    assert_eq!(
        s.call_json("device_field_stats", "id=stats-2").await,
        serde_json::json!([])
    );
    assert_eq!(
        s.call("device_field_stats", "id=not%20an%20id")
            .await
            .status(),
        400
    );
}
