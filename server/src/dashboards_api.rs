//! The dashboards' JSON API (a session or an API token; the operator role to change
//! anything), for scripts and for export and import as files:
//! `GET/POST /api/dashboards` (POST: a dashboard's JSON, as exported, or a dynamic
//! dashboard of the reference IoT Center), `GET/PUT/DELETE /api/dashboards/{id}` (PUT: `?version=N`, the version the change was made from),
//! `GET /api/dashboards/{id}/export` (its JSON as a file), `GET
//! /api/dashboards/{id}/versions`, `POST /api/dashboards/{id}/versions/{v}/restore`; share
//! links (operators): `POST /api/dashboards/{id}/shares` (`{"seconds": N}`), `GET
//! /api/shares`, `DELETE /api/shares/{id}`. The format: `/schemas/dashboard.schema.json`.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};
use iot_core::dashboards::{parse_import, parse_spec, store::DashboardStore, MAX_JSON};
use iot_core::Error;
use iot_models::{Caller, DashboardSpec, Role};
use std::sync::Arc;

type Store = Arc<DashboardStore>;

pub fn routes() -> Router<Store> {
    Router::new()
        .route("/api/dashboards", get(list).post(create))
        .route("/api/dashboards/{id}", get(one).put(save).delete(remove))
        .route("/api/dashboards/{id}/export", get(export))
        .route("/api/dashboards/{id}/versions", get(versions))
        .route(
            "/api/dashboards/{id}/versions/{version}/restore",
            post(restore),
        )
        .route("/api/dashboards/{id}/shares", post(share))
        .route("/api/shares", get(shares))
        .route("/api/shares/{id}", delete(revoke))
        .layer(DefaultBodyLimit::max(MAX_JSON))
}

/// A body as a dashboard, or 400 naming what is wrong by its JSON path.
fn spec_of(body: &Bytes) -> Result<DashboardSpec, ApiError> {
    let text = std::str::from_utf8(body).map_err(|_| ApiError::invalid("the body is not UTF-8"))?;
    parse_spec(text).map_err(ApiError::invalid)
}

async fn list(
    State(store): State<Store>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, ApiError> {
    ApiError::require(&caller, Role::Viewer)?;
    Ok(Json(store.list().await?).into_response())
}

async fn create(
    State(store): State<Store>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Response, ApiError> {
    ApiError::require(&caller, Role::Operator)?;
    let text =
        std::str::from_utf8(&body).map_err(|_| ApiError::invalid("the body is not UTF-8"))?;
    let spec = parse_import(text).map_err(ApiError::invalid)?;
    let saved = store.create(&spec, &caller.name).await?;
    Ok((StatusCode::CREATED, Json(saved)).into_response())
}

async fn one(
    State(store): State<Store>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    ApiError::require(&caller, Role::Viewer)?;
    Ok(Json(store.get(&id, None).await?).into_response())
}

/// `?version=N`: which version the change was made from.
#[derive(serde::Deserialize)]
struct Base {
    version: Option<u32>,
}

async fn save(
    State(store): State<Store>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Query(base): Query<Base>,
    body: Bytes,
) -> Result<Response, ApiError> {
    ApiError::require(&caller, Role::Operator)?;
    let base = base.version.ok_or_else(|| {
        ApiError::invalid("say which version you changed: ?version=N (GET gives the latest)")
    })?;
    Ok(Json(
        store
            .save(&id, base, &spec_of(&body)?, &caller.name)
            .await?,
    )
    .into_response())
}

async fn remove(
    State(store): State<Store>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    ApiError::require(&caller, Role::Operator)?;
    match store.remove(&id).await? {
        true => Ok(StatusCode::NO_CONTENT.into_response()),
        false => Err(Error::NotFound(format!("there is no dashboard {id:?}")).into()),
    }
}

/// The dashboard's JSON as a file, to keep or to import elsewhere.
async fn export(
    State(store): State<Store>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    ApiError::require(&caller, Role::Viewer)?;
    let saved = store.get(&id, None).await?;
    let json =
        serde_json::to_string_pretty(&saved.spec).map_err(|e| Error::Internal(e.to_string()))?;
    let disposition = format!("attachment; filename=\"dashboard-{id}.json\"");
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        json,
    )
        .into_response())
}

async fn versions(
    State(store): State<Store>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    ApiError::require(&caller, Role::Viewer)?;
    Ok(Json(store.versions(&id).await?).into_response())
}

async fn restore(
    State(store): State<Store>,
    Extension(caller): Extension<Caller>,
    Path((id, version)): Path<(String, u32)>,
) -> Result<Response, ApiError> {
    ApiError::require(&caller, Role::Operator)?;
    Ok(Json(store.restore(&id, version, &caller.name).await?).into_response())
}

/// `{"seconds": N}`: how long a new share link works.
#[derive(serde::Deserialize)]
struct Lifetime {
    seconds: u64,
}

async fn share(
    State(store): State<Store>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    ApiError::require(&caller, Role::Operator)?;
    let Lifetime { seconds } =
        serde_json::from_slice(&body).map_err(|e| ApiError::invalid(e.to_string()))?;
    let made = store.share(&id, seconds, &caller.name).await?;
    Ok((StatusCode::CREATED, Json(made)).into_response())
}

async fn shares(
    State(store): State<Store>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, ApiError> {
    ApiError::require(&caller, Role::Operator)?;
    Ok(Json(store.share_links().await?).into_response())
}

async fn revoke(
    State(store): State<Store>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    ApiError::require(&caller, Role::Operator)?;
    match store.revoke(&id).await? {
        true => Ok(StatusCode::NO_CONTENT.into_response()),
        false => Err(Error::NotFound(format!("there is no share link {id:?}")).into()),
    }
}
