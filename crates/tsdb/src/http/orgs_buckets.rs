//! `/api/v2/orgs` and `/api/v2/buckets`.

use super::auth::Caller;
use super::body::{Limited, JSON_BODY_BYTES};
use super::error::ApiError;
use super::json::{bucket_json, org_json, page, Json, Paging};
use super::{resolve_org, AppState};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::json;

fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid(format!("invalid json structure: {e}")))
}

#[derive(Deserialize)]
pub struct OrgFilter {
    org: Option<String>,
    #[serde(rename = "orgID")]
    org_id: Option<String>,
}

pub async fn list_orgs(
    State(s): State<AppState>,
    caller: Caller,
    Query(f): Query<OrgFilter>,
    Query(paging): Query<Paging>,
) -> Result<Json, ApiError> {
    let mut orgs = s.store.orgs()?;
    if let Some(name) = &f.org {
        orgs.retain(|o| &o.name == name);
        if orgs.is_empty() {
            return Err(ApiError::not_found(format!(
                "organization name \"{name}\" not found"
            )));
        }
    }
    if let Some(id) = &f.org_id {
        orgs.retain(|o| &o.id == id);
    }
    orgs.retain(|o| caller.may("read", "orgs", Some(&o.id), Some(&o.id)));
    let (orgs, links) = page(orgs, &paging, "/api/v2/orgs", |o| &o.id)?;
    Ok(Json(
        json!({ "links": links, "orgs": orgs.iter().map(org_json).collect::<Vec<_>>() }),
    ))
}

#[derive(Deserialize)]
struct OrgBody {
    name: Option<String>,
    description: Option<String>,
}

pub async fn create_org(
    State(s): State<AppState>,
    caller: Caller,
    Limited(body): Limited<JSON_BODY_BYTES>,
) -> Result<(StatusCode, Json), ApiError> {
    caller.require("write", "orgs", None, None)?;
    let req: OrgBody = parse_json(&body)?;
    let org = s.store.create_org(
        req.name.as_deref().unwrap_or(""),
        req.description.as_deref().unwrap_or(""),
    )?;
    Ok((StatusCode::CREATED, Json(org_json(&org))))
}

fn find_org(
    s: &AppState,
    caller: &Caller,
    id: &str,
    action: &str,
) -> Result<crate::storage::Org, ApiError> {
    let org = s
        .store
        .org(id)?
        .ok_or_else(|| ApiError::not_found("organization not found"))?;
    caller.require(action, "orgs", Some(&org.id), Some(&org.id))?;
    Ok(org)
}

