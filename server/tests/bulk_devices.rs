//! Fleets that arrive in thousands: `POST /api/devices` registers them in bulk (JSON or CSV),
//! `GET /api/devices` pages the list (`limit`/`after`) or streams it whole. Over HTTP, on the
//! real binary with its embedded store.

mod common;

use common::{add_token, gateway_write, refused_unread, start, Server};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn bulk(s: &Server, token: &str, content_type: &str, body: String) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/api/devices", s.url))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or_default())
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|d| d["deviceId"].as_str().unwrap().to_string())
        .collect()
}

async fn list(s: &Server, query: &str) -> (Option<String>, Value) {
    let r = s
        .client()
        .get(format!("{}/api/devices{query}", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{query}");
    let link = r
        .headers()
        .get("link")
        .map(|l| l.to_str().unwrap().to_string());
    (link, r.json().await.unwrap())
}

#[tokio::test]
async fn devices_register_in_bulk_and_their_tokens_write() {
    let s = start().await;
    let json_ids = json!(["bulk-1", "bulk-2", "bulk-1"]).to_string();
    let (status, first) = bulk(&s, &s.token, "application/json", json_ids).await;
    assert_eq!(status, 200, "{first}");
    let registered = first["registered"].as_array().unwrap();
    // A repeated id counts once.
    assert_eq!(registered.len(), 2, "{first}");
    for device in registered {
        let token = device["token"].as_str().unwrap();
        let line = format!(
            "environment,clientId={} Temperature=20",
            device["id"].as_str().unwrap()
        );
        let w = gateway_write(&s.url, "bucket=iot_center&precision=s", token, line).await;
        assert_eq!(w.status(), 204);
    }

    // Again, with one more, as CSV with a header, asking for CSV back: only the new one gets
    // a token; the others keep theirs.
    let csv = "deviceId,model\nbulk-1,esp32\nbulk-3,esp32\n\nbulk-2,esp8266\n".to_string();
    let r = reqwest::Client::new()
        .post(format!("{}/api/devices", s.url))
        .bearer_auth(&s.token)
        .header("content-type", "text/csv")
        .header("accept", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let tokens = r.text().await.unwrap();
    let lines: Vec<_> = tokens.lines().collect();
    assert_eq!(lines.len(), 2, "{tokens}");
    assert_eq!(lines[0], "id,token");
    assert!(lines[1].starts_with("bulk-3,iotc_"), "{tokens}");
    let old = registered[0]["token"].as_str().unwrap();
    let line = format!(
        "environment,clientId={} Temperature=21",
        registered[0]["id"].as_str().unwrap()
    );
    let w = gateway_write(&s.url, "bucket=iot_center&precision=s", old, line).await;
    assert_eq!(w.status(), 204, "an existing token still works");
    assert_eq!(ids(&list(&s, "").await.1), ["bulk-1", "bulk-2", "bulk-3"]);

    // A removed device registers again with a new token and its first registration time.
    let (_, before) = list(&s, "").await;
    let created = before[0]["createdAt"].clone();
    let removed = s
        .client()
        .delete(format!("{}/api/devices/bulk-1", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    let (status, again) = bulk(
        &s,
        &s.token,
        "application/json",
        json!(["bulk-1"]).to_string(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(again["registered"][0]["id"], "bulk-1");
    assert_ne!(again["registered"][0]["token"].as_str().unwrap(), old);
    assert_eq!(list(&s, "").await.1[0]["createdAt"], created);
}

#[tokio::test]
async fn bad_bulk_input_is_refused_whole_and_registers_nothing() {
    let s = start().await;
    let cases = [
        ("text/csv", "ok-1\nnot ok\nok-2\n".to_string(), "line 2"),
        (
            "application/json",
            "[\"ok-1\", \"a/b\"]".to_string(),
            "not allowed",
        ),
        (
            "application/json",
            "{\"ids\": []}".to_string(),
            "JSON array",
        ),
        ("text/csv", "id\n\n".to_string(), "no device"),
    ];
    for (content_type, body, why) in cases {
        let (status, answer) = bulk(&s, &s.token, content_type, body.clone()).await;
        assert_eq!(status, 400, "{body}");
        assert!(answer.to_string().contains(why), "{body}: {answer}");
    }
    // At the bound and past it.
    let at: Vec<String> = (0..10_000).map(|i| format!("fleet-{i:05}")).collect();
    let past = [at.clone(), vec!["fleet-one-more".into()]].concat();
    let (status, answer) = bulk(&s, &s.token, "application/json", json!(past).to_string()).await;
    assert_eq!(status, 400);
    assert!(answer.to_string().contains("10000"), "{answer}");
    assert_eq!(list(&s, "").await.1, json!([]), "nothing registered");
    let big = "x".repeat(1024 * 1024 + 1);
    let sent = s
        .client()
        .post(format!("{}/api/devices", s.url))
        .header("content-type", "text/csv")
        .body(big)
        .send()
        .await;
    assert!(refused_unread(sent));
    let (status, answer) = bulk(&s, &s.token, "application/json", json!(at).to_string()).await;
    assert_eq!(status, 200);
    assert_eq!(answer["registered"].as_array().unwrap().len(), 10_000);
}

#[tokio::test]
async fn bulk_registration_is_for_operators_and_never_mints_twice() {
    let s = start().await;
    let viewer = add_token(s._dir.path(), "viewer", "viewer");
    let operator = add_token(s._dir.path(), "operator", "operator");
    let body = || json!(["race-1", "race-2", "race-3"]).to_string();
    let (status, _) = bulk(&s, &viewer, "application/json", body()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = bulk(&s, "not-a-token", "application/json", body()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(list(&s, "").await.1, json!([]));

    // Two bulk registrations and single ones of the same ids, at once: each device gets
    // one token, and whichever call minted it hands it out.
    let (a, b, one) = tokio::join!(
        bulk(&s, &operator, "application/json", body()),
        bulk(&s, &s.token, "application/json", body()),
        common::device_env(&s, "race-2"),
    );
    let minted = |v: &Value| v["registered"].as_array().unwrap().len();
    let existing = |v: &Value| v["existing"].as_array().unwrap().len();
    assert_eq!((a.0, b.0), (StatusCode::OK, StatusCode::OK));
    let by_single = usize::from(one["newlyRegistered"] == true);
    assert_eq!(
        minted(&a.1) + minted(&b.1) + by_single,
        3,
        "{} {} {one}",
        a.1,
        b.1
    );
    assert_eq!(existing(&a.1) + existing(&b.1), 3 + by_single);
    let (_, listed) = list(&s, "").await;
    assert_eq!(ids(&listed), ["race-1", "race-2", "race-3"]);
}

#[tokio::test]
async fn the_device_list_pages_when_asked_and_streams_whole() {
    let s = start().await;
    let all: Vec<String> = (0..2_500).map(|i| format!("page-{i:04}")).collect();
    let (status, _) = bulk(&s, &s.token, "application/json", json!(all).to_string()).await;
    assert_eq!(status, 200);

    // Whole: the reference's one array, in id order, streamed in pieces of 1,000.
    let (link, whole) = list(&s, "").await;
    assert_eq!(link, None);
    assert_eq!(ids(&whole), all);
    assert!(whole[0]["createdAt"].is_string() && whole[0]["key"].is_string());

    // Paged: each page links to the next until the last, and together they are the list.
    let (mut paged, mut query) = (Vec::new(), "?limit=1000".to_string());
    loop {
        let (link, page) = list(&s, &query).await;
        paged.extend(ids(&page));
        let Some(link) = link else { break };
        let next = link.trim_start_matches('<').split('>').next().unwrap();
        assert!(link.ends_with("rel=\"next\""), "{link}");
        query = next.trim_start_matches("/api/devices").to_string();
    }
    assert_eq!(paged, all);
    let (_, tail) = list(&s, "?limit=3&after=page-2497").await;
    assert_eq!(ids(&tail), ["page-2498", "page-2499"]);
    let (_, from_middle) = list(&s, "?after=page-2497").await;
    assert_eq!(ids(&from_middle), ["page-2498", "page-2499"]);

    // Limits past the bounds say so.
    for limit in ["0", "10001", "many"] {
        let r = s
            .client()
            .get(format!("{}/api/devices?limit={limit}", s.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "limit={limit}");
    }
    let (_, at_bound) = list(&s, "?limit=10000").await;
    assert_eq!(at_bound.as_array().unwrap().len(), 2_500);
}
