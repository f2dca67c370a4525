//! A device as the gateway tests drive it: registered on a server, writing with the URL and
//! token its configuration gives it.

use super::{device_env, Server};
use reqwest::StatusCode;
use serde_json::Value;

/// A device registered on `s`, writing with the token and URL its configuration gives it.
pub struct Device {
    pub url: String,
    pub token: String,
    pub http: reqwest::Client,
}

impl Device {
    pub async fn new(s: &Server, id: &str) -> Device {
        let env = device_env(s, id).await;
        assert_eq!(env["influx_url"], s.url.as_str(), "{env}");
        Device {
            url: format!(
                "{}/api/v2/write?org={}&bucket={}",
                s.url,
                env["influx_org"].as_str().unwrap(),
                env["influx_bucket"].as_str().unwrap()
            ),
            token: env["influx_token"].as_str().unwrap().to_string(),
            http: reqwest::Client::new(),
        }
    }

    pub fn post(&self, query: &str, body: impl Into<reqwest::Body>) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}{query}", self.url))
            .header("Authorization", format!("Token {}", self.token))
            .body(body)
    }

    /// Writes `body` (precision s); the status and InfluxDB's JSON error, if any.
    pub async fn write(&self, body: impl Into<reqwest::Body>) -> (StatusCode, Value) {
        answer(self.post("&precision=s", body).send().await.unwrap()).await
    }
}

/// A response's status and InfluxDB's JSON error, if any.
pub async fn answer(r: reqwest::Response) -> (StatusCode, Value) {
    let status = r.status();
    (status, r.json().await.unwrap_or_default())
}
