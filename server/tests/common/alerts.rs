//! What the alert tests share: a webhook receiver on a loopback port, a server that
//! evaluates every second, the JSON API as the admin, devices that write with their own
//! tokens.

use super::{device_env, Server};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A webhook receiver on a loopback port: the notifications it took (body and
/// `Authorization` header), after failing the first `fail` tries with 500.
pub struct Receiver {
    pub url: String,
    took: Arc<Mutex<Vec<(Value, String)>>>,
    pub tries: Arc<AtomicUsize>,
}

impl Receiver {
    pub async fn start(fail: usize) -> Receiver {
        let took = Arc::new(Mutex::new(Vec::new()));
        let tries = Arc::new(AtomicUsize::new(0));
        let (t, n) = (took.clone(), tries.clone());
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let (took, tries) = (t.clone(), n.clone());
                async move {
                    if tries.fetch_add(1, Ordering::SeqCst) < fail {
                        return StatusCode::INTERNAL_SERVER_ERROR;
                    }
                    let auth = headers
                        .get("authorization")
                        .map(|v| v.to_str().unwrap_or_default().to_string())
                        .unwrap_or_default();
                    took.lock()
                        .unwrap()
                        .push((serde_json::from_str(&body).unwrap(), auth));
                    StatusCode::NO_CONTENT
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, took, tries }
    }

    pub fn took(&self) -> Vec<(Value, String)> {
        self.took.lock().unwrap().clone()
    }

    /// Waits (at most `secs`) until `n` notifications came.
    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<(Value, String)> {
        for _ in 0..secs * 10 {
            if self.took().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let took = self.took();
        assert_eq!(took.len(), n, "notifications: {took:?}");
        took
    }
}

pub async fn alerting_server() -> Server {
    // The tests' receivers listen on loopback: allowed here, as an operator would.
    super::start_with(&[
        ("ALERT_EVALUATE_EVERY", "1"),
        ("ALERT_ALLOWED_HOSTS", "127.0.0.1"),
    ])
    .await
}

/// POSTs JSON to the server as its admin: (status, body).
pub async fn post(s: &Server, path: &str, body: Value) -> (StatusCode, Value) {
    let r = s
        .client()
        .post(format!("{}{path}", s.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Calls a server function as the admin: its answer.
pub async fn call(s: &Server, name: &str, form: &str) -> Value {
    let r = s.call(name, form).await;
    assert_eq!(r.status(), 200, "{name}");
    r.json().await.unwrap()
}

pub async fn get(s: &Server, path: &str) -> Value {
    let r = s
        .client()
        .get(format!("{}{path}", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.unwrap()
}

/// A webhook endpoint for `receiver`, with a bearer token: its id.
pub async fn endpoint(s: &Server, receiver: &Receiver) -> String {
    let (status, e) = post(
        s,
        "/api/alert-endpoints",
        json!({"name": "ops", "kind": "webhook", "url": receiver.url, "token": "hook-token"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    assert_eq!(e["has_token"], true);
    assert!(e.get("token").is_none(), "the token stays on the server");
    e["id"].as_str().unwrap().to_string()
}

/// Registers `id` and returns a writer of line protocol (precision s) with its own token.
pub async fn device(
    s: &Server,
    id: &str,
) -> impl Fn(String) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> {
    let env = device_env(s, id).await;
    let url = format!(
        "{}/api/v2/write?org={}&bucket={}&precision=s",
        env["influx_url"].as_str().unwrap(),
        env["influx_org"].as_str().unwrap(),
        env["influx_bucket"].as_str().unwrap()
    );
    let token = format!("Token {}", env["influx_token"].as_str().unwrap());
    move |line: String| {
        let (url, token) = (url.clone(), token.clone());
        Box::pin(async move {
            let r = reqwest::Client::new()
                .post(url)
                .header("authorization", token)
                .body(line)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 204);
        })
    }
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
