//! `GET /export.csv?devices=a,b&fields=CO2,TVOC&range=1d` (or `range=custom&from=…&to=…`):
//! telemetry as a streamed CSV download, the same devices, fields and range a dashboard shows.

use crate::device_api::ApiError;
use app::backend::export::Export;
use app::backend::{telemetry, Backend};
use app::models::{AppError, DeviceId};
use axum::body::Body;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use std::sync::Arc;

pub fn routes() -> Router<Arc<Backend>> {
    Router::new().route("/export.csv", get(export))
}

#[derive(Deserialize)]
struct ExportQuery {
    #[serde(default)]
    devices: String,
    #[serde(default)]
    fields: String,
    range: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// The non-empty items of a comma-separated list.
fn list(raw: &str) -> impl Iterator<Item = &str> {
    raw.split(',').map(str::trim).filter(|s| !s.is_empty())
}

async fn export(
    State(b): State<Arc<Backend>>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let devices = list(&q.devices)
        .map(|d| DeviceId::parse(d).map_err(AppError::Invalid))
        .collect::<Result<Vec<_>, _>>()?;
    let fields = list(&q.fields).map(String::from).collect();
    let window = telemetry::time_range(
        q.range.as_deref().unwrap_or("1h"),
        q.from.as_deref(),
        q.to.as_deref(),
    )?;
    let export = Export::new(devices, fields, &window, chrono::Utc::now())?;
    let disposition = format!("attachment; filename=\"{}\"", export.file_name());
    Ok((
        [
            ("content-type", "text/csv; charset=utf-8".to_string()),
            ("content-disposition", disposition),
        ],
        Body::from_stream(export.stream(b)),
    )
        .into_response())
}
