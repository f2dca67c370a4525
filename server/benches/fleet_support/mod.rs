//! What the server benches share: registering a fleet, the server's memory.

use crate::common::{Server, SECRET};
use std::sync::Arc;

/// Registration requests at once.
const CONNECTIONS: usize = 16;

/// Registers `ids` through the device API, 16 at a time; their tokens.
pub async fn register(s: &Server, ids: &[String]) -> Vec<String> {
    let queue = Arc::new(std::sync::Mutex::new(
        ids.iter().cloned().enumerate().collect::<Vec<_>>(),
    ));
    let tokens = Arc::new(std::sync::Mutex::new(vec![String::new(); ids.len()]));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..CONNECTIONS {
        let (queue, tokens, url) = (queue.clone(), tokens.clone(), s.url.clone());
        workers.spawn(async move {
            let http = reqwest::Client::new();
            loop {
                let Some((n, id)) = queue.lock().unwrap().pop() else {
                    return;
                };
                let env: serde_json::Value = http
                    .get(format!("{url}/api/env/{id}?secret={SECRET}"))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                tokens.lock().unwrap()[n] = env["influx_token"].as_str().unwrap().to_string();
            }
        });
    }
    workers.join_all().await;
    Arc::try_unwrap(tokens).unwrap().into_inner().unwrap()
}

/// The server's resident memory in MB.
pub fn resident_mb(s: &Server) -> f64 {
    std::fs::read_to_string(format!("/proc/{}/status", s.pid()))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}
