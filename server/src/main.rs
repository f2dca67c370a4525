//! `iot-center`: serves the IoT Center web application.

mod accounts_cli;
mod alerts_api;
mod auth;
mod cli;
mod config;
mod dashboards_api;
mod device_api;
mod error;
mod export;
mod gateway_api;
mod health_api;
mod live_api;
mod mqtt;
mod mqtt_bridge;
mod shutdown;
mod site;
mod startup;
mod surface;
mod web;

use anyhow::Context;
use clap::Parser;
use iot_core::alerts::{self, Alerts, Mailer};
use iot_core::dashboards::store::DashboardStore;
use iot_core::enrollment::Policy;
use iot_core::instances::Instances;
use iot_core::state_db::{Backend, StateDb};
use iot_core::Service;
use std::net::SocketAddr;
use std::sync::Arc;

async fn bind(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening on {addr}"))
}

/// The MQTT listener, bound where the settings say. The default address taken (a broker
/// already runs there) turns MQTT off with a warning; an address asked for must be bound.
/// The settings then name the bound address (port 0 becomes a port).
async fn bind_mqtt(config: &mut config::Config) -> anyhow::Result<Option<tokio::net::TcpListener>> {
    let Some(mqtt) = config.mqtt.as_mut() else {
        return Ok(None);
    };
    match tokio::net::TcpListener::bind(mqtt.listen).await {
        Ok(listener) => {
            mqtt.listen = listener.local_addr()?;
            Ok(Some(listener))
        }
        Err(e) if !mqtt.asked => {
            tracing::warn!(
                "MQTT off: {} is taken ({e}); set MQTT_LISTEN to serve it elsewhere",
                mqtt.listen
            );
            config.mqtt = None;
            Ok(None)
        }
        Err(e) => Err(e).with_context(|| format!("listening for MQTT on {}", mqtt.listen)),
    }
}

/// Open registration hands a token to whoever asks: fine on loopback, worth a warning where
/// devices — and strangers — can reach it.
fn warn_if_open(config: &config::Config, listen: SocketAddr) {
    let reachable = std::iter::once(listen)
        .chain(config.device_listen)
        .any(|a| !a.ip().is_loopback());
    if config.device_registration == Policy::Open && reachable {
        tracing::warn!(
            "DEVICE_REGISTRATION=open while listening beyond loopback: anyone who reaches \
             /api/env/<id> gets a write token; use approve or a provisioning secret"
        );
    }
}

/// The code `/setup` asks for when strangers may reach a server no one can sign in to yet
/// (beyond loopback, or behind a proxy), printed here for whoever reads the log.
async fn setup_code(
    config: &config::Config,
    listen: SocketAddr,
    accounts: &iot_core::accounts::Accounts,
) -> anyhow::Result<auth::SetupCode> {
    let reachable = !listen.ip().is_loopback() || config.proxy.trust_proxy;
    let setup = auth::SetupCode::when_reachable(reachable, accounts).await?;
    if let Some(code) = setup.code() {
        tracing::warn!(
            "no one can sign in yet and others may reach this server: /setup asks for the \
             setup code {code}"
        );
    }
    Ok(setup)
}

