//! Stopping cleanly on SIGTERM (systemd, containers) or Ctrl-C: listeners stop accepting,
//! requests in flight finish within a grace period, then the caller writes what it holds.

use axum::serve::{Listener, ListenerExt};
use axum::Router;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// How long requests in flight, and the final writes, may take once a stop is asked for.
pub const GRACE: Duration = Duration::from_secs(10);

/// Whether a stop was asked for; every listener and task that must end holds a clone.
#[derive(Clone)]
pub struct Stopping(watch::Receiver<bool>);

impl Stopping {
    /// Starts watching for SIGTERM and Ctrl-C.
    pub fn on_signals() -> Stopping {
        let (asked, stopping) = watch::channel(false);
        tokio::spawn(async move {
            signal().await;
            tracing::info!("stopping: finishing requests in flight");
            let _ = asked.send(true);
        });
        Stopping(stopping)
    }

    /// Completes once a stop was asked for.
    pub async fn asked(mut self) {
        let _ = self.0.wait_for(|asked| *asked).await;
    }
}

async fn signal() {
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot watch for SIGTERM: {e}");
                std::future::pending::<()>().await
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}

/// Serves `app` on `listener` until a stop is asked for and the requests in flight have
/// finished, or [`GRACE`] has passed since.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    request_timeout: Duration,
    stopping: Stopping,
) -> std::io::Result<()> {
    // Pages stream out in pieces: without TCP_NODELAY the last one waits for the client's
    // delayed ACK, about 40 ms a page.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!("TCP_NODELAY: {e}");
        }
    });
    serve_on(listener, app, request_timeout, stopping).await
}

/// [`serve`] on any listener (HTTPS by `tsdb::tls::TlsListener`), with the store's bounds on
/// every connection (`tsdb::serve`: a header timeout, a bound on open connections and on each
/// request's time); handlers get the client's address as `ConnectInfo<SocketAddr>`.
pub async fn serve_on<L>(
    listener: L,
    app: Router,
    request_timeout: Duration,
    stopping: Stopping,
) -> std::io::Result<()>
where
    L: Listener<Addr = std::net::SocketAddr>,
{
    let graceful = tsdb::serve::serve(listener, app, request_timeout, stopping.clone().asked());
    let deadline = async {
        stopping.asked().await;
        tokio::time::sleep(GRACE).await;
    };
    tokio::select! {
        served = graceful => served,
        _ = deadline => {
            tracing::warn!("requests still running {} s after the stop: ending them", GRACE.as_secs());
            Ok(())
        }
    }
}
