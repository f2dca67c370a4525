//! Serving a router with bounds no client can lift, on every listener of the store and of
//! the application: a connection must send a request's headers within [`HEADER_TIMEOUT`]
//! (a keep-alive connection waiting for its next request too), at most [`MAX_CONNECTIONS`]
//! are open at once (past it a new one is closed as it is accepted), a request is answered
//! within its time bound (else 503: a body trickled in or a handler stuck end there), and on
//! shutdown the requests in flight finish. Handlers get the client's address as
//! `ConnectInfo<SocketAddr>`.

use axum::extract::ConnectInfo;
use axum::serve::Listener;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// How long a connection may take to send a request's headers, or stay idle between requests.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request may take, from its headers to its answer's headers, by default: past
/// the query timeout, so a slow query ends with its own error first.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(90);
/// Connections open at once, per listener.
pub const MAX_CONNECTIONS: usize = 4_096;
/// An HTTP/2 connection that answers no ping within this is closed.
const PING_TIMEOUT: Duration = Duration::from_secs(20);

/// Serves `app` on `listener`, each request answered within `request_timeout`, until
/// `shutdown` completes, then waits for the requests in flight (the caller bounds that wait).
pub async fn serve<L>(
    mut listener: L,
    app: Router,
    request_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()>
where
    L: Listener<Addr = SocketAddr>,
{
    let app = app.layer(axum::middleware::from_fn_with_state(
        request_timeout,
        bounded,
    ));
    let open = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(HEADER_TIMEOUT)
        .keep_alive_timeout(PING_TIMEOUT);
    tokio::pin!(shutdown);
    loop {
        let (io, client) = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut shutdown => break,
        };
        let Ok(slot) = open.clone().try_acquire_owned() else {
            tracing::debug!("{MAX_CONNECTIONS} connections open: closing the one from {client}");
            continue;
        };
        let service = tower::ServiceBuilder::new()
            .map_request(
                move |mut request: axum::http::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(client));
                    request
                },
            )
            .service(app.clone());
        let (builder, watcher) = (builder.clone(), graceful.watcher());
        tokio::spawn(async move {
            let connection = builder.serve_connection_with_upgrades(
                TokioIo::new(io),
                TowerToHyperService::new(service),
            );
            if let Err(e) = watcher.watch(connection.into_owned()).await {
                tracing::debug!("connection from {client}: {e}");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// The request, if it is answered in time; else 503 in InfluxDB's error shape.
async fn bounded(
    axum::extract::State(timeout): axum::extract::State<Duration>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({
                "code": "unavailable",
                "message": format!("the request took longer than {} s and was stopped", timeout.as_secs()),
            })),
        )
            .into_response(),
    }
}
