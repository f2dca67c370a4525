//! The device gateway over HTTP, on the real binary with its embedded store: what a device's
//! IoT Center token may do (write its own telemetry within its bounds) and may not (anything
//! else), each refusal checked against what the store then holds.

mod common;

use common::gateway::{answer, Device};
use common::{start, start_with};
use reqwest::StatusCode;

#[tokio::test]
async fn a_device_token_writes_its_own_telemetry_and_nothing_else() {
    let s = start().await;
    let kitchen = Device::new(&s, "kitchen").await;
    let garage = Device::new(&s, "garage").await;
    assert!(kitchen.token.starts_with("iotc_"));
    assert_eq!(
        kitchen
            .write("environment,clientId=kitchen Temperature=21.5")
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    // A line without the id gets it: it lands on the device's own page.
    assert_eq!(
        kitchen.write("environment Humidity=40").await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        garage.write("environment Temperature=5").await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(s.telemetry_values().await, 3);
    assert_eq!(s.values_of("kitchen").await, 2);

    // Another device's id, under either device tag: 403, and the whole request writes nothing.
    for line in [
        "environment,clientId=garage Temperature=99",
        "environment,device=garage Temperature=99",
    ] {
        let (status, error) = kitchen
            .write(format!("environment Temperature=1\n{line}"))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
        assert_eq!(error["code"], "forbidden");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("another device"),
            "{error}"
        );
    }
    // IoT Center's own measurements: forged alerts, metrics, registry rows.
    for line in [
        "alerts,rule=r,device=kitchen,level=crit state=\"firing\"",
        "iot_center_app,route=/ requests=1i",
        "deviceauth,deviceId=garage key=\"\",token=\"\"",
    ] {
        let (status, error) = kitchen.write(line).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{line}: {error}");
    }
    assert_eq!(s.telemetry_values().await, 3);

    // The telemetry bucket only; the right organization only.
    let elsewhere = "org=iot-center&bucket=iot_center_devices";
    let forged = "deviceauth,deviceId=garage key=\"x\"";
    let (status, error) =
        answer(common::gateway_write(&s.url, elsewhere, &kitchen.token, forged).await).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not found"))
    );
    let other_org = "org=someone&bucket=iot_center";
    let r = common::gateway_write(&s.url, other_org, &kitchen.token, "environment f=1").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Deleting, renaming, cutting retention, deleting the bucket: refused at IoT Center and
    // at the store, whatever the scheme; the data and the bucket stay.
    let http = reqwest::Client::new();
    let buckets = "/api/v2/buckets?name=iot_center";
    let store_buckets = s.store_json(buckets).await;
    let bucket_id = store_buckets["buckets"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for base in [&s.url, &s.store] {
        for scheme in ["Token", "Bearer"] {
            let auth = format!("{scheme} {}", kitchen.token);
            let delete = http
                .post(format!("{base}/api/v2/delete?org=iot-center&bucket=iot_center"))
                .header("Authorization", &auth)
                .json(&serde_json::json!({"start": "1970-01-01T00:00:00Z", "stop": "2262-01-01T00:00:00Z"}))
                .send()
                .await
                .unwrap();
            assert_eq!(delete.status(), StatusCode::UNAUTHORIZED, "{base} {scheme}");
            let rename = http
                .patch(format!("{base}/api/v2/buckets/{bucket_id}"))
                .header("Authorization", &auth)
                .json(&serde_json::json!({"name": "gone", "retentionRules": [{"type": "expire", "everySeconds": 3600}]}))
                .send()
                .await
                .unwrap();
            assert_eq!(rename.status(), StatusCode::UNAUTHORIZED, "{base} {scheme}");
            let drop = http
                .delete(format!("{base}/api/v2/buckets/{bucket_id}"))
                .header("Authorization", &auth)
                .send()
                .await
                .unwrap();
            assert_eq!(drop.status(), StatusCode::UNAUTHORIZED, "{base} {scheme}");
            let direct = http
                .post(format!(
                    "{base}/api/v2/write?org=iot-center&bucket=iot_center"
                ))
                .header("Authorization", &auth)
                .body("environment,clientId=garage Temperature=99");
            let direct = direct.send().await.unwrap().status();
            match base == &s.url {
                true => assert_eq!(direct, StatusCode::FORBIDDEN),
                false => assert_eq!(direct, StatusCode::UNAUTHORIZED),
            }
        }
    }
    let after = s.store_json(buckets).await;
    assert_eq!(after["buckets"][0]["id"], bucket_id.as_str());
    assert_eq!(
        after["buckets"][0]["retentionRules"],
        store_buckets["buckets"][0]["retentionRules"]
    );
    assert_eq!(s.telemetry_values().await, 3);
    assert_eq!(s.values_of("garage").await, 1);
}

#[tokio::test]
async fn who_may_write_no_token_a_guess_and_a_removed_device() {
    let s = start().await;
    let device = Device::new(&s, "dev-1").await;
    let bare = reqwest::Client::new()
        .post(format!(
            "{}/api/v2/write?org=iot-center&bucket=iot_center",
            s.url
        ))
        .body("environment f=1")
        .send()
        .await
        .unwrap();
    let (status, error) = answer(bare).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error["code"], "unauthorized");
    let guess = Device {
        token: "iotc_guess".into(),
        ..Device::new(&s, "dev-1").await
    };
    assert_eq!(
        guess.write("environment f=1").await.0,
        StatusCode::UNAUTHORIZED
    );
    // The admin's API token is not a device token.
    let admin = Device {
        token: s.token.clone(),
        ..Device::new(&s, "dev-1").await
    };
    assert_eq!(
        admin.write("environment f=1").await.0,
        StatusCode::UNAUTHORIZED
    );
    // Bearer works as Token does.
    let bearer = device
        .http
        .post(format!("{}&precision=s", device.url))
        .header("Authorization", format!("Bearer {}", device.token))
        .body("environment f=1")
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), StatusCode::NO_CONTENT);

    // Removed: the very next request is refused.
    let removed = s
        .client()
        .delete(format!("{}/api/devices/dev-1", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        device.write("environment f=2").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(s.telemetry_values().await, 1);
}

#[tokio::test]
async fn gzip_precision_and_bad_lines() {
    let s = start().await;
    let device = Device::new(&s, "dev-1").await;
    // gzip, as the client libraries send large batches.
    let lines: String = (0..1_000)
        .map(|i| format!("environment Temperature={i} {}\n", 1_700_000_000 + i))
        .collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, lines.as_bytes()).unwrap();
    let zipped = device
        .post("&precision=s", gz.finish().unwrap())
        .header("Content-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(zipped.status(), StatusCode::NO_CONTENT);
    assert_eq!(s.telemetry_values().await, 1_000);

    // Milliseconds land at their millisecond; a missing time is the time of receipt.
    let ms = device
        .post(
            "&precision=ms",
            "environment Pressure=1000 1700000000123\nenvironment Pressure=1001",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(ms.status(), StatusCode::NO_CONTENT);
    let rows = s
        .query_store("from(bucket: \"iot_center\") |> range(start: 0) |> filter(fn: (r) => r._field == \"Pressure\")")
        .await;
    assert_eq!(rows.len(), 2);
    assert!(rows[0].contains("2023-11-14T22:13:20.123Z"), "{rows:?}");
    let (status, error) = answer(
        device
            .post("&precision=h", "environment f=1")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("invalid precision"));

    // A bad line refuses the request, names the line, and writes nothing of it.
    let (status, error) = device
        .write("environment Temperature=1 1700000000\nenvironment Temperature=\nenvironment Temperature=3")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["code"], "invalid");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .starts_with("unable to parse 'environment Temperature='"),
        "{error}"
    );
    // A field's type conflicting with the stored one: InfluxDB's own refusal, passed on.
    let (status, error) = device
        .write("environment Temperature=\"warm\" 1700000001")
        .await;
    assert!(status.is_client_error(), "{status} {error}");
    assert_eq!(s.telemetry_values().await, 1_002);
}

