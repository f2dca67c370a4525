//! The CSV export through HTTP on the real binary: header, rows, the range, compression, and
//! clear errors for bad requests.

mod common;

use std::io::Read;

#[tokio::test]
async fn telemetry_downloads_as_csv_with_a_row_per_time() {
    let s = common::start().await;
    let http = reqwest::Client::new();
    let env = common::device_env(&s, "dev-1").await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // Three minutes of data, and one point outside the hour the export asks for.
    let lines: Vec<String> = [now - 7_200, now - 180, now - 120, now - 60]
        .iter()
        .enumerate()
        .map(|(i, t)| {
            format!(
                "environment,clientId=dev-1 Temperature={i}.5,CO2={}i {t}",
                400 + i
            )
        })
        .collect();
    let written = http
        .post(format!(
            "{}/api/v2/write?org={}&bucket={}&precision=s",
            env["influx_url"].as_str().unwrap(),
            env["influx_org"].as_str().unwrap(),
            env["influx_bucket"].as_str().unwrap()
        ))
        .header(
            "Authorization",
            format!("Token {}", env["influx_token"].as_str().unwrap()),
        )
        .body(lines.join("\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(written.status(), 204);

    // Compressed as a browser asks for it: the whole stream arrives.
    let response = s
        .client()
        .get(format!(
            "{}/export.csv?devices=dev-1&fields=Temperature,CO2&range=1h",
            s.url
        ))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert_eq!(response.headers()["content-encoding"], "gzip");
    let mut csv = String::new();
    flate2::read::GzDecoder::new(&response.bytes().await.unwrap()[..])
        .read_to_string(&mut csv)
        .unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "time,device,Temperature,CO2");
    assert_eq!(rows.len(), 4, "{csv}");
    assert!(rows[1].ends_with(",dev-1,1.5,401"), "{csv}");
    assert!(rows[3].ends_with(",dev-1,3.5,403"), "{csv}");

    // Bad requests say what is wrong.
    let too_many_devices = format!(
        "devices={}&fields=CO2",
        (0..=100)
            .map(|i| format!("d{i}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    for (query, reason) in [
        ("devices=&fields=CO2", "at least one device"),
        ("devices=dev-1&fields=", "at least one field"),
        ("devices=bad%20id&fields=CO2", "device id"),
        ("devices=dev-1&fields=CO2&range=2w", "unknown time range"),
        (
            "devices=dev-1&fields=CO2&range=custom&from=1500-01-01T00:00&to=2026-01-01T00:00",
            "between 1970 and 2262",
        ),
        (
            "devices=dev-1&fields=CO2&range=custom&from=-20000-01-01T00:00:00Z&to=2026-01-01T00:00",
            "is not a date and time",
        ),
        (&too_many_devices, "at most 100 devices"),
    ] {
        let r = s
            .client()
            .get(format!("{}/export.csv?{query}", s.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{query}");
        let body = r.text().await.unwrap();
        assert!(body.contains(reason), "{query}: {body}");
    }
}
