//! The settings the server runs with: command line > environment > `config.ini` `[APP]` >
//! defaults. (clap already puts the command line over the environment.)

use crate::cli::Cli;
use iot_core::enrollment::Policy;
use iot_models::StatusThresholds;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

mod devices;

pub use devices::Mqtt;

#[derive(Clone, PartialEq)]
pub enum Influx {
    /// No `INFLUX_URL`: run the embedded store on this address, within these limits, over
    /// HTTPS with `tls` (certificate and key files).
    Embedded {
        listen: SocketAddr,
        store: tsdb::Config,
        tls: Option<(PathBuf, PathBuf)>,
    },
    Remote {
        url: String,
        token: String,
        org: String,
        tls: influx_client::Tls,
    },
}

/// The token never shows in logs or panics.
impl std::fmt::Debug for Influx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Influx::Embedded { listen, store, tls } => f
                .debug_struct("Embedded")
                .field("listen", listen)
                .field("store", store)
                .field("tls", tls)
                .finish(),
            Influx::Remote { url, org, tls, .. } => f
                .debug_struct("Remote")
                .field("url", url)
                .field("token", &"••••••")
                .field("org", org)
                .field("tls", tls)
                .finish(),
        }
    }
}

#[derive(Clone, PartialEq)]
pub struct Config {
    /// `None`: the site address of the Leptos options (Leptos.toml or LEPTOS_SITE_ADDR).
    pub listen: Option<SocketAddr>,
    /// The built site to serve, when named (see `site.rs`).
    pub site_root: Option<PathBuf>,
    /// A second listener with the device API only.
    pub device_listen: Option<SocketAddr>,
    /// Its certificate chain and key, when it serves HTTPS.
    pub device_tls: Option<(PathBuf, PathBuf)>,
    /// The MQTT listener, unless it is off.
    pub mqtt: Option<Mqtt>,
    /// The bridge to a fleet's broker, if there is one.
    pub mqtt_bridge: Option<crate::mqtt_bridge::Bridge>,
    /// MQTT client options for devices' configurations (`MQTT_OPTIONS`).
    pub mqtt_options: Option<String>,
    pub device_registration: Policy,
    /// IoT Center's URL as devices are told it, when set (else the listener's address).
    pub device_influx_url: Option<String>,
    /// What each device may write through the gateway.
    pub gateway: iot_core::gateway::Bounds,
    pub provisioning_secret: Option<String>,
    pub data_dir: PathBuf,
    /// IoT Center's own state: SQLite in the data directory, or `DATABASE_URL`.
    pub state: iot_core::state_db::StateLocation,
    pub influx: Influx,
    pub telemetry_bucket: String,
    pub registry_bucket: String,
    pub status_thresholds: StatusThresholds,
    /// Host names to answer for, besides localhost and the machine's name.
    pub allowed_hosts: Vec<String>,
    /// The proxy in front, if any: `Secure` cookies, the client's address.
    pub proxy: crate::surface::Proxy,
    /// How often the alert rules are evaluated.
    pub alert_every: std::time::Duration,
    /// The SMTP relay for alert e-mail, if there is one.
    pub smtp: Option<iot_core::alerts::SmtpSettings>,
    /// Private hosts alert webhooks may reach.
    pub alert_targets: iot_core::alerts::AllowedTargets,
    /// How long a request may take to be answered, on every listener.
    pub request_timeout: std::time::Duration,
}

/// The secrets never show in logs or panics.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("site_root", &self.site_root)
            .field("device_listen", &self.device_listen)
            .field("mqtt", &self.mqtt)
            .field("mqtt_bridge", &self.mqtt_bridge)
            .field("mqtt_options", &self.mqtt_options)
            .field("device_tls", &self.device_tls)
            .field("device_registration", &self.device_registration)
            .field("device_influx_url", &self.device_influx_url)
            .field("gateway", &self.gateway)
            .field(
                "provisioning_secret",
                &self.provisioning_secret.as_ref().map(|_| "••••••"),
            )
            .field("data_dir", &self.data_dir)
            .field("state", &self.state.describe())
            .field("influx", &self.influx)
            .field("telemetry_bucket", &self.telemetry_bucket)
            .field("registry_bucket", &self.registry_bucket)
            .field("status_thresholds", &self.status_thresholds)
            .field("allowed_hosts", &self.allowed_hosts)
            .field("proxy", &self.proxy)
            .field("alert_every", &self.alert_every)
            .field("smtp", &self.smtp)
            .field("alert_targets", &self.alert_targets)
            .field("request_timeout", &self.request_timeout)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("INFLUX_URL is set, so {0} must be set too (flag, environment or config.ini)")]
    Missing(&'static str),
    #[error("{0}")]
    Invalid(String),
}

