//! Delivering notifications: a webhook gets the alert as JSON (with a bearer token if its
//! endpoint has one), a Slack-compatible webhook gets `{"text": …}`, an e-mail endpoint a
//! plain-text mail through the server's SMTP relay (`mail.rs`). A failed delivery is
//! tried again after 1, 2, 4 … 32 s; one that never goes through is counted and logged,
//! never dropped silently. Deliveries run in the background: evaluation never waits on them.

use super::mail::Mailer;
use super::outbox::Outbox;
use super::targets::AllowedTargets;
use iot_models::{EndpointKind, EndpointSpec, NotificationDelivery};
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
    /// Its key in the notification log (and its `id` in the body, for receivers that
    /// deduplicate).
    pub key: String,
    pub endpoint_id: String,
    pub endpoint: EndpointSpec,
    /// `{"id", "rule", "device", "state", "level", "value", "field", "time", "message"}`.
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

impl Deliveries {
    pub fn snapshot(&self) -> NotificationDelivery {
        NotificationDelivery {
            delivered: self.delivered.load(Ordering::Relaxed),
            retried: self.retried.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }
}

pub struct Notifier {
    queue: mpsc::Sender<Notice>,
    pub counts: Arc<Deliveries>,
    /// Where webhooks may go.
    pub targets: AllowedTargets,
    channels: Channels,
}

/// How notifications leave: HTTP for webhooks, the SMTP relay (if configured) for e-mail.
#[derive(Clone)]
struct Channels {
    http: reqwest::Client,
    mailer: Option<Mailer>,
    targets: AllowedTargets,
}

impl Notifier {
    /// Starts the background sender (on the current Tokio runtime); e-mail goes through
    /// `mailer`, when there is one; webhooks to public addresses and `targets` only.
    pub fn start(mailer: Option<Mailer>, targets: AllowedTargets, outbox: Outbox) -> Notifier {
        let (queue, mut waiting) = mpsc::channel::<Notice>(QUEUE);
        let counts = Arc::new(Deliveries::default());
        // A redirect is an answer, not a way to reach somewhere else; names resolve to
        // public addresses only, at every send.
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(targets.clone()))
            .build()
            .unwrap_or_default();
        let channels = Channels {
            http,
            mailer,
            targets: targets.clone(),
        };
        let (sender_counts, sender_channels) = (counts.clone(), channels.clone());
        tokio::spawn(async move {
            while let Some(notice) = waiting.recv().await {
                // Each delivery waits out its own retries: one slow endpoint holds up no other.
                let (counts, channels) = (sender_counts.clone(), sender_channels.clone());
                let outbox = outbox.clone();
                tokio::spawn(async move {
                    let key = notice.key.clone();
                    deliver(&channels, &counts, notice).await;
                    if let Err(e) = outbox.sent(&key).await {
                        tracing::warn!("marking notification {key} sent: {e}");
                    }
                });
            }
        });
        Notifier {
            queue,
            counts,
            targets,
            channels,
        }
    }

    /// Whether e-mail endpoints can send: the server has an SMTP relay.
    pub fn can_mail(&self) -> bool {
        self.channels.mailer.is_some()
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
        try_once(&self.channels, endpoint, &body).await
    }
}

/// One line for a person (a mail's subject): `[CRIT] firing — CO2 high on kitchen: CO2 is
/// 1500 (above 1000)`.
fn summary(body: &serde_json::Value) -> String {
    let text = |key: &str| body[key].as_str().unwrap_or_default().to_string();
    let state = match body["reminder"].as_bool() {
        Some(true) => "still firing".to_string(),
        _ => text("state"),
    };
    let line = format!(
        "[{}] {state} — {} on {}: {}",
        text("level").to_uppercase(),
        text("rule"),
        text("device"),
        text("message"),
    );
    line.replace(char::is_control, " ")
}

/// A mail's body: the summary, then every field of the notification on a line of its own.
fn mail_body(body: &serde_json::Value) -> String {
    let mut text = summary(body) + "\n\n";
    if let Some(fields) = body.as_object() {
        for (key, value) in fields {
            let value = value
                .as_str()
                .map_or_else(|| value.to_string(), String::from);
            text += &format!("{key}: {value}\n");
        }
    }
    text + "\n-- \nIoT Center\n"
}

async fn try_once(
    channels: &Channels,
    endpoint: &EndpointSpec,
    body: &serde_json::Value,
) -> Result<(), String> {
    let request = match endpoint.kind {
        EndpointKind::Email => {
            let Some(mailer) = &channels.mailer else {
                return Err("cannot send e-mail: the server has no SMTP relay (SMTP_URL)".into());
            };
            return mailer
                .send(&endpoint.to, &summary(body), mail_body(body))
                .await;
        }
        EndpointKind::Slack => {
            let text = serde_json::json!({ "text": summary(body) });
            channels.http.post(&endpoint.url).json(&text)
        }
        EndpointKind::Webhook => {
            // A URL's `user:password@` goes as basic auth (reqwest takes it from the URL).
            let request = channels.http.post(&endpoint.url).json(body);
            match &endpoint.token {
                Some(token) => request.bearer_auth(token),
                None => request,
            }
        }
    };
    if let Some(refused) = channels.targets.refuses_url(&endpoint.url) {
        return Err(refused);
    }
    match request.send().await {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(format!("answered {}", r.status())),
        // Without the URL: its path or query may be the endpoint's secret.
        Err(e) => Err(format!("unreachable: {}", e.without_url())),
    }
}

async fn deliver(channels: &Channels, counts: &Deliveries, notice: Notice) {
    let mut wait = Duration::from_secs(1);
    for tried in 1..=TRIES {
        match try_once(channels, &notice.endpoint, &notice.body).await {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_reads_one_line_and_a_mail_every_field() {
        let mut body = serde_json::json!({
            "rule": "CO2\r\nBcc: x@y.z", "device": "kitchen", "state": "firing", "level": "crit",
            "value": 1500.0, "message": "CO2 is 1500 (above 1000)", "reminder": false,
        });
        let line = summary(&body);
        assert_eq!(
            line,
            "[CRIT] firing — CO2  Bcc: x@y.z on kitchen: CO2 is 1500 (above 1000)"
        );
        assert!(mail_body(&body).contains("\nvalue: 1500.0\n"));
        body["reminder"] = true.into();
        assert!(summary(&body).starts_with("[CRIT] still firing — "));
    }
}
