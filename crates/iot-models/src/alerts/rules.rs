//! Rules: what is watched (a threshold on a field, or silence), on which devices, how loud.

use super::text;
use crate::{DeviceId, FieldName};
use serde::{Deserialize, Serialize};

/// Devices a rule names at most (beyond it, a rule is for every device: `"*"`).
pub const MAX_RULE_DEVICES: usize = 1_000;
/// Endpoints a rule notifies at most.
pub const MAX_RULE_ENDPOINTS: usize = 10;
/// The longest a condition may have to hold, and the longest silence watched for: a week.
pub const MAX_ALERT_SECONDS: u64 = 7 * 86_400;
/// The shortest silence watched for: less would fire between two points of a healthy device.
pub const MIN_SILENT_SECONDS: u64 = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertLevel {
    Crit,
    Warn,
    Info,
}

impl AlertLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertLevel::Crit => "crit",
            AlertLevel::Warn => "warn",
            AlertLevel::Info => "info",
        }
    }
}

/// How a threshold rule compares a field's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThresholdOp {
    #[serde(rename = ">")]
    Above,
    #[serde(rename = "<")]
    Below,
    /// Outside the band `value`..=`value2`.
    #[serde(rename = "outside")]
    Outside,
}

/// The devices a rule watches: all registered devices (`"*"`), or those named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleDevices {
    All,
    Only(Vec<DeviceId>),
}

impl RuleDevices {
    /// The devices named, once each: 1–[`MAX_RULE_DEVICES`] of them.
    pub fn named(mut ids: Vec<DeviceId>) -> Result<RuleDevices, String> {
        if ids.is_empty() {
            return Err("devices names at least one device (or is \"*\" for all)".into());
        }
        if ids.len() > MAX_RULE_DEVICES {
            return Err(format!(
                "devices names at most {MAX_RULE_DEVICES} devices (use \"*\" for all), not {}",
                ids.len()
            ));
        }
        ids.sort();
        ids.dedup();
        Ok(RuleDevices::Only(ids))
    }

    pub fn includes(&self, id: &str) -> bool {
        match self {
            RuleDevices::All => true,
            RuleDevices::Only(ids) => ids.iter().any(|d| d.as_str() == id),
        }
    }
}

impl Serialize for RuleDevices {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            RuleDevices::All => s.serialize_str("*"),
            RuleDevices::Only(ids) => ids.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for RuleDevices {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Star(String),
            Ids(Vec<DeviceId>),
        }
        match Raw::deserialize(d)
            .map_err(|_| serde::de::Error::custom("devices is \"*\" or a list of device ids"))?
        {
            Raw::Star(s) if s == "*" => Ok(RuleDevices::All),
            Raw::Star(s) => Err(serde::de::Error::custom(format!(
                "devices is \"*\" or a list of device ids, not {s:?}"
            ))),
            Raw::Ids(ids) => RuleDevices::named(ids).map_err(serde::de::Error::custom),
        }
    }
}

/// What a rule watches for.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// `field` compared with `value` (and `value2`, for a band) for at least `for_seconds`.
    Threshold {
        field: FieldName,
        op: ThresholdOp,
        value: f64,
        value2: Option<f64>,
        for_seconds: u64,
    },
    /// No point from the device for `silent_seconds`.
    Silent { silent_seconds: u64 },
}

impl Condition {
    /// Whether `v` breaks a threshold (a silent rule has no value to break).
    pub fn breached_by(&self, v: f64) -> bool {
        match *self {
            Condition::Threshold {
                op, value, value2, ..
            } => match op {
                ThresholdOp::Above => v > value,
                ThresholdOp::Below => v < value,
                ThresholdOp::Outside => v < value || v > value2.unwrap_or(value),
            },
            Condition::Silent { .. } => false,
        }
    }
}

/// A rule as operators write it: `{"name", "devices": [..] | "*", "kind": "threshold" |
/// "silent", "field", "op", "value", "value2", "for_seconds", "silent_seconds", "level",
/// "endpoints": [endpoint ids], "remind_minutes"}`, checked when deserialised.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RuleParams", into = "RuleParams")]
pub struct RuleSpec {
    pub name: String,
    pub devices: RuleDevices,
    pub condition: Condition,
    pub level: AlertLevel,
    pub endpoints: Vec<String>,
    /// Notify again every this many minutes while an alert fires unacknowledged.
    pub remind_minutes: Option<u32>,
}

/// The longest between reminders: a day.
pub const MAX_REMIND_MINUTES: u32 = 1_440;

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleParams {
    name: String,
    devices: RuleDevices,
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    field: Option<FieldName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    op: Option<ThresholdOp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value2: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    for_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    silent_seconds: Option<u64>,
    #[serde(default = "warn")]
    level: AlertLevel,
    #[serde(default)]
    endpoints: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    remind_minutes: Option<u32>,
}

