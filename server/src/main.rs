//! `iot-center`: serves the IoT Center web application.

mod accounts_cli;
mod auth;
mod cli;
mod config;
mod device_api;
mod error;
mod export;
mod health_api;
mod startup;
mod surface;
mod web;

use anyhow::Context;
use clap::Parser;
use iot_core::enrollment::{Enrollment, Policy};
use leptos::config::get_configuration;
use std::net::SocketAddr;
use std::sync::Arc;

async fn bind(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening on {addr}"))
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
    let config = config::Config::resolve(cli, &file)?;
    if let Some(command) = command {
        return accounts_cli::run(command, &config.data_dir).await;
    }

    // Leptos.toml holds the runtime options when the binary is started directly;
    // LEPTOS_* variables (set by cargo-leptos) override it.
    let leptos_options = get_configuration(Some("Leptos.toml"))
        .context("reading Leptos.toml (start iot-center from the repository root)")?
        .leptos_options;

    startup::private_dir(&config.data_dir)?;
    let accounts = iot_core::accounts::Accounts::open(&config.data_dir)?;
    let enrollment = Enrollment::new(
        config.device_registration,
        config.provisioning_secret.as_deref(),
    );
    let backend = Arc::new(startup::connect(&config).await?.with_enrollment(enrollment));
    iot_core::metrics::spawn_flusher(backend.clone());
    let listen = config.listen.unwrap_or(leptos_options.site_addr);
    let listener = bind(listen).await?;
    tracing::info!("IoT Center on http://{}", listener.local_addr()?);
    warn_if_open(&config, listen);
    if let Some(device_listen) = config.device_listen {
        let devices = bind(device_listen).await?;
        tracing::info!("device API on http://{}", devices.local_addr()?);
        let hosts = surface::AllowedHosts::new(devices.local_addr()?.ip(), &config.allowed_hosts);
        let routes = web::device_router(backend.clone(), hosts);
        tokio::spawn(async move {
            if let Err(e) = axum::serve(devices, routes).await {
                tracing::error!("device API stopped: {e}");
            }
        });
    }
    let auth = auth::layer(&config.data_dir, accounts.clone())?;
    let hosts = surface::AllowedHosts::new(listener.local_addr()?.ip(), &config.allowed_hosts);
    let app = web::router(leptos_options, backend, accounts, auth, hosts);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("serving HTTP")
}
