//! A first start where strangers can reach the store: it is onboarded on a loopback port of
//! its own before its public port is served, so a stranger racing to set it up never wins.

mod common;

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_posting_setup_in_a_loop_never_onboards_the_store() {
    let (port, store) = (common::free_port(), common::free_port());
    let dir = tempfile::tempdir().unwrap();
    let token = common::add_token(dir.path(), "admin", "admin");
    // The stranger starts before the server does, and keeps trying.
    let stop = Arc::new(AtomicBool::new(false));
    let (won, tried) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let stranger = tokio::spawn({
        let (stop, won, tried) = (stop.clone(), won.clone(), tried.clone());
        async move {
            let setup = serde_json::json!({"username": "evil", "password": "evil-password", "org": "evil", "bucket": "evil"});
            let http = reqwest::Client::new();
            while !stop.load(Ordering::Relaxed) {
                let url = format!("http://127.0.0.1:{store}/api/v2/setup");
                if let Ok(r) = http.post(url).json(&setup).send().await {
                    tried.fetch_add(1, Ordering::Relaxed);
                    if r.status().is_success() {
                        won.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }
    });
    let mut command = Command::new(env!("CARGO_BIN_EXE_iot-center"));
    command
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--tsdb-listen", &format!("0.0.0.0:{store}")])
        .args(["--config", "/nonexistent.ini", "--data-dir"])
        .arg(dir.path())
        .env_remove("INFLUX_URL");
    let s = common::Server::spawn(command, dir, token, port, "/ready").await;
    // Once it is ready the stranger has reached the store, and never set it up.
    while tried.load(Ordering::Relaxed) == 0 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::Relaxed);
    stranger.await.unwrap();
    assert_eq!(won.load(Ordering::Relaxed), 0);
    assert_eq!(s.call("register_device", "id=first-1").await.status(), 200);
}
