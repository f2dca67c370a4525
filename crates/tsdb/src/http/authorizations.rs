//! `/api/v2/authorizations`: tokens with permissions. A caller may only grant what it holds.

use super::auth::Caller;
use super::body::{Limited, JSON_BODY_BYTES};
use super::error::ApiError;
use super::json::{authorization_json, Json};
use super::{resolve_org, AppState};
use crate::storage::{NewAuthorization, Permission};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateBody {
    #[serde(rename = "orgID")]
    org_id: Option<String>,
    status: Option<String>,
    description: Option<String>,
    #[serde(rename = "userID")]
    user_id: Option<String>,
    permissions: Option<Vec<Permission>>,
}

fn parse_status(status: Option<&str>) -> Result<Option<bool>, ApiError> {
    match status {
        None => Ok(None),
        Some("active") => Ok(Some(true)),
        Some("inactive") => Ok(Some(false)),
        Some(other) => Err(ApiError::invalid(format!(
            "unknown authorization status \"{other}\""
        ))),
    }
}

pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    Limited(body): Limited<JSON_BODY_BYTES>,
) -> Result<(StatusCode, Json), ApiError> {
    let req: CreateBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid(format!("invalid json structure: {e}")))?;
    let org_id = req
        .org_id
        .filter(|o| !o.is_empty())
        .ok_or_else(|| ApiError::invalid("organization id must be provided"))?;
    let org = s
        .store
        .org(&org_id)?
        .ok_or_else(|| ApiError::not_found(format!("organization id \"{org_id}\" not found")))?;
    caller.require("write", "authorizations", Some(&org.id), None)?;
    let permissions = req
        .permissions
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ApiError::invalid("authorization must include permissions"))?;
    for p in &permissions {
        // Without an org a permission grants in every org: only who holds that may give it.
        if p.resource.org_id.is_none()
            && !caller
                .0
                .grants(&p.action, &p.resource.kind, None, p.resource.id.as_deref())
        {
            return Err(ApiError::invalid(format!(
                "permission {}:{} names no organization; give its resource orgID {}",
                p.action, p.resource.kind, org.id
            )));
        }
        if let Some(other) = p.resource.org_id.as_deref().filter(|o| *o != org.id) {
            return Err(ApiError::invalid(format!(
                "permission {}:orgs/{other}/{} is not for org id {}",
                p.action, p.resource.kind, org.id
            )));
        }
        if p.action != "read" && p.action != "write" {
            return Err(ApiError::invalid(format!(
                "unknown action \"{}\"",
                p.action
            )));
        }
        if !caller.may(
            &p.action,
            &p.resource.kind,
            Some(&org.id),
            p.resource.id.as_deref(),
        ) {
            return Err(ApiError::forbidden(format!(
                "permission {}:{} is not allowed: the token creating it does not hold it",
                p.action, p.resource.kind
            )));
        }
    }
    let (auth, token) = s.store.create_authorization(NewAuthorization {
        org_id: org.id,
        user_id: req.user_id.unwrap_or_else(|| caller.0.user_id.clone()),
        active: parse_status(req.status.as_deref())?.unwrap_or(true),
        description: req.description.unwrap_or_default(),
        permissions,
        token: None,
    })?;
    Ok((
        StatusCode::CREATED,
        Json(authorization_json(&s.store, &auth, Some(&token))?),
    ))
}

#[derive(Deserialize)]
pub struct ListFilter {
    #[serde(rename = "orgID")]
    org_id: Option<String>,
    org: Option<String>,
    #[serde(rename = "userID")]
    user_id: Option<String>,
    id: Option<String>,
}

pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    Query(f): Query<ListFilter>,
) -> Result<Json, ApiError> {
    let mut auths = s.store.authorizations()?;
    if f.org.is_some() || f.org_id.is_some() {
        let org = resolve_org(&s.store, f.org.as_deref(), f.org_id.as_deref())?;
        auths.retain(|a| a.org_id == org.id);
    }
    if let Some(u) = &f.user_id {
        auths.retain(|a| &a.user_id == u);
    }
    if let Some(id) = &f.id {
        auths.retain(|a| &a.id == id);
    }
    auths.retain(|a| caller.may("read", "authorizations", Some(&a.org_id), Some(&a.id)));
    let list = auths
        .iter()
        .map(|a| authorization_json(&s.store, a, None))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(
        json!({ "links": { "self": "/api/v2/authorizations" }, "authorizations": list }),
    ))
}

fn find(
    s: &AppState,
    caller: &Caller,
    id: &str,
    action: &str,
) -> Result<crate::storage::Authorization, ApiError> {
    let auth = s
        .store
        .authorization(id)?
        .ok_or_else(|| ApiError::not_found("authorization not found"))?;
    caller.require(action, "authorizations", Some(&auth.org_id), Some(&auth.id))?;
    Ok(auth)
}

pub async fn get_one(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json, ApiError> {
    let auth = find(&s, &caller, &id, "read")?;
    Ok(Json(authorization_json(&s.store, &auth, None)?))
}

#[derive(Deserialize)]
struct PatchBody {
    status: Option<String>,
    description: Option<String>,
}

pub async fn patch(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Limited(body): Limited<JSON_BODY_BYTES>,
) -> Result<Json, ApiError> {
    find(&s, &caller, &id, "write")?;
    let req: PatchBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid(format!("invalid json structure: {e}")))?;
    let auth = s.store.update_authorization(
        &id,
        parse_status(req.status.as_deref())?,
        req.description.as_deref(),
    )?;
    Ok(Json(authorization_json(&s.store, &auth, None)?))
}

pub async fn delete(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    find(&s, &caller, &id, "write")?;
    s.store.delete_authorization(&id)?;
    Ok(StatusCode::NO_CONTENT)
}
