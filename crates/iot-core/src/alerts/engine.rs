//! Evaluating rules: every rule for every device it names, the devices coming from the
//! registry (the fleet index), so a device that stopped writing is still looked at. Each
//! (rule, device) is ok, pending (the condition holds, not yet for long enough) or firing;
//! a change is an event in InfluxDB, and a change to firing or back from it is notified.

mod current;
mod handover;

use super::mail::Mailer;
use super::notify::{Notice, Notifier};
use super::outbox::Outbox;
use super::store::AlertStore;
use super::targets::AllowedTargets;
use crate::instances::Instances;
use crate::state_db::StateDb;
use crate::{layout, telemetry, Backend, Error};
use chrono::{DateTime, SecondsFormat, Utc};
use influx_client::{Point, Precision};
use iot_models::{
    Acknowledgement, AlertEndpoint, AlertRule, AlertState, Condition, DeviceSummary, EndpointKind,
    EndpointSpec, ThresholdOp,
};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

/// How old a field's latest value may be and still count against a threshold: older, the
/// device is quiet, which is a silent rule's business.
const LATEST_WITHIN: Duration = Duration::from_secs(3_600);
/// How far back the last states are looked for when the server starts.
const STATES_WITHIN: Duration = Duration::from_secs(30 * 86_400);

/// Where a rule stands for one device.
#[derive(Clone, Debug, PartialEq)]
struct Tracked {
    state: AlertState,
    since: DateTime<Utc>,
    value: Option<f64>,
    message: String,
    ack: Option<Acknowledgement>,
    /// While firing: when it was last notified (fired, or reminded).
    notified: Option<DateTime<Utc>>,
}

/// What one look at a device found.
#[derive(Debug)]
struct Observation {
    breached: bool,
    value: Option<f64>,
    message: String,
}

/// The state after `seen` at `now`, for a condition that must hold `hold` seconds.
fn next(prev: Option<&Tracked>, seen: Observation, hold: u64, now: DateTime<Utc>) -> Tracked {
    let prev_state = prev.map_or(AlertState::Ok, |p| p.state);
    let (state, since, ack, notified) = match (seen.breached, prev_state, prev) {
        (true, AlertState::Firing, Some(p)) => {
            (AlertState::Firing, p.since, p.ack.clone(), p.notified)
        }
        (true, AlertState::Pending, Some(p)) if (now - p.since).num_seconds() >= hold as i64 => {
            (AlertState::Firing, now, None, Some(now))
        }
        (true, AlertState::Pending, Some(p)) => (AlertState::Pending, p.since, None, None),
        (true, _, _) if hold == 0 => (AlertState::Firing, now, None, Some(now)),
        (true, _, _) => (AlertState::Pending, now, None, None),
        (false, AlertState::Ok, Some(p)) => (AlertState::Ok, p.since, None, None),
        // Ok from the first look: it never changed.
        (false, AlertState::Ok, None) => (AlertState::Ok, DateTime::UNIX_EPOCH, None, None),
        (false, _, _) => (AlertState::Ok, now, None, None),
    };
    Tracked {
        state,
        since,
        value: seen.value,
        message: seen.message,
        ack,
        notified,
    }
}

/// Ok and never anything else: the state of most (rule, device) pairs, kept as no state at
/// all (a fleet's worth of them held ~1 KB each).
fn is_untouched(t: &Tracked) -> bool {
    t.state == AlertState::Ok && t.since == DateTime::UNIX_EPOCH
}

/// Whether a firing alert is due a reminder at `now`: unacknowledged, and `remind_minutes`
/// since it was last notified.
fn reminder_due(t: &Tracked, remind_minutes: Option<u32>, now: DateTime<Utc>) -> bool {
    match (t.state, &t.ack, remind_minutes, t.notified) {
        (AlertState::Firing, None, Some(m), Some(last)) => {
            now - last >= chrono::Duration::minutes(m.into())
        }
        _ => false,
    }
}

