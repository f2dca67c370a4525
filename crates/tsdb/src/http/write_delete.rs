//! `/api/v2/write` (line protocol in) and `/api/v2/delete` (points out).

use super::auth::Caller;
use super::body::{self, Limited, JSON_BODY_BYTES};
use super::error::ApiError;
use super::{resolve_bucket, resolve_org, AppState};
use crate::delete_predicate::{self, PredicateError};
use crate::line_protocol::{self, Precision};
use crate::storage::{now_nanos, WriteOutcome};

/// How much line protocol is parsed and written at once: about 10,000 points.
const WRITE_CHUNK_BYTES: usize = 1 << 20;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use std::io::Read;

#[derive(Deserialize)]
pub struct Target {
    org: Option<String>,
    #[serde(rename = "orgID")]
    org_id: Option<String>,
    bucket: Option<String>,
    #[serde(rename = "bucketID")]
    bucket_id: Option<String>,
    precision: Option<String>,
}

/// The `/write` body, gunzipped when sent gzip, refused past `limit` bytes either way.
async fn read_lines(body: Body, headers: &HeaderMap, limit: usize) -> Result<String, ApiError> {
    const WHAT: &str = "points batch";
    let raw = body::read(body, headers, WHAT, limit).await?;
    let gzip = headers
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip") || v.eq_ignore_ascii_case("x-gzip"));
    let bytes = if gzip {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .take(limit as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| ApiError::invalid(format!("unable to read data: {e}")))?;
        if out.len() > limit {
            return Err(body::too_large(WHAT, limit));
        }
        out
    } else {
        raw.to_vec()
    };
    String::from_utf8(bytes)
        .map_err(|_| ApiError::invalid("unable to read data: body is not valid UTF-8"))
}

pub async fn write(
    State(s): State<AppState>,
    caller: Caller,
    Query(t): Query<Target>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let precision = Precision::parse(t.precision.as_deref().unwrap_or("ns")).ok_or_else(|| {
        ApiError::invalid("invalid precision; valid precision units are ns, us, ms, and s")
    })?;
    if t.bucket.is_none() && t.bucket_id.is_none() {
        return Err(ApiError::not_found("bucket not found"));
    }
    let org = resolve_org(&s.store, t.org.as_deref(), t.org_id.as_deref())?;
    let bucket = resolve_bucket(&s.store, &org, t.bucket.as_deref(), t.bucket_id.as_deref())?;
    if !caller.may("write", "buckets", Some(&org.id), Some(&bucket.id)) {
        return Err(ApiError::forbidden("insufficient permissions for write"));
    }
    let text = read_lines(body, &headers, s.max_write_bytes).await?;
    let store = s.store.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        // A large batch is checked whole first, then parsed and written a chunk at a time,
        // so its points are never all in memory at once.
        if text.len() > WRITE_CHUNK_BYTES {
            line_protocol::validate(&text, precision, WRITE_CHUNK_BYTES)
                .map_err(ApiError::invalid)?;
        }
        let now = now_nanos();
        let mut outcome = WriteOutcome::default();
        for chunk in line_protocol::chunks(&text, WRITE_CHUNK_BYTES) {
            let points = line_protocol::parse(chunk, precision, now).map_err(ApiError::invalid)?;
            outcome.add(store.write(&bucket.id, &points)?);
        }
        Ok::<_, ApiError>(outcome)
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))??;
    match outcome.first_conflict {
        None => Ok(StatusCode::NO_CONTENT),
        Some(reason) => Err(ApiError::unprocessable(format!(
            "failure writing points to database: partial write: {reason} dropped={}",
            outcome.dropped
        ))),
    }
}

#[derive(Deserialize)]
struct DeleteBody {
    start: Option<String>,
    stop: Option<String>,
    predicate: Option<String>,
}

fn rfc3339(field: &str, value: Option<&str>) -> Result<i64, ApiError> {
    value
        .and_then(|v| chrono::DateTime::parse_from_rfc3339(v).ok())
        .and_then(|t| t.timestamp_nanos_opt())
        .ok_or_else(|| ApiError::invalid(format!("error decoding json body: invalid RFC3339Nano for field {field}, please format your time with RFC3339Nano format, example: 2009-01-02T23:00:00Z")))
}

pub async fn delete(
    State(s): State<AppState>,
    caller: Caller,
    Query(t): Query<Target>,
    Limited(body): Limited<JSON_BODY_BYTES>,
) -> Result<StatusCode, ApiError> {
    let org = resolve_org(&s.store, t.org.as_deref(), t.org_id.as_deref())?;
    if t.bucket.is_none() && t.bucket_id.is_none() {
        return Err(ApiError::invalid(
            "Please provide either bucketID or bucket",
        ));
    }
    let bucket = resolve_bucket(&s.store, &org, t.bucket.as_deref(), t.bucket_id.as_deref())?;
    if !caller.may("write", "buckets", Some(&org.id), Some(&bucket.id)) {
        return Err(ApiError::forbidden("insufficient permissions to delete"));
    }
    let req: DeleteBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid(format!("error decoding json body: {e}")))?;
    let (start, stop) = (
        rfc3339("start", req.start.as_deref())?,
        rfc3339("stop", req.stop.as_deref())?,
    );
    if start > stop {
        return Err(ApiError::invalid(
            "error decoding json body: start must not be after stop",
        ));
    }
    let predicate =
        delete_predicate::parse(req.predicate.as_deref().unwrap_or("")).map_err(|e| match e {
            PredicateError::FieldNotSupported => ApiError::new(
                StatusCode::NOT_IMPLEMENTED,
                "not implemented",
                e.to_string(),
            ),
            PredicateError::Invalid(m) => ApiError::invalid(m),
        })?;
    let store = s.store.clone();
    tokio::task::spawn_blocking(move || store.delete_points(&bucket.id, start, stop, &predicate))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))??;
    Ok(StatusCode::NO_CONTENT)
}
