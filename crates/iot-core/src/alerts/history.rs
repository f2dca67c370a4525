//! What alerts did, read back from their events in InfluxDB: the latest changes for the
//! Alerts page, and for a device's page what fires now, its thresholds and when alerts
//! fired within the charts' window.

use super::Alerts;
use crate::telemetry::time_range;
use crate::{layout, queries, Backend, Error};
use chrono::{DateTime, SecondsFormat, Utc};
use influx_client::flux::{RangeBound, TimeRange};
use influx_client::{FluxValue, Record};
use iot_models::{
    AlertEvent, AlertState, Condition, DeviceAlerts, DeviceId, FiredSpan, TimeWindow,
};
use std::collections::HashMap;
use std::time::Duration;

/// How far back the Alerts page's history goes, and how many changes it lists at most.
const HISTORY_WITHIN: Duration = Duration::from_secs(7 * 86_400);
pub const HISTORY_EVENTS: usize = 100;
/// How long before a chart's window its alerts' states are looked for (one firing since
/// before the window is marked from the window's start), and how many changes at most.
const BEFORE_WINDOW: chrono::Duration = chrono::Duration::days(30);
const DEVICE_EVENTS: usize = 1_000;

/// One event of a query of `queries::alert_events`, if it is whole.
fn event(r: &Record) -> Option<(DateTime<Utc>, AlertEvent)> {
    let text = |column: &str| r.get(column).and_then(FluxValue::as_str);
    let time = r.time()?;
    let rule = text(layout::ALERT_RULE_TAG)?.to_string();
    Some((
        time,
        AlertEvent {
            time: time.to_rfc3339_opts(SecondsFormat::Secs, true),
            rule_name: rule.clone(),
            rule,
            device: text(layout::ALERT_DEVICE_TAG)?.to_string(),
            level: text(layout::ALERT_LEVEL_TAG)
                .unwrap_or_default()
                .to_string(),
            state: AlertState::parse(text(layout::ALERT_STATE)?)?,
            value: r.get(layout::ALERT_VALUE).and_then(FluxValue::as_f64),
            message: text(layout::ALERT_MESSAGE).unwrap_or_default().to_string(),
        },
    ))
}

impl Alerts {
    /// The latest state changes of the last week, newest first, named by their rules.
    pub async fn history(&self, b: &Backend) -> Result<Vec<AlertEvent>, Error> {
        let q = queries::alert_events(
            &b.settings.telemetry_bucket,
            None,
            &TimeRange::last(HISTORY_WITHIN),
            HISTORY_EVENTS,
        );
        let rules = self.store.rules().await?;
        let records = b.client.query(&q).await?;
        let mut events: Vec<AlertEvent> =
            records.iter().filter_map(event).map(|(_, e)| e).collect();
        for e in &mut events {
            if let Some(rule) = rules.iter().find(|r| r.id == e.rule) {
                e.rule_name = rule.spec.name.clone();
            }
        }
        Ok(events)
    }

    /// What `device`'s page shows of its alerts over `window`.
    pub async fn on_device(
        &self,
        b: &Backend,
        device: &DeviceId,
        window: &TimeWindow,
    ) -> Result<DeviceAlerts, Error> {
        let rules = self.store.rules().await?;
        let mine: Vec<_> = rules
            .iter()
            .filter(|r| r.spec.devices.includes(device.as_str()))
            .collect();
        if mine.is_empty() {
            return Ok(DeviceAlerts::default());
        }
        let thresholds = mine
            .iter()
            .filter_map(|r| match &r.spec.condition {
                Condition::Threshold {
                    field,
                    value,
                    value2,
                    ..
                } => Some(
                    std::iter::once(*value)
                        .chain(*value2)
                        .map(|v| (field.to_string(), v)),
                ),
                Condition::Silent { .. } => None,
            })
            .flatten()
            .collect();
        let (start, stop) = time_range(window).resolve(Utc::now());
        let looked_from = start - BEFORE_WINDOW;
        let mut events: Vec<(DateTime<Utc>, AlertEvent)> = Vec::new();
        if self.changed_since(&mine, device.as_str(), looked_from) {
            let looked = TimeRange {
                start: RangeBound::At(looked_from),
                stop: Some(RangeBound::At(stop)),
            };
            let q = queries::alert_events(
                &b.settings.telemetry_bucket,
                Some(device.as_str()),
                &looked,
                DEVICE_EVENTS,
            );
            let records = b.client.query(&q).await?;
            events = records.iter().filter_map(event).collect();
            events.reverse();
        }
        let field_of = |rule: &str| {
            mine.iter()
                .find(|r| r.id == rule)
                .map(|r| match &r.spec.condition {
                    Condition::Threshold { field, .. } => Some(field.to_string()),
                    Condition::Silent { .. } => None,
                })
        };
        let active = self.current_of(&[device.as_str()]).await?;
        let firing: Vec<&str> = active
            .iter()
            .filter(|a| a.state == AlertState::Firing)
            .map(|a| a.rule.as_str())
            .collect();
        Ok(DeviceAlerts {
            fired: fired_spans(&events, start, &firing, field_of),
            active,
            thresholds,
        })
    }
}

