//! Connecting to InfluxDB: the embedded store (started, onboarded on first start, operator
//! token kept in the data directory) or a remote InfluxDB; then, in the background until it
//! works, the organization and the telemetry and registry buckets (created when missing and
//! the token allows it).

use crate::config::{Config, Influx};
use anyhow::{bail, Context};
use influx_client::onboarding::{self, Onboarding};
use influx_client::{Bucket, Client, ClientConfig, Tls};
use iot_core::enrollment::Enrollment;
use iot_core::state_db::StateDb;
use iot_core::{Backend, Service, Settings};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The organization the embedded store is set up with.
const EMBEDDED_ORG: &str = "iot-center";

pub struct Connection {
    /// Where the application reaches InfluxDB, and whom it trusts there.
    pub url: String,
    pub tls: Tls,
    pub token: String,
    pub org: String,
}

/// How a device elsewhere names `addr`: never `0.0.0.0` (listening on every address), but
/// this machine's name. Over TLS a name, as certificates name hosts: `localhost` on
/// loopback (`DEVICE_INFLUX_URL` when the certificate says otherwise).
pub fn reachable(tls: bool, addr: SocketAddr) -> String {
    let scheme = if tls { "https" } else { "http" };
    format!("{scheme}://{}", host_port(tls, addr))
}

/// [`reachable`] without the scheme: `host:port`.
pub fn host_port(tls: bool, addr: SocketAddr) -> String {
    let host = match addr.ip() {
        ip if ip.is_unspecified() => {
            crate::surface::hostname().unwrap_or_else(|| "localhost".into())
        }
        ip if tls && ip.is_loopback() => "localhost".into(),
        IpAddr::V6(ip) => format!("[{ip}]"),
        IpAddr::V4(ip) => ip.to_string(),
    };
    format!("{host}:{}", addr.port())
}

/// The embedded store while it runs: stopped last, after the application's final writes.
pub struct EmbeddedStore {
    stop: tokio::sync::oneshot::Sender<()>,
    serving: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl EmbeddedStore {
    /// Stops serving (requests in flight finish, within `grace`) and closes the store.
    pub async fn stop(self, grace: std::time::Duration) {
        let _ = self.stop.send(());
        match tokio::time::timeout(grace, self.serving).await {
            Ok(Ok(Ok(()))) => tracing::info!("embedded store closed"),
            Ok(Ok(Err(e))) => tracing::warn!("embedded store: {e}"),
            Ok(Err(e)) => tracing::warn!("embedded store: {e}"),
            Err(_) => tracing::warn!("embedded store: requests still running, stopped anyway"),
        }
    }
}

/// The store's operator token: on a first start, the store is onboarded over a loopback
/// port of its own, served only for that; later, the token kept in the data directory.
async fn onboarded(
    data_dir: &Path,
    store: &Arc<tsdb::storage::Store>,
    store_config: &tsdb::Config,
    first_bucket: &str,
) -> anyhow::Result<String> {
    let setup_port = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let url = format!("http://{}", setup_port.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(tsdb::serve(
        setup_port,
        store.clone(),
        store_config.clone(),
        async {
            let _ = stopped.await;
        },
    ));
    let token = operator_token(data_dir, &url, first_bucket).await;
    let _ = stop.send(());
    let _ = serving.await;
    token
}

/// Onboards the store at `url` if it never was, keeping the new operator token in the data
/// directory; else reads the kept one.
async fn operator_token(data_dir: &Path, url: &str, first_bucket: &str) -> anyhow::Result<String> {
    let token_file = data_dir.join("operator-token");
    if onboarding::setup_allowed(url, &Tls::default()).await? {
        let token = random_secret();
        let setup = Onboarding {
            username: "iot-center".into(),
            password: random_secret(),
            org: EMBEDDED_ORG.into(),
            bucket: first_bucket.into(),
            token: Some(token.clone()),
        };
        write_secret(&token_file, &token)?;
        onboarding::setup(url, &Tls::default(), &setup)
            .await
            .context("onboarding the embedded store")?;
        return Ok(token);
    }
    iot_core::state_db::owner_only(&token_file)
        .with_context(|| format!("making {} private", token_file.display()))?;
    let token = std::fs::read_to_string(&token_file).with_context(|| {
        format!(
            "the embedded store is set up but its operator token is gone from {}",
            token_file.display()
        )
    })?;
    Ok(token.trim().to_string())
}

/// Starts the embedded store on `listen` and returns how to reach it as its operator. With
/// `tls` (certificate and key files) it serves HTTPS there for devices, and plain HTTP on a
/// loopback port of its own for this application.
pub async fn start_embedded(
    data_dir: &Path,
    listen: SocketAddr,
    store_config: tsdb::Config,
    tls: Option<&(PathBuf, PathBuf)>,
    first_bucket: &str,
) -> anyhow::Result<(Connection, EmbeddedStore)> {
    let store_dir = data_dir.join("tsdb");
    let store = Arc::new(
        tsdb::storage::Store::open(&store_dir)
            .with_context(|| format!("opening the embedded store in {}", store_dir.display()))?,
    );
    let bind = |addr: SocketAddr| async move {
        tokio::net::TcpListener::bind(addr).await.with_context(|| {
            format!(
                "starting the embedded store on {addr} (choose another address with --tsdb-listen)"
            )
        })
    };
    // The public port is taken now, but served only once the store is onboarded: on a
    // first start, nobody but this application can set it up.
    let listener = bind(listen).await?;
    let public = listener.local_addr()?;
    let token = onboarded(data_dir, &store, &store_config, first_bucket).await?;
    // This application's own way in: a loopback port nobody is told of.
    let private = bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let url = format!("http://{}", private.local_addr()?);
    let (endpoints, device_url) = match tls {
        Some((cert, key)) => {
            let config = tsdb::tls::server_config(cert, key).context(
                "the embedded store's TLS certificate (--tsdb-tls-cert, --tsdb-tls-key)",
            )?;
            let endpoints = vec![
                tsdb::Endpoint::Tls(listener, config),
                tsdb::Endpoint::Plain(private),
            ];
            (endpoints, reachable(true, public))
        }
        None => (
            vec![
                tsdb::Endpoint::Plain(listener),
                tsdb::Endpoint::Plain(private),
            ],
            reachable(false, public),
        ),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel();
    let serving = tokio::spawn(tsdb::serve_all(endpoints, store, store_config, async {
        let _ = stopped.await;
    }));
    let handle = EmbeddedStore { stop, serving };
    tracing::info!(
        "embedded store on {device_url}, data in {}",
        store_dir.display()
    );
    let connection = Connection {
        url,
        tls: Tls::default(),
        token,
        org: EMBEDDED_ORG.into(),
    };
    Ok((connection, handle))
}

/// Creates the data directory if needed and makes it its owner's only (0700), at every
/// start: it holds the operator token, password hashes and sessions.
pub fn private_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("making {} private", dir.display()))?;
    }
    Ok(())
}

