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
    /// Its certificate chain and key, when it serves MQTT over TLS.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Devices may connect with their client id alone.
    pub client_id_only: bool,
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

/// The most MQTT client options a device's configuration carries.
const MAX_MQTT_OPTIONS: usize = 4096;

/// The MQTT client options devices are given, as the reference's `MQTT_OPTIONS`: flag (or
/// environment), then config.ini; a JSON object of up to 4 KiB, kept as written.
pub fn mqtt_options(
    options: Option<String>,
    file: &FileSettings,
) -> Result<Option<String>, ConfigError> {
    let Some(options) = options
        .or_else(|| file.get("MQTT_OPTIONS"))
        .map(|o| o.trim().to_string())
        .filter(|o| !o.is_empty())
    else {
        return Ok(None);
    };
    let invalid = |why: String| {
        ConfigError::Invalid(format!(
            "MQTT_OPTIONS must be a JSON object of client options, as {{\"connectTimeout\":10000}}: {why}"
        ))
    };
    if options.len() > MAX_MQTT_OPTIONS {
        return Err(invalid(format!(
            "it is {} bytes, more than {MAX_MQTT_OPTIONS}",
            options.len()
        )));
    }
    match serde_json::from_str::<serde_json::Value>(&options) {
        Ok(serde_json::Value::Object(_)) => Ok(Some(options)),
        Ok(other) => Err(invalid(format!("{other} is not an object"))),
        Err(e) => Err(invalid(e.to_string())),
    }
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
            tls: None,
            client_id_only: false,
        })),
        None => Ok(Some(Mqtt {
            listen: SocketAddr::from(([127, 0, 0, 1], 1883)),
            asked: false,
            topic,
            tls: None,
            client_id_only: false,
        })),
    }
}

/// The bridge's settings from the flags (or the environment).
pub struct BridgeArgs {
    pub url: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub ca_file: Option<PathBuf>,
}

/// The bridge to a fleet's broker, when `MQTT_URL` names one (flag, environment, then
/// config.ini), subscribing to `topic`.
pub fn bridge(
    args: BridgeArgs,
    topic: &str,
    file: &FileSettings,
) -> Result<Option<Bridge>, ConfigError> {
    let ca_file = args
        .ca_file
        .or_else(|| file.get("MQTT_CA_FILE").map(PathBuf::from));
    let Some(url) = args
        .url
        .or_else(|| file.get("MQTT_URL"))
        .filter(|u| !u.is_empty())
    else {
        return match ca_file {
            Some(_) => Err(ConfigError::Invalid(
                "MQTT_CA_FILE is set but MQTT_URL is not: it is for an mqtts:// broker".into(),
            )),
            None => Ok(None),
        };
    };
    let mut bridge = Bridge::parse(&url, topic).map_err(ConfigError::Invalid)?;
    if ca_file.is_some() && !bridge.tls {
        return Err(ConfigError::Invalid(format!(
            "MQTT_CA_FILE is set but MQTT_URL {url:?} is not mqtts://: the CA would not be used"
        )));
    }
    bridge.username = args.username.or_else(|| file.get("MQTT_USERNAME"));
    bridge.password = args.password.or_else(|| file.get("MQTT_PASSWORD"));
    bridge.ca_file = ca_file;
    Ok(Some(bridge))
}

/// A listener that may serve TLS: its settings' prefix (`DEVICE` for `DEVICE_TLS_CERT`),
/// its name in messages, and how to turn it on.
pub struct TlsListener {
    pub prefix: &'static str,
    pub name: &'static str,
    pub turn_on: &'static str,
}

pub const DEVICE_LISTENER: TlsListener = TlsListener {
    prefix: "DEVICE",
    name: "the device listener",
    turn_on: "set --device-listen too",
};

pub const MQTT_LISTENER: TlsListener = TlsListener {
    prefix: "MQTT",
    name: "the MQTT listener",
    turn_on: "it is off (MQTT_LISTEN)",
};

/// A listener's certificate chain and key (flags, then config.ini): both or neither, and
/// only when the listener runs (`on`) to serve them.
pub fn tls(
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    listener: &TlsListener,
    on: bool,
    file: &FileSettings,
) -> Result<Option<(PathBuf, PathBuf)>, ConfigError> {
    let prefix = listener.prefix;
    Ok(match (
        cert.or_else(|| file.get(&format!("{prefix}_TLS_CERT")).map(PathBuf::from)),
        key.or_else(|| file.get(&format!("{prefix}_TLS_KEY")).map(PathBuf::from)),
    ) {
        (None, None) => None,
        (Some(_), Some(_)) if !on => {
            return Err(ConfigError::Invalid(format!(
                "{prefix}_TLS_CERT is for {}: {}",
                listener.name, listener.turn_on
            )))
        }
        (Some(cert), Some(key)) => Some((cert, key)),
        _ => {
            return Err(ConfigError::Invalid(format!(
                "{}'s TLS needs both a certificate and its key ({prefix}_TLS_CERT, {prefix}_TLS_KEY)",
                listener.name
            )))
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
        assert_eq!(
            tls(None, None, &DEVICE_LISTENER, false, &none).unwrap(),
            None
        );
        assert!(
            tls(cert.clone(), key.clone(), &DEVICE_LISTENER, true, &none)
                .unwrap()
                .is_some()
        );
        assert!(
            matches!(tls(cert.clone(), key, &DEVICE_LISTENER, false, &none), Err(ConfigError::Invalid(m)) if m.contains("--device-listen"))
        );
        assert!(
            matches!(tls(cert.clone(), None, &DEVICE_LISTENER, true, &none), Err(ConfigError::Invalid(m)) if m.contains("both"))
        );
        let mqtt_off = tls(
            cert,
            Some(PathBuf::from("k.pem")),
            &MQTT_LISTENER,
            false,
            &none,
        );
        assert!(
            matches!(mqtt_off, Err(ConfigError::Invalid(m)) if m.starts_with("MQTT_TLS_CERT is for the MQTT listener"))
        );
    }
}
