//! The device HTTP API of the reference IoT Center, so its devices work unchanged:
//! `GET /api/env/{id}`, `GET /api/devices`, `DELETE /api/devices/{id}`, `GET /api/health`;
//! and `POST /api/devices`, registering devices in bulk. Who may register itself is
//! [`enrollment`]'s call.

use crate::error::ApiError;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use iot_core::device_env::DeviceEnv;
use iot_core::enrollment::{self, Answer};
use iot_core::{registry, Error, Service};
use iot_models::{Caller, DeviceId, DeviceSummary, Role, MAX_BULK_CSV_BYTES};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

/// What devices use: their configuration and a liveness check. The whole of the device
/// listener (`--device-listen`).
pub fn device_routes() -> Router<Arc<Service>> {
    Router::new()
        .route("/api/env/{id}", get(env))
        .route("/api/health", get(health))
}

/// The device routes and the JSON API over the registry (for callers with a role).
pub fn routes() -> Router<Arc<Service>> {
    device_routes()
        .route("/api/devices", get(devices).post(register_devices))
        .layer(DefaultBodyLimit::max(MAX_BULK_CSV_BYTES))
        .route("/api/devices/{id}", axum::routing::delete(delete_device))
}

fn device_id(raw: &str) -> Result<DeviceId, ApiError> {
    DeviceId::parse(raw).map_err(ApiError::invalid)
}

#[derive(Deserialize)]
struct EnvQuery {
    register: Option<String>,
    accept: Option<String>,
    secret: Option<String>,
}

/// 403 for a device without a registration: `pending` when it waits for approval.
fn unregistered(id: &DeviceId, pending: bool) -> Response {
    let mut body = json!({ "id": id.as_str(), "registered": false });
    if pending {
        body["pending"] = json!(true);
    }
    (StatusCode::FORBIDDEN, Json(body)).into_response()
}

async fn env(
    State(s): State<Arc<Service>>,
    Path(id): Path<String>,
    Query(q): Query<EnvQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = device_id(&id)?;
    let b = s.backend()?;
    let answer = if q.register.as_deref() == Some("false") {
        registry::lookup(&b, &id)
            .await?
            .map_or(Answer::Refused, Answer::Registered)
    } else {
        let secret = q.secret.as_deref().or_else(|| {
            headers
                .get("x-provisioning-secret")
                .and_then(|v| v.to_str().ok())
        });
        enrollment::request(&b, &id, secret).await?
    };
    let registration = match answer {
        Answer::Registered(r) => r,
        Answer::Pending => return Ok(unregistered(&id, true)),
        Answer::Refused => return Ok(unregistered(&id, false)),
    };
    let env = DeviceEnv::new(&b.settings, &registration);
    let wants_text = q.accept.as_deref() == Some("text/plain")
        || headers
            .get("accept")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.starts_with("text/plain"));
    Ok(if wants_text {
        (
            [("content-type", "text/plain; charset=utf-8")],
            env.to_text(),
        )
            .into_response()
    } else {
        Json(env).into_response()
    })
}

/// The most devices one page of `GET /api/devices` holds.
const MAX_PAGE: usize = 10_000;
/// Devices per piece of the streamed whole list.
const STREAMED_PER_PIECE: usize = 1_000;

#[derive(Deserialize)]
struct ListQuery {
    limit: Option<usize>,
    after: Option<String>,
}

/// The registered devices, by id: without `limit` the whole list, streamed in pieces as the
/// reference answers it (one array); with it, one page after `after`, and a `Link` header
/// to the next while there is one.
async fn devices(
    State(s): State<Arc<Service>>,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let b = s.backend()?;
    let Some(limit) = q.limit else {
        // The cursor: the id to continue after, and whether the array is opened yet.
        let pieces = futures_util::stream::unfold(Some((q.after, true)), move |cursor| {
            let b = b.clone();
            async move {
                let (after, first) = cursor?;
                let page = b
                    .fleet
                    .after(&b, after.as_deref(), STREAMED_PER_PIECE)
                    .await;
                let piece = match page {
                    Ok(page) => page,
                    Err(e) => return Some((Err(std::io::Error::other(e)), None)),
                };
                let last = piece.len() < STREAMED_PER_PIECE;
                let next = piece.last().map(|d| d.id.clone()).or(after);
                let json = list_piece(&piece, first, last);
                Some((Ok(Bytes::from(json)), (!last).then_some((next, false))))
            }
        });
        return Ok((
            [("content-type", "application/json")],
            Body::from_stream(pieces),
        )
            .into_response());
    };
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::invalid(format!(
            "limit must be 1 to {MAX_PAGE}, not {limit}"
        )));
    }
    let page = b.fleet.after(&b, q.after.as_deref(), limit).await?;
    let mut answer = (
        [("content-type", "application/json")],
        list_piece(&page, true, true),
    )
        .into_response();
    if let Some(last) = page.last().filter(|_| page.len() == limit) {
        let next = format!(
            "</api/devices?limit={limit}&after={}>; rel=\"next\"",
            last.id
        );
        if let Ok(link) = next.parse() {
            answer.headers_mut().insert("link", link);
        }
    }
    Ok(answer)
}

/// A piece of the JSON array of devices, in the reference's shape: its opening `[` when it
/// is the first, its closing `]` when the last.
fn list_piece(devices: &[DeviceSummary], first: bool, last: bool) -> String {
    let entries: Vec<String> = devices
        .iter()
        .map(|d| {
            json!({ "deviceId": d.id, "key": d.key.as_deref().unwrap_or_default(), "createdAt": d.created_at, "updatedAt": d.updated_at })
                .to_string()
        })
        .collect();
    let mut piece = String::from(match (first, entries.is_empty()) {
        (true, _) => "[",
        (false, true) => "",
        (false, false) => ",",
    });
    piece.push_str(&entries.join(","));
    if last {
        piece.push(']');
    }
    piece
}

/// Registers devices in bulk (operators): a JSON array of ids, or a CSV file
/// (`content-type: text/csv`, the first column). Answers the new tokens, as JSON or, when
/// asked with `accept: text/csv`, as `id,token` CSV.
async fn register_devices(
    State(s): State<Arc<Service>>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    ApiError::require(&caller, Role::Operator)?;
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let text =
        std::str::from_utf8(&body).map_err(|_| ApiError::invalid("the body is not UTF-8"))?;
    let ids = if header("content-type").starts_with("text/csv") {
        registry::ids_from_csv(text)?
    } else {
        let raw: Vec<String> = serde_json::from_str(text).map_err(|e| {
            ApiError::invalid(format!("the body is not a JSON array of device ids: {e}"))
        })?;
        raw.iter()
            .map(|id| device_id(id))
            .collect::<Result<_, _>>()?
    };
    let outcome = registry::register_many(&*s.backend()?, ids).await?;
    Ok(if header("accept").starts_with("text/csv") {
        ([("content-type", "text/csv")], outcome.tokens_csv()).into_response()
    } else {
        Json(outcome).into_response()
    })
}

async fn delete_device(
    State(s): State<Arc<Service>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    ApiError::require(&caller, Role::Operator)?;
    let b = s.backend()?;
    let id = device_id(&id)?;
    match registry::remove(&b, &id, false).await? {
        true => Ok(StatusCode::NO_CONTENT),
        false => Err(Error::NotFound(format!("device {id} is not registered")).into()),
    }
}

async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "pass" }))
}