/// mimalloc, not glibc's malloc: page rendering allocates and frees many small blocks on
/// every thread, and glibc's arenas spent a fifth of the server's time in `malloc`/`free`
/// under load; mimalloc also gives freed memory back to the system by itself (glibc needed a
/// fixed mmap threshold, fewer arenas and a periodic `malloc_trim` for that).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let mut cli = cli::Cli::parse();
    let command = cli.command.take();
    let file = config::FileSettings::load(&cli.config)?;
    let mut config = config::Config::resolve(cli, &file)?;
    if let Some(command) = command {
        return accounts_cli::run(command, &config).await;
    }

    let leptos_options = site::leptos_options(config.site_root.clone())?;

    startup::private_dir(&config.data_dir)?;
    let state = StateDb::open(&config.state).await?;
    tracing::info!("state: {}", config.state.describe());
    if state.backend() == Backend::Postgres
        && matches!(config.influx, config::Influx::Embedded { .. })
    {
        tracing::warn!(
            "the state database is shared, but telemetry goes to this instance's own embedded \
             store: other instances will not see it. Point every instance at one InfluxDB \
             (INFLUX_URL: InfluxDB 2.x, Cloud, or `tsdb` run alone); see the README's scale-out"
        );
    }
    let accounts = iot_core::accounts::Accounts::new(state.clone());
    let mailer = config.smtp.as_ref().map(Mailer::new).transpose()?;
    let (connection, store) = startup::prepare(&config).await?;
    let listen = config.listen.unwrap_or(leptos_options.site_addr);
    let listener = bind(listen).await?;
    let instances = Arc::new(Instances::new(
        state.clone(),
        startup::instance_id(&config.data_dir)?,
        listener.local_addr()?.to_string(),
    ));
    let alerts = Arc::new(Alerts::new(
        state.clone(),
        instances.clone(),
        mailer,
        config.alert_targets.clone(),
    ));
    let device_listener = match config.device_listen {
        Some(addr) => Some(bind(addr).await?),
        None => None,
    };
    let device_tls = match &config.device_tls {
        Some((cert, key)) => Some(tsdb::tls::server_config(cert, key).context(
            "the device listener's TLS certificate (--device-tls-cert, --device-tls-key)",
        )?),
        None => None,
    };
    let mqtt_listener = bind_mqtt(&mut config).await?;
    // Devices write to this server: they are told where it listens for them.
    let for_devices = device_listener.as_ref().unwrap_or(&listener).local_addr()?;
    config
        .device_influx_url
        .get_or_insert_with(|| startup::reachable(device_tls.is_some(), for_devices));
    let service = Arc::new(Service::default());
    let connecting = tokio::spawn(startup::connect_until_ready(
        config.clone(),
        connection,
        service.clone(),
        state.clone(),
    ));
    alerts::spawn_evaluator(service.clone(), alerts.clone(), config.alert_every);
    iot_core::peers::spawn(service.clone(), state.clone(), instances.id.clone());
    let stopping = shutdown::Stopping::on_signals();
    tracing::info!("IoT Center on http://{}", listener.local_addr()?);
    warn_if_open(&config, listen);
    if let Some(devices) = device_listener {
        let hosts = surface::AllowedHosts::new(devices.local_addr()?.ip(), &config.allowed_hosts);
        let routes = web::device_router(service.clone(), alerts.clone(), hosts);
        tracing::info!(
            "device API and gateway on {}",
            startup::reachable(device_tls.is_some(), devices.local_addr()?)
        );
        match device_tls {
            Some(tls) => {
                let devices = tsdb::tls::TlsListener::new(devices, tls)?;
                tokio::spawn(shutdown::serve_on(
                    devices,
                    routes,
                    config.request_timeout,
                    stopping.clone(),
                ));
            }
            None => {
                tokio::spawn(shutdown::serve(
                    devices,
                    routes,
                    config.request_timeout,
                    stopping.clone(),
                ));
            }
        }
    }
    let setup = setup_code(&config, listen, &accounts).await?;
    if let (Some(listener), Some(mqtt)) = (mqtt_listener, &config.mqtt) {
        tracing::info!(
            "MQTT for devices on {}://{}, topic {}",
            if mqtt.tls.is_some() { "mqtts" } else { "mqtt" },
            listener.local_addr()?,
            mqtt.topic
        );
        if mqtt.client_id_only {
            tracing::warn!(
                "MQTT_CLIENT_ID_ONLY: MQTT devices may connect with their client id alone; \
                 anyone who can reach the listener and knows a device's id can write as it"
            );
        }
        let options = mqtt::Options {
            topic: mqtt.topic.clone(),
            client_id_only: mqtt.client_id_only,
        };
        let (service, stopping) = (service.clone(), stopping.clone());
        match &mqtt.tls {
            Some((cert, key)) => {
                let tls = tsdb::tls::server_config(cert, key).context(
                    "the MQTT listener's TLS certificate (--mqtt-tls-cert, --mqtt-tls-key)",
                )?;
                let listener = tsdb::tls::TlsListener::new(listener, tls)?;
                tokio::spawn(mqtt::serve(listener, service, options, stopping));
            }
            None => {
                // A PUBACK is small and waited for: sent at once, not after the next segment.
                let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
                    let _ = tcp.set_nodelay(true);
                });
                tokio::spawn(mqtt::serve(listener, service, options, stopping));
            }
        }
    }
    if let Some(bridge) = config.mqtt_bridge.clone() {
        let transport = bridge.transport().map_err(anyhow::Error::msg)?;
        service.set_bridge(iot_models::BridgeState::down(&bridge.url(), "connecting"));
        tokio::spawn(mqtt_bridge::run(bridge, transport, service.clone()));
    }
    let auth = auth::layer(state.clone(), accounts.clone()).await?;
    let hosts = surface::AllowedHosts::new(listener.local_addr()?.ip(), &config.allowed_hosts);
    let shared = web::Shared {
        service: service.clone(),
        accounts,
        alerts,
        dashboards: Arc::new(DashboardStore::new(state.clone())),
    };
    let throttle = auth::Throttle::new(state.clone());
    let app = web::router(
        leptos_options,
        shared,
        auth,
        hosts,
        config.proxy,
        setup,
        throttle,
    );
    shutdown::serve(listener, app, config.request_timeout, stopping)
        .await
        .context("serving HTTP")?;

    // No requests any more: hand the alert evaluator on, stop the writers, write the
    // metrics, close the store.
    if let Err(e) = instances
        .release(iot_core::instances::ALERT_EVALUATOR)
        .await
    {
        tracing::warn!("letting go of the alert evaluator's lease: {e}");
    }
    connecting.abort();
    if let Some(b) = service.get() {
        iot_core::writer::stop_continuous(b);
        let flushed = tokio::time::timeout(shutdown::GRACE, iot_core::metrics::flush(b)).await;
        let left = b.metrics.delivery();
        match (flushed, left.buffered_points) {
            (Ok(()), 0) => tracing::info!("metrics written"),
            _ => tracing::warn!(
                "{} metrics points not written: {}",
                left.buffered_points,
                left.last_error
                    .unwrap_or_else(|| format!("no answer within {} s", shutdown::GRACE.as_secs()))
            ),
        }
    }
    if let Some(store) = store {
        store.stop(shutdown::GRACE).await;
    }
    tracing::info!("stopped");
    Ok(())
}
