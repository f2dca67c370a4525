//! Where IoT Center's data lives in InfluxDB: the one place that knows measurement, tag and
//! field names. Every query, write and delete of the application takes its names from here.
//!
//! - Telemetry: measurement [`TELEMETRY_MEASUREMENT`] in the telemetry bucket, one tag naming
//!   the device: `clientId` (the reference IoT Center, and what this app writes) or `device`
//!   (the Python tutorial). Reads and deletes accept both.
//! - Registry: measurement [`REGISTRY_MEASUREMENT`] in the registry bucket, tag
//!   [`REGISTRY_DEVICE_TAG`], string fields [`REGISTRY_KEY`], [`REGISTRY_TOKEN`],
//!   [`REGISTRY_CREATED_AT`] (the reference IoT Center's layout).
//! - The app's own metrics: measurement [`METRICS_MEASUREMENT`] in the telemetry bucket,
//!   tag [`METRICS_ROUTE_TAG`].
//! - Alert state changes: measurement [`ALERTS_MEASUREMENT`] in the telemetry bucket, as
//!   InfluxDB's `statuses` keep them: tags rule, device, level; fields state, value, message.

use influx_client::{FluxValue, Record};

/// The measurement devices write telemetry to.
pub const TELEMETRY_MEASUREMENT: &str = "environment";

/// The tags a device's telemetry may name it by; the first is the one this app writes.
pub const DEVICE_TAGS: [&str; 2] = ["clientId", "device"];

/// The tag the reference's devices name a field's sensor in (`TemperatureSensor=BME280`).
pub fn sensor_tag(field: &str) -> String {
    format!("{field}Sensor")
}

/// The tag this application writes a device's id to.
pub const WRITTEN_DEVICE_TAG: &str = DEVICE_TAGS[0];

pub const REGISTRY_MEASUREMENT: &str = "deviceauth";
pub const REGISTRY_DEVICE_TAG: &str = "deviceId";
/// The id of the device's token (for older registrations, of its InfluxDB authorization);
/// empty once the device is removed.
pub const REGISTRY_KEY: &str = "key";
pub const REGISTRY_TOKEN: &str = "token";
pub const REGISTRY_CREATED_AT: &str = "createdAt";

pub const METRICS_MEASUREMENT: &str = "iot_center_app";
pub const METRICS_ROUTE_TAG: &str = "route";

pub const ALERTS_MEASUREMENT: &str = "alerts";
pub const ALERT_RULE_TAG: &str = "rule";
pub const ALERT_DEVICE_TAG: &str = "device";
pub const ALERT_LEVEL_TAG: &str = "level";
/// `ok`, `pending` or `firing`.
pub const ALERT_STATE: &str = "state";
pub const ALERT_VALUE: &str = "value";
pub const ALERT_MESSAGE: &str = "message";

/// Measurements only IoT Center writes: the gateway refuses a device's line for any of them.
pub const RESERVED_MEASUREMENTS: [&str; 3] = [
    REGISTRY_MEASUREMENT,
    METRICS_MEASUREMENT,
    ALERTS_MEASUREMENT,
];

/// The device a telemetry record belongs to, by whichever device tag it carries.
pub fn device_of(r: &Record) -> Option<&str> {
    DEVICE_TAGS
        .iter()
        .find_map(|tag| r.get(tag).and_then(FluxValue::as_str))
        .filter(|d| !d.is_empty())
}

/// `/api/v2/delete` predicates that together match every telemetry point of `device`: one per
/// device tag, as a delete predicate has no `OR`. `device` is a validated id (no quotes).
pub fn delete_predicates(device: &iot_models::DeviceId) -> Vec<String> {
    DEVICE_TAGS
        .iter()
        .map(|tag| format!("_measurement=\"{TELEMETRY_MEASUREMENT}\" AND {tag}=\"{device}\""))
        .collect()
}
