//! Alerts: rules kept by operators (`store.rs`), evaluated for every device every few
//! seconds (`engine.rs`), their history read back from InfluxDB (`history.rs`), notified on change to endpoints (`notify.rs`; e-mail through the
//! server's SMTP relay, `mail.rs`).

mod engine;
mod history;
mod mail;
mod notify;
pub mod store;
mod targets;

pub use engine::{Alerts, Evaluation};
pub use mail::{Mailer, SmtpSettings};
pub use notify::Deliveries;
pub use targets::AllowedTargets;

use crate::Service;
use std::sync::Arc;
use std::time::Duration;

/// How often rules are evaluated unless configured.
pub const EVALUATE_EVERY: Duration = Duration::from_secs(10);

/// Evaluates the rules every `every` for as long as the server runs; while InfluxDB is away
/// the states stay as they were.
pub fn spawn_evaluator(service: Arc<Service>, alerts: Arc<Alerts>, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Ok(b) = service.backend() else { continue };
            if let Err(e) = alerts.evaluate(&b).await {
                tracing::warn!("alert evaluation: {e}");
            }
        }
    });
}
