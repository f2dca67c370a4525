//! The device HTTP API of the reference IoT Center, so its devices work unchanged:
//! `GET /api/env/{id}`, `GET /api/devices`, `DELETE /api/devices/{id}`, `GET /api/health`.
//! Who may register itself is [`enrollment`]'s call.

use crate::error::ApiError;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use iot_core::device_env::DeviceEnv;
use iot_core::enrollment::{self, Answer};
use iot_core::{registry, Error, Service};
use iot_models::{Caller, DeviceId, Role};
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
        .route("/api/devices", get(devices))
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

async fn devices(State(s): State<Arc<Service>>) -> Result<Response, ApiError> {
    let b = s.backend()?;
    let list: Vec<_> = registry::list(&b)
        .await?
        .into_iter()
        .map(|d| json!({ "deviceId": d.id, "key": d.key.unwrap_or_default(), "createdAt": d.created_at, "updatedAt": d.updated_at }))
        .collect();
    Ok(Json(list).into_response())
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
