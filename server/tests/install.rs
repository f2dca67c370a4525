//! An install: the binary started from any directory (no Leptos.toml there) serves its
//! pages, and the site from `--site-root` or from `site/` beside the binary.

mod common;

use common::{add_token, free_port, Server};
use std::process::Command;

/// A server started in `cwd`, an empty directory, with `args`.
async fn start_in_empty_dir(cwd: &std::path::Path, args: &[&str]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let token = add_token(dir.path(), "install", "admin");
    let mut command = Command::new(env!("CARGO_BIN_EXE_iot-center"));
    command
        .current_dir(cwd)
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--tsdb-listen",
            "127.0.0.1:0",
        ])
        .args(["--config", "/nonexistent.ini", "--data-dir"])
        .arg(dir.path())
        .args(args)
        .env("MQTT_LISTEN", "off");
    Server::spawn(command, dir, token, port, "/ready").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn started_from_an_empty_directory_it_serves_pages_and_the_named_site() {
    let cwd = tempfile::tempdir().unwrap();
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir(site.path().join("pkg")).unwrap();
    std::fs::write(site.path().join("pkg/iot-center.js"), "// the app\n").unwrap();
    let root = site.path().to_str().unwrap();
    let s = start_in_empty_dir(cwd.path(), &["--site-root", root]).await;
    let client = s.client();
    let page = client
        .get(format!("{}/devices", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("/pkg/iot-center.js"),
        "the page loads the site's script"
    );
    let script = client
        .get(format!("{}/pkg/iot-center.js", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), 200);
    assert_eq!(script.text().await.unwrap(), "// the app\n");
    assert!(
        std::fs::read_dir(cwd.path()).unwrap().next().is_none(),
        "nothing written where it was started"
    );
}

#[test]
fn it_says_its_version() {
    let out = Command::new(env!("CARGO_BIN_EXE_iot-center"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("iot-center {}", env!("CARGO_PKG_VERSION"))
    );
}
