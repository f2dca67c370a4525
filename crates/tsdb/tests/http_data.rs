//! The data endpoints over HTTP: write, delete, query, retention.

mod common;

use common::{json, start, start_with, TOKEN};
use serde_json::json;

#[tokio::test]
async fn write_checks_in_influxdb_order() {
    let s = start().await;
    let r = s
        .post(
            "/api/v2/write?org=my-org&bucket=my-bucket&precision=h",
            TOKEN,
        )
        .body("m v=1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        json(r).await["message"],
        "invalid precision; valid precision units are ns, us, ms, and s"
    );
    assert_eq!(
        s.post("/api/v2/write?org=my-org", TOKEN)
            .body("m v=1")
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let r = s
        .post("/api/v2/write?bucket=my-bucket", TOKEN)
        .body("m v=1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        json(r).await["message"],
        "Please provide either orgID or org"
    );
    let r = s
        .post("/api/v2/write?org=nope&bucket=my-bucket", TOKEN)
        .body("m v=1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = s
        .post("/api/v2/write?org=my-org&bucket=nope", TOKEN)
        .body("m v=1")
        .send()
        .await
        .unwrap();
    assert_eq!(json(r).await["message"], "bucket \"nope\" not found");
    // The org may be given by id, the bucket by id.
    let path = format!("/api/v2/write?org={}&bucket={}", s.org_id, s.bucket_id);
    assert_eq!(
        s.post(&path, TOKEN)
            .body("m v=1 1")
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
}

#[tokio::test]
async fn a_parse_error_rejects_the_batch_and_a_type_conflict_writes_the_rest() {
    let s = start().await;
    let r = s.write("m v=1 1\nm v=\n", TOKEN).await;
    assert_eq!(r.status(), 400);
    let body = json(r).await;
    assert_eq!(body["code"], "invalid");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("unable to parse 'm v=':"),
        "{body}"
    );
    assert_eq!(
        s.query_plain("from(bucket: \"my-bucket\") |> range(start: 0)")
            .await,
        "\r\n",
        "nothing was written"
    );

    assert_eq!(s.write("m v=1 1", TOKEN).await.status(), 204);
    let r = s.write("m v=2i 2\nm v=3 3", TOKEN).await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        json(r).await["message"],
        "failure writing points to database: partial write: field type conflict: input field \"v\" on measurement \"m\" is type integer, already exists as type float dropped=1"
    );
    let csv = s
        .query_plain("from(bucket: \"my-bucket\") |> range(start: 0) |> count()")
        .await;
    assert!(
        csv.contains(",_result,0,1970-01-01T00:00:00Z,2024-01-01T00:00:00Z,2,v,m\r\n"),
        "{csv}"
    );
}

#[tokio::test]
async fn gzip_bodies_and_the_size_limit() {
    use std::io::Write;
    let s = start_with(tsdb::Config {
        max_write_bytes: 1000,
        ..Default::default()
    })
    .await;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"m v=1 1\nm v=2 2").unwrap();
    let r = s
        .post(
            "/api/v2/write?org=my-org&bucket=my-bucket&precision=s",
            TOKEN,
        )
        .header("Content-Encoding", "gzip")
        .body(gz.finish().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = s
        .post("/api/v2/write?org=my-org&bucket=my-bucket", TOKEN)
        .header("Content-Encoding", "gzip")
        .body("not gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let big = "m v=1 1\n".repeat(200);
    let r = s.write(&big, TOKEN).await;
    assert_eq!(r.status(), 413);
    assert_eq!(json(r).await["code"], "request too large");
}

#[tokio::test]
async fn delete_is_inclusive_and_honours_the_predicate() {
    let s = start().await;
    s.write(
        "m,host=a v=1 1\nm,host=a v=2 2\nm,host=a v=3 3\nm,host=b v=4 2",
        TOKEN,
    )
    .await;
    let r = s
        .post("/api/v2/delete?org=my-org&bucket=my-bucket", TOKEN)
        .json(&json!({"start": "1970-01-01T00:00:01Z", "stop": "1970-01-01T00:00:02Z", "predicate": "host=\"a\""}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let csv = s.query_plain("from(bucket: \"my-bucket\") |> range(start: 0) |> group() |> sort(columns: [\"_value\"]) |> keep(columns: [\"_value\"])").await;
    assert_eq!(
        csv,
        ",result,table,_value\r\n,_result,0,3\r\n,_result,0,4\r\n\r\n"
    );

    let bad = |predicate: &str| json!({"start": "1970-01-01T00:00:00Z", "stop": "2030-01-01T00:00:00Z", "predicate": predicate});
    let r = s
        .post("/api/v2/delete?org=my-org&bucket=my-bucket", TOKEN)
        .json(&bad("a=\"1\" OR b=\"2\""))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = s
        .post("/api/v2/delete?org=my-org&bucket=my-bucket", TOKEN)
        .json(&bad("_field=\"v\""))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 501);
    let r = s
        .post("/api/v2/delete?org=my-org", TOKEN)
        .json(&bad(""))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = s
        .post("/api/v2/delete?org=my-org&bucket=my-bucket", TOKEN)
        .json(&json!({"start": "yesterday", "stop": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn query_errors_before_and_after_output() {
    let s = start().await;
    s.write("m v=1 1", TOKEN).await;
    let (status, body) = s
        .query(
            "from(bucket: \"my-bucket\") |> range(start: 0) |> nosuch()",
            TOKEN,
        )
        .await;
    assert_eq!(status, 400);
    assert!(body.contains("nosuch"), "{body}");
    let (status, body) = s.query("from(bucket: \"my-bucket\")", TOKEN).await;
    assert_eq!(status, 400);
    assert!(body.contains("cannot submit unbounded read"), "{body}");
    let (status, body) = s
        .query("from(bucket: \"missing\") |> range(start: 0)", TOKEN)
        .await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = s
        .query("from(bucket: \"my-bucket\") |> range(start: -1h", TOKEN)
        .await;
    assert_eq!(status, 400);

    // A finished result, then a failure: the error table follows the output.
    let (status, body) = s.query("from(bucket: \"my-bucket\") |> range(start: 0) |> yield(name: \"a\")\nfrom(bucket: \"missing\") |> range(start: 0)", TOKEN).await;
    assert_eq!(status, 200);
    assert!(body.ends_with("\r\n\r\n\r\n#datatype,string,string\r\n#group,true,true\r\n#default,,\r\n,error,reference\r\n,\"failed to initialize execute state: could not find bucket \"\"missing\"\"\",\r\n"), "{body:?}");

    let r = s
        .post("/api/v2/query?org=my-org", TOKEN)
        .json(&json!({"query": "buckets()", "type": "sql"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = s
        .post("/api/v2/query", TOKEN)
        .json(&json!({"query": "buckets()"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn raw_flux_params_and_externs() {
    let s = start().await;
    s.write("m,host=a v=1 1", TOKEN).await;
    let r = s
        .post("/api/v2/query?org=my-org", TOKEN)
        .header("Content-Type", "application/vnd.flux")
        .body("from(bucket: \"my-bucket\") |> range(start: 0) |> keep(columns: [\"host\", \"_value\"])")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        r.text().await.unwrap(),
        ",result,table,_value,host\r\n,_result,0,1,a\r\n\r\n"
    );

    let body = json!({
        "query": "from(bucket: b) |> range(start: 0) |> filter(fn: (r) => r.host == params.host) |> keep(columns: [\"_value\"])",
        "params": {"host": "a"},
        "extern": {"imports": [], "body": [{"type": "OptionStatement", "assignment": {"type": "VariableAssignment",
            "id": {"name": "b"}, "init": {"type": "StringLiteral", "value": "my-bucket"}}}]},
    });
    let r = s
        .post("/api/v2/query?org=my-org", TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.text().await.unwrap(),
        ",result,table,_value\r\n,_result,0,1\r\n\r\n"
    );
}

#[tokio::test]
async fn retention_hides_and_removes_expired_points() {
    let s = start().await;
    let body = json!({"orgID": s.org_id, "name": "hourly", "retentionRules": [{"type": "expire", "everySeconds": 3600}]});
    assert_eq!(
        s.post("/api/v2/buckets", TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status(),
        201
    );
    let now = chrono::Utc::now().timestamp();
    let lp = format!("m v=1 {}\nm v=2 {}", now - 7200, now - 60);
    let r = s
        .post("/api/v2/write?org=my-org&bucket=hourly&precision=s", TOKEN)
        .body(lp)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = s
        .post("/api/v2/query?org=my-org", TOKEN)
        .header("Content-Type", "application/vnd.flux")
        .body("from(bucket: \"hourly\") |> range(start: 0) |> keep(columns: [\"_value\"])")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.text().await.unwrap(),
        ",result,table,_value\r\n,_result,0,2\r\n\r\n"
    );
}

#[tokio::test]
async fn a_repeated_point_keeps_the_last_value_within_and_across_batches() {
    let s = start().await;
    assert_eq!(
        s.write("m v=1 1\nm v=2 1\nm w=5 1", TOKEN).await.status(),
        204
    );
    let keep =
        "from(bucket: \"my-bucket\") |> range(start: 0) |> keep(columns: [\"_field\", \"_value\"])";
    assert_eq!(
        s.query_plain(keep).await,
        ",result,table,_value,_field\r\n,_result,0,2,v\r\n,_result,1,5,w\r\n\r\n"
    );
    assert_eq!(s.write("m v=3 1", TOKEN).await.status(), 204);
    assert_eq!(
        s.query_plain(keep).await,
        ",result,table,_value,_field\r\n,_result,0,3,v\r\n,_result,1,5,w\r\n\r\n"
    );
}
