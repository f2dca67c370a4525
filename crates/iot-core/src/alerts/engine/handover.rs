//! Who evaluates, as it changes hands: an instance that follows reads the states as the
//! evaluator wrote them; one that takes over reads them back before its first evaluation
//! and sends what the one before it claimed and never sent; every instance takes the
//! acknowledgements any of them kept.

use super::{Alerts, Tracked, STATES_WITHIN};
use crate::alerts::notify::Notice;
use crate::{layout, queries, Backend, Error};
use influx_client::{flux::TimeRange, FluxValue};
use iot_models::AlertState;

impl Alerts {
    /// Another instance evaluates: the states are read as it wrote them.
    pub async fn follow(&self, b: &Backend) -> Result<(), Error> {
        self.restore(b).await?;
        self.take_acknowledgements().await
    }

    /// This instance has become the evaluator: it reads the states back from InfluxDB
    /// before its first evaluation (the one before it changed them), and sends what that
    /// one claimed but never finished sending.
    pub async fn take_over(&self) -> Result<usize, Error> {
        self.restored
            .store(false, std::sync::atomic::Ordering::SeqCst);
        let unsent = self.outbox.take_over().await?;
        let endpoints = self.store.endpoint_specs().await?;
        for (key, endpoint_id, body) in &unsent {
            if let Some((_, endpoint)) = endpoints.iter().find(|(id, _)| id == endpoint_id) {
                self.notifier.send(Notice {
                    key: key.clone(),
                    endpoint_id: endpoint_id.clone(),
                    endpoint: endpoint.clone(),
                    body: body.clone(),
                });
            }
        }
        Ok(unsent.len())
    }

    /// The acknowledgements any instance took, on the firings they are for.
    pub(super) async fn take_acknowledgements(&self) -> Result<(), Error> {
        let acks = self.store.acknowledgements().await?;
        let mut tracked = self.tracked();
        for (key, (since, ack)) in acks {
            if let Some(t) = tracked.get_mut(&key) {
                if t.state == AlertState::Firing && t.since.timestamp_millis() == since {
                    t.ack = Some(ack);
                }
            }
        }
        Ok(())
    }

    /// The last state of each (rule, device) in InfluxDB, so a restart neither forgets a
    /// firing alert nor notifies it again.
    pub(super) async fn restore(&self, b: &Backend) -> Result<(), Error> {
        let q = queries::alert_states(
            &b.settings.telemetry_bucket,
            &TimeRange::last(STATES_WITHIN),
        );
        let records = b.client.query(&q).await?;
        let mut tracked = self.tracked();
        tracked.clear();
        for r in records {
            let (Some(rule), Some(device), Some(time)) = (
                r.get(layout::ALERT_RULE_TAG).and_then(FluxValue::as_str),
                r.get(layout::ALERT_DEVICE_TAG).and_then(FluxValue::as_str),
                r.time(),
            ) else {
                continue;
            };
            let Some(state) = r
                .value()
                .and_then(FluxValue::as_str)
                .and_then(AlertState::parse)
            else {
                continue;
            };
            tracked.insert(
                (rule.to_string(), device.to_string()),
                Tracked {
                    state,
                    since: time,
                    value: None,
                    message: String::new(),
                    ack: None,
                    notified: Some(time),
                },
            );
        }
        self.note_active(&tracked);
        Ok(())
    }
}
