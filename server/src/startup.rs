//! Connecting to InfluxDB at start: the embedded store (started, onboarded on first start,
//! operator token kept in the data directory) or a remote InfluxDB (checked); then the
//! telemetry and registry buckets, created when missing and the token allows it.

use crate::config::{Config, Influx};
use anyhow::{bail, Context};
use influx_client::onboarding::{self, Onboarding};
use influx_client::{Bucket, Client, ClientConfig};
use iot_core::{Backend, Settings};
use std::path::Path;
use std::sync::Arc;

/// The organization the embedded store is set up with.
const EMBEDDED_ORG: &str = "iot-center";

pub struct Connection {
    pub url: String,
    pub token: String,
    pub org: String,
}

/// Starts the embedded store on `listen` and returns how to reach it as its operator.
pub async fn start_embedded(
    data_dir: &Path,
    listen: std::net::SocketAddr,
    store_config: tsdb::Config,
    first_bucket: &str,
) -> anyhow::Result<Connection> {
    let store_dir = data_dir.join("tsdb");
    let store = Arc::new(
        tsdb::storage::Store::open(&store_dir)
            .with_context(|| format!("opening the embedded store in {}", store_dir.display()))?,
    );
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("starting the embedded store on {listen} (choose another address with --tsdb-listen)"))?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(tsdb::serve(
        listener,
        store,
        store_config,
        std::future::pending(),
    ));
    tracing::info!("embedded store on {url}, data in {}", store_dir.display());

    let token_file = data_dir.join("operator-token");
    let token = if onboarding::setup_allowed(&url).await? {
        let token = random_secret();
        let setup = Onboarding {
            username: "iot-center".into(),
            password: random_secret(),
            org: EMBEDDED_ORG.into(),
            bucket: first_bucket.into(),
            token: Some(token.clone()),
        };
        write_secret(&token_file, &token)?;
        onboarding::setup(&url, &setup)
            .await
            .context("onboarding the embedded store")?;
        token
    } else {
        iot_core::accounts::owner_only(&token_file)
            .with_context(|| format!("making {} private", token_file.display()))?;
        std::fs::read_to_string(&token_file)
            .with_context(|| {
                format!(
                    "the embedded store is set up but its operator token is gone from {}",
                    token_file.display()
                )
            })?
            .trim()
            .to_string()
    };
    Ok(Connection {
        url,
        token,
        org: EMBEDDED_ORG.into(),
    })
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

/// Connects as configured and returns the backend the pages and the device API use.
pub async fn connect(config: &Config) -> anyhow::Result<Backend> {
    let connection = match &config.influx {
        Influx::Embedded { listen, store } => {
            start_embedded(
                &config.data_dir,
                *listen,
                store.clone(),
                &config.telemetry_bucket,
            )
            .await?
        }
        Influx::Remote { url, token, org } => Connection {
            url: url.clone(),
            token: token.clone(),
            org: org.clone(),
        },
    };
    let client = Client::new(ClientConfig::new(
        &connection.url,
        &connection.token,
        &connection.org,
    ))?;
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
    let org_id = client.org_id().await.with_context(|| {
        format!(
            "finding organization {:?} at {}",
            connection.org, connection.url
        )
    })?;
    let telemetry = ensure_bucket(&client, &config.telemetry_bucket).await?;
    ensure_bucket(&client, &config.registry_bucket).await?;
    let settings = Settings {
        influx_url: connection.url.clone(),
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
    };
    Ok(Backend::new(client, settings))
}
