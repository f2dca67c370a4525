//! The device gateway under load (issue #25), in one run on one fresh server:
//! 1. 5,000-line batches (5 fields a line) from 16 connections, through the gateway with 16
//!    devices' tokens, beside the same batches straight to the embedded store with the
//!    operator token: values per second, and the ratio;
//! 2. a fleet of 10,000 devices each sending one point every 10 s — 1,000 requests/s, open
//!    loop, each latency taken from when its request was due — with p50/p99, points
//!    acknowledged against points stored (none may be lost), and the server's memory.
//!
//! `cargo bench -p server --bench gateway` (about two minutes after the build).

// The tests' server: the real binary on a free port, with an admin token and a
// provisioning secret, stopped when dropped.
#[path = "../tests/common/mod.rs"]
mod common;
mod fleet_support;

use common::Server;
use fleet_support::{register, resident_mb};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CONNECTIONS: usize = 16;
const BATCH: usize = 5_000;
const FIELDS: usize = 5;
const RUN: Duration = Duration::from_secs(10);
const FLEET: usize = 10_000;
const FLEET_RATE: u64 = 1_000;
const FLEET_RUN: Duration = Duration::from_secs(30);

/// One batch of `device`'s lines, the `seq`-th: times that never repeat.
fn batch(device: &str, seq: u64) -> String {
    let base = 1_700_000_000_000_000_000i64 + (seq * BATCH as u64) as i64;
    (0..BATCH as i64)
        .map(|i| {
            format!(
                "environment,clientId={device} Temperature={}.5,Humidity=40.1,Pressure=1013.2,CO2={}i,TVOC=120i {}\n",
                20 + i % 5,
                400 + i % 100,
                base + i
            )
        })
        .collect()
}

/// 16 connections posting batches to `url` for [`RUN`], connection `c` as `tokens[c]` for
/// device `devices[c]`: values per second.
async fn ingest(url: String, devices: Vec<String>, tokens: Vec<String>) -> f64 {
    let http = reqwest::Client::new();
    let until = Instant::now() + RUN;
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for (device, token) in devices.into_iter().zip(tokens) {
        let (http, url) = (http.clone(), url.clone());
        workers.spawn(async move {
            let mut batches = 0u64;
            while Instant::now() < until {
                let r = http
                    .post(&url)
                    .header("Authorization", format!("Token {token}"))
                    .body(batch(&device, batches))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
                batches += 1;
            }
            batches
        });
    }
    let batches: u64 = workers.join_all().await.into_iter().sum();
    (batches * (BATCH * FIELDS) as u64) as f64 / started.elapsed().as_secs_f64()
}

/// The fleet's points are stamped from this second on (2020-09-13), the batches' in 2023.
const FLEET_EPOCH: u64 = 1_600_000_000;

/// How many of the fleet's points (their `Temperature` values) the store holds.
async fn stored(s: &Server) -> u64 {
    let flux = "from(bucket: \"iot_center\") |> range(start: 2020-09-13T00:00:00Z, stop: 2020-09-20T00:00:00Z) |> filter(fn: (r) => r._field == \"Temperature\") |> group() |> count()";
    let rows = s.query_store(flux).await;
    rows.iter()
        .filter_map(|row| row.rsplit(',').next()?.trim().parse::<u64>().ok())
        .sum()
}

