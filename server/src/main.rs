//! `iot-center`: serves the IoT Center web application.

mod cli;
mod web;

use anyhow::Context;
use clap::Parser;
use leptos::config::get_configuration;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cli = cli::Cli::parse();

    // Leptos.toml holds the runtime options when the binary is started directly;
    // LEPTOS_* variables (set by cargo-leptos) override it.
    let leptos_options = get_configuration(Some("Leptos.toml"))
        .context("reading Leptos.toml (start iot-center from the repository root)")?
        .leptos_options;
    let addr = cli.listen.unwrap_or(leptos_options.site_addr);

    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening on {addr}"))?;
    tracing::info!("IoT Center on http://{}", listener.local_addr()?);
    axum::serve(listener, web::router(leptos_options))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving HTTP")
}

async fn shutdown_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
