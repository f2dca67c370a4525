//! `GET /api/live/{id}`: a device's points as the gateway stores them, as Server-Sent Events
//! (`event: points`, data `{"points":[{field,time_ms,value}…],"skipped":n}`), for a viewer's
//! page. Bounded by the hub (streams per server, backlog per stream) and here: at most
//! [`POINTS_PER_SECOND`] a stream; past it points are skipped and counted, not queued.

use crate::error::ApiError;
use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use axum::{Extension, Router};
use futures_util::stream::{self, Stream};
use iot_core::{Error, Service};
use iot_models::{Caller, DeviceId, LivePoint, Role};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::broadcast::error::RecvError;

/// Points a stream carries per second at most: far past what a chart draws.
pub const POINTS_PER_SECOND: usize = 500;

pub fn routes() -> Router<Arc<Service>> {
    Router::new().route("/api/live/{id}", get(live))
}

async fn live(
    State(s): State<Arc<Service>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, std::convert::Infallible>>>, ApiError> {
    ApiError::require(&caller, Role::Viewer)?;
    let b = s.backend()?;
    let id = DeviceId::parse(&id).map_err(ApiError::invalid)?;
    if b.fleet.device(&b, &id).await?.is_none() {
        return Err(Error::NotFound(format!("device {id} is not registered")).into());
    }
    let watch = b.live.watch(&id)?;
    let state = (watch, Instant::now(), 0usize, 0u64);
    let events = stream::unfold(
        state,
        |(mut watch, mut second, mut sent, mut skipped)| async move {
            let batch = loop {
                match watch.points.recv().await {
                    Ok(batch) => break batch,
                    Err(RecvError::Lagged(n)) => skipped += n,
                    Err(RecvError::Closed) => return None,
                }
            };
            if second.elapsed() >= Duration::from_secs(1) {
                (second, sent) = (Instant::now(), 0);
            }
            let room = POINTS_PER_SECOND.saturating_sub(sent);
            let points: Vec<&LivePoint> = batch.iter().take(room).collect();
            sent += points.len();
            skipped += (batch.len() - points.len()) as u64;
            let data = serde_json::json!({ "points": points, "skipped": skipped });
            let event = Event::default().event("points").data(data.to_string());
            Some((Ok(event), (watch, second, sent, skipped)))
        },
    );
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}
