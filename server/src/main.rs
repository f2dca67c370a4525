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
use leptos::config::get_configuration;
use std::sync::Arc;

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
    let backend = Arc::new(startup::connect(&config).await?);
    iot_core::metrics::spawn_flusher(backend.clone());
    let listen = config.listen.unwrap_or(leptos_options.site_addr);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    tracing::info!("IoT Center on http://{}", listener.local_addr()?);
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