fn warn() -> AlertLevel {
    AlertLevel::Warn
}

impl TryFrom<RuleParams> for RuleSpec {
    type Error = String;

    fn try_from(p: RuleParams) -> Result<RuleSpec, String> {
        let seconds = |what: &str, s: Option<u64>, min: u64| match s.unwrap_or(min) {
            s if (min..=MAX_ALERT_SECONDS).contains(&s) => Ok(s),
            s => Err(format!(
                "{what} is {min}–{MAX_ALERT_SECONDS} (a week), not {s}"
            )),
        };
        let condition = match p.kind.as_str() {
            "threshold" => {
                let field = p.field.ok_or("a threshold rule needs a field")?;
                let op =
                    p.op.ok_or("a threshold rule needs op: \">\", \"<\" or \"outside\"")?;
                let value = p.value.ok_or("a threshold rule needs a value")?;
                let value2 = match (op, p.value2) {
                    (ThresholdOp::Outside, None) => {
                        return Err("op \"outside\" needs value2, the top of the band".into())
                    }
                    (ThresholdOp::Outside, Some(top)) if top <= value || top.is_nan() => {
                        return Err(format!(
                        "the band is value..value2 with value2 above value: {value}..{top} is not"
                    ))
                    }
                    (_, v2) => v2,
                };
                if !value.is_finite() || value2.is_some_and(|v| !v.is_finite()) {
                    return Err("value and value2 are finite numbers".into());
                }
                if p.silent_seconds.is_some() {
                    return Err("silent_seconds is for silent rules".into());
                }
                Condition::Threshold {
                    field,
                    op,
                    value,
                    value2: (op == ThresholdOp::Outside).then_some(value2).flatten(),
                    for_seconds: seconds("for_seconds", p.for_seconds, 0)?,
                }
            }
            "silent" => {
                if p.field.is_some() || p.op.is_some() || p.value.is_some() {
                    return Err("a silent rule has no field, op or value".into());
                }
                let Some(silent) = p.silent_seconds else {
                    return Err("a silent rule needs silent_seconds".into());
                };
                Condition::Silent {
                    silent_seconds: seconds("silent_seconds", Some(silent), MIN_SILENT_SECONDS)?,
                }
            }
            other => {
                return Err(format!(
                    "kind is \"threshold\" or \"silent\", not {other:?}"
                ))
            }
        };
        if p.endpoints.len() > MAX_RULE_ENDPOINTS {
            return Err(format!(
                "a rule notifies at most {MAX_RULE_ENDPOINTS} endpoints, not {}",
                p.endpoints.len()
            ));
        }
        let mut endpoints = p.endpoints;
        endpoints.sort();
        endpoints.dedup();
        if let Some(m) = p
            .remind_minutes
            .filter(|m| !(1..=MAX_REMIND_MINUTES).contains(m))
        {
            return Err(format!(
                "remind_minutes is 1–{MAX_REMIND_MINUTES} (a day), not {m}"
            ));
        }
        Ok(RuleSpec {
            name: text("name", &p.name)?,
            devices: p.devices,
            condition,
            level: p.level,
            endpoints,
            remind_minutes: p.remind_minutes,
        })
    }
}

impl From<RuleSpec> for RuleParams {
    fn from(r: RuleSpec) -> RuleParams {
        let mut p = RuleParams {
            name: r.name,
            devices: r.devices,
            kind: String::new(),
            field: None,
            op: None,
            value: None,
            value2: None,
            for_seconds: None,
            silent_seconds: None,
            level: r.level,
            endpoints: r.endpoints,
            remind_minutes: r.remind_minutes,
        };
        match r.condition {
            Condition::Threshold {
                field,
                op,
                value,
                value2,
                for_seconds,
            } => {
                p.kind = "threshold".into();
                (p.field, p.op, p.value, p.value2) = (Some(field), Some(op), Some(value), value2);
                p.for_seconds = Some(for_seconds);
            }
            Condition::Silent { silent_seconds } => {
                p.kind = "silent".into();
                p.silent_seconds = Some(silent_seconds);
            }
        }
        p
    }
}

/// A rule as the Alerts page's form holds it, every field as typed: checked on the server
/// into a [`RuleSpec`] by the rules the JSON API checks with. (Checking it in the browser
/// too would pull the float parser into the main wasm of the split build.)
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RuleForm {
    pub name: String,
    /// `*`, or device ids separated by commas.
    pub devices: String,
    pub kind: String,
    pub field: String,
    pub op: String,
    pub value: String,
    pub value2: String,
    pub for_seconds: String,
    pub silent_seconds: String,
    pub level: String,
    pub endpoints: Vec<String>,
    /// Blank: no reminders.
    pub remind_minutes: String,
}

