//! The InfluxDB v2 HTTP API over the store: one module per group of endpoints.

mod auth;
mod authorizations;
mod body;
mod error;
mod extern_ast;
mod json;
mod orgs_buckets;
mod query;
mod system;
mod write_delete;

pub use error::ApiError;

use crate::storage::{Bucket, Org, Store};
use axum::http::{HeaderValue, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;

/// The InfluxDB version this store answers as (clients check for `v2`).
pub const VERSION: &str = "v2.7.12";

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    /// Largest accepted `/write` body, after decompression.
    pub max_write_bytes: usize,
    pub query_limits: crate::flux::Limits,
    pub started: chrono::DateTime<chrono::Utc>,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(system::health))
        .route("/ping", get(system::ping).head(system::ping))
        .route("/ready", get(system::ready))
        .route(
            "/api/v2/setup",
            get(system::setup_allowed).post(system::setup),
        )
        .route(
            "/api/v2/orgs",
            get(orgs_buckets::list_orgs).post(orgs_buckets::create_org),
        )
        .route(
            "/api/v2/orgs/{id}",
            get(orgs_buckets::get_org)
                .patch(orgs_buckets::patch_org)
                .delete(orgs_buckets::delete_org),
        )
        .route(
            "/api/v2/buckets",
            get(orgs_buckets::list_buckets).post(orgs_buckets::create_bucket),
        )
        .route(
            "/api/v2/buckets/{id}",
            get(orgs_buckets::get_bucket)
                .patch(orgs_buckets::patch_bucket)
                .delete(orgs_buckets::delete_bucket),
        )
        .route(
            "/api/v2/authorizations",
            get(authorizations::list).post(authorizations::create),
        )
        .route(
            "/api/v2/authorizations/{id}",
            get(authorizations::get_one)
                .patch(authorizations::patch)
                .delete(authorizations::delete),
        )
        .route("/api/v2/write", post(write_delete::write))
        .route("/api/v2/delete", post(write_delete::delete))
        .route("/api/v2/query", post(query::query))
        .fallback(system::not_found)
        .layer(middleware::from_fn(version_headers))
        .with_state(state)
}

async fn version_headers(request: Request<axum::body::Body>, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert("x-influxdb-build", HeaderValue::from_static("OSS"));
    headers.insert("x-influxdb-version", HeaderValue::from_static(VERSION));
    response
}

/// Is `s` an InfluxDB id (16 lowercase hex digits)?
pub fn is_id(s: &str) -> bool {
    s.len() == 16
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The organization a request names: `orgID` wins over `org` (a name or an id).
fn resolve_org(store: &Store, org: Option<&str>, org_id: Option<&str>) -> Result<Org, ApiError> {
    if let Some(id) = org_id.filter(|s| !s.is_empty()) {
        return store
            .org(id)?
            .ok_or_else(|| ApiError::not_found(format!("organization id \"{id}\" not found")));
    }
    let name = org
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::invalid("Please provide either orgID or org"))?;
    if let Some(o) = store.org_by_name(name)? {
        return Ok(o);
    }
    if is_id(name) {
        if let Some(o) = store.org(name)? {
            return Ok(o);
        }
    }
    Err(ApiError::not_found(format!(
        "organization name \"{name}\" not found"
    )))
}

/// The bucket a request names, by id or by name within `org`.
fn resolve_bucket(
    store: &Store,
    org: &Org,
    bucket: Option<&str>,
    bucket_id: Option<&str>,
) -> Result<Bucket, ApiError> {
    if let Some(id) = bucket_id.filter(|s| !s.is_empty()) {
        return store
            .bucket(id)?
            .filter(|b| b.org_id == org.id)
            .ok_or_else(|| ApiError::not_found(format!("bucket \"{id}\" not found")));
    }
    let name = bucket
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::not_found("bucket not found"))?;
    if let Some(b) = store.bucket_by_name(&org.id, name)? {
        return Ok(b);
    }
    if is_id(name) {
        if let Some(b) = store.bucket(name)?.filter(|b| b.org_id == org.id) {
            return Ok(b);
        }
    }
    Err(ApiError::not_found(format!("bucket \"{name}\" not found")))
}
