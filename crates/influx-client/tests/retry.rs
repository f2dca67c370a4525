//! Retries against a local stub: 503 with `Retry-After`, then 204; never on 4xx.

use axum::http::StatusCode;
use axum::response::IntoResponse;
use influx_client::{Client, ClientConfig, Point, Precision};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A stub that answers `first` for the first `times` requests, then 204; counts requests.
async fn stub(first: StatusCode, times: usize) -> (String, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let app = axum::Router::new().fallback(move || {
        let seen = seen.clone();
        async move {
            if seen.fetch_add(1, Ordering::SeqCst) < times {
                (
                    first,
                    [("retry-after", "1")],
                    r#"{"code":"unavailable","message":"busy"}"#,
                )
                    .into_response()
            } else {
                StatusCode::NO_CONTENT.into_response()
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, count)
}

fn point() -> [Point; 1] {
    [Point::new("m").field("v", 1.0)]
}

#[tokio::test]
async fn waits_for_retry_after_then_succeeds() {
    let (url, count) = stub(StatusCode::SERVICE_UNAVAILABLE, 1).await;
    // An id-shaped org skips the lookup; the stub answers 204 to it.
    let c = Client::new(ClientConfig::new(&url, "t", "0123456789abcdef")).unwrap();
    let started = Instant::now();
    c.write("b", Precision::S, &point()).await.unwrap();
    assert_eq!(count.load(Ordering::SeqCst), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was honoured"
    );
}

#[tokio::test]
async fn gives_up_after_the_bound() {
    let (url, count) = stub(StatusCode::TOO_MANY_REQUESTS, 100).await;
    let config = ClientConfig {
        max_retries: 2,
        ..ClientConfig::new(&url, "t", "0123456789abcdef")
    };
    let e = Client::new(config)
        .unwrap()
        .write("b", Precision::S, &point())
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(429));
    assert!(
        matches!(e, influx_client::Error::Api { retry_after: Some(d), .. } if d == Duration::from_secs(1))
    );
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn never_retries_client_errors() {
    let (url, count) = stub(StatusCode::BAD_REQUEST, 100).await;
    let e = Client::new(ClientConfig::new(&url, "t", "0123456789abcdef"))
        .unwrap()
        .write("b", Precision::S, &point())
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(400));
    assert_eq!(count.load(Ordering::SeqCst), 1);
}
