//! The HTTP API for tenants and tokens: health, setup, orgs, buckets, authorizations, permissions.

mod common;

use common::{json, start, TOKEN};
use serde_json::json;

#[tokio::test]
async fn health_ping_ready_and_version_headers() {
    let s = start().await;
    let r = s
        .client
        .get(format!("{}/health", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-influxdb-build"], "OSS");
    assert!(r.headers()["x-influxdb-version"]
        .to_str()
        .unwrap()
        .starts_with('v'));
    let body = json(r).await;
    assert_eq!(body["status"], "pass");
    assert_eq!(body["message"], "ready for queries and writes");

    let r = s
        .client
        .head(format!("{}/ping", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(r.headers().contains_key("x-influxdb-version"));

    let ready = json(
        s.client
            .get(format!("{}/ready", s.url))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(ready["status"], "ready");
    assert!(ready["up"].as_str().unwrap().ends_with('s'));
}

#[tokio::test]
async fn setup_runs_once() {
    let s = start().await;
    let allowed = json(
        s.client
            .get(format!("{}/api/v2/setup", s.url))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(allowed["allowed"], false);
    let r = s
        .client
        .post(format!("{}/api/v2/setup", s.url))
        .json(&json!({"username": "u", "password": "password1", "org": "o", "bucket": "b"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(
        json(r).await["message"],
        "onboarding has already been completed"
    );
}

#[tokio::test]
async fn tokens_are_required_and_checked() {
    let s = start().await;
    let r = s
        .client
        .get(format!("{}/api/v2/buckets", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["x-platform-error-code"], "unauthorized");
    assert_eq!(
        json(r).await,
        json!({"code": "unauthorized", "message": "unauthorized access"})
    );
    assert_eq!(
        s.get("/api/v2/buckets", "wrong")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let bearer = s
        .client
        .get(format!("{}/api/v2/buckets", s.url))
        .header("Authorization", format!("bearer {TOKEN}"));
    assert_eq!(bearer.send().await.unwrap().status(), 200);
    assert_eq!(
        s.client
            .get(format!("{}/api/v2/nothing", s.url))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let r = s.get("/api/v2/nothing", TOKEN).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(json(r).await["message"], "path not found");
}

#[tokio::test]
async fn orgs_list_create_patch_delete() {
    let s = start().await;
    let list = json(
        s.get("/api/v2/orgs?org=my-org", TOKEN)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(list["orgs"][0]["id"], s.org_id.as_str());
    let r = s.get("/api/v2/orgs?org=nope", TOKEN).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        json(r).await["message"],
        "organization name \"nope\" not found"
    );

    let r = s
        .post("/api/v2/orgs", TOKEN)
        .json(&json!({"name": "second"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let id = json(r).await["id"].as_str().unwrap().to_string();
    assert_eq!(
        s.post("/api/v2/orgs", TOKEN)
            .json(&json!({"name": "second"}))
            .send()
            .await
            .unwrap()
            .status(),
        422
    );
    assert_eq!(
        s.post("/api/v2/orgs", TOKEN)
            .json(&json!({"name": ""}))
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
    let patched = json(
        s.patch(&format!("/api/v2/orgs/{id}"), TOKEN)
            .json(&json!({"description": "d"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(patched["description"], "d");
    // Every org gets the system buckets.
    let buckets = json(
        s.get(&format!("/api/v2/buckets?orgID={id}"), TOKEN)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let names: Vec<&str> = buckets["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"_tasks") && names.contains(&"_monitoring"),
        "{names:?}"
    );
    assert_eq!(
        s.delete(&format!("/api/v2/orgs/{id}"), TOKEN)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        s.get(&format!("/api/v2/orgs/{id}"), TOKEN)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn buckets_with_retention_and_lookups() {
    let s = start().await;
    let body = json!({"orgID": s.org_id, "name": "weekly", "retentionRules": [{"type": "expire", "everySeconds": 604800}]});
    let r = s
        .post("/api/v2/buckets", TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let b = json(r).await;
    assert_eq!(b["retentionRules"][0]["everySeconds"], 604800);
    assert_eq!(b["retentionRules"][0]["shardGroupDurationSeconds"], 86400);
    assert_eq!(b["type"], "user");
    let id = b["id"].as_str().unwrap().to_string();

    assert_eq!(
        s.post("/api/v2/buckets", TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status(),
        422
    );
    let r = s
        .post("/api/v2/buckets", TOKEN)
        .json(&json!({"orgID": s.org_id, "name": "_x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let short = json!({"orgID": s.org_id, "name": "short", "retentionRules": [{"type": "expire", "everySeconds": 60}]});
    assert_eq!(
        s.post("/api/v2/buckets", TOKEN)
            .json(&short)
            .send()
            .await
            .unwrap()
            .status(),
        422
    );
    assert_eq!(
        s.post("/api/v2/buckets", TOKEN)
            .json(&json!({"name": "x"}))
            .send()
            .await
            .unwrap()
            .status(),
        400
    );

    // By name without org: a filter (empty list); with org: an exact lookup (404).
    let r = json(
        s.get("/api/v2/buckets?name=missing", TOKEN)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r["buckets"], json!([]));
    assert_eq!(
        s.get("/api/v2/buckets?name=missing&org=my-org", TOKEN)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let r = json(
        s.get("/api/v2/buckets?name=weekly", TOKEN)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r["buckets"][0]["id"], id.as_str());
    let r = s
        .get("/api/v2/buckets?limit=101", TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(json(r).await["message"], "limit must be between 1 and 100");
    let page = json(
        s.get("/api/v2/buckets?limit=2&offset=1", TOKEN)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page["buckets"].as_array().unwrap().len(), 2);
    assert!(
        page["links"]["next"].as_str().unwrap().contains("offset=3"),
        "{page}"
    );
    assert!(page["links"]["prev"].is_string());

    let r = s
        .patch(&format!("/api/v2/buckets/{id}"), TOKEN)
        .json(&json!({"name": "my-bucket"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = s
        .patch(&format!("/api/v2/buckets/{id}"), TOKEN)
        .json(&json!({"description": "seven days"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json(r).await["description"], "seven days");
    assert_eq!(
        s.delete(&format!("/api/v2/buckets/{id}"), TOKEN)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        s.get(&format!("/api/v2/buckets/{id}"), TOKEN)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn a_write_only_bucket_token_does_exactly_that() {
    let s = start().await;
    let other = json(
        s.post("/api/v2/buckets", TOKEN)
            .json(&json!({"orgID": s.org_id, "name": "registry"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let (id, device) = s
        .create_token(json!([{"action": "write", "resource": {"type": "buckets", "id": s.bucket_id, "orgID": s.org_id}}]))
        .await;
    assert_eq!(device.len(), 88, "tokens look like InfluxDB's");

    assert_eq!(s.write("m,clientId=a v=1 1", &device).await.status(), 204);
    let (status, body) = s
        .query("from(bucket: \"my-bucket\") |> range(start: 0)", &device)
        .await;
    assert_eq!(status, 403, "{body}");
    let r = s
        .post("/api/v2/write?org=my-org&bucket=registry", &device)
        .body("m v=1 1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        json(r).await["message"],
        "insufficient permissions for write"
    );
    assert_eq!(other["name"], "registry");
    let grant = json!({"orgID": s.org_id, "permissions": [{"action": "write", "resource": {"type": "buckets", "id": s.bucket_id}}]});
    assert_eq!(
        s.post("/api/v2/authorizations", &device)
            .json(&grant)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        s.get("/api/v2/buckets", &device)
            .send()
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap()["buckets"],
        json!([])
    );

    // Tokens are shown once; an inactive token is refused as if unknown (401).
    let listed = json(
        s.get(&format!("/api/v2/authorizations/{id}"), TOKEN)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(listed["token"], "");
    assert_eq!(listed["permissions"][0]["resource"]["name"], "my-bucket");
    let r = s
        .patch(&format!("/api/v2/authorizations/{id}"), TOKEN)
        .json(&json!({"status": "inactive"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json(r).await["status"], "inactive");
    assert_eq!(s.write("m,clientId=a v=2 2", &device).await.status(), 401);
    assert_eq!(
        s.delete(&format!("/api/v2/authorizations/{id}"), TOKEN)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(s.write("m,clientId=a v=3 3", &device).await.status(), 401);
}

#[tokio::test]
async fn authorizations_are_validated() {
    let s = start().await;
    let r = s
        .post("/api/v2/authorizations", TOKEN)
        .json(&json!({"orgID": s.org_id, "permissions": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        json(r).await["message"],
        "authorization must include permissions"
    );
    let r = s
        .post("/api/v2/authorizations", TOKEN)
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let list = json(
        s.get("/api/v2/authorizations?org=my-org", TOKEN)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(list["authorizations"].as_array().unwrap().len(), 1);

    // A permission without an org would grant in every org: only a token that holds it so
    // may give it; a token of one org is told to name the org.
    let everywhere = json!([{"action": "read", "resource": {"type": "buckets"}}]);
    let (_, org_admin) = s
        .create_token(json!([
            {"action": "write", "resource": {"type": "authorizations", "orgID": s.org_id}},
            {"action": "read", "resource": {"type": "buckets", "orgID": s.org_id}},
        ]))
        .await;
    let create = |token: &str, permissions: &serde_json::Value| {
        s.post("/api/v2/authorizations", token)
            .json(&json!({"orgID": s.org_id, "permissions": permissions}))
    };
    let r = create(&org_admin, &everywhere).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(json(r).await["message"]
        .as_str()
        .unwrap()
        .contains("names no organization"));
    let in_org = json!([{"action": "read", "resource": {"type": "buckets", "orgID": s.org_id}}]);
    assert_eq!(
        create(&org_admin, &in_org).send().await.unwrap().status(),
        201
    );
    assert_eq!(
        create(TOKEN, &everywhere).send().await.unwrap().status(),
        201
    );
}
