//! Alerts: rules kept by operators (`store.rs`), evaluated for every device every few
//! seconds (`engine.rs`) by the one instance holding the evaluator's lease (`instances`), their history read back from InfluxDB (`history.rs`), notified on change to endpoints (`notify.rs`, claimed first in the notification log, `outbox.rs`; e-mail through the
//! server's SMTP relay, `mail.rs`).

mod engine;
mod history;
mod mail;
mod notify;
mod outbox;
pub mod store;
mod targets;

pub use engine::{Alerts, Evaluation};
pub use mail::{Mailer, SmtpSettings};
pub use notify::Deliveries;
pub use targets::AllowedTargets;

use crate::instances::{ALERT_EVALUATOR, RENEW_EVERY};
use crate::Service;
use std::sync::Arc;
use std::time::Duration;

/// How often rules are evaluated unless configured.
pub const EVALUATE_EVERY: Duration = Duration::from_secs(10);

/// Evaluates the rules every `every` for as long as the server runs, while this instance
/// holds the evaluator's lease (renewed every few seconds; one instance of those sharing
/// the state database holds it); while InfluxDB is away the states stay as they were.
pub fn spawn_evaluator(service: Arc<Service>, alerts: Arc<Alerts>, every: Duration) {
    let instances = alerts.instances.clone();
    tokio::spawn(async move {
        let mut renew = tokio::time::interval(RENEW_EVERY);
        loop {
            renew.tick().await;
            if let Err(e) = instances.renew(ALERT_EVALUATOR).await {
                tracing::warn!("renewing the alert evaluator's lease: {e}");
            }
        }
    });
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut evaluating = false;
        loop {
            tick.tick().await;
            let holds = alerts.instances.holds(ALERT_EVALUATOR);
            if holds != evaluating {
                tracing::info!(
                    "instance {} {} the alert evaluator",
                    alerts.instances.id,
                    if holds { "is now" } else { "is no longer" }
                );
            }
            let Ok(b) = service.backend() else { continue };
            if !holds {
                // The others show the alerts as the evaluator left them in InfluxDB.
                evaluating = false;
                if let Err(e) = alerts.follow(&b).await {
                    tracing::warn!("reading the alert states: {e}");
                }
                continue;
            }
            if !evaluating {
                match alerts.take_over().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!("sending {n} notifications another instance left"),
                    Err(e) => {
                        tracing::warn!("taking over the alert evaluator: {e}");
                        continue;
                    }
                }
                evaluating = true;
            }
            if let Err(e) = alerts.evaluate(&b).await {
                tracing::warn!("alert evaluation: {e}");
            }
        }
    });
}
