//! Hostile requests against a running store: each gets a 4xx or a query error, the process
//! stays up, and an ordinary query still answers afterwards.

mod common;

use common::{json, start, start_with, TestServer, TOKEN};
use serde_json::json;
use std::io::Write;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// An ordinary query still answers with the point every test writes first.
async fn still_answers(s: &TestServer) {
    let (status, csv) = s
        .query(
            "from(bucket: \"my-bucket\") |> range(start: 0) |> count()",
            TOKEN,
        )
        .await;
    assert_eq!(status, 200, "{csv}");
    assert!(csv.contains(",1,v,m\r\n"), "{csv}");
}

/// Sends `head` (request line and headers, without the blank line) and `body` over a raw
/// connection, and returns the status and the body of the answer. Lets a request declare a
/// length it never sends.
async fn raw(url: &str, head: &str, body: &[u8]) -> (u16, String) {
    let addr = url.trim_start_matches("http://");
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(format!("{head}\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    // The server may answer and close before all of a refused body is sent.
    let _ = conn.write_all(body).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer).to_string();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no answer: {answer:?}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

/// Flux that builds `x0` from `first`, then `x1` … `xN`, each `twice` the one before.
fn doubled(n: usize, twice: impl Fn(&str) -> String, first: &str) -> String {
    let steps: String = (1..=n)
        .map(|i| format!("x{i} = {}\n", twice(&format!("x{}", i - 1))))
        .collect();
    format!("x0 = {first}\n{steps}")
}

#[tokio::test]
async fn hostile_queries_get_errors_and_the_store_stays_up() {
    let s = start().await;
    assert_eq!(s.write("m v=1 1", TOKEN).await.status(), 204);
    let deep_parens = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
    let long_or = format!("x = {}", vec!["true"; 60_000].join(" or "));
    let many_statements = format!("{}y", "x = 1\n".repeat(100_000));
    let cases: [(&str, String, &str); 9] = [
        (
            "a string doubled 32 times (4 GiB)",
            doubled(32, |s| format!("{s} + {s}"), "\"a\""),
            "query exceeded its memory limit of 256 MiB",
        ),
        (
            "a string interpolated into itself 32 times",
            doubled(32, |s| format!("\"${{{s}}}${{{s}}}\""), "\"a\""),
            "query exceeded its memory limit of 256 MiB",
        ),
        (
            "an array of itself 32 times",
            doubled(32, |s| format!("[{s}, {s}]"), "[1]"),
            "query exceeded its memory limit of 256 MiB",
        ),
        (
            "a function calling itself forever",
            "f = (g) => g(g: g)\nf(g: f)".into(),
            "evaluation nested deeper than the limit of 1000",
        ),
        (
            "100,000 nested parentheses",
            deep_parens,
            "nested deeper than the limit of 1000",
        ),
        (
            "a 60,000-term or",
            long_or,
            "nested deeper than the limit of 1000",
        ),
        (
            "100,000 nested negations",
            format!("{}1", "-".repeat(100_000)),
            "nested deeper than the limit of 1000",
        ),
        (
            "100,000 statements, then an unknown name",
            many_statements,
            "undefined identifier y",
        ),
        (
            "a regular expression too large to compile",
            format!("x = /{}/", "(a{1000}){1000}"),
            "invalid regular expression",
        ),
    ];
    for (what, flux, error) in cases {
        let (status, body) = s.query(&flux, TOKEN).await;
        assert_eq!(status, 400, "{what}: {body}");
        assert!(body.contains(error), "{what}: {body}");
        still_answers(&s).await;
    }
}

#[tokio::test]
async fn a_token_that_may_not_read_never_reaches_the_parser() {
    let s = start().await;
    assert_eq!(s.write("m v=1 1", TOKEN).await.status(), 204);
    let (_, device) = s
        .create_token(json!([{"action": "write", "resource": {"type": "buckets", "id": s.bucket_id, "orgID": s.org_id}}]))
        .await;
    let (status, body) = s.query("f = (g) => g(g: g)\nf(g: f)", &device).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("insufficient permissions to query"), "{body}");
    let (status, _) = s
        .query("f = (g) => g(g: g)\nf(g: f)", "no-such-token")
        .await;
    assert_eq!(status, 401);
    still_answers(&s).await;
}

#[tokio::test]
async fn query_limits_hold_at_their_bound_and_stop_past_it() {
    let limited = |limits: tsdb::flux::Limits| tsdb::Config {
        query_limits: limits,
        ..tsdb::Config::default()
    };
    let defaults = tsdb::flux::Limits::default();
    let s = start_with(limited(tsdb::flux::Limits {
        max_depth: 50,
        max_rows: 10,
        ..defaults
    }))
    .await;
    let lines: Vec<String> = (1..=10).map(|t| format!("m v={t} {t}")).collect();
    assert_eq!(s.write(&lines.join("\n"), TOKEN).await.status(), 204);
    let read = "from(bucket: \"my-bucket\") |> range(start: 0)";
    let (status, csv) = s.query(read, TOKEN).await;
    assert_eq!(status, 200, "{csv}");
    assert_eq!(csv.matches(",v,m\r\n").count(), 10, "{csv}");
    assert_eq!(s.write("m v=11 11", TOKEN).await.status(), 204);
    let (status, body) = s.query(read, TOKEN).await;
    assert_eq!(status, 400);
    assert!(
        body.contains("query exceeded its limit of 10 rows"),
        "{body}"
    );
    // Windows count too: hourly empty windows since 1970 would be half a million rows.
    let windows = format!("{read} |> aggregateWindow(every: 1h, fn: mean)");
    let (status, body) = s.query(&windows, TOKEN).await;
    assert_eq!(status, 400);
    assert!(
        body.contains("query exceeded its limit of 10 rows"),
        "{body}"
    );
    // 50 terms nest 50 deep: the limit; one more is past it.
    let chain = |n: usize| format!("x = {}", vec!["true"; n].join(" or "));
    assert_eq!(s.query(&chain(50), TOKEN).await.0, 200);
    assert_eq!(s.query(&chain(51), TOKEN).await.0, 400);

    let s = start_with(limited(tsdb::flux::Limits {
        timeout: Duration::ZERO,
        ..defaults
    }))
    .await;
    assert_eq!(s.write("m v=1 1", TOKEN).await.status(), 204);
    let (status, body) = s.query(read, TOKEN).await;
    assert_eq!(status, 400);
    assert!(body.contains("query exceeded its time limit"), "{body}");

    // 19 doublings of one byte build 2^20 - 2 bytes in all: within 1 MiB; 20 are past it.
    let s = start_with(limited(tsdb::flux::Limits {
        max_bytes: 1 << 20,
        ..defaults
    }))
    .await;
    let join = |s: &str| format!("{s} + {s}");
    assert_eq!(s.query(&doubled(19, join, "\"a\""), TOKEN).await.0, 200);
    let (status, body) = s.query(&doubled(20, join, "\"a\""), TOKEN).await;
    assert_eq!(status, 400);
    assert!(body.contains("memory limit of 1 MiB"), "{body}");
}

#[tokio::test]
async fn bodies_past_their_limit_get_413_before_they_are_read() {
    let s = start().await;
    assert_eq!(s.write("m v=1 1", TOKEN).await.status(), 204);
    let gib = 1u64 << 30;
    for path in [
        "/api/v2/write?org=my-org&bucket=my-bucket",
        "/api/v2/query?org=my-org",
        "/api/v2/buckets",
        "/api/v2/authorizations",
        "/api/v2/delete?org=my-org&bucket=my-bucket",
    ] {
        let head = format!(
            "POST {path} HTTP/1.1\r\nAuthorization: Token {TOKEN}\r\nContent-Length: {gib}"
        );
        let (status, body) = raw(&s.url, &head, b"m v=1 1").await;
        assert_eq!(status, 413, "{path}: {body}");
        let error: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(error["code"], "request too large", "{path}");
    }
    // Streamed without a declared length, a body is cut off at the limit just the same.
    let chunked = |path: &str| {
        format!(
            "POST {path} HTTP/1.1\r\nAuthorization: Token {TOKEN}\r\nTransfer-Encoding: chunked"
        )
    };
    let mut body = Vec::new();
    for _ in 0..80 {
        let chunk = vec![b' '; 1024];
        body.extend(format!("{:x}\r\n", chunk.len()).as_bytes());
        body.extend(chunk);
        body.extend(b"\r\n");
    }
    body.extend(b"0\r\n\r\n");
    let (status, _) = raw(&s.url, &chunked("/api/v2/buckets"), &body).await;
    assert_eq!(status, 413);
    still_answers(&s).await;
}

#[tokio::test]
async fn setup_reads_no_body_once_onboarding_is_done() {
    let s = start().await;
    assert_eq!(s.write("m v=1 1", TOKEN).await.status(), 204);
    let mib64 = 64u64 << 20;
    let head = format!("POST /api/v2/setup HTTP/1.1\r\nContent-Length: {mib64}");
    let (status, body) = raw(&s.url, &head, &vec![b'{'; 1 << 20]).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains("onboarding has already been completed"),
        "{body}"
    );
    still_answers(&s).await;

    // Before onboarding, a large body is refused by its size.
    let (url, _dir, _shutdown) = common::serve(tsdb::Config::default()).await;
    let (status, body) = raw(&url, &head, &vec![b'{'; 1 << 20]).await;
    assert_eq!(status, 413, "{body}");
}

