//! The whole request a user makes, under load: `iot-center` (this build) on a fresh embedded
//! store, 20 devices with a day of 1-minute data, then a fleet of 10,000 more. For each page
//! and the device config API: requests per second and latency percentiles at 16 concurrent
//! connections, the answer's size, and the server's resident memory.
//!
//! `cargo bench -p server --bench load` (about three minutes after the build).

use std::process::{Child, Command};
use std::time::{Duration, Instant};

const CONNECTIONS: usize = 16;
const RUN: Duration = Duration::from_secs(5);
const SECRET: &str = "bench-secret";

struct Server {
    url: String,
    child: Child,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    async fn start() -> Server {
        let bin = env!("CARGO_BIN_EXE_iot-center");
        let dir = tempfile::tempdir().unwrap();
        let token = Command::new(bin)
            .args(["--config", "/nonexistent.ini", "--data-dir"])
            .arg(dir.path())
            .args(["token", "add", "bench", "--role", "admin"])
            .output()
            .unwrap();
        let token = String::from_utf8(token.stdout).unwrap().trim().to_string();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(bin)
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args([
                "--tsdb-listen",
                "127.0.0.1:0",
                "--config",
                "/nonexistent.ini",
            ])
            .arg("--data-dir")
            .arg(dir.path())
            .env("DEVICE_PROVISIONING_SECRET", SECRET)
            .env("RUST_LOG", "warn")
            .spawn()
            .unwrap();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .pool_max_idle_per_host(CONNECTIONS)
            .build()
            .unwrap();
        let server = Server {
            url: format!("http://127.0.0.1:{port}"),
            child,
            http,
            _dir: dir,
        };
        for _ in 0..400 {
            if let Ok(r) = server
                .http
                .get(format!("{}/ready", server.url))
                .send()
                .await
            {
                if r.status() == 200 {
                    return server;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("iot-center did not get ready");
    }

    async fn call(&self, name: &str, form: &str) -> String {
        let _ = app::App;
        let path = leptos::server_fn::axum::server_fn_paths()
            .map(|(p, _)| p)
            .find(|p| {
                p.trim_start_matches("/api/")
                    .trim_end_matches(|c: char| c.is_ascii_digit())
                    == name
            })
            .unwrap();
        let r = self
            .http
            .post(format!("{}{path}", self.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_string())
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{name}: {}", r.status());
        r.text().await.unwrap()
    }

    /// Registers `ids` through the device API, 16 at a time: devices per second.
    async fn register(&self, ids: Vec<String>) -> f64 {
        let started = Instant::now();
        let n = ids.len();
        let queue = std::sync::Arc::new(std::sync::Mutex::new(ids));
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..CONNECTIONS {
            let (queue, http, url) = (queue.clone(), self.http.clone(), self.url.clone());
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

    fn resident_mb(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    }

    /// `GET path` from 16 connections for [`RUN`]: one result line.
    async fn load(&self, label: &str, path: &str) {
        let first = self
            .http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap();
        assert!(first.status().is_success(), "{path}: {}", first.status());
        let bytes = first.bytes().await.unwrap().len();
        let until = Instant::now() + RUN;
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..CONNECTIONS {
            let (http, url) = (self.http.clone(), format!("{}{path}", self.url));
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
        let at =
            |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
        let ms = |d: Duration| d.as_secs_f64() * 1_000.0;
        println!(
            "| {label} | {:.0} | {:.1} | {:.1} | {:.1} KB |",
            latencies.len() as f64 / RUN.as_secs_f64(),
            ms(at(0.5)),
            ms(at(0.99)),
            bytes as f64 / 1_000.0
        );
    }
}

async fn table(s: &Server, title: &str) {
    println!("\n{title}\n\n| request | req/s | p50 ms | p99 ms | answer |\n|---|---|---|---|---|");
    s.load("device list `/devices`", "/devices").await;
    s.load("device page, 1h", "/devices/dev-00?range=1h").await;
    s.load("device page, 1d", "/devices/dev-00?range=1d").await;
    s.load("overview `/`", "/").await;
    s.load("device config `/api/env/dev-00`", "/api/env/dev-00")
        .await;
    println!("\nserver resident memory: {:.0} MB", s.resident_mb());
}

#[tokio::main]
async fn main() {
    let s = Server::start().await;
    let devices: Vec<String> = (0..20).map(|n| format!("dev-{n:02}")).collect();
    s.register(devices.clone()).await;
    let selection: Vec<String> = devices
        .iter()
        .enumerate()
        .map(|(i, id)| format!("devices[{i}]={id}"))
        .collect();
    s.call("start_backfill", &format!("{}&days=1", selection.join("&")))
        .await;
    loop {
        let status = s.call("get_writer_status", "").await;
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
        let rate = s.register(ids).await;
        println!(
            "- devices {}–{}: {rate:.0} registrations/s",
            thousand * 1_000 + 1,
            (thousand + 1) * 1_000
        );
    }
    table(&s, "the same 20 devices in a fleet of 10,020").await;
}