/// What to say of a value against a threshold.
fn describe(field: &str, v: f64, op: ThresholdOp, value: f64, value2: Option<f64>) -> String {
    match op {
        ThresholdOp::Above => format!("{field} is {v} (above {value})"),
        ThresholdOp::Below => format!("{field} is {v} (below {value})"),
        ThresholdOp::Outside => format!(
            "{field} is {v} (outside {value}..{})",
            value2.unwrap_or(value)
        ),
    }
}

fn parse_time(t: Option<&String>) -> Option<DateTime<Utc>> {
    t.and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// What `rule` finds for `device` at `now`, given each device's latest field values.
fn observe(
    rule: &AlertRule,
    device: &DeviceSummary,
    latest: &HashMap<(String, String), f64>,
    now: DateTime<Utc>,
) -> Observation {
    match &rule.spec.condition {
        Condition::Threshold {
            field,
            op,
            value,
            value2,
            ..
        } => {
            let v = latest.get(&(device.id.clone(), field.to_string())).copied();
            let breached = v.is_some_and(|v| rule.spec.condition.breached_by(v));
            let message = match v {
                Some(v) => describe(field.as_str(), v, *op, *value, *value2),
                None => format!("no {field} in the last hour"),
            };
            Observation {
                breached,
                value: v,
                message,
            }
        }
        Condition::Silent { silent_seconds } => {
            // Silent since its last point, or since it was registered if it never wrote.
            let last = parse_time(device.last_seen.as_ref())
                .or_else(|| parse_time(device.created_at.as_ref()));
            let quiet = last.map(|t| (now - t).num_seconds().max(0));
            let breached = quiet.is_some_and(|q| q > *silent_seconds as i64);
            let message = match (quiet, device.last_seen.is_some()) {
                (Some(q), true) => format!("no data for {q} s"),
                (Some(q), false) => format!("no data since it was registered {q} s ago"),
                (None, _) => "never wrote".into(),
            };
            Observation {
                breached,
                value: quiet.map(|q| q as f64),
                message,
            }
        }
    }
}

/// Rules, their states per device, and where notifications go.
pub struct Alerts {
    pub store: AlertStore,
    pub notifier: Notifier,
    /// The (rule, device) pairs that are not ok, or were not once: no entry is ok, always.
    tracked: Mutex<HashMap<(String, String), Tracked>>,
    /// Whether some entry of `tracked` is pending or firing: while none is, a page's alerts
    /// need no read of the rules.
    any_active: std::sync::atomic::AtomicBool,
    /// Whether the last states were read back from InfluxDB (at the first evaluation since
    /// this instance became the evaluator).
    restored: std::sync::atomic::AtomicBool,
    /// Where notifications are claimed before they are sent.
    outbox: Outbox,
    /// This instance, and the lease that makes it the evaluator.
    pub instances: Arc<Instances>,
}

/// What one evaluation did.
#[derive(Debug, Default, PartialEq)]
pub struct Evaluation {
    pub rules: usize,
    /// (rule, device) pairs looked at.
    pub checked: usize,
    /// State changes, written to InfluxDB.
    pub changes: usize,
}

impl Alerts {
    /// Rules, endpoints and the notification log in `db`, for `instances`' own; e-mail
    /// through `mailer`, if the server has a relay; webhooks to public addresses and the
    /// `allowed` hosts only.
    pub fn new(
        db: StateDb,
        instances: Arc<Instances>,
        mailer: Option<Mailer>,
        allowed: AllowedTargets,
    ) -> Alerts {
        let outbox = Outbox::new(db.clone(), instances.id.clone());
        Alerts {
            store: AlertStore::new(db),
            notifier: Notifier::start(mailer, allowed, outbox.clone()),
            tracked: Mutex::default(),
            any_active: Default::default(),
            restored: Default::default(),
            outbox,
            instances,
        }
    }

    fn tracked(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Tracked>> {
        self.tracked.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps `any_active` true to `tracked`, after the states were replaced.
    fn note_active(&self, tracked: &HashMap<(String, String), Tracked>) {
        let active = tracked.values().any(|t| t.state != AlertState::Ok);
        self.any_active
            .store(active, std::sync::atomic::Ordering::SeqCst);
    }

    /// Looks at every rule for every device it names, once.
    pub async fn evaluate(&self, b: &Backend) -> Result<Evaluation, Error> {
        let rules = self.store.rules().await?;
        if rules.is_empty() {
            let mut tracked = self.tracked();
            tracked.clear();
            self.note_active(&tracked);
            return Ok(Evaluation::default());
        }
        if !self.restored.load(std::sync::atomic::Ordering::SeqCst) {
            self.restore(b).await?;
            self.restored
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
        self.take_acknowledgements().await?;
        let devices: Vec<DeviceSummary> = b
            .fleet
            .summaries(b)
            .await?
            .into_iter()
            .filter(|d| !d.removed)
            .collect();
        let fields: BTreeSet<String> = rules
            .iter()
            .filter_map(|r| match &r.spec.condition {
                Condition::Threshold { field, .. } => Some(field.to_string()),
                Condition::Silent { .. } => None,
            })
            .collect();
        let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
        let mut latest: HashMap<(String, String), f64> = HashMap::new();
        if !fields.is_empty() {
            telemetry::latest_readings(b, &fields, LATEST_WITHIN, |r| {
                latest.insert((r.device.to_string(), r.field.to_string()), r.value);
            })
            .await?;
        }
        let now = Utc::now();
        let mut changes = Vec::new();
        let mut reminders = Vec::new();
        let mut checked = 0;
        {
            let mut tracked = self.tracked();
            let mut kept = HashMap::with_capacity(tracked.len());
            for rule in &rules {
                let hold = match rule.spec.condition {
                    Condition::Threshold { for_seconds, .. } => for_seconds,
                    Condition::Silent { .. } => 0,
                };
                for device in devices.iter().filter(|d| rule.spec.devices.includes(&d.id)) {
                    checked += 1;
                    let key = (rule.id.clone(), device.id.clone());
                    let prev = tracked.remove(&key);
                    let seen = observe(rule, device, &latest, now);
                    let mut now_tracked = next(prev.as_ref(), seen, hold, now);
                    let was = prev.as_ref().map_or(AlertState::Ok, |p| p.state);
                    // Named by the state it leaves (and since when): every evaluator that
                    // sees this change names it so.
                    let change = format!(
                        "{}/{}/{}",
                        rule.id,
                        device.id,
                        prev.as_ref().map_or(0, |p| p.since.timestamp_millis())
                    );
                    if now_tracked.state != was {
                        changes.push((rule, device.id.clone(), was, now_tracked.clone(), change));
                    } else if reminder_due(&now_tracked, rule.spec.remind_minutes, now) {
                        now_tracked.notified = Some(now);
                        let reminder = format!("{change}/reminder/{}", now.timestamp_millis());
                        reminders.push((rule, device.id.clone(), now_tracked.clone(), reminder));
                    }
                    // Ok since the first look is what no state means: nothing to keep.
                    if !is_untouched(&now_tracked) {
                        kept.insert(key, now_tracked);
                    }
                }
            }
            // Rules removed and devices gone leave nothing behind.
            *tracked = kept;
            self.note_active(&tracked);
        }
        let notices = changes
            .iter()
            .filter_map(|(rule, device, was, t, change)| match (was, t.state) {
                (_, AlertState::Firing) => Some((*rule, device, "firing", false, t, change)),
                (AlertState::Firing, AlertState::Ok) => {
                    Some((*rule, device, "resolved", false, t, change))
                }
                _ => None,
            })
            .chain(
                reminders
                    .iter()
                    .map(|(rule, device, t, key)| (*rule, device, "firing", true, t, key)),
            );
        // Claimed before the changes are written: an evaluator that finds a change already
        // written finds its notifications claimed too, and sends them if they were not.
        let mut claimed = Vec::new();
        let mut endpoints = None;
        for (rule, device, state, reminder, t, change) in notices {
            let endpoints = match &endpoints {
                Some(e) => e,
                None => endpoints.insert(self.store.endpoint_specs().await?),
            };
            let mut body = notice_body(rule, device, state, reminder, t);
            for (id, endpoint) in endpoints
                .iter()
                .filter(|(id, _)| rule.spec.endpoints.contains(id))
            {
                let key = format!("{change}/{state}/{id}");
                body["id"] = key.clone().into();
                if self.outbox.claim(&key, id, &body).await? {
                    claimed.push(Notice {
                        key,
                        endpoint_id: id.clone(),
                        endpoint: endpoint.clone(),
                        body: body.clone(),
                    });
                }
            }
        }
        let written = match changes.is_empty() {
            true => Ok(()),
            false => {
                let points: Vec<Point> = changes
                    .iter()
                    .map(|(rule, device, _, t, _)| event(rule, device, t))
                    .collect();
                b.client
                    .write(&b.settings.telemetry_bucket, Precision::Ms, &points)
                    .await
            }
        };
        // Sent even when the write failed: the change happened, and was claimed.
        for notice in claimed {
            self.notifier.send(notice);
        }
        written?;
        for (rule, device, was, ..) in &changes {
            if *was == AlertState::Firing {
                self.store.forget_acknowledgement(&rule.id, device).await?;
            }
        }
        Ok(Evaluation {
            rules: rules.len(),
            checked,
            changes: changes.len(),
        })
    }

    /// Adds an endpoint that can send: e-mail needs the server's SMTP relay, a webhook a
    /// public address (or an allowed host).
    pub async fn add_endpoint(&self, spec: EndpointSpec) -> Result<AlertEndpoint, Error> {
        if spec.kind == EndpointKind::Email && !self.notifier.can_mail() {
            return Err(Error::Invalid(
                "e-mail endpoints need the server's SMTP relay: set SMTP_URL and SMTP_FROM".into(),
            ));
        }
        if spec.kind != EndpointKind::Email {
            self.notifier
                .targets
                .check(&spec.url)
                .await
                .map_err(Error::Invalid)?;
        }
        self.store.add_endpoint(spec).await
    }

    /// Sends a test notification to endpoint `id` now, once: why the endpoint did not take
    /// it, if it did not.
    pub async fn test_endpoint(&self, id: &str) -> Result<Option<String>, Error> {
        let endpoints = self.store.endpoint_specs().await?;
        let (_, endpoint) = endpoints
            .iter()
            .find(|(e, _)| e == id)
            .ok_or_else(|| Error::NotFound(format!("there is no endpoint {id:?}")))?;
        let refused = self.notifier.test(endpoint).await.err();
        Ok(refused.map(|reason| format!("the endpoint {reason}")))
    }
}

/// A state change as InfluxDB's `statuses` keep it: tags rule, device, level; fields state,
/// value, message.
fn event(rule: &AlertRule, device: &str, t: &Tracked) -> Point {
    let mut p = Point::new(layout::ALERTS_MEASUREMENT)
        .tag(layout::ALERT_RULE_TAG, rule.id.as_str())
        .tag(layout::ALERT_DEVICE_TAG, device)
        .tag(layout::ALERT_LEVEL_TAG, rule.spec.level.as_str())
        .field(layout::ALERT_STATE, t.state.as_str())
        .field(layout::ALERT_MESSAGE, t.message.as_str())
        .time(t.since.timestamp_millis());
    if let Some(v) = t.value {
        p = p.field(layout::ALERT_VALUE, v);
    }
    p
}

/// What a webhook receives: `{"rule", "device", "state", "level", "value", "field", "time",
/// "message", "reminder"}` (`reminder`: a repeat of a firing alert's notification).
fn notice_body(
    rule: &AlertRule,
    device: &str,
    state: &str,
    reminder: bool,
    t: &Tracked,
) -> serde_json::Value {
    let field = match &rule.spec.condition {
        Condition::Threshold { field, .. } => Some(field.to_string()),
        Condition::Silent { .. } => None,
    };
    serde_json::json!({
        "rule": rule.spec.name,
        "rule_id": rule.id,
        "device": device,
        "state": state,
        "level": rule.spec.level,
        "value": t.value,
        "field": field,
        "time": t.since.to_rfc3339_opts(SecondsFormat::Millis, true),
        "message": t.message,
        "reminder": reminder,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(breached: bool) -> Observation {
        Observation {
            breached,
            value: Some(1.0),
            message: String::new(),
        }
    }

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(s, 0).unwrap()
    }

    #[test]
    fn a_condition_fires_after_it_held_long_enough_and_resolves_when_it_ends() {
        let t0 = next(None, seen(true), 30, at(0));
        assert_eq!((t0.state, t0.since), (AlertState::Pending, at(0)));
        let t1 = next(Some(&t0), seen(true), 30, at(20));
        assert_eq!((t1.state, t1.since), (AlertState::Pending, at(0)));
        let t2 = next(Some(&t1), seen(true), 30, at(30));
        assert_eq!((t2.state, t2.since), (AlertState::Firing, at(30)));
        let mut acked = t2.clone();
        acked.ack = Some(Acknowledgement {
            by: "o".into(),
            note: String::new(),
            at: String::new(),
        });
        let t3 = next(Some(&acked), seen(true), 30, at(40));
        assert_eq!((t3.state, t3.since), (AlertState::Firing, at(30)));
        assert!(t3.ack.is_some(), "acknowledged until it resolves");
        let t4 = next(Some(&t3), seen(false), 30, at(50));
        assert_eq!(
            (t4.state, t4.since, &t4.ack),
            (AlertState::Ok, at(50), &None)
        );
        // A pending condition that ends goes back to ok; for 0 s it fires at once.
        assert_eq!(
            next(Some(&t0), seen(false), 30, at(5)).state,
            AlertState::Ok
        );
        assert_eq!(next(None, seen(true), 0, at(0)).state, AlertState::Firing);
        assert_eq!(next(Some(&t4), seen(false), 0, at(60)).since, at(50));
    }

    #[test]
    fn a_firing_alert_is_reminded_every_so_often_until_acknowledged() {
        let fired = next(None, seen(true), 0, at(0));
        assert_eq!(fired.notified, Some(at(0)));
        assert!(
            !reminder_due(&fired, None, at(3_600)),
            "no reminders unless asked"
        );
        assert!(!reminder_due(&fired, Some(10), at(599)));
        assert!(reminder_due(&fired, Some(10), at(600)));
        let still = next(Some(&fired), seen(true), 0, at(700));
        assert_eq!(still.notified, Some(at(0)), "kept while it fires");
        let mut acked = still.clone();
        acked.ack = Some(Acknowledgement {
            by: "o".into(),
            note: String::new(),
            at: String::new(),
        });
        assert!(
            !reminder_due(&acked, Some(10), at(700)),
            "acknowledged: quiet"
        );
        let resolved = next(Some(&still), seen(false), 0, at(800));
        assert!(!reminder_due(&resolved, Some(10), at(9_999)));
    }

    #[test]
    fn only_pairs_that_were_ever_not_ok_are_kept() {
        let untouched = next(None, seen(false), 0, at(10));
        assert!(is_untouched(&untouched));
        let fired = next(None, seen(true), 0, at(10));
        assert!(!is_untouched(&fired));
        let resolved = next(Some(&fired), seen(false), 0, at(20));
        assert_eq!((resolved.state, resolved.since), (AlertState::Ok, at(20)));
        assert!(
            !is_untouched(&resolved),
            "a resolution is kept: the page shades its span"
        );
    }
}
