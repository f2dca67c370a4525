//! `tsdb`: an embedded, InfluxDB-v2-compatible time-series store and its HTTP API.
//!
//! IoT Center starts it in-process when no InfluxDB is configured, and talks to it over
//! HTTP exactly as it would talk to InfluxDB 2.x; it also runs alone as the `tsdb` binary.
//!
//! # Layout
//! - [`storage`]: SQLite-backed orgs, buckets, authorizations, series and points.
//! - [`line_protocol`]: `/write` bodies into points (InfluxData's parser).
//! - [`flux`]: the Flux subset: parser, evaluator, tables.
//! - [`annotated_csv`]: query results in InfluxDB's CSV.
//! - [`delete_predicate`]: the `/delete` predicate language.
//! - `http`: the endpoints; [`serve`] runs them on a listener until shutdown.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let store = std::sync::Arc::new(tsdb::storage::Store::open(std::path::Path::new("data"))?);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! tsdb::serve(listener, store, tsdb::Config::default(), std::future::pending()).await?;
//! # Ok(()) }
//! ```

pub mod annotated_csv;
pub mod delete_predicate;
pub mod flux;
mod http;
pub mod line_protocol;
pub mod storage;

pub use http::{ApiError, VERSION};

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use storage::Store;
use tokio::net::TcpListener;

#[derive(Clone, Debug)]
pub struct Config {
    /// Largest accepted `/write` body after decompression (413 above).
    pub max_write_bytes: usize,
    /// How often points past their bucket's retention are deleted.
    pub retention_check_every: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_write_bytes: 64 * 1024 * 1024,
            retention_check_every: Duration::from_secs(60),
        }
    }
}

/// Serves the API on `listener` until `shutdown` completes, enforcing retention meanwhile.
pub async fn serve(
    listener: TcpListener,
    store: Arc<Store>,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let state = http::AppState {
        store: store.clone(),
        max_write_bytes: config.max_write_bytes,
        started: chrono::Utc::now(),
    };
    let retention = tokio::spawn(async move {
        let mut tick = tokio::time::interval(config.retention_check_every);
        loop {
            tick.tick().await;
            let store = store.clone();
            match tokio::task::spawn_blocking(move || store.expire(storage::now_nanos())).await {
                Ok(Ok(0)) => {}
                Ok(Ok(n)) => tracing::info!("retention: deleted {n} expired points"),
                Ok(Err(e)) => tracing::warn!("retention: {e}"),
                Err(e) => tracing::warn!("retention: {e}"),
            }
        }
    });
    let app =
        http::router(state).layer(tower_http::compression::CompressionLayer::new().gzip(true));
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    retention.abort();
    result
}
