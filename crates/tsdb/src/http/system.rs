//! Health, ping, readiness, onboarding, and the answer for unknown paths.

use super::auth::Caller;
use super::body::{self, JSON_BODY_BYTES};
use super::error::ApiError;
use super::json::{authorization_json, bucket_json, org_json, Json};
use super::{AppState, VERSION};
use crate::storage::{Onboarded, Onboarding, Permission, Resource};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

pub async fn health() -> Response {
    let body = json!({
        "name": "influxdb",
        "message": "ready for queries and writes",
        "status": "pass",
        "checks": [],
        "version": VERSION,
        "commit": "tsdb",
    });
    (
        [("content-type", "application/json; charset=utf-8")],
        format!("{body}\n"),
    )
        .into_response()
}

pub async fn ping() -> StatusCode {
    StatusCode::NO_CONTENT
}

pub async fn ready(State(state): State<AppState>) -> Response {
    let up = chrono::Utc::now() - state.started;
    let body = serde_json::to_string_pretty(&json!({
        "status": "ready",
        "started": crate::annotated_csv::format_time(state.started.timestamp_nanos_opt().unwrap_or(0)),
        "up": go_duration(up.num_nanoseconds().unwrap_or(i64::MAX)),
    }))
    .unwrap_or_default();
    ([("content-type", "application/json; charset=utf-8")], body).into_response()
}

/// A duration as Go's `time.Duration.String()` writes it: `1h2m3.5s`.
fn go_duration(ns: i64) -> String {
    let secs = ns / 1_000_000_000;
    let frac = ns % 1_000_000_000;
    let mut s = String::new();
    if secs >= 3600 {
        s.push_str(&format!("{}h", secs / 3600));
    }
    if secs >= 60 {
        s.push_str(&format!("{}m", secs % 3600 / 60));
    }
    let fraction = if frac == 0 {
        String::new()
    } else {
        format!(".{:09}", frac).trim_end_matches('0').to_string()
    };
    s.push_str(&format!("{}{fraction}s", secs % 60));
    s
}

pub async fn setup_allowed(State(state): State<AppState>) -> Result<Json, ApiError> {
    Ok(Json(json!({ "allowed": state.store.setup_allowed()? })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetupRequest {
    username: Option<String>,
    password: Option<String>,
    org: Option<String>,
    bucket: Option<String>,
    retention_period_seconds: Option<i64>,
    /// A Go duration in ns; used only when the seconds are not set.
    retention_period_hrs: Option<i64>,
    token: Option<String>,
}

/// Onboarding: the first user, organization, bucket and an operator token.
/// Needs no token, so it reads nothing of the body once onboarding is done.
pub async fn setup(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json), ApiError> {
    let store = &state.store;
    if !store.setup_allowed()? {
        return Err(ApiError::conflict("onboarding has already been completed"));
    }
    let body = body::read(body, &headers, "request body", JSON_BODY_BYTES).await?;
    let req: SetupRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid(format!("invalid json structure: {e}")))?;
    let missing: Vec<&str> = [
        ("username", &req.username),
        ("org", &req.org),
        ("bucket", &req.bucket),
    ]
    .into_iter()
    .filter(|(_, v)| v.as_deref().is_none_or(str::is_empty))
    .map(|(k, _)| k)
    .collect();
    if !missing.is_empty() {
        return Err(ApiError::unprocessable(format!(
            "onboarding failed: missing required fields [{}]",
            missing.join(",")
        )));
    }
    let password = req.password.unwrap_or_default();
    if !password.is_empty() && !(8..=72).contains(&password.len()) {
        return Err(ApiError::invalid(
            "passwords must be between 8 and 72 characters long",
        ));
    }
    let retention = match req.retention_period_seconds {
        Some(s) if s > 0 => s,
        _ => req.retention_period_hrs.map_or(0, |ns| ns / 1_000_000_000),
    };
    let Onboarded {
        user,
        org,
        bucket,
        auth,
        token,
    } = store.onboard(Onboarding {
        password,
        org: req.org.unwrap_or_default(),
        bucket: req.bucket.unwrap_or_default(),
        retention_secs: retention,
        token: req.token.filter(|t| !t.is_empty()),
        permissions: operator_permissions(),
        username: req.username.unwrap_or_default(),
    })?;
    let body = json!({
        "user": { "links": { "self": format!("/api/v2/users/{}", user.id) }, "id": user.id, "name": user.name, "status": "active" },
        "org": org_json(&org),
        "bucket": bucket_json(&bucket),
        "auth": authorization_json(store, &auth, Some(&token))?,
    });
    Ok((StatusCode::CREATED, Json(body)))
}

/// Read and write on every resource type, in every organization.
pub fn operator_permissions() -> Vec<Permission> {
    const TYPES: [&str; 7] = [
        "authorizations",
        "buckets",
        "orgs",
        "users",
        "tasks",
        "dashboards",
        "telegrafs",
    ];
    TYPES
        .iter()
        .flat_map(|t| {
            ["read", "write"].map(|action| Permission {
                action: action.into(),
                resource: Resource {
                    kind: (*t).into(),
                    id: None,
                    org_id: None,
                },
            })
        })
        .collect()
}

/// Unknown paths: 401 without a valid token (auth runs first), else 404.
pub async fn not_found(caller: Result<Caller, ApiError>) -> ApiError {
    match caller {
        Err(e) => e,
        Ok(_) => ApiError::not_found("path not found"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn go_durations() {
        assert_eq!(super::go_duration(2_500_000_000), "2.5s");
        assert_eq!(super::go_duration(62_500_000_000), "1m2.5s");
        assert_eq!(super::go_duration(3_600_000_000_000), "1h0m0s");
    }
}
