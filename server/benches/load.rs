//! The whole request a user makes, under load: `iot-center` (this build) on a fresh embedded
//! store, 20 devices with a day of 1-minute data, then a fleet of 10,000 more. For each page
//! and the device config API: requests per second and latency percentiles at 16 concurrent
//! connections, the answer's size, and the server's resident memory.
//!
//! Last, the same with five alert rules over every device (the pages show alerts).
//!
//! `cargo bench -p server --bench load` (about four minutes after the build).

// The tests' server: the real binary on a free port, with an admin token and a
// provisioning secret, stopped when dropped.
#[path = "../tests/common/mod.rs"]
mod common;

use common::{Server, SECRET};
use std::time::{Duration, Instant};

const CONNECTIONS: usize = 16;
const RUN: Duration = Duration::from_secs(5);

/// Registers `ids` through the device API, 16 at a time: devices per second.
async fn register(s: &Server, ids: Vec<String>) -> f64 {
    let started = Instant::now();
    let n = ids.len();
    let queue = std::sync::Arc::new(std::sync::Mutex::new(ids));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..CONNECTIONS {
        let (queue, http, url) = (queue.clone(), s.client(), s.url.clone());
        workers.spawn(async move {
            loop {
                let Some(id) = queue.lock().unwrap().pop() else {
                    return;
                };
                let r = http
                    .get(format!("{url}/api/env/{id}?secret={SECRET}"))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200, "registering {id}");
            }
        });
    }
    workers.join_all().await;
    n as f64 / started.elapsed().as_secs_f64()
}

/// The server's resident memory, and how much of it is its own (heap, stacks) and how much
/// mapped files (its 50-MB binary, shared libraries): "149 MB (anonymous 120, files 29)".
fn resident(s: &Server) -> String {
    let status = std::fs::read_to_string(format!("/proc/{}/status", s.pid())).unwrap_or_default();
    let mb = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    format!(
        "{:.0} MB (anonymous {:.0}, files {:.0})",
        mb("VmRSS:"),
        mb("RssAnon:"),
        mb("RssFile:")
    )
}

/// `GET path` from 16 connections for [`RUN`]: one result line.
async fn load(s: &Server, label: &str, path: &str) {
    let http = s.client();
    let first = http.get(format!("{}{path}", s.url)).send().await.unwrap();
    assert!(first.status().is_success(), "{path}: {}", first.status());
    let bytes = first.bytes().await.unwrap().len();
    let until = Instant::now() + RUN;
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..CONNECTIONS {
        let (http, url) = (http.clone(), format!("{}{path}", s.url));
        workers.spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < until {
                let started = Instant::now();
                let r = http.get(&url).send().await.unwrap();
                assert!(r.status().is_success());
                r.bytes().await.unwrap();
                latencies.push(started.elapsed());
            }
            latencies
        });
    }
    let mut latencies: Vec<Duration> = workers.join_all().await.into_iter().flatten().collect();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1_000.0;
    println!(
        "| {label} | {:.0} | {:.1} | {:.1} | {:.1} KB |",
        latencies.len() as f64 / RUN.as_secs_f64(),
        ms(at(0.5)),
        ms(at(0.99)),
        bytes as f64 / 1_000.0
    );
}

async fn table(s: &Server, title: &str) {
    println!("\n{title}\n\n| request | req/s | p50 ms | p99 ms | answer |\n|---|---|---|---|---|");
    load(s, "device list `/devices`", "/devices").await;
    load(s, "device page, 1h", "/devices/dev-00?range=1h").await;
    load(s, "device page, 1d", "/devices/dev-00?range=1d").await;
    load(s, "overview `/`", "/").await;
    load(s, "device config `/api/env/dev-00`", "/api/env/dev-00").await;
    println!("\nserver resident memory: {}", resident(s));
}

#[tokio::main]
async fn main() {
    let s = common::start_with(&[("RUST_LOG", "warn")]).await;
    let devices: Vec<String> = (0..20).map(|n| format!("dev-{n:02}")).collect();
    register(&s, devices.clone()).await;
    let selection: Vec<String> = devices
        .iter()
        .enumerate()
        .map(|(i, id)| format!("devices[{i}]={id}"))
        .collect();
    let started = s
        .call("start_backfill", &format!("{}&days=1", selection.join("&")))
        .await;
    assert!(started.status().is_success());
    loop {
        let status = s.call("get_writer_status", "").await.text().await.unwrap();
        if status.contains("\"backfill\":null") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    table(&s, "20 devices, a day of 1-minute data each").await;

    println!("\nregistering a fleet of 10,000 devices (16 at a time):\n");
    for thousand in 0..10 {
        let ids = (0..1_000)
            .map(|n| format!("fleet-{:05}", thousand * 1_000 + n))
            .collect();
        let rate = register(&s, ids).await;
        println!(
            "- devices {}–{}: {rate:.0} registrations/s",
            thousand * 1_000 + 1,
            (thousand + 1) * 1_000
        );
    }
    table(&s, "the same 20 devices in a fleet of 10,020").await;

    // What pages pay for showing alerts: five rules over every device, evaluated once.
    for field in ["Temperature", "Humidity", "Pressure", "CO2", "TVOC"] {
        let rule = serde_json::json!({"name": format!("{field} high"), "devices": "*",
            "kind": "threshold", "field": field, "op": ">", "value": 1e9});
        let (status, answer) = common::alerts::post(&s, "/api/alert-rules", rule).await;
        assert_eq!(status, 201, "adding a rule: {answer}");
    }
    tokio::time::sleep(Duration::from_secs(12)).await;
    table(&s, "the same, with 5 alert rules over all 10,020 devices").await;
}
