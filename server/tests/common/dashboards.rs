//! What the dashboard tests share: a dashboard to save, and the JSON API called as anyone.

use super::Server;
use reqwest::{Client, Method, StatusCode};
use serde_json::Value;

/// A dashboard of four cells for the devices whose ids start `gh-`.
pub const GREENHOUSE: &str = r##"{"title": "Greenhouse", "devices": {"prefix": "gh-"}, "range": "1d",
  "cells": [
    {"x": 0, "y": 0, "w": 8, "h": 4, "type": "line", "fields": ["Temperature"], "devices": "all"},
    {"x": 8, "y": 0, "w": 4, "h": 2, "type": "gauge", "field": "CO2", "min": 400, "max": 2000,
     "bands": [{"from": 400, "color": "#16a34a"}, {"from": 1200, "color": "#dc2626"}]},
    {"x": 8, "y": 2, "w": 4, "h": 2, "type": "value", "field": "Temperature"},
    {"x": 0, "y": 4, "w": 12, "h": 1, "type": "note", "text": "Vents open at 28 °C."}
  ]}"##;

/// `method path` as `token`, with `body`: the status and the JSON answer (`Null` if none).
pub async fn call(
    s: &Server,
    token: Option<&str>,
    method: Method,
    path: &str,
    body: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = Client::new().request(method, format!("{}{path}", s.url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let r = request.send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}
