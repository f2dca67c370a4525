//! The configuration a device fetches from `GET /api/env/<id>`: the reference IoT Center's
//! keys in the reference's order, as JSON or as `key: value` lines.

use crate::registry::{self, Registration};
use crate::{Backend, Error, Settings};
use chrono::{SecondsFormat, Utc};
use iot_models::{DeviceDetail, DeviceId};
use serde::Serialize;

/// The reference IoT Center's keys, in its order: the order of the text form and of the JSON.
const KEYS: [&str; 21] = [
    "influx_url",
    "influx_org",
    "influx_token",
    "influx_bucket",
    "id",
    "default_lon",
    "default_lat",
    "measurement_interval",
    "newlyRegistered",
    "createdAt",
    "updatedAt",
    "serverTime",
    "configuration_refresh",
    "write_endpoint",
    "kafka_url",
    "kafka_topic",
    "mqtt_url",
    "mqtt_topic",
    "mqtt_user",
    "mqtt_password",
    "mqtt_options",
];

/// Field order is the wire order: devices parse the text form by key and position.
#[derive(Clone, Debug, Serialize)]
pub struct DeviceEnv {
    pub influx_url: String,
    pub influx_org: String,
    pub influx_token: String,
    pub influx_bucket: String,
    pub id: String,
    pub default_lon: f64,
    pub default_lat: f64,
    pub measurement_interval: u64,
    #[serde(rename = "newlyRegistered")]
    pub newly_registered: bool,
    #[serde(rename = "createdAt")]
    pub created_at: String,
    #[serde(rename = "updatedAt")]
    pub updated_at: String,
    #[serde(rename = "serverTime")]
    pub server_time: String,
    pub configuration_refresh: u64,
    pub write_endpoint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kafka_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kafka_topic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mqtt_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mqtt_topic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mqtt_user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mqtt_password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mqtt_options: Option<String>,
}

impl DeviceEnv {
    pub fn new(settings: &Settings, reg: &Registration) -> DeviceEnv {
        let own_listener = settings.mqtt.as_ref().filter(|m| m.device_tokens);
        DeviceEnv {
            influx_url: settings.influx_url.clone(),
            influx_org: settings.org.clone(),
            influx_token: reg.token.clone(),
            influx_bucket: settings.telemetry_bucket.clone(),
            id: reg.id.to_string(),
            default_lon: settings.default_lon,
            default_lat: settings.default_lat,
            measurement_interval: settings.measurement_interval,
            newly_registered: reg.newly_registered,
            created_at: reg.created_at.clone(),
            updated_at: reg.updated_at.clone(),
            server_time: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
            configuration_refresh: settings.configuration_refresh,
            write_endpoint: match &settings.mqtt {
                Some(m) if m.write_here => "/mqtt".into(),
                _ => "/influx".into(),
            },
            kafka_url: None,
            kafka_topic: None,
            // At this server's listener a device publishes as itself: its id as user (and
            // client id), its token as password.
            mqtt_url: settings.mqtt.as_ref().map(|m| m.url.clone()),
            mqtt_topic: settings.mqtt.as_ref().map(|m| m.topic.clone()),
            mqtt_user: own_listener.map(|_| reg.id.to_string()),
            mqtt_password: own_listener.map(|_| reg.token.clone()),
            mqtt_options: settings.mqtt.as_ref().and_then(|m| m.options.clone()),
        }
    }

    /// `key: value` lines in wire order; unset values are `null`.
    pub fn to_text(&self) -> String {
        let json = serde_json::to_value(self).unwrap_or_default();
        KEYS.iter()
            .map(|k| match &json[*k] {
                serde_json::Value::String(s) => format!("{k}: {s}\n"),
                serde_json::Value::Null => format!("{k}: null\n"),
                v => format!("{k}: {v}\n"),
            })
            .collect()
    }
}

/// A device as its page shows it: its summary and the configuration the device fetches,
/// with the token masked (it is revealed on request only); `manageable` when the caller may
/// reveal and remove it. From the fleet index, or read now for a device it does not know yet
/// (registered by another server since its last look).
pub async fn detail(b: &Backend, id: &DeviceId, manageable: bool) -> Result<DeviceDetail, Error> {
    let not_registered = || Error::NotFound(format!("device {id} is not registered"));
    let (mut registration, summary) = match b.fleet.device(b, id).await? {
        Some(found) => found,
        None => registry::read(b, id).await?.ok_or_else(not_registered)?,
    };
    // A removed device's row has no key, and no token to hide.
    if !registration.key.is_empty() {
        registration.token = "•••••• (hidden: reveal it to provision a device)".into();
    }
    Ok(DeviceDetail {
        summary,
        config_text: DeviceEnv::new(&b.settings, &registration).to_text(),
        manageable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use iot_models::DeviceId;

    fn env() -> DeviceEnv {
        let settings = Settings {
            influx_url: "http://127.0.0.1:8086".into(),
            org: "my-org".into(),
            org_id: "0123456789abcdef".into(),
            telemetry_bucket: "iot_center".into(),
            telemetry_bucket_id: "1123456789abcdef".into(),
            registry_bucket: "iot_center_devices".into(),
            default_lat: 50.0873254,
            default_lon: 14.4071543,
            measurement_interval: 60,
            status_thresholds: Default::default(),
            configuration_refresh: 3600,
            mqtt: None,
        };
        let reg = Registration {
            id: DeviceId::parse("ESP32-A0B1C2D3E4F5").unwrap(),
            key: "k".into(),
            token: "secret".into(),
            created_at: "2026-01-02T03:04:05.678Z".into(),
            updated_at: "2026-01-02T03:04:05.678Z".into(),
            newly_registered: true,
        };
        DeviceEnv::new(&settings, &reg)
    }

    #[test]
    fn json_keys_in_reference_order_without_unset_values() {
        let json = serde_json::to_string(&env()).unwrap();
        let keys: Vec<&str> = json
            .split(",\"")
            .map(|p| p.trim_start_matches("{\"").split('"').next().unwrap())
            .collect();
        // Unset optional values are left out; the rest keep the reference order.
        assert_eq!(keys, KEYS[..14]);
    }

    #[test]
    fn text_form_has_one_key_per_line_and_millisecond_server_time() {
        let text = env().to_text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 21);
        assert_eq!(lines[2], "influx_token: secret");
        assert_eq!(lines[5], "default_lon: 14.4071543");
        assert_eq!(lines[8], "newlyRegistered: true");
        assert_eq!(lines[20], "mqtt_options: null");
        let server_time = lines[11].strip_prefix("serverTime: ").unwrap();
        assert_eq!(
            server_time.len(),
            "2026-01-02T03:04:05.678Z".len(),
            "{server_time}"
        );
        assert!(server_time.ends_with('Z') && server_time.as_bytes()[19] == b'.');
    }
}
