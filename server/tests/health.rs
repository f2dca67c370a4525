//! `/health` and `/ready` while InfluxDB (a `tsdb` in this test's process, reached over HTTP)
//! goes away and comes back: both report it, the metrics wait in their buffer, and
//! everything recovers by itself.

mod common;

use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running store; dropping the sender stops it.
struct Influx {
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

async fn serve(dir: &std::path::Path, addr: SocketAddr) -> Influx {
    let store = Arc::new(tsdb::storage::Store::open(dir).unwrap());
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(tsdb::serve(
        listener,
        store,
        tsdb::Config::default(),
        async {
            let _ = stopped.await;
        },
    ));
    Influx { stop, task }
}

async fn get(url: &str) -> (u16, Value) {
    let r = reqwest::get(url).await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// Polls `url` until `done` holds for its answer, for at most `secs` seconds.
async fn wait_for(url: &str, secs: u64, done: impl Fn(u16, &Value) -> bool) -> (u16, Value) {
    let mut last = (0, Value::Null);
    for _ in 0..secs * 4 {
        last = get(url).await;
        if done(last.0, &last.1) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("{url} did not get there in {secs} s; last answer {last:?}");
}

#[tokio::test]
async fn health_and_readiness_follow_influxdb_away_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let addr: SocketAddr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let influx = serve(dir.path(), addr).await;
    common::onboard(&format!("http://{addr}")).await;

    let port = common::free_port();
    let mut child =
        common::remote_iot_center(&format!("http://{addr}"), common::OPERATOR_TOKEN, port)
            .spawn()
            .unwrap();
    let app = format!("http://127.0.0.1:{port}");
    for _ in 0..200 {
        if reqwest::get(format!("{app}/ready")).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Healthy: InfluxDB passes, with its version and latency; ready.
    let (status, health) = get(&format!("{app}/health")).await;
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["status"], "pass");
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
    assert!(health["uptime_seconds"].is_u64());
    let check = &health["checks"][0];
    assert_eq!(check["name"], "influxdb");
    assert_eq!(check["status"], "pass");
    assert!(
        check["version"].as_str().unwrap().starts_with("v2."),
        "{check}"
    );
    assert!(check["latency_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(
        get(&format!("{app}/ready")).await,
        (200, json!({"status": "ready"}))
    );

    // InfluxDB goes away.
    let _ = influx.stop.send(());
    influx.task.await.unwrap().unwrap();
    let (status, health) = get(&format!("{app}/health")).await;
    assert_eq!(status, 503, "{health}");
    assert_eq!(health["status"], "fail");
    assert_eq!(health["checks"][0]["status"], "fail");
    assert!(
        health["checks"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&addr.to_string()),
        "{health}"
    );
    let (status, ready) = get(&format!("{app}/ready")).await;
    assert_eq!(status, 503);
    assert_eq!(ready["status"], "not ready");
    assert!(!ready["reason"].as_str().unwrap().is_empty());
    // The metrics of the next 10-second window cannot be written: they wait, none dropped.
    let (_, health) = wait_for(&format!("{app}/health"), 15, |_, h| {
        h["metrics"]["last_error"].is_string()
    })
    .await;
    assert!(
        health["metrics"]["buffered_points"].as_u64().unwrap() > 0,
        "{health}"
    );
    assert_eq!(health["metrics"]["dropped_points"], 0);

    // InfluxDB comes back on the same address with the same data: everything recovers.
    let influx = serve(dir.path(), addr).await;
    wait_for(&format!("{app}/health"), 10, |s, _| s == 200).await;
    assert_eq!(get(&format!("{app}/ready")).await.0, 200);
    // The waiting metrics are delivered at the next flush.
    wait_for(&format!("{app}/health"), 15, |_, h| {
        h["metrics"]["buffered_points"] == 0 && h["metrics"]["last_error"].is_null()
    })
    .await;

    let _ = child.kill();
    let _ = child.wait();
    let _ = influx.stop.send(());
}