#[tokio::test]
async fn a_gzip_bomb_is_cut_off_at_the_write_limit() {
    let limit = 1 << 20;
    let s = start_with(tsdb::Config {
        max_write_bytes: limit,
        ..tsdb::Config::default()
    })
    .await;
    assert_eq!(s.write("m v=1 1", TOKEN).await.status(), 204);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let line = b"m v=2 2\n".repeat(1 << 10);
    for _ in 0..(16 * limit / line.len()) {
        gz.write_all(&line).unwrap();
    }
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < limit / 16, "{} bytes", bomb.len());
    let r = s
        .post(
            "/api/v2/write?org=my-org&bucket=my-bucket&precision=s",
            TOKEN,
        )
        .header("Content-Encoding", "gzip")
        .body(bomb)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(json(r).await["code"], "request too large");
    still_answers(&s).await;
}

#[tokio::test]
async fn malformed_line_protocol_is_refused_whole_and_reported_briefly() {
    let s = start().await;
    assert_eq!(s.write("m v=1 1", TOKEN).await.status(), 204);
    for line in [
        ",t=1 v=1",
        "m",
        "m,t v=1",
        "m,=v v=1",
        "m =1",
        "m v=",
        "m v",
        "m v=\"open",
        "m v=1x",
        "m v=tru",
        "m v=1 12a",
        "m,t=a,t=b v=1",
        "m,_field=x v=1",
        "\u{0}\u{1}\u{2}",
        "m v=1 99999999999999999999",
    ] {
        let r = s.write(&format!("m v=5 5\n{line}"), TOKEN).await;
        assert_eq!(r.status(), 400, "{line:?}");
        let message = json(r).await["message"].as_str().unwrap().to_string();
        assert!(
            message.starts_with("unable to parse '"),
            "{line:?}: {message}"
        );
    }
    // Nothing of a refused batch was written.
    still_answers(&s).await;
    let r = s.write(&"m\n".repeat(100_000), TOKEN).await;
    assert_eq!(r.status(), 400);
    let message = json(r).await["message"].as_str().unwrap().to_string();
    assert_eq!(
        message.lines().count(),
        tsdb::line_protocol::REPORTED_BAD_LINES + 1
    );
    assert!(message.ends_with("… and 99995 more bad lines"), "{message}");
    still_answers(&s).await;
}