/// A number typed in a form, if the rule uses it: none when blank or unused.
fn typed<T: std::str::FromStr>(used: bool, what: &str, text: &str) -> Result<Option<T>, String> {
    match text.trim() {
        _ if !used => Ok(None),
        "" => Ok(None),
        t => t
            .parse()
            .map(Some)
            .map_err(|_| format!("{what} is a number, not {t:?}")),
    }
}

impl RuleForm {
    pub fn check(&self) -> Result<RuleSpec, String> {
        let threshold = self.kind == "threshold";
        let devices = match self.devices.trim() {
            "*" => RuleDevices::All,
            list => RuleDevices::named(
                list.split(',')
                    .map(str::trim)
                    .filter(|d| !d.is_empty())
                    .map(DeviceId::parse)
                    .collect::<Result<_, _>>()?,
            )?,
        };
        let op = match (threshold, self.op.as_str()) {
            (false, _) => None,
            (true, ">") => Some(ThresholdOp::Above),
            (true, "<") => Some(ThresholdOp::Below),
            (true, "outside") => Some(ThresholdOp::Outside),
            (true, other) => {
                return Err(format!("op is \">\", \"<\" or \"outside\", not {other:?}"))
            }
        };
        let level = match self.level.as_str() {
            "crit" => AlertLevel::Crit,
            "info" => AlertLevel::Info,
            _ => AlertLevel::Warn,
        };
        let field = match threshold {
            true => Some(FieldName::parse(&self.field)?),
            false => None,
        };
        RuleSpec::try_from(RuleParams {
            name: self.name.clone(),
            devices,
            kind: self.kind.clone(),
            field,
            op,
            value: typed(threshold, "value", &self.value)?,
            value2: typed(op == Some(ThresholdOp::Outside), "value2", &self.value2)?,
            for_seconds: typed(threshold, "for_seconds", &self.for_seconds)?,
            silent_seconds: typed(!threshold, "silent_seconds", &self.silent_seconds)?,
            level,
            endpoints: self.endpoints.clone(),
            remind_minutes: typed(true, "remind_minutes", &self.remind_minutes)?,
        })
    }
}

/// A stored rule: its id and what it says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertRule {
    pub id: String,
    #[serde(flatten)]
    pub spec: RuleSpec,
}

#[cfg(test)]
#[cfg(test)]
mod tests {
    use super::*;

    fn rule(json: &str) -> Result<RuleSpec, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn a_threshold_rule_reads_and_writes_the_flat_shape() {
        let r = rule(
            r#"{"name":"CO2 high","devices":"*","kind":"threshold","field":"CO2","op":">","value":1000,"for_seconds":0,"endpoints":["e2","e1","e2"]}"#,
        )
        .unwrap();
        assert_eq!(r.devices, RuleDevices::All);
        assert_eq!(r.level, AlertLevel::Warn, "warn unless said");
        assert_eq!(r.endpoints, ["e1", "e2"]);
        assert_eq!(r.remind_minutes, None, "no reminders unless asked");
        assert!(r.condition.breached_by(1000.5) && !r.condition.breached_by(1000.0));
        let back: serde_json::Value = serde_json::to_value(&r).unwrap();
        assert_eq!(back["kind"], "threshold");
        assert_eq!(back["op"], ">");
        assert_eq!(back["devices"], "*");
        assert_eq!(rule(&back.to_string()).unwrap(), r);
    }

