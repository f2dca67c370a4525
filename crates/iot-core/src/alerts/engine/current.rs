//! What fires now, as the pages show it (every alert, or a page's devices'), and
//! acknowledging a firing one.

use super::{Alerts, Tracked};
use crate::Error;
use chrono::{DateTime, SecondsFormat, Utc};
use iot_models::{Acknowledgement, Alert, AlertRule, AlertState};

impl Alerts {
    /// Whether some rule is pending or firing for some device: while none is, what fires
    /// is nothing, and the rules need no read.
    fn any_active(&self) -> bool {
        self.any_active.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The alerts that are not ok, firing first, then by rule and device.
    pub async fn current(&self) -> Result<Vec<Alert>, Error> {
        if !self.any_active() {
            return Ok(Vec::new());
        }
        let rules = self.store.rules().await?;
        let tracked = self.tracked();
        let alerts = tracked
            .iter()
            .filter(|(_, t)| t.state != AlertState::Ok)
            .filter_map(|((rule, device), t)| {
                let rule = rules.iter().find(|r| &r.id == rule)?;
                Some(alert(rule, device, t))
            })
            .collect();
        Ok(firing_first(alerts))
    }

    /// The alerts of `devices` that are not ok, firing first: a look-up per rule and device,
    /// not a walk over every device's states (a page of the list, a device's page).
    pub async fn current_of(&self, devices: &[&str]) -> Result<Vec<Alert>, Error> {
        if !self.any_active() {
            return Ok(Vec::new());
        }
        let rules = self.store.rules().await?;
        let tracked = self.tracked();
        let mut alerts = Vec::new();
        for rule in &rules {
            for device in devices {
                match tracked.get(&(rule.id.clone(), device.to_string())) {
                    Some(t) if t.state != AlertState::Ok => alerts.push(alert(rule, device, t)),
                    _ => {}
                }
            }
        }
        Ok(firing_first(alerts))
    }

    /// Whether `device` may have alert events since `since`: some rule of `rules` is not ok
    /// for it, or changed after `since` (no state: never changed). False saves a device's
    /// page the look for them.
    pub(in crate::alerts) fn changed_since(
        &self,
        rules: &[&AlertRule],
        device: &str,
        since: DateTime<Utc>,
    ) -> bool {
        let tracked = self.tracked();
        rules.iter().any(|r| {
            tracked
                .get(&(r.id.clone(), device.to_string()))
                .is_some_and(|t| t.state != AlertState::Ok || t.since >= since)
        })
    }

    /// An operator acknowledges a firing alert (`rule-id:device-id`); it stays acknowledged
    /// until it resolves.
    pub async fn acknowledge(&self, id: &str, by: &str, note: &str) -> Result<Alert, Error> {
        let not_firing = || Error::NotFound(format!("no firing alert {id:?}"));
        let (rule_id, device) = id.split_once(':').ok_or_else(not_firing)?;
        let rule = self
            .store
            .rules()
            .await?
            .into_iter()
            .find(|r| r.id == rule_id)
            .ok_or_else(not_firing)?;
        let ack = Acknowledgement {
            by: by.to_string(),
            note: note.to_string(),
            at: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
        };
        let (since, acknowledged) = {
            let mut tracked = self.tracked();
            let t = tracked
                .get_mut(&(rule_id.to_string(), device.to_string()))
                .filter(|t| t.state == AlertState::Firing)
                .ok_or_else(not_firing)?;
            t.ack = Some(ack.clone());
            (t.since.timestamp_millis(), alert(&rule, device, t))
        };
        // Kept where every instance, the evaluator among them, reads it.
        self.store.acknowledge(rule_id, device, since, &ack).await?;
        Ok(acknowledged)
    }
}

fn firing_first(mut alerts: Vec<Alert>) -> Vec<Alert> {
    alerts.sort_by_key(|a| {
        (
            a.state != AlertState::Firing,
            a.rule_name.clone(),
            a.device.clone(),
        )
    });
    alerts
}

fn alert(rule: &AlertRule, device: &str, t: &Tracked) -> Alert {
    Alert {
        id: format!("{}:{device}", rule.id),
        rule: rule.id.clone(),
        rule_name: rule.spec.name.clone(),
        device: device.to_string(),
        state: t.state,
        level: rule.spec.level,
        value: t.value,
        message: t.message.clone(),
        since: t.since.to_rfc3339_opts(SecondsFormat::Secs, true),
        acknowledged: t.ack.clone(),
    }
}