#[tokio::test]
async fn every_bound_holds_at_its_limit_and_refuses_past_it() {
    let s = start_with(&[
        ("DEVICE_MAX_LINES", "100"),
        ("DEVICE_MAX_BYTES", "20000"),
        ("DEVICE_MAX_SERIES", "50"),
        ("DEVICE_MAX_FIELDS", "20"),
        ("DEVICE_POINTS_PER_SECOND", "10"),
        ("DEVICE_BURST", "400"),
    ])
    .await;
    let lines = |n: usize, from: usize| -> String {
        (from..from + n)
            .map(|i| format!("environment f=1 {}\n", 1_700_000_000 + i))
            .collect()
    };

    let d = Device::new(&s, "lines").await;
    assert_eq!(d.write(lines(100, 0)).await.0, StatusCode::NO_CONTENT);
    let (status, error) = d.write(lines(101, 100)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{error}");
    assert_eq!(error["code"], "request too large");

    let d = Device::new(&s, "bytes").await;
    // One line with a long string: the line bound stays out of the way.
    let long = |n: usize| {
        format!(
            "environment s=\"{}\"",
            "x".repeat(n - "environment s=\"\"".len())
        )
    };
    assert_eq!(d.write(long(20_000)).await.0, StatusCode::NO_CONTENT);
    assert_eq!(d.write(long(20_001)).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    // Past it once gunzipped, though small on the wire.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut gz, long(1_000_000).as_bytes()).unwrap();
    let bomb = d
        .post("&precision=s", gz.finish().unwrap())
        .header("Content-Encoding", "gzip");
    assert_eq!(
        bomb.send().await.unwrap().status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );

    let d = Device::new(&s, "series").await;
    let series = |from: usize, to: usize, time: usize| -> String {
        (from..to)
            .map(|i| format!("environment,junk=v{i} f=1 {time}\n"))
            .collect()
    };
    assert_eq!(d.write(series(0, 50, 1)).await.0, StatusCode::NO_CONTENT);
    let (status, error) = d.write(series(50, 51, 1)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("51 series; its limit is 50"),
        "{error}"
    );
    // Series it already has still take points.
    assert_eq!(d.write(series(10, 20, 2)).await.0, StatusCode::NO_CONTENT);

    let d = Device::new(&s, "fields").await;
    let fields = |n: usize| -> String {
        let set: Vec<String> = (0..n).map(|i| format!("f{i}=1")).collect();
        format!("environment {}", set.join(","))
    };
    assert_eq!(d.write(fields(20)).await.0, StatusCode::NO_CONTENT);
    assert_eq!(d.write(fields(21)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(d.write(fields(2_000)).await.0, StatusCode::FORBIDDEN);

    // 400 points at once, then 10 a second: the 401st waits, told for how long.
    let d = Device::new(&s, "rate").await;
    for batch in 0..4 {
        assert_eq!(
            d.write(lines(100, batch * 100)).await.0,
            StatusCode::NO_CONTENT
        );
    }
    let r = d.post("&precision=s", lines(10, 400)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    assert_eq!(d.write(lines(10, 400)).await.0, StatusCode::NO_CONTENT);

    // What was refused was never written: 100 + 1 + 50 + 10 + 1 + 410 lines' values.
    assert_eq!(s.telemetry_values().await, 100 + 1 + 50 + 10 + 20 + 410);
}

#[tokio::test]
async fn many_devices_writing_at_once_lose_nothing() {
    let s = start().await;
    let mut devices = Vec::new();
    for i in 0..40 {
        devices.push(std::sync::Arc::new(
            Device::new(&s, &format!("dev-{i}")).await,
        ));
    }
    let mut writes = tokio::task::JoinSet::new();
    for (i, device) in devices.iter().enumerate() {
        for n in 0..25 {
            let device = device.clone();
            writes.spawn(async move {
                let line = format!(
                    "environment Temperature={n} {}",
                    1_700_000_000 + i * 100 + n
                );
                device.write(line).await.0
            });
        }
    }
    let statuses = writes.join_all().await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::NO_CONTENT),
        "{statuses:?}"
    );
    assert_eq!(s.telemetry_values().await, 40 * 25);
}

#[tokio::test]
async fn ping_and_health_answer_as_influxdb_does() {
    let s = start().await;
    let ping = reqwest::get(format!("{}/ping", s.url)).await.unwrap();
    assert_eq!(ping.status(), StatusCode::NO_CONTENT);
    assert!(ping.headers().contains_key("x-influxdb-version"));
    let (status, health) = common::get(&format!("{}/health", s.url)).await;
    assert_eq!(status, 200);
    assert_eq!(
        (health["name"].as_str(), health["status"].as_str()),
        (Some("iot-center"), Some("pass"))
    );
}
