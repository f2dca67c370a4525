//! Typed inputs: what a user asks for, validated where it is deserialised (a server
//! function's arguments, a route's query string), so no layer re-parses strings.

use crate::{DeviceId, RangeChoice};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The time window of a chart, a table or an export: the last preset span, or a custom
/// `from..to` in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "WindowParams", into = "WindowParams")]
pub enum TimeWindow {
    Last(RangeChoice),
    Between {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
}

/// The earliest year a custom window may start in; its end must fit InfluxDB's timestamps
/// (nanoseconds in an i64: until April 2262). A window outside these is a typo.
pub const FIRST_YEAR: i32 = 1970;
pub const LAST_YEAR: i32 = 2262;

/// The longest custom window: a year and a month, beyond which a chart says nothing.
pub const MAX_CUSTOM_DAYS: i64 = 400;

/// A window as it travels in URLs and forms: `range` (a preset label or `custom`), and `from`
/// and `to` (RFC 3339, or the `YYYY-MM-DDTHH:MM` of a `datetime-local` input, read as UTC)
/// for a custom one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowParams {
    #[serde(default)]
    pub range: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

impl TimeWindow {
    pub fn parse(p: &WindowParams) -> Result<TimeWindow, String> {
        if let Some(choice) = RangeChoice::parse(&p.range) {
            return Ok(TimeWindow::Last(choice));
        }
        if p.range != "custom" {
            return Err(format!(
                "unknown time range {:?}: use 5m, 1h, 6h, 1d, 7d, 30d or custom",
                p.range
            ));
        }
        let (from, to) = (at("from", &p.from)?, at("to", &p.to)?);
        if from >= to {
            return Err("from must be before to".into());
        }
        if to - from > chrono::TimeDelta::days(MAX_CUSTOM_DAYS) {
            return Err(format!(
                "a custom range spans at most {MAX_CUSTOM_DAYS} days"
            ));
        }
        Ok(TimeWindow::Between { from, to })
    }

    pub fn params(&self) -> WindowParams {
        match self {
            TimeWindow::Last(choice) => WindowParams {
                range: choice.label().into(),
                from: None,
                to: None,
            },
            TimeWindow::Between { from, to } => WindowParams {
                range: "custom".into(),
                from: Some(rfc3339(from)),
                to: Some(rfc3339(to)),
            },
        }
    }
}

impl Default for TimeWindow {
    fn default() -> Self {
        TimeWindow::Last(RangeChoice::H1)
    }
}

/// RFC 3339 in UTC, with as many fractional digits as the time has (0, 3, 6 or 9); the
/// strftime writer the pages already use, so the wasm carries no second one.
fn rfc3339(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.fZ").to_string()
}

/// A custom bound, from [`FIRST_YEAR`] to the last time InfluxDB can store.
fn at(name: &str, raw: &Option<String>) -> Result<DateTime<Utc>, String> {
    let raw = raw
        .as_deref()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("a custom range needs {name}"))?;
    // A `datetime-local` input's `YYYY-MM-DDTHH:MM` is that minute in UTC. (Read as RFC 3339,
    // so the browser's wasm carries no general date-format parser.)
    let rfc3339 = match raw.len() {
        16 => format!("{raw}:00Z"),
        _ => raw.to_string(),
    };
    let t = DateTime::parse_from_rfc3339(&rfc3339)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("{name} {raw:?} is not a date and time (YYYY-MM-DDTHH:MM)"))?;
    let year = chrono::Datelike::year(&t);
    if year < FIRST_YEAR || t.timestamp_nanos_opt().is_none() {
        return Err(format!(
            "{name} must be between {FIRST_YEAR} and {LAST_YEAR}, not in {year}"
        ));
    }
    Ok(t)
}

impl TryFrom<WindowParams> for TimeWindow {
    type Error = String;
    fn try_from(p: WindowParams) -> Result<Self, String> {
        TimeWindow::parse(&p)
    }
}

