//! Devices over MQTT (issue #27), in one run on one fresh server, with rumqttc clients:
//! 1. 1,000 devices, each publishing one point a second at QoS 1 for 20 s: points stored
//!    against published, and p50/p99 from publish to PUBACK (which comes once InfluxDB has
//!    the point), with the server's memory;
//! 2. one device publishing as fast as its QoS 1 window allows for 10 s: points per second;
//! 3. from publish to a watching browser's stream (`GET /api/live/{id}`): p50/p99 of 200.
//!
//! `cargo bench -p server --bench mqtt` (about a minute after the build).

#[path = "../tests/common/mod.rs"]
mod common;
mod fleet_support;

use common::{free_port, Server};
use fleet_support::{register, resident_mb};
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, QoS};
use std::time::{Duration, Instant};

const FLEET: usize = 1_000;
const FLEET_RUN: u64 = 20;
const FAST_RUN: Duration = Duration::from_secs(10);
const TO_BROWSER: usize = 200;

/// A connected client of device `id`.
async fn connect(port: u16, id: &str, token: &str) -> (AsyncClient, EventLoop) {
    let mut options = MqttOptions::new(id, "127.0.0.1", port);
    options.set_credentials(id, token);
    options.set_keep_alive(Duration::from_secs(30));
    let (client, mut events) = AsyncClient::new(options, 128);
    loop {
        match events.poll().await.expect("connects") {
            Event::Incoming(Packet::ConnAck(_)) => return (client, events),
            _ => continue,
        }
    }
}

/// Publishes `line` and waits for its PUBACK: the time between.
async fn publish_acked(client: &AsyncClient, events: &mut EventLoop, line: String) -> Duration {
    let sent = Instant::now();
    client
        .publish("iot_center", QoS::AtLeastOnce, false, line)
        .await
        .unwrap();
    loop {
        if let Event::Incoming(Packet::PubAck(_)) = events.poll().await.expect("stays connected") {
            return sent.elapsed();
        }
    }
}

fn quantile(sorted: &[Duration], q: f64) -> f64 {
    let at = ((sorted.len() as f64 * q) as usize).min(sorted.len() - 1);
    sorted[at].as_secs_f64() * 1_000.0
}

/// How many `Temperature` values of devices named `prefix…` the store holds.
async fn stored(s: &Server, prefix: &str) -> u64 {
    let flux = format!("from(bucket: \"iot_center\") |> range(start: 0) |> filter(fn: (r) => r._field == \"Temperature\" and r.clientId =~ /^{prefix}/) |> group() |> count()");
    let rows = s.query_store(&flux).await;
    rows.iter()
        .filter_map(|row| row.rsplit(',').next()?.trim().parse::<u64>().ok())
        .sum()
}

async fn fleet(s: &Server, port: u16) {
    let ids: Vec<String> = (0..FLEET).map(|n| format!("mq-{n:04}")).collect();
    let tokens = register(s, &ids).await;
    let before = resident_mb(s);
    let start = tokio::time::Instant::now() + Duration::from_secs(2);
    let mut devices = tokio::task::JoinSet::new();
    for (n, (id, token)) in ids.into_iter().zip(tokens).enumerate() {
        devices.spawn(async move {
            let (client, mut events) = connect(port, &id, &token).await;
            // Spread over the second, as a fleet's clocks are.
            let first = start + Duration::from_micros((n * 1_000_000 / FLEET) as u64);
            let mut latencies = Vec::new();
            for second in 0..FLEET_RUN {
                tokio::time::sleep_until(first + Duration::from_secs(second)).await;
                let t = 1_600_000_000 + second;
                let line = format!("environment,clientId={id} Temperature=21.5,Humidity=40.1 {t}");
                latencies.push(publish_acked(&client, &mut events, line).await);
            }
            latencies
        });
    }
    let mut peak = before;
    let mut latencies = Vec::new();
    let watch = async {
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            peak = peak.max(resident_mb(s));
        }
    };
    tokio::select! {
        done = devices.join_all() => latencies = done.into_iter().flatten().collect(),
        _ = watch => {}
    }
    latencies.sort();
    let published = latencies.len();
    println!(
        "| {FLEET} devices, one point a second each, QoS 1 | {published} published, {} stored | publish → PUBACK p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms | RSS {before:.0} → {:.0} MB (peak {peak:.0}) |",
        stored(s, "mq-").await,
        quantile(&latencies, 0.5),
        quantile(&latencies, 0.99),
        quantile(&latencies, 1.0),
        resident_mb(s),
    );
}