/// The fleet's load: a request every millisecond, device after device.
async fn fleet(s: &Server, ids: Arc<Vec<String>>, tokens: Arc<Vec<String>>) {
    let url = format!(
        "{}/api/v2/write?org=iot-center&bucket=iot_center&precision=s",
        s.url
    );
    let http = reqwest::Client::new();
    let requests = FLEET_RATE * FLEET_RUN.as_secs();
    let every = Duration::from_secs(1) / FLEET_RATE as u32;
    let started = tokio::time::Instant::now();
    let mut tick = tokio::time::interval(every);
    let mut sent = tokio::task::JoinSet::new();
    let mut memory = Vec::new();
    for n in 0..requests {
        let due = tick.tick().await;
        if n % FLEET_RATE == 0 {
            memory.push(resident_mb(s));
        }
        let device = n as usize % ids.len();
        let (http, url, ids, tokens) = (http.clone(), url.clone(), ids.clone(), tokens.clone());
        sent.spawn(async move {
            let id = &ids[device];
            let body = format!(
                "environment,clientId={id} Temperature=21.5,Humidity=40.1,Pressure=1013.2,CO2=512i,TVOC=120i {}",
                FLEET_EPOCH + n
            );
            let r = http
                .post(&url)
                .header("Authorization", format!("Token {}", tokens[device]))
                .body(body)
                .send()
                .await;
            let ok = r.is_ok_and(|r| r.status() == 204);
            (ok, due.elapsed())
        });
    }
    let results = sent.join_all().await;
    let elapsed = started.elapsed();
    let acknowledged = results.iter().filter(|(ok, _)| *ok).count() as u64;
    let mut latencies: Vec<Duration> = results.iter().map(|(_, l)| *l).collect();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1_000.0;
    let in_store = stored(s).await;
    let peak = memory.iter().cloned().fold(f64::NAN, f64::max);
    println!(
        "| {} devices, a point each every 10 s | {:.0} req/s offered, {:.0} done | p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms | {acknowledged} of {requests} acknowledged, {in_store} stored | RSS {:.0} → {:.0} MB (peak {peak:.0}) |",
        ids.len(),
        FLEET_RATE,
        requests as f64 / elapsed.as_secs_f64(),
        ms(at(0.5)),
        ms(at(0.99)),
        ms(*latencies.last().unwrap()),
        memory.first().copied().unwrap_or(f64::NAN),
        resident_mb(s),
    );
}

#[tokio::main]
async fn main() {
    let s = common::start_with(&[
        ("RUST_LOG", "warn"),
        // One device here writes what a thousand would: its rate bound is raised for this.
        ("DEVICE_POINTS_PER_SECOND", "100000000"),
        ("DEVICE_BURST", "100000000"),
    ])
    .await;
    let gateway_devices: Vec<String> = (0..CONNECTIONS).map(|c| format!("gw-{c:02}")).collect();
    let gateway_tokens = register(&s, &gateway_devices).await;
    let direct_devices: Vec<String> = (0..CONNECTIONS).map(|c| format!("direct-{c:02}")).collect();
    let operator = s.operator();
    let operator = operator.strip_prefix("Token ").unwrap().to_string();
    println!("| run | straight to the store | through the gateway | gateway / store |\n|---|---|---|---|");
    for run in 1..=2 {
        let direct = ingest(
            format!(
                "{}/api/v2/write?org=iot-center&bucket=iot_center&precision=ns",
                s.store
            ),
            direct_devices.clone(),
            vec![operator.clone(); CONNECTIONS],
        )
        .await;
        let gateway = ingest(
            format!(
                "{}/api/v2/write?org=iot-center&bucket=iot_center&precision=ns",
                s.url
            ),
            gateway_devices.clone(),
            gateway_tokens.clone(),
        )
        .await;
        println!(
            "| {run} | {direct:.0} values/s | {gateway:.0} values/s | {:.2} |",
            gateway / direct
        );
    }
    println!(
        "\nserver resident memory after ingest: {:.0} MB",
        resident_mb(&s)
    );

    let ids: Vec<String> = (0..FLEET).map(|n| format!("fleet-{n:05}")).collect();
    let registering = Instant::now();
    let tokens = register(&s, &ids).await;
    println!(
        "\nregistered {FLEET} devices in {:.1} s\n",
        registering.elapsed().as_secs_f64()
    );
    println!(
        "| load | rate | latency (from when due) | points | server memory |\n|---|---|---|---|---|"
    );
    fleet(&s, Arc::new(ids), Arc::new(tokens)).await;
}