impl From<TimeWindow> for WindowParams {
    fn from(w: TimeWindow) -> Self {
        w.params()
    }
}

/// The most devices one request may name: a chart of more is unreadable, and every id becomes
/// a term of a query.
pub const MAX_SELECTED_DEVICES: usize = 100;

/// A non-empty list of distinct devices, at most [`MAX_SELECTED_DEVICES`], in the order given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<DeviceId>", into = "Vec<DeviceId>")]
pub struct DeviceSelection(Vec<DeviceId>);

impl DeviceSelection {
    pub fn new(ids: Vec<DeviceId>) -> Result<DeviceSelection, String> {
        let mut distinct: Vec<DeviceId> = Vec::with_capacity(ids.len().min(MAX_SELECTED_DEVICES));
        for id in ids {
            if !distinct.contains(&id) {
                if distinct.len() == MAX_SELECTED_DEVICES {
                    return Err(format!(
                        "choose at most {MAX_SELECTED_DEVICES} devices at a time"
                    ));
                }
                distinct.push(id);
            }
        }
        if distinct.is_empty() {
            return Err("choose at least one device".into());
        }
        Ok(DeviceSelection(distinct))
    }

    /// A comma-separated list, as URLs carry it.
    pub fn parse_list(raw: &str) -> Result<DeviceSelection, String> {
        let ids = split_list(raw)
            .map(DeviceId::parse)
            .collect::<Result<Vec<_>, _>>()?;
        DeviceSelection::new(ids)
    }

    pub fn ids(&self) -> &[DeviceId] {
        &self.0
    }

    /// The ids joined by commas, as URLs carry them.
    pub fn to_list(&self) -> String {
        join(&self.0)
    }
}

impl TryFrom<Vec<DeviceId>> for DeviceSelection {
    type Error = String;
    fn try_from(ids: Vec<DeviceId>) -> Result<Self, String> {
        DeviceSelection::new(ids)
    }
}

impl From<DeviceSelection> for Vec<DeviceId> {
    fn from(s: DeviceSelection) -> Self {
        s.0
    }
}

crate::name::name_type!(
    /// A telemetry field's name, by the rule of device ids.
    FieldName,
    "a field name"
);

/// The most fields one export may name.
pub const MAX_EXPORT_FIELDS: usize = 32;

/// A CSV download: `GET /export.csv?devices=a,b&fields=CO2,TVOC&range=1d` (or
/// `range=custom&from=…&to=…`). The route parses it and pages build their links from it, so
/// both agree and the link is encoded correctly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ExportParams", into = "ExportParams")]
pub struct ExportRequest {
    pub devices: DeviceSelection,
    /// The columns, in order: at least one, at most [`MAX_EXPORT_FIELDS`].
    pub fields: Vec<FieldName>,
    pub window: TimeWindow,
}

/// An export's query string, key by key.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ExportParams {
    #[serde(default)]
    pub devices: String,
    #[serde(default)]
    pub fields: String,
    #[serde(flatten)]
    pub window: WindowParams,
}

impl ExportRequest {
    /// The link to download `fields` of `devices` over `window`, if all are valid names.
    pub fn link(devices: &[&str], fields: &[&str], window: TimeWindow) -> Option<String> {
        let devices = devices.iter().map(|d| DeviceId::parse(d).ok());
        let fields = fields.iter().map(|f| FieldName::parse(f).ok());
        let request = ExportRequest {
            devices: DeviceSelection::new(devices.collect::<Option<_>>()?).ok()?,
            fields: fields.collect::<Option<_>>()?,
            window,
        };
        Some(request.href())
    }

    /// The path and query of the download: [`ExportParams`]' keys, URL-encoded.
    pub fn href(&self) -> String {
        let p = ExportParams::from(self.clone());
        let mut query = form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("devices", &p.devices)
            .append_pair("fields", &p.fields)
            .append_pair("range", &p.window.range);
        for (key, value) in [("from", p.window.from), ("to", p.window.to)] {
            if let Some(value) = value {
                query.append_pair(key, &value);
            }
        }
        format!("/export.csv?{}", query.finish())
    }
}