async fn fast(s: &Server, port: u16) {
    let id = "mq-fast".to_string();
    let token = register(s, std::slice::from_ref(&id)).await.remove(0);
    let (client, mut events) = connect(port, &id, &token).await;
    let until = Instant::now() + FAST_RUN;
    let started = Instant::now();
    let sender = tokio::spawn(async move {
        let mut n = 0u64;
        while Instant::now() < until {
            let line = format!(
                "environment,clientId=mq-fast Temperature=21.5 {}",
                1_600_000_000_000_000_000u64 + n
            );
            client
                .publish("iot_center", QoS::AtLeastOnce, false, line)
                .await
                .unwrap();
            n += 1;
        }
        n
    });
    let mut acked = 0u64;
    while Instant::now() < until + Duration::from_secs(5) {
        match tokio::time::timeout(Duration::from_secs(1), events.poll()).await {
            Ok(Ok(Event::Incoming(Packet::PubAck(_)))) => acked += 1,
            Ok(Ok(_)) => {}
            _ if sender.is_finished() => break,
            _ => {}
        }
    }
    let published = sender.await.unwrap();
    println!(
        "| one device as fast as it can, QoS 1 | {published} published, {acked} acknowledged in {:.1} s | {:.0} points/s acknowledged | {} stored |",
        started.elapsed().as_secs_f64(),
        acked as f64 / FAST_RUN.as_secs_f64(),
        stored(s, "mq-fast").await,
    );
}

async fn to_browser(s: &Server, port: u16) {
    let id = "mq-watched".to_string();
    let token = register(s, std::slice::from_ref(&id)).await.remove(0);
    let (client, mut events) = connect(port, &id, &token).await;
    let mut stream = s
        .client()
        .get(format!("{}/api/live/{id}", s.url))
        .send()
        .await
        .unwrap();
    let mut latencies = Vec::new();
    for n in 0..TO_BROWSER {
        let line = format!(
            "environment,clientId={id} Temperature={n} {}",
            1_600_000_000 + n
        );
        let sent = Instant::now();
        client
            .publish("iot_center", QoS::AtMostOnce, false, line)
            .await
            .unwrap();
        let needle = format!(" {n} Temperature");
        let mut text = String::new();
        while !text.contains(&needle) {
            tokio::select! {
                chunk = stream.chunk() => text.push_str(&String::from_utf8_lossy(&chunk.unwrap().unwrap())),
                polled = events.poll() => { polled.unwrap(); }
            }
        }
        latencies.push(sent.elapsed());
    }
    latencies.sort();
    println!(
        "| publish → a watching browser's stream (QoS 0, {TO_BROWSER} points) | p50 {:.1} ms, p99 {:.1} ms |",
        quantile(&latencies, 0.5),
        quantile(&latencies, 0.99),
    );
}

#[tokio::main]
async fn main() {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let s = common::start_with(&[
        ("RUST_LOG", "warn"),
        ("MQTT_LISTEN", &listen),
        ("DEVICE_POINTS_PER_SECOND", "100000000"),
        ("DEVICE_BURST", "100000000"),
    ])
    .await;
    println!("| load | points | latency | memory |\n|---|---|---|---|");
    fleet(&s, port).await;
    fast(&s, port).await;
    to_browser(&s, port).await;
    let (_, health) = common::get_as(&format!("{}/health", s.url), &s.token).await;
    println!("\ngateway since the start: {}", health["gateway"]);
}
