//! The `tsdb` binary serving HTTPS with influxd's `--tls-cert` and `--tls-key`.

use std::process::{Command, Stdio};
use std::time::Duration;

#[tokio::test]
async fn serves_https_with_a_certificate_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let issued = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, issued.cert.pem()).unwrap();
    std::fs::write(&key, issued.key_pair.serialize_pem()).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let tsdb = |extra: &[&std::path::Path]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_tsdb"));
        c.args([
            "--http-bind-address",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(dir.path().join("data"))
        .args(extra)
        .stderr(Stdio::piped());
        c
    };
    // Both files or neither.
    let half = tsdb(&["--tls-cert".as_ref(), &cert]).output().unwrap();
    assert!(!half.status.success());
    assert!(String::from_utf8_lossy(&half.stderr).contains("--tls-key"));

    let mut child = tsdb(&["--tls-cert".as_ref(), &cert, "--tls-key".as_ref(), &key])
        .spawn()
        .unwrap();
    let trusting = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(issued.cert.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let mut answer = None;
    for _ in 0..200 {
        if let Ok(r) = trusting
            .get(format!("https://localhost:{port}/ping"))
            .send()
            .await
        {
            answer = Some(r.status());
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let plain = reqwest::get(format!("http://127.0.0.1:{port}/ping")).await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(answer, Some(reqwest::StatusCode::NO_CONTENT));
    // Plain HTTP gets no answer from a TLS port.
    assert!(plain.is_err(), "{plain:?}");
}