    #[test]
    fn bands_and_silence() {
        let band = rule(r#"{"name":"t","devices":["b","a"],"kind":"threshold","field":"Temperature","op":"outside","value":18,"value2":26,"level":"crit"}"#).unwrap();
        assert!(band.condition.breached_by(17.9) && band.condition.breached_by(26.1));
        assert!(!band.condition.breached_by(18.0) && !band.condition.breached_by(26.0));
        assert!(band.devices.includes("a") && !band.devices.includes("c"));
        let quiet =
            rule(r#"{"name":"q","devices":"*","kind":"silent","silent_seconds":300}"#).unwrap();
        assert_eq!(
            quiet.condition,
            Condition::Silent {
                silent_seconds: 300
            }
        );
    }

    #[test]
    fn bad_rules_say_what_is_wrong() {
        let reason = |json: &str| rule(json).unwrap_err();
        let base = r#""name":"n","devices":"*""#;
        for (json, expected) in [
            (
                format!(r#"{{{base},"kind":"threshold","op":">","value":1}}"#),
                "needs a field",
            ),
            (
                format!(r#"{{{base},"kind":"threshold","field":"CO2","value":1}}"#),
                "needs op",
            ),
            (
                format!(r#"{{{base},"kind":"threshold","field":"CO2","op":">"}}"#),
                "needs a value",
            ),
            (
                format!(r#"{{{base},"kind":"threshold","field":"CO2","op":"outside","value":1}}"#),
                "needs value2",
            ),
            (
                format!(
                    r#"{{{base},"kind":"threshold","field":"CO2","op":"outside","value":5,"value2":1}}"#
                ),
                "value2 above value",
            ),
            (
                format!(r#"{{{base},"kind":"threshold","field":"CO2","op":">=","value":1}}"#),
                "unknown variant",
            ),
            (
                format!(r#"{{{base},"kind":"threshold","field":"CO 2","op":">","value":1}}"#),
                "not allowed in a field name",
            ),
            (
                format!(
                    r#"{{{base},"kind":"threshold","field":"CO2","op":">","value":1,"for_seconds":604801}}"#
                ),
                "for_seconds is 0–604800",
            ),
            (
                format!(r#"{{{base},"kind":"silent"}}"#),
                "needs silent_seconds",
            ),
            (
                format!(r#"{{{base},"kind":"silent","silent_seconds":4}}"#),
                "silent_seconds is 5–604800",
            ),
            (
                format!(r#"{{{base},"kind":"silent","silent_seconds":60,"field":"CO2"}}"#),
                "no field",
            ),
            (format!(r#"{{{base},"kind":"sometimes"}}"#), "kind is"),
            (
                format!(r#"{{{base},"kind":"silent","silent_seconds":60,"remind_minutes":0}}"#),
                "remind_minutes is 1–1440",
            ),
            (
                format!(r#"{{{base},"kind":"silent","silent_seconds":60,"remind_minutes":1441}}"#),
                "remind_minutes is 1–1440",
            ),
            (
                format!(r#"{{{base},"kind":"silent","silent_seconds":60,"colour":1}}"#),
                "unknown field",
            ),
            (
                r#"{"name":" ","devices":"*","kind":"silent","silent_seconds":60}"#.into(),
                "name is required",
            ),
            (
                r#"{"name":"n","devices":[],"kind":"silent","silent_seconds":60}"#.into(),
                "at least one device",
            ),
            (
                r#"{"name":"n","devices":"all","kind":"silent","silent_seconds":60}"#.into(),
                "\"*\" or a list",
            ),
            (
                r#"{"name":"n","devices":["a b"],"kind":"silent","silent_seconds":60}"#.into(),
                "\"*\" or a list",
            ),
        ] {
            let got = reason(&json);
            assert!(got.contains(expected), "{json}: {got}");
        }
        let ids: Vec<String> = (0..=MAX_RULE_DEVICES)
            .map(|n| format!("\"d{n}\""))
            .collect();
        let too_many = format!(
            r#"{{"name":"n","devices":[{}],"kind":"silent","silent_seconds":60}}"#,
            ids.join(",")
        );
        assert!(reason(&too_many).contains("at most 1000 devices"));
        let at_most = format!(
            r#"{{"name":"n","devices":[{}],"kind":"silent","silent_seconds":60}}"#,
            ids[1..].join(",")
        );
        assert!(rule(&at_most).is_ok());
        let daily = rule(
            r#"{"name":"n","devices":"*","kind":"silent","silent_seconds":60,"remind_minutes":1440}"#,
        );
        assert_eq!(daily.unwrap().remind_minutes, Some(MAX_REMIND_MINUTES));
    }

    #[test]
    fn a_form_is_checked_as_the_json_api_checks_it() {
        let form = RuleForm {
            name: "CO2 high".into(),
            devices: " b, a ,a".into(),
            kind: "threshold".into(),
            field: "CO2".into(),
            op: ">".into(),
            value: "1000".into(),
            value2: "5".into(),
            for_seconds: "0".into(),
            silent_seconds: "x".into(),
            level: "crit".into(),
            endpoints: vec!["e1".into()],
            remind_minutes: " 30 ".into(),
        };
        let json = rule(
            r#"{"name":"CO2 high","devices":["a","b"],"kind":"threshold","field":"CO2","op":">","value":1000,"for_seconds":0,"level":"crit","endpoints":["e1"],"remind_minutes":30}"#,
        );
        assert_eq!(
            form.check(),
            json,
            "what a threshold does not use is left out"
        );
        let band = RuleForm {
            op: "outside".into(),
            value2: String::new(),
            ..form.clone()
        };
        assert!(band.check().unwrap_err().contains("needs value2"));
        let bad = RuleForm {
            value: "lots".into(),
            ..form.clone()
        };
        assert!(bad.check().unwrap_err().contains("value is a number"));
        let silent = RuleForm {
            kind: "silent".into(),
            silent_seconds: "60".into(),
            devices: "*".into(),
            ..form
        };
        assert_eq!(
            silent.check().unwrap().condition,
            Condition::Silent { silent_seconds: 60 }
        );
    }
}
