//! `GET /api/live/{id}`: a device's points as the gateway stores them, as Server-Sent Events
//! (`event: points`, a data line `time_ms value field` a point, [`LivePoint::to_line`];
//! `event: skipped` with how many were skipped so far), for a viewer's page. Bounded by the hub (streams per server, backlog per stream) and here: at most
//! [`POINTS_PER_SECOND`] a stream; past it points are skipped and counted, not queued.

use crate::error::ApiError;
use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use axum::{Extension, Router};
use futures_util::stream::{self, Stream, StreamExt};
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
    let stream = LiveStream {
        watch: b.live.watch(&id)?,
        second: Instant::now(),
        sent: 0,
        skipped: 0,
        told: 0,
    };
    let events = stream::unfold(stream, |mut s| async move {
        let events = s.next().await?;
        Some((events, s))
    })
    .flat_map(|events| stream::iter(events.into_iter().map(Ok)));
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

/// One watcher's stream: what it was sent this second, and what it missed.
struct LiveStream {
    watch: iot_core::live::Watch,
    second: Instant,
    sent: usize,
    skipped: u64,
    /// The skipped count the watcher was last told.
    told: u64,
}

impl LiveStream {
    /// The events of the next write, `None` once the hub is gone.
    async fn next(&mut self) -> Option<Vec<Event>> {
        let batch = loop {
            match self.watch.points.recv().await {
                Ok(batch) => break batch,
                Err(RecvError::Lagged(n)) => self.skipped += n,
                Err(RecvError::Closed) => return None,
            }
        };
        if self.second.elapsed() >= Duration::from_secs(1) {
            (self.second, self.sent) = (Instant::now(), 0);
        }
        let room = POINTS_PER_SECOND.saturating_sub(self.sent);
        let points: Vec<String> = batch.iter().take(room).map(LivePoint::to_line).collect();
        self.sent += points.len();
        self.skipped += (batch.len() - points.len()) as u64;
        let mut events = Vec::with_capacity(2);
        if !points.is_empty() {
            events.push(Event::default().event("points").data(points.join("\n")));
        }
        if self.skipped != self.told {
            self.told = self.skipped;
            events.push(
                Event::default()
                    .event("skipped")
                    .data(self.skipped.to_string()),
            );
        }
        Some(events)
    }
}
