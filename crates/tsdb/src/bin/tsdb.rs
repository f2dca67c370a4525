//! `tsdb`: the embedded store on its own, for tools and clients that speak InfluxDB v2.

use anyhow::Context;
use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "tsdb",
    version,
    about = "An InfluxDB-v2-compatible time-series store"
)]
struct Cli {
    /// Address of the HTTP API
    #[arg(long, default_value = "127.0.0.1:8086")]
    http_bind_address: SocketAddr,
    /// Directory for the data (created if missing)
    #[arg(long, default_value = "tsdb-data")]
    data_dir: PathBuf,
    /// TLS certificate chain (PEM): serve HTTPS, as influxd's flag of the same name
    #[arg(long, env = "TSDB_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM)
    #[arg(long, env = "TSDB_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    #[command(flatten)]
    limits: tsdb::LimitArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cli = Cli::parse();
    let store = Arc::new(tsdb::storage::Store::open(&cli.data_dir).context("opening the store")?);
    let listener = tokio::net::TcpListener::bind(cli.http_bind_address)
        .await
        .with_context(|| format!("listening on {}", cli.http_bind_address))?;
    let local = listener.local_addr()?;
    let (endpoint, scheme) = match (&cli.tls_cert, &cli.tls_key) {
        (Some(cert), Some(key)) => (
            tsdb::Endpoint::Tls(listener, tsdb::tls::server_config(cert, key)?),
            "https",
        ),
        _ => (tsdb::Endpoint::Plain(listener), "http"),
    };
    tracing::info!("tsdb {} listening on {scheme}://{local}", tsdb::VERSION);
    tsdb::serve(endpoint, store, cli.limits.config(), async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("serving HTTP")
}
