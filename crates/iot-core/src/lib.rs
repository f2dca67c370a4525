//! IoT Center's domain, without Leptos: the device registry, device configuration, virtual
//! devices and their writers, telemetry reads, CSV export, health and the app's own metrics.
//! Plain Rust over `influx-client`, tested without a browser; the server functions (`app`)
//! and the HTTP routes (`server`) are thin adapters over it.
//!
//! # Layout
//! - [`layout`]: where data lives in InfluxDB (buckets' measurements, tags, fields).
//! - [`queries`]: the Flux the application sends, built from typed values.
//! - [`registry`], [`device_env`]: devices, their tokens and configuration; [`fleet`]: the
//!   registered devices in memory, for fleet pages and the gateway; [`gateway`]: the one
//!   way telemetry gets written, for real and virtual devices alike;
//!   [`enrollment`]: which devices may register themselves.
//! - [`telemetry`], [`export`]: reading telemetry for pages and CSV.
//! - [`virtual_device`], [`writer`]: built-in devices and the tasks that write for them.
//! - [`health`], [`metrics`]: the application's own state; [`service`]: the backend once
//!   InfluxDB has answered, and why not until then.

pub mod accounts;
pub mod alerts;
pub mod buckets;
pub mod dashboards;
pub mod device_env;
pub mod enrollment;
mod error;
pub mod export;
pub mod fleet;
pub mod gateway;
pub mod health;
pub mod instances;
pub mod layout;
pub mod live;
pub mod metrics;
pub mod password_pool;
pub mod peers;
pub mod queries;
pub mod read_cache;
pub mod registry;
pub mod secrets;
pub mod service;
pub mod state_db;
pub mod telemetry;
pub mod virtual_device;
pub mod writer;

pub use error::Error;
use influx_client::Client;
use iot_models::StatusThresholds;
pub use service::Service;

/// Where telemetry and the registry live, and what devices are told.
#[derive(Clone, Debug)]
pub struct Settings {
    /// IoT Center's URL as devices reach its gateway: what they are told as `influx_url`.
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
    /// Where devices may publish over MQTT: this server's listener, else the fleet's broker
    /// it bridges from.
    pub mqtt: Option<MqttAdvert>,
}

/// Where devices publish over MQTT, as their configuration says it.
#[derive(Clone, Debug, PartialEq)]
pub struct MqttAdvert {
    /// `mqtt://host:port` (or `mqtts://`).
    pub url: String,
    pub topic: String,
    /// Devices sign in with their id and IoT Center token (this server's listener); at a
    /// fleet's own broker they bring the broker's credentials, which IoT Center never hands out.
    pub device_tokens: bool,
    /// Client options for devices (`MQTT_OPTIONS`), a JSON object as written.
    pub options: Option<String>,
    /// The reference's firmware can stay on MQTT here, so devices are told
    /// `write_endpoint: /mqtt`: its reconnects (client id only) are accepted, or the broker
    /// is the fleet's own. Else they keep writing over HTTP (`/influx`).
    pub write_here: bool,
}

/// Everything server functions and the device API need, shared by the whole server.
pub struct Backend {
    /// The operator's client: the only one that sees the operator token.
    pub client: Client,
    pub settings: Settings,
    pub writer: writer::Writer,
    pub metrics: metrics::Metrics,
    /// Who may register itself, and who waits for approval.
    pub enrollment: enrollment::Enrollment,
    /// The registered devices and when each last wrote, in memory.
    pub fleet: fleet::FleetIndex,
    /// Where every device's telemetry is checked and forwarded.
    pub gateway: gateway::Gateway,
    /// Dashboards' charts while their window's step lasts.
    pub charts: read_cache::ReadCache<telemetry::Charted>,
    /// Devices' latest values, for a second.
    pub latest: read_cache::ReadCache<Vec<iot_models::LastValue>>,
    /// Pages of devices' records, while their window's step lasts.
    pub records: read_cache::ReadCache<iot_models::Measurements>,
    /// Comparisons while their window's step lasts.
    pub comparisons: read_cache::ReadCache<iot_models::Comparison>,
    /// The fleet's positions, for a second.
    pub positions: read_cache::ReadCache<iot_models::FleetMap>,
    /// What dashboards' cells read (merged by devices), while their window's step lasts.
    pub cell_reads: read_cache::ReadCache<Vec<iot_models::Series>>,
    /// Devices' fields over 30 days, for a minute.
    pub field_stats: read_cache::ReadCache<Vec<iot_models::FieldStats>>,
    /// The points the gateway just stored, for the pages watching each device.
    pub live: live::Live,
    registrations: registry::RegistrationLocks,
}

impl Backend {
    pub fn new(client: Client, settings: Settings) -> Backend {
        Backend {
            client,
            settings,
            writer: writer::Writer::default(),
            metrics: metrics::Metrics::default(),
            enrollment: enrollment::Enrollment::default(),
            fleet: fleet::FleetIndex::default(),
            gateway: gateway::Gateway::default(),
            charts: Default::default(),
            latest: Default::default(),
            records: Default::default(),
            comparisons: Default::default(),
            positions: Default::default(),
            field_stats: Default::default(),
            cell_reads: Default::default(),
            live: Default::default(),
            registrations: Default::default(),
        }
    }

    pub fn with_enrollment(self, enrollment: enrollment::Enrollment) -> Backend {
        Backend { enrollment, ..self }
    }

    /// Other instances share the state database: the fleet keeps what it learns for them
    /// (`peers`).
    pub fn with_peers(self) -> Backend {
        Backend {
            fleet: fleet::FleetIndex::telling_peers(),
            ..self
        }
    }

    pub fn with_gateway(self, bounds: gateway::Bounds) -> Backend {
        Backend {
            gateway: gateway::Gateway::new(bounds),
            ..self
        }
    }

    /// `device`'s telemetry was deleted: nothing read of it before is shown again.
    pub(crate) fn forget_reads_of(&self, device: &str) {
        self.latest.forget(device);
        self.records.forget(device);
        self.charts.forget(device);
        self.field_stats.forget(device);
        self.cell_reads.forget(device);
    }
}