impl TryFrom<ExportParams> for ExportRequest {
    type Error = String;
    fn try_from(p: ExportParams) -> Result<Self, String> {
        let fields = split_list(&p.fields)
            .map(FieldName::parse)
            .collect::<Result<Vec<_>, _>>()?;
        if fields.is_empty() {
            return Err("choose at least one field".into());
        }
        if fields.len() > MAX_EXPORT_FIELDS {
            return Err(format!("choose at most {MAX_EXPORT_FIELDS} fields"));
        }
        let window = if p.window.range.is_empty() {
            TimeWindow::default()
        } else {
            TimeWindow::parse(&p.window)?
        };
        Ok(ExportRequest {
            devices: DeviceSelection::parse_list(&p.devices)?,
            fields,
            window,
        })
    }
}

impl From<ExportRequest> for ExportParams {
    fn from(r: ExportRequest) -> Self {
        ExportParams {
            devices: r.devices.to_list(),
            fields: join(&r.fields),
            window: r.window.params(),
        }
    }
}

/// The non-empty, trimmed items of a comma-separated list.
fn split_list(raw: &str) -> impl Iterator<Item = &str> {
    raw.split(',').map(str::trim).filter(|s| !s.is_empty())
}

fn join(items: &[impl fmt::Display]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(range: &str, from: Option<&str>, to: Option<&str>) -> WindowParams {
        WindowParams {
            range: range.into(),
            from: from.map(Into::into),
            to: to.map(Into::into),
        }
    }

    #[test]
    fn windows_are_presets_or_ordered_custom_ranges() {
        assert_eq!(
            TimeWindow::parse(&params("1h", None, None)),
            Ok(TimeWindow::Last(RangeChoice::H1))
        );
        let custom = TimeWindow::parse(&params(
            "custom",
            Some("2026-01-01T10:00"),
            Some("2026-01-01T12:30:00Z"),
        ))
        .unwrap();
        assert_eq!(
            custom.params().from.as_deref(),
            Some("2026-01-01T10:00:00Z")
        );
        assert_eq!(TimeWindow::parse(&custom.params()), Ok(custom));
        let precise = TimeWindow::parse(&params(
            "custom",
            Some("2026-01-01T10:00:00.250Z"),
            Some("2026-01-01T11:00:00Z"),
        ))
        .unwrap();
        assert_eq!(
            precise.params().from.as_deref(),
            Some("2026-01-01T10:00:00.250Z")
        );
        let err = |p| TimeWindow::parse(&p).unwrap_err();
        assert_eq!(
            err(params("2h", None, None)),
            "unknown time range \"2h\": use 5m, 1h, 6h, 1d, 7d, 30d or custom"
        );
        assert_eq!(
            err(params(
                "custom",
                Some("2026-01-02T00:00"),
                Some("2026-01-01T00:00")
            )),
            "from must be before to"
        );
        assert_eq!(
            err(params("custom", None, Some("2026-01-01T00:00"))),
            "a custom range needs from"
        );
        assert_eq!(
            err(params(
                "custom",
                Some("yesterday"),
                Some("2026-01-01T00:00")
            )),
            "from \"yesterday\" is not a date and time (YYYY-MM-DDTHH:MM)"
        );
    }

    #[test]
    fn custom_windows_stay_within_the_years_timestamps_can_hold() {
        let err = |from: &str, to: &str| {
            TimeWindow::parse(&params("custom", Some(from), Some(to))).unwrap_err()
        };
        assert_eq!(
            err("1500-01-01T00:00", "2026-01-01T00:00"),
            "from must be between 1970 and 2262, not in 1500"
        );
        assert_eq!(
            err("2262-04-01T00:00", "2262-04-12T00:00"),
            "to must be between 1970 and 2262, not in 2262"
        );
        let ok = |from: &str, to: &str| TimeWindow::parse(&params("custom", Some(from), Some(to)));
        assert!(ok("1970-01-01T00:00", "1971-02-05T00:00").is_ok());
        assert!(ok("2262-03-01T00:00", "2262-04-11T00:00").is_ok());
        assert_eq!(
            err("2025-01-01T00:00", "2026-02-05T00:01"),
            "a custom range spans at most 400 days"
        );
    }

    #[test]
    fn selections_are_distinct_non_empty_and_bounded() {
        let id = |i: usize| DeviceId::parse(&format!("d{i}")).unwrap();
        assert_eq!(
            DeviceSelection::new(vec![]).unwrap_err(),
            "choose at least one device"
        );
        let twice = DeviceSelection::new(vec![id(1), id(2), id(1)]).unwrap();
        assert_eq!(twice.to_list(), "d1,d2");
        let at_limit = (0..MAX_SELECTED_DEVICES).map(id).collect();
        assert_eq!(DeviceSelection::new(at_limit).unwrap().ids().len(), 100);
        let past = (0..=MAX_SELECTED_DEVICES).map(id).collect();
        assert_eq!(
            DeviceSelection::new(past).unwrap_err(),
            "choose at most 100 devices at a time"
        );
        assert_eq!(
            DeviceSelection::parse_list("a,b\"").unwrap_err(),
            "'\"' is not allowed in a device id: use letters, digits, '.', '_' and '-'"
        );
    }

    #[test]
    fn field_names_follow_the_rule_of_device_ids() {
        assert_eq!(FieldName::parse(" CO2 ").unwrap().as_str(), "CO2");
        assert_eq!(
            FieldName::parse("").unwrap_err(),
            "a field name is required"
        );
        assert!(FieldName::parse(&"x".repeat(crate::name::MAX_LEN)).is_ok());
        assert_eq!(
            FieldName::parse(&"x".repeat(65)).unwrap_err(),
            "a field name has at most 64 characters, this one has 65"
        );
        let refused = "is not allowed in a field name: use letters, digits, '.', '_' and '-'";
        assert_eq!(
            FieldName::parse("a,b").unwrap_err(),
            format!("',' {refused}")
        );
        assert_eq!(
            FieldName::parse("a\nb").unwrap_err(),
            format!("'\\n' {refused}")
        );
        // No name can start a spreadsheet formula in an exported CSV.
        for formula in ["=1+1", "+1", "-1", "@SUM"] {
            let reason = FieldName::parse(formula).unwrap_err();
            assert!(
                reason == "a field name starts with a letter or a digit"
                    || reason.ends_with(refused),
                "{formula}: {reason}"
            );
        }
    }

    #[test]
    fn export_links_round_trip_through_the_route_s_parser() {
        let request = ExportRequest {
            devices: DeviceSelection::parse_list("ESP32-A0,dev.2").unwrap(),
            fields: vec![
                FieldName::parse("CO2").unwrap(),
                FieldName::parse("Temp_C").unwrap(),
            ],
            window: TimeWindow::parse(&params(
                "custom",
                Some("2026-01-01T10:00"),
                Some("2026-01-01T12:00"),
            ))
            .unwrap(),
        };
        let href = request.href();
        assert_eq!(
            href,
            "/export.csv?devices=ESP32-A0%2Cdev.2&fields=CO2%2CTemp_C\
             &range=custom&from=2026-01-01T10%3A00%3A00Z&to=2026-01-01T12%3A00%3A00Z"
        );
        let query = href.split_once('?').unwrap().1;
        let parsed: ExportRequest = serde_urlencoded::from_str(query).unwrap();
        assert_eq!(parsed, request);
        let bad = serde_urlencoded::from_str::<ExportRequest>("devices=a&fields=&range=1h");
        assert_eq!(bad.unwrap_err().to_string(), "choose at least one field");
    }
}
