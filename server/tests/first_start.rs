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

/// Where a response redirects.
fn location(r: &reqwest::Response) -> &str {
    r.headers()["location"].to_str().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_loopback_the_first_admin_needs_the_code_from_the_log() {
    let port = common::free_port();
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_iot-center"));
    command
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .args(["--listen", &format!("0.0.0.0:{port}")])
        .args([
            "--tsdb-listen",
            &format!("127.0.0.1:{}", common::free_port()),
        ])
        .args(["--config", "/nonexistent.ini", "--data-dir"])
        .arg(dir.path())
        .env_remove("INFLUX_URL")
        .stdout(log);
    let s = common::Server::spawn(command, dir, String::new(), port, "/ready").await;
    let printed = std::fs::read_to_string(&log_path).unwrap();
    let code = printed
        .split("setup code ")
        .nth(1)
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect::<String>()
        })
        .unwrap_or_else(|| panic!("no setup code in the log:\n{printed}"));
    assert_eq!(code.len(), 14, "{code}");

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let page = |path: &str| {
        http.get(format!("{}{path}", s.url))
            .header("accept", "text/html")
            .send()
    };
    // Every page leads to the setup page that asks for the code; it shows the field.
    for path in ["/", "/setup"] {
        let r = page(path).await.unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(location(&r), "/setup?code=asked");
    }
    let form = page("/setup?code=asked")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains(r#"name="code""#), "{form}");

    let set_up = |code: &str| {
        http.post(format!("{}/setup", s.url))
            .form(&[
                ("username", "root"),
                ("password", "root-password"),
                ("code", code),
            ])
            .send()
    };
    let wrong = code.replace(&code[..1], if &code[..1] == "A" { "B" } else { "A" });
    for attempt in ["", wrong.as_str()] {
        let r = set_up(attempt).await.unwrap();
        assert_eq!(r.status(), 303);
        assert!(location(&r).starts_with("/setup?error=wrong+setup+code"));
        assert!(location(&r).ends_with("&code=asked"), "{}", location(&r));
        // No admin was made: the site still leads to setup.
        let r = page("/").await.unwrap();
        assert_eq!(location(&r), "/setup?code=asked");
    }
    let r = set_up(&code.to_lowercase()).await.unwrap();
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/"));
    // Signed in as the new admin; setup is over.
    let r = page("/").await.unwrap();
    assert_eq!(r.status(), 200);
    let r = page("/setup").await.unwrap();
    assert_eq!(location(&r), "/login");
    let again = set_up(&code).await.unwrap();
    assert_eq!(location(&again), "/login");
}

#[tokio::test]
async fn on_loopback_setup_asks_for_no_code() {
    let s = common::start().await;
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/setup", s.url))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(!r.text().await.unwrap().contains(r#"name="code""#));
}