/// This instance's id among those sharing a state database, kept in `DATA_DIR/instance-id`:
/// the same across restarts, so an instance that crashed holds its leases again at once
/// (each instance has a data directory of its own).
pub fn instance_id(dir: &Path) -> anyhow::Result<String> {
    let file = dir.join("instance-id");
    match std::fs::read_to_string(&file) {
        Ok(id) if !id.trim().is_empty() => Ok(id.trim().to_string()),
        _ => {
            let id = format!("{:08x}", rand::random::<u32>());
            std::fs::write(&file, &id).with_context(|| format!("writing {}", file.display()))?;
            Ok(id)
        }
    }
}

fn random_secret() -> String {
    (0..32)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect()
}

/// Writes a secret readable by the owner only (mode 0600).
fn write_secret(path: &Path, secret: &str) -> anyhow::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(secret.as_bytes())?;
    Ok(())
}

/// The bucket `name`, created when missing; a clear error when the token may not.
async fn ensure_bucket(client: &Client, name: &str) -> anyhow::Result<Bucket> {
    if let Some(bucket) = client
        .find_bucket(name)
        .await
        .with_context(|| format!("looking for bucket {name}"))?
    {
        return Ok(bucket);
    }
    match client.create_bucket(name, 0).await {
        Ok(bucket) => {
            tracing::info!("created bucket {name}");
            Ok(bucket)
        }
        Err(e) if e.is_unauthorized() => bail!(
            "bucket {name} is missing and the token may not create it: give it write:buckets on the organization, or create {name} yourself ({e})"
        ),
        Err(e) => Err(e).with_context(|| format!("creating bucket {name}")),
    }
}

/// What start-up settles before the server listens: the embedded store started (its
/// failures stop the server: they are this machine's), or the remote InfluxDB's address
/// and token checked for form.
pub async fn prepare(config: &Config) -> anyhow::Result<(Connection, Option<EmbeddedStore>)> {
    let (connection, store) = match &config.influx {
        Influx::Embedded { listen, store, tls } => {
            let (connection, store) = start_embedded(
                &config.data_dir,
                *listen,
                store.clone(),
                tls.as_ref(),
                &config.telemetry_bucket,
            )
            .await?;
            (connection, Some(store))
        }
        Influx::Remote {
            url,
            token,
            org,
            tls,
        } => {
            if *tls == Tls::InsecureSkipVerify {
                tracing::warn!(
                    "INFLUX_INSECURE_SKIP_VERIFY: any certificate is accepted from {url}, so anyone \
                     in between can read and change what is sent, the token included"
                );
            }
            let connection = Connection {
                url: url.clone(),
                tls: tls.clone(),
                token: token.clone(),
                org: org.clone(),
            };
            (connection, None)
        }
    };
    client(&connection)?;
    Ok((connection, store))
}

fn client(connection: &Connection) -> anyhow::Result<Client> {
    Ok(Client::new(ClientConfig {
        tls: connection.tls.clone(),
        ..ClientConfig::new(&connection.url, &connection.token, &connection.org)
    })?)
}

