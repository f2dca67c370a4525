//! `GET /api/live/{id}` (and `/share/{token}/live/{id}` for a shared dashboard's devices, by
//! its link alone): a device's points as the gateway stores them, as Server-Sent Events
//! (`event: points`, a data line `time_ms value field` a point, [`LivePoint::to_line`];
//! `event: skipped` with how many were skipped so far), for a viewer's page. Bounded by the hub (streams per server, backlog per stream) and here: at most
//! [`POINTS_PER_SECOND`] a stream; past it points are skipped and counted, not queued.

use crate::error::ApiError;
use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use futures_util::stream::{self, StreamExt};
use iot_core::dashboards::store::DashboardStore;
use iot_core::{Error, Service};
use iot_models::{Caller, DeviceId, LivePoint, Role};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::broadcast::error::RecvError;

/// Points a stream carries per second at most: far past what a chart draws.
pub const POINTS_PER_SECOND: usize = 500;

pub fn routes(dashboards: Arc<DashboardStore>) -> Router<Arc<Service>> {
    Router::new().route("/api/live/{id}", get(live)).route(
        "/share/{token}/live/{id}",
        get(move |s, path| shared_live(s, path, dashboards.clone())),
    )
}

async fn live(
    State(s): State<Arc<Service>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    ApiError::require(&caller, Role::Viewer)?;
    events_of(&s, &id, None).await
}

/// A shared dashboard's stream, for its link alone: one of its devices' points, ended
/// within [`RECHECK`] of the link's revocation or expiry.
async fn shared_live(
    State(s): State<Arc<Service>>,
    Path((token, id)): Path<(String, String)>,
    dashboards: Arc<DashboardStore>,
) -> Result<Response, ApiError> {
    let devices = dashboards.shared(&token).await?.spec.devices;
    let device = DeviceId::parse(&id).map_err(ApiError::invalid)?;
    if !devices.includes(&device) {
        return Err(Error::NotFound(format!("device {id} is not on this dashboard")).into());
    }
    events_of(&s, &id, Some(SharedBy { dashboards, token })).await
}

/// How often an open shared stream looks whether its link still works.
const RECHECK: Duration = Duration::from_millis(500);

/// The link a shared stream is open by.
struct SharedBy {
    dashboards: Arc<DashboardStore>,
    token: String,
}

impl SharedBy {
    async fn works(&self) -> bool {
        self.dashboards.shared(&self.token).await.is_ok()
    }
}

/// Device `id`'s points as events, while the link it is open by works (when there is one).
async fn events_of(s: &Service, id: &str, still: Option<SharedBy>) -> Result<Response, ApiError> {
    let b = s.backend()?;
    let id = DeviceId::parse(id).map_err(ApiError::invalid)?;
    if b.fleet.device(&b, &id).await?.is_none() {
        return Err(Error::NotFound(format!("device {id} is not registered")).into());
    }
    let stream = LiveStream {
        watch: b.live.watch(&id)?,
        second: Instant::now(),
        sent: 0,
        skipped: 0,
        told: 0,
        still,
    };
    let events = stream::unfold(stream, |mut s| async move {
        let events = s.next().await?;
        Some((events, s))
    })
    .flat_map(|events| stream::iter(events.into_iter().map(Ok::<_, std::convert::Infallible>)));
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// One watcher's stream: what it was sent this second, and what it missed.
struct LiveStream {
    watch: iot_core::live::Watch,
    second: Instant,
    sent: usize,
    skipped: u64,
    /// The skipped count the watcher was last told.
    told: u64,
    /// The link the stream is open by, looked at every [`RECHECK`].
    still: Option<SharedBy>,
}

impl LiveStream {
    /// The events of the next write, `None` once the hub is gone.
    async fn next(&mut self) -> Option<Vec<Event>> {
        let batch = loop {
            let received = match &self.still {
                None => self.watch.points.recv().await,
                Some(still) => {
                    match tokio::time::timeout(RECHECK, self.watch.points.recv()).await {
                        Ok(received) => received,
                        Err(_) if still.works().await => continue,
                        Err(_) => return None,
                    }
                }
            };
            match received {
                Ok(batch) => break batch,
                Err(RecvError::Lagged(n)) => self.skipped += n,
                Err(RecvError::Closed) => return None,
            }
        };
        if let Some(still) = &self.still {
            if !still.works().await {
                return None;
            }
        }
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
