//! The settings of what devices reach: the gateway's per-device bounds, the device
//! listener's TLS, the MQTT listener.

use super::{number, ConfigError, FileSettings};
use crate::cli::DeviceBoundArgs;
use crate::mqtt_bridge::Bridge;
use iot_core::gateway::Bounds;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Each device's bounds at the gateway: flags (or the environment), then config.ini, then
/// the defaults; checked so that no bound refuses every request.
pub fn bounds(args: DeviceBoundArgs, file: &FileSettings) -> Result<Bounds, ConfigError> {
    let d = Bounds::default();
    Bounds {
        max_bytes: number(args.device_max_bytes, file, "DEVICE_MAX_BYTES", d.max_bytes)?,
        max_lines: number(args.device_max_lines, file, "DEVICE_MAX_LINES", d.max_lines)?,
        max_series: number(
            args.device_max_series,
            file,
            "DEVICE_MAX_SERIES",
            d.max_series,
        )?,
        max_fields: number(
            args.device_max_fields,
            file,
            "DEVICE_MAX_FIELDS",
            d.max_fields,
        )?,
        points_per_second: number(
            args.device_points_per_second,
            file,
            "DEVICE_POINTS_PER_SECOND",
            d.points_per_second,
        )?,
        burst: number(args.device_burst, file, "DEVICE_BURST", d.burst)?,
    }
    .checked()
    .map_err(ConfigError::Invalid)
}

/// The MQTT listener: where, and whether it was asked for (a default address that is taken
/// only turns MQTT off), and its topic.
#[derive(Clone, Debug, PartialEq)]
pub struct Mqtt {
    pub listen: SocketAddr,
    pub asked: bool,
    pub topic: String,
}

/// The topic devices publish to, on the listener and at a bridged broker: flag (or
/// environment), then config.ini, then `iot_center`.
pub fn topic(topic: Option<String>, file: &FileSettings) -> Result<String, ConfigError> {
    let topic = topic
        .or_else(|| file.get("MQTT_TOPIC"))
        .unwrap_or_else(|| "iot_center".into());
    if topic.is_empty() || topic.contains(['+', '#']) {
        return Err(ConfigError::Invalid(format!(
            "MQTT_TOPIC {topic:?} must be a topic name, without the wildcards + and #"
        )));
    }
    Ok(topic)
}

/// The MQTT listener's settings: flag (or environment), then config.ini, then
/// `127.0.0.1:1883`; `off` turns it off.
pub fn mqtt(
    listen: Option<String>,
    topic: String,
    file: &FileSettings,
) -> Result<Option<Mqtt>, ConfigError> {
    match listen.or_else(|| file.get("MQTT_LISTEN")) {
        Some(off) if off == "off" => Ok(None),
        Some(addr) => Ok(Some(Mqtt {
            listen: addr.parse().map_err(|_| {
                ConfigError::Invalid(format!(
                    "MQTT_LISTEN {addr:?} is not an address (host:port) or off"
                ))
            })?,
            asked: true,
            topic,
        })),
        None => Ok(Some(Mqtt {
            listen: SocketAddr::from(([127, 0, 0, 1], 1883)),
            asked: false,
            topic,
        })),
    }
}

/// The bridge to a fleet's broker, when `MQTT_URL` names one (flag, environment, then
/// config.ini), subscribing to `topic`.
pub fn bridge(
    url: Option<String>,
    username: Option<String>,
    password: Option<String>,
    topic: &str,
    file: &FileSettings,
) -> Result<Option<Bridge>, ConfigError> {
    let Some(url) = url
        .or_else(|| file.get("MQTT_URL"))
        .filter(|u| !u.is_empty())
    else {
        return Ok(None);
    };
    let mut bridge = Bridge::parse(&url, topic).map_err(ConfigError::Invalid)?;
    bridge.username = username.or_else(|| file.get("MQTT_USERNAME"));
    bridge.password = password.or_else(|| file.get("MQTT_PASSWORD"));
    Ok(Some(bridge))
}

/// The device listener's certificate chain and key: both or neither, and only with a
/// device listener (`listener`) to serve them on.
pub fn tls(
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    listener: bool,
    file: &FileSettings,
) -> Result<Option<(PathBuf, PathBuf)>, ConfigError> {
    Ok(match (
    cert.or_else(|| file.get("DEVICE_TLS_CERT").map(PathBuf::from)),
    key.or_else(|| file.get("DEVICE_TLS_KEY").map(PathBuf::from)),
) {
        (None, None) => None,
        (Some(_), Some(_)) if !listener => {
            return Err(ConfigError::Invalid(
                "DEVICE_TLS_CERT is for the device listener: set --device-listen too".into(),
            ))
        }
        (Some(cert), Some(key)) => Some((cert, key)),
        _ => {
            return Err(ConfigError::Invalid(
                "the device listener's TLS needs both a certificate and its key (DEVICE_TLS_CERT, DEVICE_TLS_KEY)".into(),
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(lines: usize, burst: u32) -> DeviceBoundArgs {
        DeviceBoundArgs {
            device_max_lines: Some(lines),
            device_burst: Some(burst),
            ..DeviceBoundArgs::default()
        }
    }

    #[test]
    fn bounds_come_from_flags_or_the_file_and_none_refuses_everything() {
        let none = FileSettings::default();
        assert_eq!(
            bounds(DeviceBoundArgs::default(), &none).unwrap(),
            Bounds::default()
        );
        // A burst at the line bound is enough; below it a full request could never pass.
        assert_eq!(bounds(args(500, 500), &none).unwrap().burst, 500);
        assert!(
            matches!(bounds(args(500, 499), &none), Err(ConfigError::Invalid(m)) if m.contains("burst"))
        );
        assert!(
            matches!(bounds(args(0, 100), &none), Err(ConfigError::Invalid(m)) if m.contains("at least 1"))
        );
        let file = FileSettings(vec![("DEVICE_MAX_SERIES".into(), "many".into())]);
        assert!(
            matches!(bounds(DeviceBoundArgs::default(), &file), Err(ConfigError::Invalid(m)) if m.contains("DEVICE_MAX_SERIES"))
        );
    }

    #[test]
    fn the_device_listeners_tls_needs_both_files_and_a_listener() {
        let none = FileSettings::default();
        let (cert, key) = (Some(PathBuf::from("c.pem")), Some(PathBuf::from("k.pem")));
        assert_eq!(tls(None, None, false, &none).unwrap(), None);
        assert!(tls(cert.clone(), key.clone(), true, &none)
            .unwrap()
            .is_some());
        assert!(
            matches!(tls(cert.clone(), key, false, &none), Err(ConfigError::Invalid(m)) if m.contains("--device-listen"))
        );
        assert!(
            matches!(tls(cert, None, true, &none), Err(ConfigError::Invalid(m)) if m.contains("both"))
        );
    }
}
