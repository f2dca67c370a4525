//! Stopping on SIGTERM while a virtual device writes: exit code 0, and the metrics the
//! server held are in InfluxDB.

mod common;

use common::{device_env, start, start_in};
use serde_json::Value;
use std::time::Duration;

#[tokio::test]
async fn sigterm_during_a_continuous_write_stops_cleanly_and_writes_the_metrics() {
    let mut s = start().await;
    device_env(&s, "writer-1").await;
    let writing = s
        .call("start_writer", "devices[0]=writer-1&interval_seconds=1")
        .await;
    assert_eq!(writing.status(), 200);
    // Some requests for the metrics to count, and the writer at work.
    for _ in 0..5 {
        assert_eq!(s.call("get_writer_status", "").await.status(), 200);
    }
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let code = s.terminate(30);
    assert_eq!(code, Some(0));

    // The metrics flush every 10 s and the server ran less: what is there was written at
    // the stop. Read at once after a restart, before the new process flushes its own.
    let s = start_in(s.stop()).await;
    let metrics: Value = s.call_json("app_metrics", "window[range]=1h").await;
    let requests = metrics
        .as_array()
        .unwrap()
        .iter()
        .find(|series| series["field"] == "requests")
        .unwrap_or_else(|| panic!("no requests in {metrics}"));
    let counted: f64 = requests["points"]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .sum();
    assert!(counted >= 7.0, "{requests}");
    let written = metrics
        .as_array()
        .unwrap()
        .iter()
        .find(|series| series["field"] == "virtual_points_per_s");
    assert!(written.is_some(), "{metrics}");
}
