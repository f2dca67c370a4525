//! JSON shapes of organizations, buckets and authorizations, and list paging.

use super::error::ApiError;
use crate::annotated_csv::format_time;
use crate::storage::{Authorization, Bucket, Org, Store};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// A JSON body with InfluxDB's content type.
pub struct Json(pub Value);

impl IntoResponse for Json {
    fn into_response(self) -> Response {
        (
            [("content-type", "application/json; charset=utf-8")],
            self.0.to_string(),
        )
            .into_response()
    }
}

pub fn org_json(o: &Org) -> Value {
    let id = &o.id;
    json!({
        "links": {
            "self": format!("/api/v2/orgs/{id}"),
            "buckets": format!("/api/v2/buckets?org={}", o.name),
            "members": format!("/api/v2/orgs/{id}/members"),
            "owners": format!("/api/v2/orgs/{id}/owners"),
            "labels": format!("/api/v2/orgs/{id}/labels"),
        },
        "id": id,
        "name": o.name,
        "description": o.description,
        "createdAt": format_time(o.created_at),
        "updatedAt": format_time(o.updated_at),
    })
}

/// InfluxDB normalises the shard-group duration: 7 d for infinite or ≥180 d, 1 d for ≥2 d, else 1 h.
fn shard_group_seconds(retention: i64) -> i64 {
    match retention {
        0 => 604_800,
        r if r >= 180 * 86_400 => 604_800,
        r if r >= 2 * 86_400 => 86_400,
        _ => 3_600,
    }
}

pub fn bucket_json(b: &Bucket) -> Value {
    let id = &b.id;
    let mut v = json!({
        "id": id,
        "orgID": b.org_id,
        "type": b.kind,
        "name": b.name,
        "retentionRules": [{ "type": "expire", "everySeconds": b.retention_secs, "shardGroupDurationSeconds": shard_group_seconds(b.retention_secs) }],
        "createdAt": format_time(b.created_at),
        "updatedAt": format_time(b.updated_at),
        "links": {
            "self": format!("/api/v2/buckets/{id}"),
            "org": format!("/api/v2/orgs/{}", b.org_id),
            "members": format!("/api/v2/buckets/{id}/members"),
            "owners": format!("/api/v2/buckets/{id}/owners"),
            "labels": format!("/api/v2/buckets/{id}/labels"),
            "write": format!("/api/v2/write?org={}&bucket={id}", b.org_id),
        },
        "labels": [],
    });
    if !b.description.is_empty() {
        v["description"] = json!(b.description);
    }
    v
}

/// An authorization; the token only when it was just created (it is stored hashed).
pub fn authorization_json(
    store: &Store,
    a: &Authorization,
    token: Option<&str>,
) -> Result<Value, ApiError> {
    let org_name = store.org(&a.org_id)?.map(|o| o.name).unwrap_or_default();
    let user_name = store.user(&a.user_id)?.map(|u| u.name).unwrap_or_default();
    let mut permissions = Vec::new();
    for p in &a.permissions {
        let mut v = serde_json::to_value(p).map_err(|e| ApiError::internal(e.to_string()))?;
        if let Some(org_id) = &p.resource.org_id {
            v["resource"]["org"] = json!(store.org(org_id)?.map(|o| o.name).unwrap_or_default());
        }
        if let (Some(id), "buckets") = (&p.resource.id, p.resource.kind.as_str()) {
            v["resource"]["name"] = json!(store.bucket(id)?.map(|b| b.name).unwrap_or_default());
        }
        permissions.push(v);
    }
    Ok(json!({
        "id": a.id,
        "token": token.unwrap_or(""),
        "status": if a.active { "active" } else { "inactive" },
        "description": a.description,
        "orgID": a.org_id,
        "org": org_name,
        "userID": a.user_id,
        "user": user_name,
        "permissions": permissions,
        "links": { "self": format!("/api/v2/authorizations/{}", a.id), "user": format!("/api/v2/users/{}", a.user_id) },
        "createdAt": format_time(a.created_at),
        "updatedAt": format_time(a.updated_at),
    }))
}

#[derive(serde::Deserialize, Default)]
pub struct Paging {
    pub offset: Option<i64>,
    pub limit: Option<i64>,
    pub descending: Option<bool>,
    /// Only items whose id sorts after this one (the official clients' paging iterators).
    pub after: Option<String>,
}

/// Orders a list at `path` by id and applies `after`, `offset` and `limit` (1–100, default 20) to a list at `path`, and builds
/// its `links`: `next` while the page is full (following `after` when the caller pages by
/// it), `prev` past the first page.
pub fn page<T>(
    items: Vec<T>,
    paging: &Paging,
    path: &str,
    id: fn(&T) -> &str,
) -> Result<(Vec<T>, Value), ApiError> {
    let limit = paging.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid("limit must be between 1 and 100"));
    }
    let offset = paging.offset.unwrap_or(0).max(0);
    let descending = paging.descending.unwrap_or(false);
    // In id order, as InfluxDB's index keeps them: a page that ends at an id is where the
    // next one, `after` it, starts.
    let mut items = items;
    items.sort_by(|a, b| id(a).cmp(id(b)));
    if let Some(after) = &paging.after {
        items.retain(|item| id(item) > after.as_str());
    }
    if descending {
        items.reverse();
    }
    let page: Vec<T> = items
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .collect();
    let link = |offset: i64, after: Option<&str>| match after {
        Some(after) => format!("{path}?descending={descending}&limit={limit}&after={after}"),
        None => format!("{path}?descending={descending}&limit={limit}&offset={offset}"),
    };
    let mut links = json!({ "self": link(offset, paging.after.as_deref()) });
    if page.len() as i64 == limit {
        let next = match paging.after {
            Some(_) => link(0, page.last().map(id)),
            None => link(offset + limit, None),
        };
        links["next"] = json!(next);
    }
    if offset > 0 {
        links["prev"] = json!(link((offset - limit).max(0), None));
    }
    Ok((page, links))
}
