//! `GET /export.csv` ([`ExportRequest`]): telemetry as a streamed CSV download, the same
//! devices, fields and range a dashboard shows.

use crate::error::ApiError;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use iot_core::export::Export;
use iot_core::Service;
use iot_models::ExportRequest;
use std::sync::Arc;

pub fn routes() -> Router<Arc<Service>> {
    Router::new().route("/export.csv", get(export))
}

async fn export(
    State(s): State<Arc<Service>>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let b = s.backend()?;
    let request: ExportRequest = serde_urlencoded::from_str(query.as_deref().unwrap_or_default())
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    let export = Export::new(request, chrono::Utc::now());
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
