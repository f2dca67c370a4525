//! `GET /health` and `GET /ready` for load balancers and monitors, and the middleware that
//! counts every routed request into the application's own metrics.

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use iot_core::{alerts::Alerts, health, Service};
use iot_models::{Caller, CheckStatus};
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

/// The routes; the report counts `alerts`' notifications too.
pub fn routes(alerts: Arc<Alerts>) -> Router<Arc<Service>> {
    Router::new()
        .route("/health", get(health_report))
        .route("/ready", get(ready))
        .layer(Extension(alerts))
}

/// 200 when every check passes, 503 when one fails. Signed-in callers get the report;
/// strangers (load balancers, the client libraries' probes) get pass or fail only, never
/// where InfluxDB is or why it fails.
async fn health_report(
    State(s): State<Arc<Service>>,
    Extension(alerts): Extension<Arc<Alerts>>,
    caller: Option<Extension<Caller>>,
) -> Response {
    let report = health::report(&s, &alerts).await;
    let status = match report.status {
        CheckStatus::Pass => StatusCode::OK,
        CheckStatus::Fail => StatusCode::SERVICE_UNAVAILABLE,
    };
    match caller {
        Some(_) => (status, Json(report)).into_response(),
        None => {
            let summary =
                json!({ "name": report.name, "message": report.message, "status": report.status });
            (status, Json(summary)).into_response()
        }
    }
}

/// 200 once InfluxDB answers and the buckets exist; 503 with the reason until then.
async fn ready(State(s): State<Arc<Service>>) -> Response {
    match health::ready(&s).await {
        Ok(()) => Json(json!({ "status": "ready" })).into_response(),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "not ready", "reason": reason })),
        )
            .into_response(),
    }
}

/// Records the route (its pattern, so `/devices/{id}` counts once), status and latency,
/// once there is an InfluxDB to write them to.
pub async fn measure(State(s): State<Arc<Service>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("other", MatchedPath::as_str)
        .to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    if let Some(b) = s.get() {
        b.metrics
            .record(&route, response.status().as_u16(), started.elapsed());
    }
    response
}
