//! A `tsdb` on a loopback port for tests, onboarded with the token `my-token`.
#![allow(dead_code)] // each test file uses a different part of the harness

use reqwest::{Client, Response};
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::oneshot;

pub const TOKEN: &str = "my-token";

pub struct TestServer {
    pub url: String,
    pub client: Client,
    pub org_id: String,
    pub bucket_id: String,
    _dir: tempfile::TempDir,
    _shutdown: oneshot::Sender<()>,
}

/// A fresh store bound to port 0, onboarded as my-user / my-org / my-bucket.
pub async fn start() -> TestServer {
    start_with(tsdb::Config::default()).await
}

/// A fresh store bound to port 0, not onboarded: its URL, and what keeps it alive.
pub async fn serve(config: tsdb::Config) -> (String, tempfile::TempDir, oneshot::Sender<()>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(tsdb::storage::Store::open(dir.path()).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(tsdb::serve(listener, store, config, async {
        let _ = rx.await;
    }));
    (url, dir, tx)
}

pub async fn start_with(config: tsdb::Config) -> TestServer {
    let (url, dir, tx) = serve(config).await;
    let client = Client::new();
    let setup: Value = client
        .post(format!("{url}/api/v2/setup"))
        .json(&json!({"username": "my-user", "password": "my-password", "org": "my-org", "bucket": "my-bucket", "token": TOKEN}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    TestServer {
        url,
        client,
        org_id: setup["org"]["id"].as_str().unwrap().to_string(),
        bucket_id: setup["bucket"]["id"].as_str().unwrap().to_string(),
        _dir: dir,
        _shutdown: tx,
    }
}

impl TestServer {
    pub fn get(&self, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.client
            .get(format!("{}{path}", self.url))
            .header("Authorization", format!("Token {token}"))
    }
    pub fn post(&self, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.client
            .post(format!("{}{path}", self.url))
            .header("Authorization", format!("Token {token}"))
    }
    pub fn patch(&self, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.client
            .patch(format!("{}{path}", self.url))
            .header("Authorization", format!("Token {token}"))
    }
    pub fn delete(&self, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.client
            .delete(format!("{}{path}", self.url))
            .header("Authorization", format!("Token {token}"))
    }

    /// Writes line protocol to my-bucket with precision `s`.
    pub async fn write(&self, lp: &str, token: &str) -> Response {
        self.post(
            "/api/v2/write?org=my-org&bucket=my-bucket&precision=s",
            token,
        )
        .body(lp.to_string())
        .send()
        .await
        .unwrap()
    }

    /// Runs Flux with all annotations and a fixed `now`; returns status and body.
    pub async fn query(&self, flux: &str, token: &str) -> (u16, String) {
        let r = self
            .post("/api/v2/query?org=my-org", token)
            .json(&json!({"query": flux, "now": "2024-01-01T00:00:00Z",
                "dialect": {"annotations": ["datatype", "group", "default"], "header": true, "delimiter": ","}}))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Runs Flux without annotations (plain CSV) and a fixed `now`.
    pub async fn query_plain(&self, flux: &str) -> String {
        let r = self
            .post("/api/v2/query?org=my-org", TOKEN)
            .json(&json!({"query": flux, "now": "2024-01-01T00:00:00Z"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.text().await.unwrap()
    }

    /// Creates an authorization with `permissions`; returns (id, token).
    pub async fn create_token(&self, permissions: Value) -> (String, String) {
        let r = self
            .post("/api/v2/authorizations", TOKEN)
            .json(&json!({"orgID": self.org_id, "description": "test", "permissions": permissions}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let v: Value = r.json().await.unwrap();
        (
            v["id"].as_str().unwrap().into(),
            v["token"].as_str().unwrap().into(),
        )
    }
}

pub async fn json(r: Response) -> Value {
    r.json().await.unwrap()
}
