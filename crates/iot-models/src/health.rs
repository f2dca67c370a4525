//! The application's health as `GET /health` and the Health page report it.

use serde::{Deserialize, Serialize};

/// `pass` or `fail`, as InfluxDB's own `/health` says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Pass,
    Fail,
}

/// One dependency's check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HealthCheck {
    pub name: String,
    pub status: CheckStatus,
    /// How long the check took, in milliseconds.
    pub latency_ms: f64,
    /// The dependency's version, when it said.
    pub version: Option<String>,
    /// Why it failed, or what it found.
    pub message: String,
}

/// What happened to the application's own metrics on their way to InfluxDB.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricsDelivery {
    /// Points waiting for InfluxDB to come back.
    pub buffered_points: usize,
    /// Points given up because the buffer was full, since the start.
    pub dropped_points: u64,
    /// RFC 3339, the last successful write of metrics.
    pub last_write: Option<String>,
    pub last_error: Option<String>,
}

/// What happened to alert notifications since the start.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NotificationDelivery {
    pub delivered: u64,
    /// Tries that failed and were tried again.
    pub retried: u64,
    /// Notifications given up on after every try, or with the queue full.
    pub failed: u64,
}

/// An IoT Center instance sharing this one's state database, as its heartbeat says.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InstanceState {
    pub id: String,
    pub version: String,
    /// Where it serves, as it was started (`127.0.0.1:5000`).
    pub address: String,
    /// Seconds since its last heartbeat.
    pub seen_seconds_ago: u64,
    /// The one that evaluates the alert rules and sends their notifications.
    pub evaluates_alerts: bool,
    /// This instance: the one that answered.
    pub this: bool,
}

/// What the device gateway did with devices' writes since the start (HTTP and MQTT alike).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GatewayDelivery {
    /// Writes stored.
    pub accepted: u64,
    /// Writes refused by a check or a bound (each wait at the rate bound counts), nothing
    /// of them stored.
    pub refused: u64,
}

/// The bridge to a fleet's MQTT broker, when there is one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BridgeState {
    /// `host:port`.
    pub broker: String,
    pub connected: bool,
    /// Why it is not, and when it tries again.
    pub message: String,
}

impl BridgeState {
    pub fn connected(broker: &str) -> BridgeState {
        BridgeState {
            broker: broker.into(),
            connected: true,
            message: "subscribed".into(),
        }
    }

    pub fn down(broker: &str, why: &str) -> BridgeState {
        BridgeState {
            broker: broker.into(),
            connected: false,
            message: why.into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HealthReport {
    /// `name` and `message` as InfluxDB's `/health` has them: client libraries that probe
    /// the gateway's address read them.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub message: String,
    /// `fail` when any check fails.
    pub status: CheckStatus,
    pub version: String,
    pub uptime_seconds: u64,
    pub checks: Vec<HealthCheck>,
    pub metrics: MetricsDelivery,
    #[serde(default)]
    pub notifications: NotificationDelivery,
    #[serde(default)]
    pub gateway: GatewayDelivery,
    #[serde(default)]
    pub mqtt_bridge: Option<BridgeState>,
    /// The instances on this state database seen within a minute, this one among them.
    #[serde(default)]
    pub instances: Vec<InstanceState>,
}