#[tokio::test]
async fn a_large_result_streams_whole_and_a_limit_hit_midway_ends_it_with_the_error_table() {
    let s = start_with(tsdb::Config {
        query_limits: tsdb::flux::Limits {
            max_rows: 150_000,
            ..tsdb::flux::Limits::default()
        },
        ..tsdb::Config::default()
    })
    .await;
    // 10 series of 20,000 points: 200,000 rows, megabytes of CSV.
    for host in 0..10 {
        let lines: Vec<String> = (1..=20_000)
            .map(|t| format!("m,host=h{host} v={t} {t}"))
            .collect();
        assert_eq!(s.write(&lines.join("\n"), TOKEN).await.status(), 204);
    }
    let one_host =
        "from(bucket: \"my-bucket\") |> range(start: 0) |> filter(fn: (r) => r.host == \"h3\")";
    let (status, csv) = s.query(one_host, TOKEN).await;
    assert_eq!(status, 200);
    assert!(csv.len() > 1 << 20, "{} bytes", csv.len());
    assert_eq!(csv.matches(",v,m,h3\r\n").count(), 20_000);
    assert!(csv.ends_with("\r\n\r\n") && !csv.contains("error"));

    // The whole bucket is past the limit, which the read reaches after tables were sent.
    let (status, csv) = s
        .query("from(bucket: \"my-bucket\") |> range(start: 0)", TOKEN)
        .await;
    assert_eq!(status, 200, "the answer had started");
    assert!(csv.contains(",v,m,h0\r\n"), "the first series came");
    assert!(
        csv.ends_with(",error,reference\r\n,query exceeded its limit of 150000 rows,\r\n"),
        "{}",
        &csv[csv.len() - 300..]
    );
}
