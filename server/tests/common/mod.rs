//! The real `iot-center` binary on a free port with its embedded store, for tests that talk
//! HTTP to it.

// Each test binary uses its own part of this module.
#![allow(dead_code)]

use std::process::{Child, Command};
use std::time::Duration;

pub struct Server {
    pub url: String,
    child: Child,
    pub _dir: tempfile::TempDir,
}
impl Server {
    /// Stops the server and hands back its data directory.
    pub fn stop(mut self) -> tempfile::TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::mem::replace(&mut self._dir, tempfile::tempdir().unwrap())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn start() -> Server {
    start_in(tempfile::tempdir().unwrap()).await
}

pub async fn start_in(dir: tempfile::TempDir) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_iot-center"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--tsdb-listen",
            "127.0.0.1:0",
            "--config",
            "/nonexistent.ini",
            "--data-dir",
        ])
        .arg(dir.path())
        .env_remove("INFLUX_URL")
        .spawn()
        .unwrap();
    // Built before it is ready, so a failed start still kills the process.
    let server = Server {
        url: format!("http://127.0.0.1:{port}"),
        child,
        _dir: dir,
    };
    for _ in 0..200 {
        if reqwest::get(format!("{}/api/health", server.url))
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("iot-center did not start");
}

/// What `GET /api/env/{id}` gives a device (registering it if needed).
pub async fn device_env(server: &Server, id: &str) -> serde_json::Value {
    reqwest::get(format!("{}/api/env/{id}", server.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}
