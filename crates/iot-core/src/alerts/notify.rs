//! Delivering notifications: a webhook gets the alert as JSON (with a bearer token if its
//! endpoint has one), a Slack-compatible webhook gets `{"text": …}`. A failed delivery is
//! tried again after 1, 2, 4 … 32 s; one that never goes through is counted and logged,
//! never dropped silently. Deliveries run in the background: evaluation never waits on them.

use iot_models::{EndpointKind, EndpointSpec};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Tries of one delivery: the first and six more, 63 s after the first at the latest.
const TRIES: u32 = 7;
/// Deliveries waiting at most; past it, a new one is counted as failed at once.
const QUEUE: usize = 1_000;
/// How long one try may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// One notification for one endpoint.
#[derive(Debug)]
pub struct Notice {
    pub endpoint_id: String,
    pub endpoint: EndpointSpec,
    /// `{"rule", "device", "state", "level", "value", "field", "time", "message"}`.
    pub body: serde_json::Value,
}

/// Deliveries so far, for the Health page.
#[derive(Debug, Default)]
pub struct Deliveries {
    pub delivered: AtomicU64,
    /// Tries that failed and were tried again.
    pub retried: AtomicU64,
    /// Notifications given up on after every try, or with the queue full.
    pub failed: AtomicU64,
}

pub struct Notifier {
    queue: mpsc::Sender<Notice>,
    pub counts: Arc<Deliveries>,
    http: reqwest::Client,
}

impl Notifier {
    /// Starts the background sender (on the current Tokio runtime).
    pub fn start() -> Notifier {
        let (queue, mut waiting) = mpsc::channel::<Notice>(QUEUE);
        let counts = Arc::new(Deliveries::default());
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .unwrap_or_default();
        let (sender_counts, sender_http) = (counts.clone(), http.clone());
        tokio::spawn(async move {
            while let Some(notice) = waiting.recv().await {
                // Each delivery waits out its own retries: one slow endpoint holds up no other.
                let (counts, http) = (sender_counts.clone(), sender_http.clone());
                tokio::spawn(async move { deliver(&http, &counts, notice).await });
            }
        });
        Notifier {
            queue,
            counts,
            http,
        }
    }

    pub fn send(&self, notice: Notice) {
        if let Err(e) = self.queue.try_send(notice) {
            self.counts.failed.fetch_add(1, Ordering::Relaxed);
            tracing::error!("alert notification dropped, the queue is full: {e}");
        }
    }

    /// Sends a test notification to an endpoint now, once: the reason it failed, if it did.
    pub async fn test(&self, endpoint: &EndpointSpec) -> Result<(), String> {
        let body = serde_json::json!({
            "rule": "test", "device": "", "state": "test", "level": "info", "value": null,
            "field": null, "time": chrono::Utc::now().to_rfc3339(),
            "message": "A test notification from IoT Center.",
        });
        try_once(&self.http, endpoint, &body).await
    }
}

/// What goes over the wire to an endpoint.
fn payload(endpoint: &EndpointSpec, body: &serde_json::Value) -> serde_json::Value {
    match endpoint.kind {
        EndpointKind::Webhook => body.clone(),
        EndpointKind::Slack => {
            let text = format!(
                "[{}] {} — {} on {}: {}",
                body["level"].as_str().unwrap_or_default().to_uppercase(),
                body["state"].as_str().unwrap_or_default(),
                body["rule"].as_str().unwrap_or_default(),
                body["device"].as_str().unwrap_or_default(),
                body["message"].as_str().unwrap_or_default(),
            );
            serde_json::json!({ "text": text })
        }
    }
}

async fn try_once(
    http: &reqwest::Client,
    endpoint: &EndpointSpec,
    body: &serde_json::Value,
) -> Result<(), String> {
    let mut request = http.post(&endpoint.url).json(&payload(endpoint, body));
    if let (EndpointKind::Webhook, Some(token)) = (endpoint.kind, &endpoint.token) {
        request = request.bearer_auth(token);
    }
    match request.send().await {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(format!("answered {}", r.status())),
        Err(e) => Err(format!("unreachable: {e}")),
    }
}

async fn deliver(http: &reqwest::Client, counts: &Deliveries, notice: Notice) {
    let mut wait = Duration::from_secs(1);
    for tried in 1..=TRIES {
        match try_once(http, &notice.endpoint, &notice.body).await {
            Ok(()) => {
                counts.delivered.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Err(reason) if tried < TRIES => {
                counts.retried.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    "alert notification to endpoint {} ({}) {reason}: trying again in {} s",
                    notice.endpoint.name,
                    notice.endpoint_id,
                    wait.as_secs()
                );
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            Err(reason) => {
                counts.failed.fetch_add(1, Ordering::Relaxed);
                tracing::error!(
                    "alert notification to endpoint {} ({}) failed {TRIES} times, last {reason}: given up",
                    notice.endpoint.name,
                    notice.endpoint_id
                );
            }
        }
    }
}