/// Spans of firing within `[start, …)` from events oldest first; the rules `firing` now whose
/// firing event is older than the events fire since `start`. `field_of` says a rule's field
/// (none for a silent rule), or nothing for a rule no longer there.
fn fired_spans<'a>(
    events: &'a [(DateTime<Utc>, AlertEvent)],
    start: DateTime<Utc>,
    firing: &[&'a str],
    field_of: impl Fn(&str) -> Option<Option<String>>,
) -> Vec<FiredSpan> {
    let mut open: HashMap<&str, DateTime<Utc>> = HashMap::new();
    let mut spans = Vec::new();
    let span = |rule: &str, from: DateTime<Utc>, to: Option<DateTime<Utc>>| {
        let field = field_of(rule)?;
        let from = from.max(start);
        Some(FiredSpan {
            field,
            start_ms: from.timestamp_millis(),
            end_ms: to.map(|t| t.timestamp_millis()),
        })
    };
    for (time, e) in events {
        match (e.state, open.remove(e.rule.as_str())) {
            (AlertState::Firing, since) => {
                open.insert(&e.rule, since.unwrap_or(*time));
            }
            (_, Some(since)) if *time >= start => spans.extend(span(&e.rule, since, Some(*time))),
            _ => {}
        }
    }
    for rule in firing {
        open.entry(rule).or_insert(start);
    }
    spans.extend(
        open.into_iter()
            .filter_map(|(rule, since)| span(rule, since, None)),
    );
    spans.sort_by_key(|s| s.start_ms);
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(s, 0).unwrap()
    }

    fn change(t: i64, rule: &str, state: AlertState) -> (DateTime<Utc>, AlertEvent) {
        let e = AlertEvent {
            time: String::new(),
            rule: rule.into(),
            rule_name: rule.into(),
            device: "d".into(),
            level: "warn".into(),
            state,
            value: None,
            message: String::new(),
        };
        (at(t), e)
    }

    #[test]
    fn spans_run_from_firing_to_the_next_change_clipped_to_the_window() {
        use AlertState::*;
        let events = [
            change(50, "co2", Firing), // before the window, resolved in it
            change(120, "co2", Ok),
            change(130, "co2", Pending),
            change(140, "co2", Firing),
            change(150, "quiet", Firing), // still firing
            change(60, "gone", Firing),   // a removed rule's
            change(70, "temp", Firing),   // before the window and over before it
            change(80, "temp", Ok),
        ];
        let mut events = events.to_vec();
        events.sort_by_key(|(t, _)| *t);
        let field_of = |rule: &str| match rule {
            "co2" => Some(Some("CO2".to_string())),
            "temp" => Some(Some("Temperature".to_string())),
            "quiet" => Some(None),
            _ => None,
        };
        let spans = fired_spans(&events, at(100), &["quiet", "temp"], field_of);
        let got: Vec<_> = spans
            .iter()
            .map(|s| {
                (
                    s.field.as_deref(),
                    s.start_ms / 1000,
                    s.end_ms.map(|e| e / 1000),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (Some("CO2"), 100, Some(120)),
                (Some("Temperature"), 100, None), // firing since before the events
                (Some("CO2"), 140, None),
                (None, 150, None),
            ]
        );
    }
}
