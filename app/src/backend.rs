//! Server-only business logic, behind the `ssr` feature: the device registry, device
//! configuration, virtual devices and telemetry queries. Plain Rust over `influx-client`,
//! tested without a browser; server functions and the device HTTP API are thin adapters.

pub mod device_env;
pub mod export;
pub mod health;
pub mod metrics;
pub mod registry;
pub mod telemetry;
pub mod virtual_device;
pub mod writer;

use crate::models::{AppError, StatusThresholds};
use influx_client::Client;

/// Where telemetry and the registry live, and what devices are told.
#[derive(Clone, Debug)]
pub struct Settings {
    /// InfluxDB's URL as devices should use it.
    pub influx_url: String,
    pub org: String,
    pub org_id: String,
    pub telemetry_bucket: String,
    pub telemetry_bucket_id: String,
    pub registry_bucket: String,
    pub default_lat: f64,
    pub default_lon: f64,
    /// Seconds between a device's measurements.
    pub measurement_interval: u64,
    /// When a device that has not written for a while is stale, and offline.
    pub status_thresholds: StatusThresholds,
    /// Seconds between a device's configuration fetches.
    pub configuration_refresh: u64,
}

/// Everything server functions and the device API need, shared by the whole server.
pub struct Backend {
    /// The operator's client: the only one that sees the operator token.
    pub client: Client,
    pub settings: Settings,
    pub writer: writer::Writer,
    pub metrics: metrics::Metrics,
    /// When the server started, for its uptime.
    pub started: std::time::Instant,
}

impl Backend {
    pub fn new(client: Client, settings: Settings) -> Backend {
        Backend {
            client,
            settings,
            writer: writer::Writer::default(),
            metrics: metrics::Metrics::default(),
            started: std::time::Instant::now(),
        }
    }
}

/// The measurement telemetry is written to.
pub const TELEMETRY_MEASUREMENT: &str = "environment";

impl From<influx_client::Error> for AppError {
    fn from(e: influx_client::Error) -> Self {
        if e.is_unreachable() {
            AppError::Unavailable(e.to_string())
        } else {
            AppError::Influx(e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn influxdb_away_is_told_apart_from_influxdb_refusing() {
        let away: AppError = influx_client::Error::Unreachable("connection refused".into()).into();
        assert!(matches!(away, AppError::Unavailable(_)));
        let refused: AppError = influx_client::Error::Api {
            status: 401,
            code: "unauthorized".into(),
            message: "unauthorized access".into(),
            retry_after: None,
        }
        .into();
        assert!(matches!(refused, AppError::Influx(m) if m.contains("unauthorized access")));
    }
}
