//! Where each rule stands for each device, acknowledgements, and the history of changes.

use super::{text, AlertEndpoint, AlertLevel, AlertRule};
use crate::Dashboard;
use serde::{Deserialize, Serialize};

/// Where a rule stands for one device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    Ok,
    /// The condition holds, not yet for the rule's `for_seconds`.
    Pending,
    Firing,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Ok => "ok",
            AlertState::Pending => "pending",
            AlertState::Firing => "firing",
        }
    }

    pub fn parse(s: &str) -> Option<AlertState> {
        [AlertState::Ok, AlertState::Pending, AlertState::Firing]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
}

/// An operator's acknowledgement of a firing alert; it lasts until the alert resolves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Acknowledgement {
    pub by: String,
    pub note: String,
    /// RFC 3339.
    pub at: String,
}

/// One rule for one device, now: `id` is `rule-id:device-id`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub id: String,
    pub rule: String,
    pub rule_name: String,
    pub device: String,
    pub state: AlertState,
    pub level: AlertLevel,
    /// The value that broke the threshold (none for a silent device).
    pub value: Option<f64>,
    pub message: String,
    /// RFC 3339: since when it is in this state.
    pub since: String,
    pub acknowledged: Option<Acknowledgement>,
}

/// The Alerts page: what is not ok now (firing first), the rules, the endpoints, and the
/// latest changes (newest first).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertsOverview {
    pub alerts: Vec<Alert>,
    pub rules: Vec<AlertRule>,
    pub endpoints: Vec<AlertEndpoint>,
    pub history: Vec<AlertEvent>,
}

/// What an acknowledgement says: `{"note": …}` (optional, one line or a few).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "AckParams")]
pub struct AckNote(pub String);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AckParams {
    #[serde(default)]
    note: String,
}

impl AckNote {
    /// A note of at most [`MAX_ALERT_TEXT`] characters; none is fine.
    pub fn parse(note: &str) -> Result<AckNote, String> {
        match note.trim() {
            "" => Ok(AckNote(String::new())),
            note => text("note", note).map(AckNote),
        }
    }
}

impl TryFrom<AckParams> for AckNote {
    type Error = String;

    fn try_from(p: AckParams) -> Result<AckNote, String> {
        AckNote::parse(&p.note)
    }
}
/// A change of state as InfluxDB keeps it (measurement `alerts`), for the history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertEvent {
    /// RFC 3339.
    pub time: String,
    pub rule: String,
    /// The rule's name now; its id if it was removed since.
    pub rule_name: String,
    pub device: String,
    pub level: String,
    pub state: AlertState,
    pub value: Option<f64>,
    pub message: String,
}

/// How long an alert fired within a chart's window, in ms since the epoch.
#[derive(Clone, Debug, PartialEq)]
pub struct FiredSpan {
    /// The field whose threshold broke; none for a silent device (every chart shows it).
    pub field: Option<String>,
    pub start_ms: i64,
    /// None while it still fires.
    pub end_ms: Option<i64>,
}

/// A device's alerts, found on the server: what is not ok now, and for its charts each
/// threshold on a field and when alerts fired within the window. It reaches the page as
/// plain fields of its [`Dashboard`] (`put_on`): the device page's wasm stays small.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeviceAlerts {
    /// Firing first.
    pub active: Vec<Alert>,
    /// `(field, value)`: a line on the field's chart for each threshold (two for a band).
    pub thresholds: Vec<(String, f64)>,
    pub fired: Vec<FiredSpan>,
}

impl DeviceAlerts {
    /// What `field`'s chart marks: its thresholds, and `[start, end, …]` (ms) of the spans
    /// an alert fired, one still firing ending at `now_ms`.
    pub fn marks(&self, field: &str, now_ms: i64) -> (Vec<f64>, Vec<f64>) {
        let thresholds = self.thresholds.iter().filter(|(f, _)| f == field);
        let spans = self
            .fired
            .iter()
            .filter(|s| s.field.as_deref().is_none_or(|f| f == field))
            .flat_map(|s| [s.start_ms, s.end_ms.unwrap_or(now_ms)].map(|t| t as f64));
        (thresholds.map(|(_, v)| *v).collect(), spans.collect())
    }

    /// Puts the alerts on the dashboard: the banner's lines and each charted field's marks.
    pub fn put_on(self, d: &mut Dashboard) {
        let now_ms = d.resolution.now_ms;
        d.marks = d
            .series
            .iter()
            .map(|s| {
                let (lines, spans) = self.marks(&s.field, now_ms);
                (s.field.clone(), lines, spans)
            })
            .filter(|(_, lines, spans)| !lines.is_empty() || !spans.is_empty())
            .collect();
        d.alerts = self
            .active
            .into_iter()
            .map(|a| {
                let acked = a
                    .acknowledged
                    .map(|k| format!(" · acknowledged by {}", k.by));
                let said = format!(
                    "{} · {} {}: {}{}",
                    a.level.as_str().to_uppercase(),
                    a.rule_name,
                    a.state.as_str(),
                    a.message,
                    acked.unwrap_or_default()
                );
                let class = match a.state {
                    AlertState::Firing => a.level.as_str(),
                    _ => "pending",
                };
                (class.to_string(), said)
            })
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_marks_its_own_thresholds_and_the_spans_that_concern_it() {
        let alerts = DeviceAlerts {
            active: vec![],
            thresholds: vec![("CO2".into(), 1000.0), ("Temperature".into(), 18.0)],
            fired: vec![
                FiredSpan {
                    field: Some("CO2".into()),
                    start_ms: 10,
                    end_ms: Some(20),
                },
                FiredSpan {
                    field: None,
                    start_ms: 30,
                    end_ms: None,
                },
                FiredSpan {
                    field: Some("Temperature".into()),
                    start_ms: 40,
                    end_ms: Some(50),
                },
            ],
        };
        let (lines, spans) = alerts.marks("CO2", 99);
        assert_eq!(lines, [1000.0]);
        assert_eq!(spans, [10.0, 20.0, 30.0, 99.0], "one still firing ends now");
        assert_eq!(alerts.marks("Humidity", 99), (vec![], vec![30.0, 99.0]));
    }
}
