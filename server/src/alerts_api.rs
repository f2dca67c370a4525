//! The alerts' JSON API (a session or an API token; the operator role to change anything):
//! `GET/POST /api/alert-rules`, `DELETE /api/alert-rules/{id}`, `GET/POST
//! /api/alert-endpoints`, `DELETE /api/alert-endpoints/{id}`, `POST
//! /api/alert-endpoints/{id}/test`, `GET /api/alerts` (what is not ok now), `POST
//! /api/alerts/{id}/ack`. Bodies are read whole (at most 1 MB) and parsed into the checked
//! models of `iot_models`: a bad one gets 400 with the reason.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};
use iot_core::alerts::Alerts;
use iot_core::Error;
use iot_models::{AckNote, Caller, EndpointSpec, Role, RuleSpec};
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// The largest body: a rule naming 1,000 devices is about 70 KB.
const MAX_BODY: usize = 1024 * 1024;

pub fn routes() -> Router<Arc<Alerts>> {
    Router::new()
        .route("/api/alert-rules", get(rules).post(add_rule))
        .route("/api/alert-rules/{id}", delete(remove_rule))
        .route("/api/alert-endpoints", get(endpoints).post(add_endpoint))
        .route("/api/alert-endpoints/{id}", delete(remove_endpoint))
        .route("/api/alert-endpoints/{id}/test", post(test_endpoint))
        .route("/api/alerts", get(current))
        .route("/api/alerts/{id}/ack", post(acknowledge))
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

/// A JSON body as `T`, or 400 with what is wrong with it.
fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::invalid(e.to_string()))
}

fn gone(what: &str, id: &str) -> ApiError {
    Error::NotFound(format!("there is no {what} {id:?}")).into()
}

async fn rules(
    State(a): State<Arc<Alerts>>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, ApiError> {
    ApiError::require(&caller, Role::Viewer)?;
    Ok(Json(a.store.rules().await?).into_response())
}

async fn add_rule(
    State(a): State<Arc<Alerts>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Response, ApiError> {
    ApiError::require(&caller, Role::Operator)?;
    let spec: RuleSpec = parse(&body)?;
    Ok((StatusCode::CREATED, Json(a.store.add_rule(spec).await?)).into_response())
}

async fn remove_rule(
    State(a): State<Arc<Alerts>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    ApiError::require(&caller, Role::Operator)?;
    match a.store.remove_rule(&id).await? {
        true => Ok(StatusCode::NO_CONTENT),
        false => Err(gone("rule", &id)),
    }
}

async fn endpoints(
    State(a): State<Arc<Alerts>>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, ApiError> {
    ApiError::require(&caller, Role::Viewer)?;
    Ok(Json(a.store.endpoints().await?).into_response())
}

async fn add_endpoint(
    State(a): State<Arc<Alerts>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Response, ApiError> {
    ApiError::require(&caller, Role::Operator)?;
    let spec: EndpointSpec = parse(&body)?;
    Ok((StatusCode::CREATED, Json(a.add_endpoint(spec).await?)).into_response())
}

async fn remove_endpoint(
    State(a): State<Arc<Alerts>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    ApiError::require(&caller, Role::Operator)?;
    match a.store.remove_endpoint(&id).await? {
        true => Ok(StatusCode::NO_CONTENT),
        false => Err(gone("endpoint", &id)),
    }
}

/// Sends a test notification now: 200, or 502 with why the endpoint did not take it.
async fn test_endpoint(
    State(a): State<Arc<Alerts>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    ApiError::require(&caller, Role::Operator)?;
    Ok(match a.test_endpoint(&id).await? {
        None => Json(serde_json::json!({ "delivered": true })).into_response(),
        Some(reason) => {
            let error = serde_json::json!({ "error": reason });
            (StatusCode::BAD_GATEWAY, Json(error)).into_response()
        }
    })
}

async fn current(
    State(a): State<Arc<Alerts>>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, ApiError> {
    ApiError::require(&caller, Role::Viewer)?;
    Ok(Json(a.current().await?).into_response())
}

async fn acknowledge(
    State(a): State<Arc<Alerts>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    ApiError::require(&caller, Role::Operator)?;
    let AckNote(note) = match body.is_empty() {
        true => AckNote::default(),
        false => parse(&body)?,
    };
    Ok(Json(a.acknowledge(&id, &caller.name, &note).await?).into_response())
}
