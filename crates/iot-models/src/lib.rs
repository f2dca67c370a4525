//! Typed models shared by the server and the browser: plain serde types, so the wasm gets
//! them without the server's dependencies.

mod accounts;
mod alerts;
mod dashboard;
mod dashboard_spec;
mod device_id;
mod device_status;
mod enrollment;
mod fleet;
mod health;
mod inputs;
mod live_points;
mod map;
mod name;
mod share_link;

pub use accounts::*;
pub use alerts::*;
pub use dashboard::*;
pub use dashboard_spec::*;
pub use device_id::DeviceId;
pub use device_status::{DeviceStatus, StatusThresholds};
pub use enrollment::*;
pub use fleet::*;
pub use health::*;
pub use inputs::*;
pub use live_points::join_live;
pub use map::*;
pub use name::MAX_LEN as MAX_NAME_LEN;
pub use share_link::*;

use serde::{Deserialize, Serialize};

/// A device in the list: never its token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceSummary {
    pub id: String,
    /// The id of its authorization (not the token); empty once removed.
    pub key: Option<String>,
    /// RFC 3339, when it was registered.
    pub created_at: Option<String>,
    /// RFC 3339, the latest change of its registration.
    pub updated_at: Option<String>,
    /// RFC 3339, its latest telemetry point, never later than when it arrived; `None`: it
    /// never wrote.
    pub last_seen: Option<String>,
    /// Seconds from `last_seen` to when the server read it: the same "… ago" on the server's
    /// page and in the browser.
    pub seen_ago_seconds: Option<i64>,
    /// Its authorization was deleted: it can no longer write.
    pub removed: bool,
    pub status: DeviceStatus,
    /// How many seconds ahead of the server's clock its latest points were stamped, when
    /// noticeably (its clock is wrong).
    #[serde(default)]
    pub clock_ahead_seconds: Option<i64>,
}

/// One device for its page: registration and the configuration a device fetches, with the
/// token left out (it is revealed on request only).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceDetail {
    pub summary: DeviceSummary,
    /// `key: value` lines as `GET /api/env/<id>` with `text/plain` gives them, token masked.
    pub config_text: String,
    /// Whether the caller may reveal its token and remove it (an operator): decided on the
    /// server, so the page offers only what will be allowed.
    pub manageable: bool,
}

/// A time range a user can pick.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RangeChoice {
    S10,
    S30,
    M1,
    M5,
    H1,
    H6,
    D1,
    D7,
    D30,
}

impl RangeChoice {
    pub const ALL: [RangeChoice; 9] = [
        RangeChoice::S10,
        RangeChoice::S30,
        RangeChoice::M1,
        RangeChoice::M5,
        RangeChoice::H1,
        RangeChoice::H6,
        RangeChoice::D1,
        RangeChoice::D7,
        RangeChoice::D30,
    ];

    pub fn label(self) -> &'static str {
        match self {
            RangeChoice::S10 => "10s",
            RangeChoice::S30 => "30s",
            RangeChoice::M1 => "1m",
            RangeChoice::M5 => "5m",
            RangeChoice::H1 => "1h",
            RangeChoice::H6 => "6h",
            RangeChoice::D1 => "1d",
            RangeChoice::D7 => "7d",
            RangeChoice::D30 => "30d",
        }
    }

    pub fn seconds(self) -> u64 {
        match self {
            RangeChoice::S10 => 10,
            RangeChoice::S30 => 30,
            RangeChoice::M1 => 60,
            RangeChoice::M5 => 300,
            RangeChoice::H1 => 3_600,
            RangeChoice::H6 => 6 * 3_600,
            RangeChoice::D1 => 86_400,
            RangeChoice::D7 => 7 * 86_400,
            RangeChoice::D30 => 30 * 86_400,
        }
    }

    /// A live window: drawn as points arrive (pushed by the server), not re-read.
    pub fn is_live(self) -> bool {
        self.seconds() <= 300
    }

    pub fn parse(label: &str) -> Option<RangeChoice> {
        RangeChoice::ALL.into_iter().find(|r| r.label() == label)
    }
}

/// One value a device just wrote, pushed to the pages watching it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LivePoint {
    pub field: String,
    /// Milliseconds since the epoch.
    pub time_ms: i64,
    pub value: f64,
}

impl LivePoint {
    /// The point as a live stream carries it: `time_ms value field` (the field last, as it
    /// may hold spaces), small to send and to read without a JSON parser in the browser.
    pub fn to_line(&self) -> String {
        format!("{} {} {}", self.time_ms, self.value, self.field)
    }

    pub fn parse_line(line: &str) -> Option<LivePoint> {
        let mut parts = line.splitn(3, ' ');
        Some(LivePoint {
            time_ms: parts.next()?.parse().ok()?,
            value: parts.next()?.parse().ok()?,
            field: parts.next().filter(|f| !f.is_empty())?.to_string(),
        })
    }
}

/// The latest value of one field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LastValue {
    pub field: String,
    pub value: f64,
    pub time: String,
}

/// One time of a device's telemetry: the values of its fields at that time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TelemetryRow {
    pub time: String,
    pub values: Vec<(String, Option<f64>)>,
}

/// A page of a device's telemetry, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measurements {
    pub last_values: Vec<LastValue>,
    pub fields: Vec<String>,
    pub rows: Vec<TelemetryRow>,
    pub total_rows: usize,
    pub page: usize,
    pub page_size: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BucketRow {
    pub name: String,
    pub id: String,
    /// Seconds; 0 is forever.
    pub retention_seconds: i64,
    /// `user` or `system`.
    pub kind: String,
}

/// How the continuous writer's virtual devices send their points: as devices do, to the
/// gateway over HTTP, or to IoT Center's MQTT listener.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum WriteOver {
    #[default]
    Http,
    Mqtt,
}

impl WriteOver {
    pub fn label(self) -> &'static str {
        match self {
            WriteOver::Http => "HTTP",
            WriteOver::Mqtt => "MQTT",
        }
    }
}

/// The state of the built-in virtual devices' writer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WriterStatus {
    /// Devices the continuous writer writes for; empty when it is stopped.
    pub continuous_devices: Vec<String>,
    pub interval_seconds: u64,
    pub over: WriteOver,
    pub points_written: u64,
    pub last_error: Option<String>,
    /// A back-fill in progress: (points written, points to write).
    pub backfill: Option<(u64, u64)>,
}