/// The `[APP]` keys of a `config.ini`; a missing file has none.
#[derive(Debug, Default, PartialEq)]
pub struct FileSettings(Vec<(String, String)>);

impl FileSettings {
    pub fn load(path: &Path) -> Result<FileSettings, ConfigError> {
        if !path.exists() {
            return Ok(FileSettings::default());
        }
        let ini = ini::Ini::load_from_file(path).map_err(|e| ConfigError::File {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Ok(FileSettings(
            ini.section(Some("APP"))
                .map(|s| {
                    s.iter()
                        .map(|(k, v)| (k.to_uppercase(), v.trim().to_string()))
                        .collect()
                })
                .unwrap_or_default(),
        ))
    }

    fn get(&self, key: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    }
}

/// Whom to trust at INFLUX_URL: the platform's roots, with a CA file's certificates added,
/// or (asked for explicitly) anyone.
fn trust(ca_cert: Option<PathBuf>, skip_verify: bool) -> Result<influx_client::Tls, ConfigError> {
    match (ca_cert, skip_verify) {
        (Some(_), true) => Err(ConfigError::Invalid(
            "INFLUX_CA_CERT and INFLUX_INSECURE_SKIP_VERIFY exclude each other: a CA is only worth giving if certificates are checked".into(),
        )),
        (None, true) => Ok(influx_client::Tls::InsecureSkipVerify),
        (Some(path), false) => std::fs::read(&path)
            .map(influx_client::Tls::ExtraRoots)
            .map_err(|e| ConfigError::File {
                message: e.to_string(),
                path,
            }),
        (None, false) => Ok(influx_client::Tls::PlatformRoots),
    }
}

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("a valid built-in address")
}

/// A number from its flag (or the environment), else from config.ini, else `default`.
pub(super) fn number<T: std::str::FromStr>(
    flag: Option<T>,
    file: &FileSettings,
    key: &str,
    default: T,
) -> Result<T, ConfigError> {
    match flag {
        Some(n) => Ok(n),
        None => file.get(key).map_or(Ok(default), |v| {
            v.parse().map_err(|_| {
                ConfigError::Invalid(format!("{key} in config.ini is not a whole number: {v:?}"))
            })
        }),
    }
}

impl Config {
    pub fn resolve(cli: Cli, file: &FileSettings) -> Result<Config, ConfigError> {
        let pick = |flag: Option<String>, key: &str| {
            flag.filter(|v| !v.is_empty()).or_else(|| file.get(key))
        };
        let influx = match pick(cli.influx_url, "INFLUX_URL") {
            None => Influx::Embedded {
                listen: cli.tsdb_listen.unwrap_or_else(|| addr("127.0.0.1:8086")),
                store: cli.store_limits.config(),
                tls: match (
                    cli.tsdb_tls_cert
                        .or_else(|| file.get("TSDB_TLS_CERT").map(PathBuf::from)),
                    cli.tsdb_tls_key
                        .or_else(|| file.get("TSDB_TLS_KEY").map(PathBuf::from)),
                ) {
                    (Some(cert), Some(key)) => Some((cert, key)),
                    (None, None) => None,
                    _ => {
                        return Err(ConfigError::Invalid(
                            "the embedded store's TLS needs both a certificate and its key (TSDB_TLS_CERT, TSDB_TLS_KEY)".into(),
                        ))
                    }
                },
            },
            Some(url) => Influx::Remote {
                url,
                token: pick(cli.influx_token, "INFLUX_TOKEN")
                    .ok_or(ConfigError::Missing("INFLUX_TOKEN"))?,
                org: pick(cli.influx_org, "INFLUX_ORG")
                    .ok_or(ConfigError::Missing("INFLUX_ORG"))?,
                tls: trust(
                    cli.influx_ca_cert
                        .or_else(|| file.get("INFLUX_CA_CERT").map(PathBuf::from)),
                    cli.influx_insecure_skip_verify
                        || file
                            .get("INFLUX_INSECURE_SKIP_VERIFY")
                            .is_some_and(|v| v == "true" || v == "1"),
                )?,
            },
        };
        let intervals =
            |flag: Option<u32>, key: &str, default: u32| number(flag, file, key, default);
        let defaults = StatusThresholds::default();
        let status_thresholds = StatusThresholds::new(
            intervals(cli.stale_after, "STALE_AFTER", defaults.stale_after)?,
            intervals(cli.offline_after, "OFFLINE_AFTER", defaults.offline_after)?,
        )
        .map_err(ConfigError::Invalid)?;
        let allowed_hosts = pick(cli.allowed_hosts, "ALLOWED_HOSTS")
            .map(|list| {
                list.split(',')
                    .map(|h| h.trim().to_string())
                    .filter(|h| !h.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let alert_every = match intervals(cli.alert_evaluate_every, "ALERT_EVALUATE_EVERY", 10)? {
            s @ 1..=3600 => std::time::Duration::from_secs(s.into()),
            s => {
                return Err(ConfigError::Invalid(format!(
                    "ALERT_EVALUATE_EVERY is 1–3600 seconds, not {s}"
                )))
            }
        };
        let data_dir = cli.data_dir.unwrap_or_else(|| PathBuf::from("data"));
        let smtp = match (
            pick(cli.smtp_url, "SMTP_URL"),
            pick(cli.smtp_from, "SMTP_FROM"),
        ) {
            (None, None) => None,
            (Some(url), Some(from)) => {
                let ca_cert = cli
                    .smtp_ca_cert
                    .or_else(|| file.get("SMTP_CA_CERT").map(PathBuf::from));
                let ca_cert = ca_cert
                    .map(|path| {
                        std::fs::read(&path).map_err(|e| ConfigError::File {
                            message: e.to_string(),
                            path,
                        })
                    })
                    .transpose()?;
                Some(iot_core::alerts::SmtpSettings { url, from, ca_cert })
            }
            _ => {
                return Err(ConfigError::Invalid(
                    "alert e-mail needs both SMTP_URL and SMTP_FROM".into(),
                ))
            }
        };
        let gateway = devices::bounds(cli.device_bounds, file)?;
        let device_tls = devices::tls(
            cli.device_tls_cert,
            cli.device_tls_key,
            &devices::DEVICE_LISTENER,
            cli.device_listen.is_some(),
            file,
        )?;
        let topic = devices::topic(cli.mqtt_topic, file)?;
        let mut mqtt = devices::mqtt(cli.mqtt_listen, topic.clone(), file)?;
        let mqtt_tls = devices::tls(
            cli.mqtt_tls_cert,
            cli.mqtt_tls_key,
            &devices::MQTT_LISTENER,
            mqtt.is_some(),
            file,
        )?;
        if let Some(mqtt) = mqtt.as_mut() {
            mqtt.tls = mqtt_tls;
            mqtt.client_id_only = cli.mqtt_client_id_only
                || file
                    .get("MQTT_CLIENT_ID_ONLY")
                    .is_some_and(|v| v == "true" || v == "1");
        }
        let mqtt_bridge = devices::bridge(
            devices::BridgeArgs {
                url: cli.mqtt_url,
                username: cli.mqtt_username,
                password: cli.mqtt_password,
                ca_file: cli.mqtt_ca_file,
            },
            &topic,
            file,
        )?;
        let mqtt_options = devices::mqtt_options(cli.mqtt_options, file)?;
        let device_registration = pick(cli.device_registration, "DEVICE_REGISTRATION")
            .map_or(Ok(Policy::default()), |p| p.parse())
            .map_err(ConfigError::Invalid)?;
        Ok(Config {
            gateway,
            device_influx_url: pick(cli.device_influx_url, "DEVICE_INFLUX_URL"),
            device_listen: cli.device_listen,
            device_tls,
            mqtt,
            mqtt_bridge,
            mqtt_options,
            device_registration,
            provisioning_secret: pick(cli.device_provisioning_secret, "DEVICE_PROVISIONING_SECRET"),
            allowed_hosts,
            proxy: crate::surface::Proxy {
                always: cli.cookie_secure
                    || file
                        .get("COOKIE_SECURE")
                        .is_some_and(|v| v == "true" || v == "1"),
                trust_proxy: cli.trust_proxy
                    || file
                        .get("TRUST_PROXY")
                        .is_some_and(|v| v == "true" || v == "1"),
            },
            alert_every,
            request_timeout: std::time::Duration::from_secs(cli.store_limits.request_timeout),
            alert_targets: iot_core::alerts::AllowedTargets::new(
                pick(cli.alert_allowed_hosts, "ALERT_ALLOWED_HOSTS")
                    .unwrap_or_default()
                    .split(',')
                    .map(str::to_string),
            ),
            smtp,
            status_thresholds,
            listen: cli.listen,
            site_root: cli.site_root,
            state: match pick(cli.database_url, "DATABASE_URL") {
                Some(url) => iot_core::state_db::StateLocation::Url(url),
                None => iot_core::state_db::StateLocation::DataDir(data_dir.clone()),
            },
            data_dir,
            influx,
            telemetry_bucket: pick(cli.influx_bucket, "INFLUX_BUCKET")
                .unwrap_or_else(|| "iot_center".into()),
            registry_bucket: pick(cli.influx_bucket_auth, "INFLUX_BUCKET_AUTH")
                .unwrap_or_else(|| "iot_center_devices".into()),
        })
    }
}

#[cfg(test)]
mod tests;
