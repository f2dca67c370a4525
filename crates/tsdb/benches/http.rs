//! Benchmarks of tsdb over HTTP on loopback: `cargo bench -p tsdb --bench http`.
//! Prints one line per measurement; results go to BENCHMARKS.md by hand, with the machine.
//! `BATCHES=4` shrinks the ingest (default 400 batches) when profiling the queries.

use std::sync::Arc;
use std::time::{Duration, Instant};

const TOKEN: &str = "bench-token";
const MINUTE: i64 = 60_000_000_000;

struct Server {
    url: String,
    client: reqwest::Client,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn serve(dir: &std::path::Path) -> Server {
    let store = Arc::new(tsdb::storage::Store::open(dir).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(tsdb::serve(
        listener,
        store,
        tsdb::Config::default(),
        async {
            let _ = rx.await;
        },
    ));
    Server {
        url,
        client: reqwest::Client::new(),
        shutdown: Some(tx),
        task,
    }
}

impl Server {
    async fn write(&self, body: String) {
        let r = self
            .client
            .post(format!("{}/api/v2/write?org=o&bucket=b", self.url))
            .header("Authorization", format!("Token {TOKEN}"))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    }
    async fn query(&self, flux: &str) -> String {
        let r = self
            .client
            .post(format!("{}/api/v2/query?org=o", self.url))
            .header("Authorization", format!("Token {TOKEN}"))
            .header("Content-Type", "application/vnd.flux")
            .body(flux.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.text().await.unwrap()
    }
    async fn stop(mut self) {
        let _ = self.shutdown.take().map(|tx| tx.send(()));
        let _ = self.task.await;
    }
}

/// 5,000 lines × 5 fields of one device, one minute apart, starting at minute `first`.
fn batch(device: &str, first: i64, lines: i64, now: i64) -> String {
    let mut out = String::with_capacity(lines as usize * 140);
    for i in 0..lines {
        let t = now - (first + i) * MINUTE;
        let x = (first + i) as f64;
        out.push_str(&format!(
            "environment,clientId={device},TemperatureSensor=virtual Temperature={:.2},Humidity={:.2},Pressure={:.1},CO2={}i,TVOC={}i {t}\n",
            20.0 + (x / 100.0).sin() * 5.0,
            40.0 + (x / 70.0).cos() * 10.0,
            1000.0 + (x / 50.0).sin() * 8.0,
            400 + (i % 200),
            100 + (i % 50)
        ));
    }
    out
}

fn p50(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

async fn timed_queries(s: &Server, flux: &str, runs: usize) -> Duration {
    s.query(flux).await; // warm-up
    let mut samples = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        s.query(flux).await;
        samples.push(t.elapsed());
    }
    p50(samples)
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path()).await;
    let setup = serde_json::json!({"username": "bench", "password": "password", "org": "o", "bucket": "b", "token": TOKEN});
    s.client
        .post(format!("{}/api/v2/setup", s.url))
        .json(&setup)
        .send()
        .await
        .unwrap();
    let now = tsdb::storage::now_nanos() / MINUTE * MINUTE;

    // Ingest: 2 concurrent writers, 5,000 lines × 5 fields per request, 10M values in all.
    let batches: i64 = std::env::var("BATCHES").map_or(400, |b| b.parse().unwrap());
    let started = Instant::now();
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let (client, url) = (s.client.clone(), s.url.clone());
            tokio::spawn(async move {
                let writer = Server {
                    url,
                    client,
                    shutdown: None,
                    task: tokio::spawn(async { Ok(()) }),
                };
                for b in (w..batches).step_by(2) {
                    let device = format!("ingest-{}", b % 20);
                    writer
                        .write(batch(&device, (b / 20) * 5000, 5000, now))
                        .await;
                }
            })
        })
        .collect();
    for w in writers {
        w.await.unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    let values = batches as f64 * 5000.0 * 5.0;
    println!(
        "ingest: {values} field values in {secs:.2} s = {:.0} values/s",
        values / secs
    );

    // Device writes: one line of 5 fields per request, as a real device sends them, each
    // appended after the last (the newest block of each series is rewritten every time).
    let requests = 2_000;
    let started = Instant::now();
    for i in 0..requests {
        s.write(batch("single", requests - i, 1, now)).await;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "device writes: {requests} requests of 1 line × 5 fields in {secs:.2} s = {:.0} requests/s",
        requests as f64 / secs
    );

    // Dashboard: one device, 7 days at 1-minute resolution, 15-minute means, pivoted.
    s.write(batch("dash", 0, 5040, now)).await;
    s.write(batch("dash", 5040, 5040, now)).await;
    let dashboard = "from(bucket: \"b\") |> range(start: -7d) |> filter(fn: (r) => r._measurement == \"environment\" and r.clientId == \"dash\") |> aggregateWindow(every: 15m, fn: mean, createEmpty: false) |> pivot(rowKey: [\"_time\"], columnKey: [\"_field\"], valueColumn: \"_value\")";
    let rows = s.query(dashboard).await.lines().count();
    println!(
        "dashboard 7d/15m pivot ({rows} lines): p50 {:?}",
        timed_queries(&s, dashboard, 30).await
    );

    // last() per device over 1,000 devices.
    let mut body = String::new();
    for d in 0..1000 {
        body.push_str(&batch(&format!("fleet-{d:04}"), 0, 3, now));
    }
    s.write(body).await;
    let last = "from(bucket: \"b\") |> range(start: -1h) |> filter(fn: (r) => r._measurement == \"environment\" and r._field == \"Temperature\") |> last()";
    let tables = s.query(last).await.lines().count();
    println!(
        "last() over 1,000 devices ({tables} lines): p50 {:?}",
        timed_queries(&s, last, 20).await
    );
    s.stop().await;

    // Restart: open the store holding the 10M+ values and answer a first query.
    let started = Instant::now();
    let s = serve(dir.path()).await;
    s.query("from(bucket: \"b\") |> range(start: -1h) |> filter(fn: (r) => r.clientId == \"dash\") |> last()").await;
    println!(
        "restart with {:.1}M values: ready and first query answered in {:?}",
        (values + 100_800.0 + 15_000.0) / 1e6,
        started.elapsed()
    );
    s.stop().await;
}