/// Waits before the next attempt to connect: doubling from 1 s, at most 30 s.
fn backoff(attempt: u32) -> std::time::Duration {
    std::time::Duration::from_secs(1u64 << attempt.min(5)).min(std::time::Duration::from_secs(30))
}

/// Connects in the background until InfluxDB answers and the buckets are there, then hands
/// the backend to `service`. Each failure is logged and shown on `/ready` and `/health` with
/// what to fix; a fixed cause (InfluxDB back, a bucket created, a permission granted) is
/// picked up by the next attempt.
pub async fn connect_until_ready(
    config: Config,
    connection: Connection,
    service: Arc<Service>,
    state: StateDb,
) {
    let mut attempt = 0;
    loop {
        match connect(&config, &connection).await {
            Ok(backend) => {
                let enrollment = Enrollment::new(
                    config.device_registration,
                    config.provisioning_secret.as_deref(),
                    state,
                );
                let backend = backend
                    .with_enrollment(enrollment)
                    .with_gateway(config.gateway);
                // Other instances share the state database: they hear what the fleet learns.
                let backend = Arc::new(if config.state.shared() {
                    backend.with_peers()
                } else {
                    backend
                });
                iot_core::metrics::spawn_flusher(backend.clone());
                iot_core::fleet::spawn_refresher(backend.clone());
                service.connect(backend);
                tracing::info!("connected to InfluxDB at {}: ready", connection.url);
                return;
            }
            Err(e) => {
                let wait = backoff(attempt);
                let reason = format!("{e:#}");
                tracing::warn!("not ready ({reason}); trying again in {} s", wait.as_secs());
                service.not_yet(reason);
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
        }
    }
}

/// One attempt: InfluxDB answers, the organization is found, the buckets are there.
async fn connect(config: &Config, connection: &Connection) -> anyhow::Result<Backend> {
    let client = client(connection)?;
    let health = client
        .health()
        .await
        .with_context(|| format!("cannot reach InfluxDB at {}", connection.url))?;
    tracing::info!(
        "InfluxDB at {}: {} {}",
        connection.url,
        health.status,
        health.version
    );
    let org_id = match client.org_id().await {
        Ok(id) => id,
        Err(e) if e.is_unauthorized() => bail!(
            "InfluxDB at {} refuses the token: give INFLUX_TOKEN read access to organization {:?} ({e})",
            connection.url,
            connection.org
        ),
        Err(e) => {
            return Err(e).with_context(|| {
                format!(
                    "finding organization {:?} at {}",
                    connection.org, connection.url
                )
            })
        }
    };
    let telemetry = ensure_bucket(&client, &config.telemetry_bucket).await?;
    ensure_bucket(&client, &config.registry_bucket).await?;
    let settings = Settings {
        influx_url: config.device_influx_url.clone().unwrap_or_default(),
        org: connection.org.clone(),
        org_id,
        telemetry_bucket: telemetry.name,
        telemetry_bucket_id: telemetry.id,
        registry_bucket: config.registry_bucket.clone(),
        default_lat: 50.0873254,
        default_lon: 14.4071543,
        measurement_interval: 60,
        status_thresholds: config.status_thresholds,
        configuration_refresh: 3600,
        mqtt: config
            .mqtt
            .as_ref()
            .map(|m| iot_core::MqttAdvert {
                url: match m.tls {
                    Some(_) => format!("mqtts://{}", host_port(true, m.listen)),
                    None => format!("mqtt://{}", host_port(false, m.listen)),
                },
                topic: m.topic.clone(),
                device_tokens: true,
                options: config.mqtt_options.clone(),
                write_here: m.client_id_only,
            })
            .or_else(|| {
                config.mqtt_bridge.as_ref().map(|b| iot_core::MqttAdvert {
                    url: b.url(),
                    topic: b.topic.clone(),
                    device_tokens: false,
                    options: config.mqtt_options.clone(),
                    write_here: true,
                })
            }),
    };
    let backend = Backend::new(client, settings);
    let retired = iot_core::registry::retire_influx_authorizations(&backend)
        .await
        .context("deleting the devices' old InfluxDB tokens")?;
    if retired > 0 {
        tracing::info!(
            "{retired} devices' InfluxDB tokens deleted: their tokens now work at IoT Center's gateway only"
        );
    }
    Ok(backend)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_never_told_to_reach_0_0_0_0() {
        let any: SocketAddr = "0.0.0.0:8086".parse().unwrap();
        let told = reachable(false, any);
        assert!(
            !told.contains("0.0.0.0") && told.starts_with("http://"),
            "{told}"
        );
        assert_eq!(
            reachable(false, "10.0.0.5:8086".parse().unwrap()),
            "http://10.0.0.5:8086"
        );
        assert_eq!(
            reachable(true, "127.0.0.1:8086".parse().unwrap()),
            "https://localhost:8086"
        );
        assert_eq!(
            reachable(false, "[::1]:8086".parse().unwrap()),
            "http://[::1]:8086"
        );
    }
}