pub async fn get_org(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json, ApiError> {
    Ok(Json(org_json(&find_org(&s, &caller, &id, "read")?)))
}

pub async fn patch_org(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Limited(body): Limited<JSON_BODY_BYTES>,
) -> Result<Json, ApiError> {
    find_org(&s, &caller, &id, "write")?;
    let req: OrgBody = parse_json(&body)?;
    if req.name.as_deref() == Some("") {
        return Err(ApiError::invalid("org name is empty"));
    }
    Ok(Json(org_json(&s.store.update_org(
        &id,
        req.name.as_deref(),
        req.description.as_deref(),
    )?)))
}

pub async fn delete_org(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    find_org(&s, &caller, &id, "write")?;
    s.store.delete_org(&id)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct BucketFilter {
    org: Option<String>,
    #[serde(rename = "orgID")]
    org_id: Option<String>,
    name: Option<String>,
    id: Option<String>,
}

pub async fn list_buckets(
    State(s): State<AppState>,
    caller: Caller,
    Query(f): Query<BucketFilter>,
    Query(paging): Query<Paging>,
) -> Result<Json, ApiError> {
    let mut buckets = s.store.buckets()?;
    let has_org = f.org.is_some() || f.org_id.is_some();
    if has_org {
        let org = resolve_org(&s.store, f.org.as_deref(), f.org_id.as_deref())?;
        buckets.retain(|b| b.org_id == org.id);
    }
    if let Some(name) = &f.name {
        buckets.retain(|b| &b.name == name);
        // With an org the lookup is exact (404); without one it is a filter (empty list).
        if buckets.is_empty() && has_org {
            return Err(ApiError::not_found(format!("bucket \"{name}\" not found")));
        }
    }
    if let Some(id) = &f.id {
        buckets.retain(|b| &b.id == id);
    }
    buckets.retain(|b| caller.may("read", "buckets", Some(&b.org_id), Some(&b.id)));
    let (buckets, links) = page(buckets, &paging, "/api/v2/buckets", |b| &b.id)?;
    Ok(Json(
        json!({ "links": links, "buckets": buckets.iter().map(bucket_json).collect::<Vec<_>>() }),
    ))
}

#[derive(Deserialize)]
struct RetentionRule {
    #[serde(rename = "everySeconds", default)]
    every_seconds: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BucketBody {
    #[serde(rename = "orgID")]
    org_id: Option<String>,
    name: Option<String>,
    description: Option<String>,
    retention_rules: Option<Vec<RetentionRule>>,
}

/// The retention of at most one rule: 0 (forever) or at least one hour.
fn retention(rules: &Option<Vec<RetentionRule>>) -> Result<Option<i64>, ApiError> {
    let Some(rules) = rules else { return Ok(None) };
    match rules.as_slice() {
        [] => Ok(Some(0)),
        [rule] if rule.every_seconds < 0 => Err(ApiError::unprocessable(
            "expiration seconds must be greater than or equal to one hour",
        )),
        [rule] if rule.every_seconds > 0 && rule.every_seconds < 3600 => Err(
            ApiError::unprocessable("retention policy duration must be at least 1h0m0s"),
        ),
        [rule] => Ok(Some(rule.every_seconds)),
        _ => Err(ApiError::unprocessable(
            "buckets cannot have more than one retention rule at this time",
        )),
    }
}

fn check_bucket_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() {
        return Err(ApiError::invalid("bucket name is empty"));
    }
    if name.starts_with('_') {
        return Err(ApiError::invalid(format!(
            "bucket name {name} is invalid. Buckets may not start with underscore"
        )));
    }
    Ok(())
}

pub async fn create_bucket(
    State(s): State<AppState>,
    caller: Caller,
    Limited(body): Limited<JSON_BODY_BYTES>,
) -> Result<(StatusCode, Json), ApiError> {
    let req: BucketBody = parse_json(&body)?;
    let org_id = req
        .org_id
        .filter(|o| !o.is_empty())
        .ok_or_else(|| ApiError::invalid("organization id must be provided"))?;
    let org = s
        .store
        .org(&org_id)?
        .ok_or_else(|| ApiError::not_found(format!("organization id \"{org_id}\" not found")))?;
    caller.require("write", "buckets", Some(&org.id), None)?;
    let name = req.name.unwrap_or_default();
    check_bucket_name(&name)?;
    let retention = retention(&req.retention_rules)?.unwrap_or(0);
    let bucket = s.store.create_bucket(
        &org.id,
        &name,
        req.description.as_deref().unwrap_or(""),
        retention,
    )?;
    Ok((StatusCode::CREATED, Json(bucket_json(&bucket))))
}

fn find_bucket(
    s: &AppState,
    caller: &Caller,
    id: &str,
    action: &str,
) -> Result<crate::storage::Bucket, ApiError> {
    let bucket = s
        .store
        .bucket(id)?
        .ok_or_else(|| ApiError::not_found("bucket not found"))?;
    caller.require(action, "buckets", Some(&bucket.org_id), Some(&bucket.id))?;
    Ok(bucket)
}

pub async fn get_bucket(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json, ApiError> {
    Ok(Json(bucket_json(&find_bucket(&s, &caller, &id, "read")?)))
}

pub async fn patch_bucket(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Limited(body): Limited<JSON_BODY_BYTES>,
) -> Result<Json, ApiError> {
    find_bucket(&s, &caller, &id, "write")?;
    let req: BucketBody = parse_json(&body)?;
    if let Some(name) = &req.name {
        check_bucket_name(name)?;
    }
    let retention = retention(&req.retention_rules)?;
    Ok(Json(bucket_json(&s.store.update_bucket(
        &id,
        req.name.as_deref(),
        req.description.as_deref(),
        retention,
    )?)))
}

pub async fn delete_bucket(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let bucket = find_bucket(&s, &caller, &id, "write")?;
    if bucket.kind == "system" {
        return Err(ApiError::invalid("system buckets cannot be deleted"));
    }
    s.store.delete_bucket(&id)?;
    Ok(StatusCode::NO_CONTENT)
}
