//! `tsdb`: an embedded, InfluxDB-v2-compatible time-series store and its HTTP API.
//!
//! IoT Center starts it in-process when no InfluxDB is configured, and talks to it over
//! HTTP exactly as it would talk to InfluxDB 2.x; it also runs alone as the `tsdb` binary.
//!
//! # Layout
//! - [`series`]: the plain data storage and Flux share (series, field values, column types).
//! - [`storage`]: SQLite-backed orgs, buckets, authorizations, series and points.
//! - [`line_protocol`]: `/write` bodies into points (InfluxData's parser).
//! - [`flux`]: the Flux subset: parser, evaluator, tables.
//! - [`annotated_csv`]: query results in InfluxDB's CSV.
//! - [`delete_predicate`]: the `/delete` predicate language.
//! - `http`: the endpoints; [`serve`] runs them on a listener until shutdown, over TLS
//!   ([`tls`]) when given a certificate.
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
pub mod series;
pub mod serve;
pub mod storage;
pub mod tls;

pub use http::{ApiError, VERSION};

use axum::serve::ListenerExt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use storage::Store;
use tokio::net::TcpListener;

/// How the store serves: its limits and its housekeeping.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Largest accepted `/write` body, before and after decompression (413 above).
    pub max_write_bytes: usize,
    /// How deep, long and large one query may get.
    pub query_limits: flux::Limits,
    /// How often points past their bucket's retention are deleted.
    pub retention_check_every: Duration,
    /// How long a request may take to be answered ([`serve::serve`]).
    pub request_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_write_bytes: DEFAULT_MAX_WRITE_BYTES,
            query_limits: flux::Limits::default(),
            retention_check_every: Duration::from_secs(60),
            request_timeout: serve::REQUEST_TIMEOUT,
        }
    }
}

/// InfluxDB's `max-body-size` default: 25 MB of line protocol, about 300,000 lines.
pub const DEFAULT_MAX_WRITE_BYTES: usize = 25_000_000;

/// The store's limits as command-line flags (and environment variables), for the binaries
/// that serve it: `tsdb` and `iot-center`.
#[derive(Clone, Debug, clap::Args)]
pub struct LimitArgs {
    /// Largest accepted /write body in bytes, before and after decompression
    #[arg(long, env = "TSDB_MAX_WRITE_BYTES", default_value_t = DEFAULT_MAX_WRITE_BYTES,
          value_parser = at_least_one::<usize>())]
    pub max_write_bytes: usize,
    /// Seconds a query may run before it is stopped
    #[arg(long, env = "TSDB_QUERY_TIMEOUT", default_value_t = flux::Limits::default().timeout.as_secs(),
          value_parser = at_least_one::<u64>())]
    pub query_timeout: u64,
    /// Deepest nesting of a query's expressions and calls
    #[arg(long, env = "TSDB_QUERY_MAX_DEPTH", default_value_t = flux::Limits::default().max_depth,
          value_parser = at_least_one::<usize>())]
    pub query_max_depth: usize,
    /// Rows a query may read and make, all told
    #[arg(long, env = "TSDB_QUERY_MAX_ROWS", default_value_t = flux::Limits::default().max_rows,
          value_parser = at_least_one::<usize>())]
    pub query_max_rows: usize,
    /// Bytes of strings, arrays and records a query may build, all told
    #[arg(long, env = "TSDB_QUERY_MAX_BYTES", default_value_t = flux::Limits::default().max_bytes,
          value_parser = at_least_one::<usize>())]
    pub query_max_bytes: usize,
    /// Seconds a request may take, from its headers to its answer's, on every listener
    /// (503 past it; an answer that streams may take longer)
    #[arg(long, env = "REQUEST_TIMEOUT", default_value_t = serve::REQUEST_TIMEOUT.as_secs(),
          value_parser = at_least_one::<u64>())]
    pub request_timeout: u64,
}

/// A limit of 0 would refuse every request: it is refused when the binary starts.
fn at_least_one<T>() -> clap::builder::RangedU64ValueParser<T>
where
    T: TryFrom<u64> + Clone + Send + Sync + 'static,
    <T as TryFrom<u64>>::Error: std::error::Error + Send + Sync + 'static,
{
    clap::builder::RangedU64ValueParser::<T>::new().range(1..)
}

impl Default for LimitArgs {
    fn default() -> Self {
        let limits = flux::Limits::default();
        LimitArgs {
            max_write_bytes: DEFAULT_MAX_WRITE_BYTES,
            query_timeout: limits.timeout.as_secs(),
            query_max_depth: limits.max_depth,
            query_max_rows: limits.max_rows,
            query_max_bytes: limits.max_bytes,
            request_timeout: serve::REQUEST_TIMEOUT.as_secs(),
        }
    }
}

impl LimitArgs {
    pub fn config(&self) -> Config {
        Config {
            max_write_bytes: self.max_write_bytes,
            query_limits: flux::Limits {
                max_depth: self.query_max_depth,
                timeout: Duration::from_secs(self.query_timeout),
                max_rows: self.query_max_rows,
                max_bytes: self.query_max_bytes,
            },
            request_timeout: Duration::from_secs(self.request_timeout),
            ..Config::default()
        }
    }
}

/// Where the API is served: plain HTTP, or HTTPS with a TLS configuration
/// ([`tls::server_config`]).
pub enum Endpoint {
    Plain(TcpListener),
    Tls(TcpListener, Arc<tls::ServerConfig>),
}

impl From<TcpListener> for Endpoint {
    fn from(listener: TcpListener) -> Self {
        Endpoint::Plain(listener)
    }
}

/// Serves the API on `endpoint` until `shutdown` completes, enforcing retention meanwhile.
pub async fn serve(
    endpoint: impl Into<Endpoint>,
    store: Arc<Store>,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_all(vec![endpoint.into()], store, config, shutdown).await
}

/// Serves one store on several endpoints (say HTTPS for devices, plain HTTP on loopback for
/// the application beside it) until `shutdown` completes.
pub async fn serve_all(
    endpoints: Vec<Endpoint>,
    store: Arc<Store>,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let request_timeout = config.request_timeout;
    let state = http::AppState {
        store: store.clone(),
        max_write_bytes: config.max_write_bytes,
        query_limits: config.query_limits,
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
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
    });
    let runs = endpoints.into_iter().map(|endpoint| {
        let app = app.clone();
        let mut stopped = stopped.clone();
        let stop = async move {
            let _ = stopped.wait_for(|s| *s).await;
        };
        async move {
            match endpoint {
                // Answers stream in pieces: without TCP_NODELAY the last piece waits for the
                // client's delayed ACK (~40 ms a request).
                Endpoint::Plain(listener) => {
                    let listener = listener.tap_io(|tcp| {
                        if let Err(e) = tcp.set_nodelay(true) {
                            tracing::warn!("TCP_NODELAY: {e}");
                        }
                    });
                    serve::serve(listener, app, request_timeout, stop).await
                }
                Endpoint::Tls(listener, tls) => {
                    let listener = tls::TlsListener::new(listener, tls)?;
                    serve::serve(listener, app, request_timeout, stop).await
                }
            }
        }
    });
    let result = futures_util::future::try_join_all(runs).await.map(|_| ());
    retention.abort();
    result
}
