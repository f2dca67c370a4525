//! Peak memory of queries over 10M points: `cargo bench -p tsdb --bench query_memory`.
//! Runs the `tsdb` binary as a child process, loads 1,000 series of 10,000 points over HTTP,
//! then for each query resets the child's peak (`/proc/<pid>/clear_refs`), streams the whole
//! answer away and reads `VmHWM` against the resident size before the query.

use std::process::{Child, Command};
use std::time::Instant;

const TOKEN: &str = "bench-token";
const SERIES: usize = 1_000;
const POINTS: usize = 10_000;

fn status_kib(pid: u32, key: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// The `tsdb` child, stopped however the bench ends.
struct Store(Child);

impl Drop for Store {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `tsdb` on a free port; returns it and its URL once it answers.
async fn start(dir: &std::path::Path) -> (Store, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Store(
        Command::new(env!("CARGO_BIN_EXE_tsdb"))
            .args(["--http-bind-address", &format!("127.0.0.1:{port}")])
            .arg("--data-dir")
            .arg(dir)
            .env("RUST_LOG", "warn")
            .spawn()
            .unwrap(),
    );
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if reqwest::get(format!("{url}/health")).await.is_ok() {
            return (child, url);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("tsdb did not start");
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let (store, url) = start(dir.path()).await;
    let pid = store.0.id();
    let client = reqwest::Client::new();
    let setup = serde_json::json!({"username": "bench", "password": "password", "org": "o", "bucket": "b", "token": TOKEN});
    client
        .post(format!("{url}/api/v2/setup"))
        .json(&setup)
        .send()
        .await
        .unwrap();

    let started = Instant::now();
    for first in (0..SERIES).step_by(20) {
        let mut body = String::with_capacity(20 * POINTS * 40);
        for s in first..first + 20 {
            for t in 0..POINTS {
                body.push_str(&format!(
                    "m,host=h{s:04} v={}.5 {}\n",
                    t % 1000,
                    1_000_000 + t * 60
                ));
            }
        }
        let r = client
            .post(format!("{url}/api/v2/write?org=o&bucket=b&precision=s"))
            .header("Authorization", format!("Token {TOKEN}"))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }
    println!(
        "loaded {} points in {:.1} s, in requests of 200,000 lines; peak resident {:.1} MB",
        SERIES * POINTS,
        started.elapsed().as_secs_f64(),
        status_kib(pid, "VmHWM:") as f64 / 1024.0
    );

    // The points span 1970-01-12T13:46:40Z plus a week, a minute apart.
    let all =
        "from(bucket: \"b\") |> range(start: 1970-01-12T00:00:00Z, stop: 1970-01-20T00:00:00Z)";
    for (name, flux) in [
        ("every point, raw", all.to_string()),
        ("mean() per series", format!("{all} |> mean()")),
        (
            "aggregateWindow(1h, mean)",
            format!("{all} |> aggregateWindow(every: 1h, fn: mean)"),
        ),
    ] {
        std::fs::write(format!("/proc/{pid}/clear_refs"), "5").unwrap();
        let idle = status_kib(pid, "VmRSS:");
        let started = Instant::now();
        let mut r = client
            .post(format!("{url}/api/v2/query?org=o"))
            .header("Authorization", format!("Token {TOKEN}"))
            .header("Content-Type", "application/vnd.flux")
            .body(flux)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let mut bytes = 0usize;
        while let Some(chunk) = r.chunk().await.unwrap() {
            bytes += chunk.len();
        }
        let peak = status_kib(pid, "VmHWM:");
        println!(
            "{name}: {:.1} MB of CSV in {:.2} s; peak {:.1} MB above idle ({:.1} MB resident before)",
            bytes as f64 / 1e6,
            started.elapsed().as_secs_f64(),
            (peak.saturating_sub(idle)) as f64 / 1024.0,
            idle as f64 / 1024.0
        );
    }
}
