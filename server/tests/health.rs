//! `/health` and `/ready` while InfluxDB (a `tsdb` in this test's process, reached over HTTP)
//! goes away and comes back: both report it, the metrics wait in their buffer, and
//! everything recovers by itself.

mod common;

use common::{get, get_as, wait_for, wait_for_as};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
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

#[tokio::test]
async fn health_and_readiness_follow_influxdb_away_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let addr: SocketAddr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let influx = serve(dir.path(), addr).await;
    common::onboard(&format!("http://{addr}")).await;

    let server =
        common::remote_server(&format!("http://{addr}"), common::OPERATOR_TOKEN, &[]).await;
    let app = server.url.clone();
    // It connects in the background, soon after it listens.
    wait_for(&format!("{app}/ready"), 15, |s, _| s == 200).await;

    // Healthy: InfluxDB passes, with its version and latency; ready.
    let (status, health) = get_as(&format!("{app}/health"), &server.token).await;
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
    // A stranger learns pass or fail, not where InfluxDB is or what it runs.
    let (status, summary) = get(&format!("{app}/health")).await;
    assert_eq!(status, 200);
    assert_eq!(
        summary,
        json!({"name": "iot-center", "message": "ready for writes", "status": "pass"})
    );
    assert_eq!(
        get(&format!("{app}/ready")).await,
        (200, json!({"status": "ready"}))
    );

    // InfluxDB goes away.
    let _ = influx.stop.send(());
    influx.task.await.unwrap().unwrap();
    let (status, health) = get_as(&format!("{app}/health"), &server.token).await;
    assert_eq!(status, 503, "{health}");
    assert_eq!(health["status"], "fail");
    assert_eq!(health["checks"][0]["status"], "fail");
    let (status, summary) = get(&format!("{app}/health")).await;
    assert_eq!(status, 503);
    assert!(
        !summary.to_string().contains(&addr.port().to_string()),
        "{summary}"
    );
    assert_eq!(summary["status"], "fail");
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
    let (_, health) = wait_for_as(&format!("{app}/health"), Some(&server.token), 15, |_, h| {
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
    wait_for_as(&format!("{app}/health"), Some(&server.token), 10, |s, _| {
        s == 200
    })
    .await;
    assert_eq!(get(&format!("{app}/ready")).await.0, 200);
    // The waiting metrics are delivered at the next flush.
    wait_for_as(&format!("{app}/health"), Some(&server.token), 15, |_, h| {
        h["metrics"]["buffered_points"] == 0 && h["metrics"]["last_error"].is_null()
    })
    .await;

    let _ = influx.stop.send(());
}

#[tokio::test]
async fn starts_without_influxdb_and_turns_ready_when_it_comes() {
    let dir = tempfile::tempdir().unwrap();
    let addr: SocketAddr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let started = std::time::Instant::now();
    let s = common::remote_server(&format!("http://{addr}"), common::OPERATOR_TOKEN, &[]).await;
    // Listening at once, not ready, saying why; pages and the device API say so too.
    let (status, ready) = get(&format!("{}/ready", s.url)).await;
    let answered = started.elapsed();
    assert_eq!(status, 503, "{ready}");
    assert_eq!(ready["status"], "not ready");
    println!(
        "not ready, with a reason, {} ms after the start",
        answered.as_millis()
    );
    let reason = common::not_ready_because(&s, "cannot reach InfluxDB").await;
    assert!(reason.contains(&addr.to_string()), "{reason}");
    let env = reqwest::get(format!("{}/api/env/dev-1", s.url))
        .await
        .unwrap();
    assert_eq!(env.status(), 503);
    let list = s.call("find_devices", "query[page]=0").await;
    assert_eq!(list.status(), 503);
    assert!(list.text().await.unwrap().contains("cannot reach InfluxDB"));

    // InfluxDB comes: ready without a restart.
    let influx = serve(dir.path(), addr).await;
    common::onboard(&format!("http://{addr}")).await;
    let came = std::time::Instant::now();
    wait_for(&format!("{}/ready", s.url), 15, |status, _| status == 200).await;
    println!(
        "ready {} ms after InfluxDB came",
        came.elapsed().as_millis()
    );
    assert_eq!(s.call("find_devices", "query[page]=0").await.status(), 200);
    let _ = influx.stop.send(());
}
