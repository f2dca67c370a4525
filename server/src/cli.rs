//! The command line; every option can also come from the environment (`--help` names it).

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Default, clap::Parser)]
#[command(
    name = "iot-center",
    version,
    about = "IoT Center: devices, telemetry and health on InfluxDB"
)]
pub struct Cli {
    /// Configuration file with an [APP] section (the Python tutorial's keys)
    #[arg(long, env = "IOT_CENTER_CONFIG", default_value = "config.ini")]
    pub config: PathBuf,
    /// Directory for the embedded store, its operator token, users and sessions [default: ./data]
    #[arg(long, env = "IOT_CENTER_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Where IoT Center keeps its own state (users, sessions, API tokens, alert rules,
    /// dashboards): `postgres://…` for a database several instances share [default: SQLite,
    /// `state.sqlite3` in the data directory]
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    pub database_url: Option<String>,
    /// The built site (wasm, CSS, static files) to serve [default: Leptos.toml's site-root
    /// in the working directory, else `site/` beside the binary]
    #[arg(long, env = "IOT_CENTER_SITE_ROOT")]
    pub site_root: Option<PathBuf>,
    /// Address of the web server [default: site-addr of Leptos.toml, 127.0.0.1:5000]
    #[arg(long, env = "IOT_CENTER_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// The site is served over HTTPS (by a proxy in front): session cookies say `Secure`
    #[arg(long, env = "COOKIE_SECURE")]
    pub cookie_secure: bool,
    /// Trust the proxy in front: `X-Forwarded-Proto: https` makes session cookies `Secure`,
    /// `X-Forwarded-For` names the client sign-ins are counted by (set it only when every
    /// request comes through that proxy)
    #[arg(long, env = "TRUST_PROXY")]
    pub trust_proxy: bool,
    /// Host names the server answers for, comma-separated, besides localhost and this
    /// machine's name (a request for any other name gets 421)
    #[arg(long, env = "ALLOWED_HOSTS")]
    pub allowed_hosts: Option<String>,
    /// A second address serving only what devices use (`/api/env`, `/api/health`, the
    /// gateway's `/api/v2/write`, `/ping`, `/health`), so the web application can stay on
    /// loopback while devices reach this one
    #[arg(long, env = "IOT_CENTER_DEVICE_LISTEN")]
    pub device_listen: Option<SocketAddr>,
    /// Where devices publish line protocol over MQTT (3.1.1), or `off`; default
    /// 127.0.0.1:1883 (skipped with a warning when that port is taken)
    #[arg(long, env = "MQTT_LISTEN")]
    pub mqtt_listen: Option<String>,
    /// The MQTT topic devices publish to (besides `devices/<id>/telemetry`)
    #[arg(long, env = "MQTT_TOPIC")]
    pub mqtt_topic: Option<String>,
    /// MQTT client options devices are given as `mqtt_options`: a JSON object, as the
    /// reference's (`{"connectTimeout":10000}`)
    #[arg(long, env = "MQTT_OPTIONS")]
    pub mqtt_options: Option<String>,
    /// Let MQTT devices connect with their client id alone, as the reference's Arduino
    /// firmware reconnects (anyone who knows a device's id can then write as it)
    #[arg(long, env = "MQTT_CLIENT_ID_ONLY")]
    pub mqtt_client_id_only: bool,
    /// Serve MQTT over TLS (mqtts) with this certificate chain (PEM)
    #[arg(long, env = "MQTT_TLS_CERT", requires = "mqtt_tls_key")]
    pub mqtt_tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --mqtt-tls-cert
    #[arg(long, env = "MQTT_TLS_KEY", requires = "mqtt_tls_cert")]
    pub mqtt_tls_key: Option<PathBuf>,
    /// A broker the fleet already publishes to (`mqtt://host:port`, or `mqtts://` over TLS):
    /// IoT Center subscribes to the devices' topic there and stores what registered devices
    /// publish
    #[arg(long, env = "MQTT_URL")]
    pub mqtt_url: Option<String>,
    /// The CA certificates (PEM) an `mqtts://` broker's certificate is checked against
    /// (default: the platform's roots)
    #[arg(long, env = "MQTT_CA_FILE")]
    pub mqtt_ca_file: Option<PathBuf>,
    /// The user IoT Center subscribes as, at `--mqtt-url`
    #[arg(long, env = "MQTT_USERNAME")]
    pub mqtt_username: Option<String>,
    /// Its password
    #[arg(long, env = "MQTT_PASSWORD", hide_env_values = true)]
    pub mqtt_password: Option<String>,
    /// Serve the device listener over HTTPS with this certificate chain (PEM), so devices
    /// fetch their configuration and write over TLS
    #[arg(long, env = "DEVICE_TLS_CERT", requires = "device_tls_key")]
    pub device_tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --device-tls-cert
    #[arg(long, env = "DEVICE_TLS_KEY", requires = "device_tls_cert")]
    pub device_tls_key: Option<PathBuf>,
    /// What an unknown device asking for its configuration gets: `open` (registered, as the
    /// reference IoT Center does), `approve` (pending until an operator approves it) or
    /// `closed` (devices are registered from the UI only) [default: approve]
    #[arg(long, env = "DEVICE_REGISTRATION")]
    pub device_registration: Option<String>,
    /// A secret that lets a device register itself whatever the policy
    /// (`GET /api/env/<id>?secret=…` or header `X-Provisioning-Secret`)
    #[arg(long, env = "DEVICE_PROVISIONING_SECRET", hide_env_values = true)]
    pub device_provisioning_secret: Option<String>,
    /// Seconds between evaluations of the alert rules, 1–3600 [default: 10]
    #[arg(long, env = "ALERT_EVALUATE_EVERY")]
    pub alert_evaluate_every: Option<u32>,
    /// Hosts alert webhooks may reach though they are private, loopback or link-local
    /// addresses, comma-separated (as written in the endpoints' URLs)
    #[arg(long, env = "ALERT_ALLOWED_HOSTS")]
    pub alert_allowed_hosts: Option<String>,
    /// SMTP relay for alert e-mail: `smtp://user:password@host:587?tls=required` (STARTTLS),
    /// `smtps://user:password@host:465`, or `smtp://localhost:25` (no TLS, a local relay)
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Sender of alert e-mail: `alerts@example.com` or `IoT Center <alerts@example.com>`
    #[arg(long, env = "SMTP_FROM")]
    pub smtp_from: Option<String>,
    /// CA certificate(s) (PEM) to trust for SMTP_URL besides the platform's roots
    #[arg(long, env = "SMTP_CA_CERT")]
    pub smtp_ca_cert: Option<PathBuf>,
    /// Address of the embedded store, when no INFLUX_URL is set (port 0 picks a free one) [default: 127.0.0.1:8086]
    #[arg(long, env = "IOT_CENTER_TSDB_LISTEN")]
    pub tsdb_listen: Option<SocketAddr>,
    /// Serve the embedded store over HTTPS with this certificate chain (PEM), so devices
    /// write over TLS
    #[arg(long, env = "IOT_CENTER_TSDB_TLS_CERT", requires = "tsdb_tls_key")]
    pub tsdb_tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tsdb-tls-cert
    #[arg(long, env = "IOT_CENTER_TSDB_TLS_KEY", requires = "tsdb_tls_cert")]
    pub tsdb_tls_key: Option<PathBuf>,
    /// IoT Center's URL as devices are told it (`influx_url` of /api/env: they write to its
    /// gateway) [default: the device listener's address, else the web server's, with this
    /// machine's name when it listens on all addresses]
    #[arg(long, env = "DEVICE_INFLUX_URL")]
    pub device_influx_url: Option<String>,
    /// URL of InfluxDB 2.x or Cloud; without it the embedded store runs
    #[arg(long, env = "INFLUX_URL")]
    pub influx_url: Option<String>,
    /// CA certificate(s) (PEM) to trust for INFLUX_URL besides the platform's roots
    #[arg(long, env = "INFLUX_CA_CERT")]
    pub influx_ca_cert: Option<PathBuf>,
    /// Accept any certificate from INFLUX_URL (a lab's self-signed one): never in production
    #[arg(long, env = "INFLUX_INSECURE_SKIP_VERIFY")]
    pub influx_insecure_skip_verify: bool,
    /// Operator token of that InfluxDB
    #[arg(long, env = "INFLUX_TOKEN", hide_env_values = true)]
    pub influx_token: Option<String>,
    /// Organization: its name or its id
    #[arg(long, env = "INFLUX_ORG")]
    pub influx_org: Option<String>,
    /// Bucket for telemetry [default: iot_center]
    #[arg(long, env = "INFLUX_BUCKET")]
    pub influx_bucket: Option<String>,
    /// Bucket for the device registry [default: iot_center_devices]
    #[arg(long, env = "INFLUX_BUCKET_AUTH")]
    pub influx_bucket_auth: Option<String>,
    /// Measurement intervals without data after which a device is stale [default: 2]
    #[arg(long, env = "IOT_CENTER_STALE_AFTER")]
    pub stale_after: Option<u32>,
    /// Measurement intervals without data after which a device is offline [default: 10]
    #[arg(long, env = "IOT_CENTER_OFFLINE_AFTER")]
    pub offline_after: Option<u32>,
    // Limits of the embedded store: body sizes, query time, depth and rows.
    #[command(flatten)]
    pub store_limits: tsdb::LimitArgs,
    // What each device may write through the gateway.
    #[command(flatten)]
    pub device_bounds: DeviceBoundArgs,
    /// Without a command, the server runs.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Each device's bounds at the gateway [defaults: README's table]
#[derive(Debug, Default, clap::Args)]
pub struct DeviceBoundArgs {
    /// Bytes of line protocol per write request, after gzip [default: 8388608]
    #[arg(long, env = "DEVICE_MAX_BYTES")]
    pub device_max_bytes: Option<usize>,
    /// Lines per write request [default: 10000]
    #[arg(long, env = "DEVICE_MAX_LINES")]
    pub device_max_lines: Option<usize>,
    /// Distinct series (measurement and tags) per device [default: 1000]
    #[arg(long, env = "DEVICE_MAX_SERIES")]
    pub device_max_series: Option<usize>,
    /// Distinct field names per device [default: 200]
    #[arg(long, env = "DEVICE_MAX_FIELDS")]
    pub device_max_fields: Option<usize>,
    /// Points per second a device may sustain; past it, 429 [default: 1000]
    #[arg(long, env = "DEVICE_POINTS_PER_SECOND")]
    pub device_points_per_second: Option<u32>,
    /// Points a device may send at once after a quiet spell, at least DEVICE_MAX_LINES [default: 20000]
    #[arg(long, env = "DEVICE_BURST")]
    pub device_burst: Option<u32>,
}

/// Managing accounts, on the same `--data-dir`, while the server runs or not.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Users who sign in to the web application
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// API tokens for automation (`Authorization: Bearer <token>`)
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// IoT Center's own state database
    State {
        #[command(subcommand)]
        action: StateAction,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum StateAction {
    /// Copies the state (the data directory's SQLite, or DATABASE_URL's) into another,
    /// empty database, and says what it copied; the source is left as it was
    Copy {
        /// The database to copy into: postgres://user:password@host/database
        #[arg(long)]
        to: String,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum UserAction {
    /// Adds a user; the password is asked for, or read from the first line of stdin
    Add {
        name: String,
        /// viewer, operator or admin
        #[arg(long, default_value = "viewer")]
        role: String,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum TokenAction {
    /// Adds an API token and prints it: the only time it is shown
    Add {
        name: String,
        /// viewer, operator or admin
        #[arg(long, default_value = "viewer")]
        role: String,
    },
}
