//! Every server function's arguments are bounded, and an argument past its bound is the
//! caller's mistake: 400 with the reason, and the server carries on.

mod common;

use common::start;
use reqwest::StatusCode;

/// `devices[0]=…&devices[1]=…`, `n` distinct ids.
fn devices(n: usize) -> String {
    (0..n)
        .map(|i| format!("devices[{i}]=dev-{i}"))
        .collect::<Vec<_>>()
        .join("&")
}

#[tokio::test]
async fn a_comparison_takes_at_most_100_devices_and_says_so() {
    let s = start().await;
    let s = &s;
    let compare = |selection: String, window: &str| {
        let form = format!("{selection}&field=CO2&{window}");
        async move {
            let r = s.call("compare_devices", &form).await;
            (r.status(), r.text().await.unwrap())
        }
    };
    let hour = "window[range]=1h";
    let (status, _) = compare(devices(100), hour).await;
    assert_eq!(status, StatusCode::OK);
    for n in [101, 30_000] {
        let (status, reason) = compare(devices(n), hour).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{n} devices");
        assert!(reason.contains("choose at most 100 devices"), "{reason}");
    }
    let (status, reason) = compare(
        devices(1),
        "window[range]=custom&window[from]=1500-01-01T00:00&window[to]=1500-02-01T00:00",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(reason.contains("1970"), "{reason}");
    let (status, reason) = compare(devices(1), "window[range]=forever").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(reason.contains("unknown time range"), "{reason}");
    // Still serving.
    assert_eq!(
        s.call("find_devices", "query[page]=0").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn errors_from_the_domain_keep_their_status() {
    let s = start().await;
    let missing = s.call("reveal_token", "id=never-registered").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(missing.text().await.unwrap().contains("never-registered"));
    let bad_id = s.call("get_device", "id=a%20b").await;
    assert_eq!(bad_id.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_device_list_search_is_bounded_and_says_so() {
    let s = start().await;
    let search = |form: String| {
        let s = &s;
        async move {
            let r = s.call("find_devices", &form).await;
            (r.status(), r.text().await.unwrap())
        }
    };
    let at_bounds = format!("query[prefix]={}&query[page]=20000", "a".repeat(64));
    assert_eq!(search(at_bounds).await.0, StatusCode::OK);
    let (status, reason) = search("query[prefix]=esp&query[page]=20001".into()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(reason.contains("past the last possible one"), "{reason}");
    let (status, reason) = search(format!("query[prefix]={}", "a".repeat(65))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(reason.contains("at most 64 characters"), "{reason}");
    let (status, reason) = search("query[prefix]=a%22b".into()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        reason.contains("not allowed in a device id prefix"),
        "{reason}"
    );
}
