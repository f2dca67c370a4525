//! Connections no client can hold: a half-sent request is closed after the header timeout,
//! on the web listener and the store's alike, while the server goes on answering; past the
//! bound on open connections a new one is closed as it is accepted.

mod common;

use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tsdb::serve::{HEADER_TIMEOUT, MAX_CONNECTIONS};

/// Connections to `base` (`http://host:port`), each having sent `start` and nothing more.
async fn hanging(base: &str, n: usize, start: &[u8]) -> Vec<TcpStream> {
    let addr = base.trim_start_matches("http://").to_string();
    let mut open = Vec::with_capacity(n);
    for _ in 0..n {
        let mut c = TcpStream::connect(&addr).await.unwrap();
        c.write_all(start).await.unwrap();
        open.push(c);
    }
    open
}

/// Whether the server closes `c` before `deadline`.
async fn closed_by(c: &mut TcpStream, deadline: Instant) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout_at(deadline.into(), c.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            // A 408 or the like before the close.
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_are_closed_and_the_server_answers_meanwhile() {
    let s = common::start().await;
    let started = Instant::now();
    let mut web = hanging(&s.url, 1_500, b"GET /api/hea").await;
    let mut store = hanging(&s.store, 100, b"POST /api/v2/wri").await;
    let probe = reqwest::Client::builder()
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    for url in [
        format!("{}/api/health", s.url),
        format!("{}/health", s.store),
    ] {
        assert_eq!(probe.get(&url).send().await.unwrap().status(), 200, "{url}");
    }
    let deadline = started + HEADER_TIMEOUT + Duration::from_secs(10);
    for (n, c) in web.iter_mut().chain(store.iter_mut()).enumerate() {
        assert!(closed_by(c, deadline).await, "connection {n} still open");
    }
    // None closed early: the timeout is the header timeout.
    assert!(started.elapsed() >= HEADER_TIMEOUT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_bound_a_new_connection_is_closed_at_once() {
    let s = common::start().await;
    let mut held = hanging(&s.store, MAX_CONNECTIONS, b"").await;
    let mut past = hanging(&s.store, 20, b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n").await;
    let soon = Instant::now() + Duration::from_secs(2);
    for (n, c) in past.iter_mut().enumerate() {
        // Closed unanswered: no status line came before the close.
        let mut answer = Vec::new();
        let read = tokio::time::timeout_at(soon.into(), c.read_to_end(&mut answer)).await;
        assert!(read.is_ok(), "connection {n} past the bound is still open");
        assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    }
    // Once the held ones are gone, the store answers again.
    held.clear();
    common::wait_for(&format!("{}/health", s.store), 10, |status, _| {
        status == 200
    })
    .await;
}

/// A request to `base` whose body of `length` bytes comes a byte every 300 ms: what the
/// server answers first, and when.
async fn trickled(base: &str, head: &str, length: usize) -> (String, Duration) {
    let addr = base.trim_start_matches("http://").to_string();
    let c = TcpStream::connect(&addr).await.unwrap();
    let (mut read, mut write) = c.into_split();
    write
        .write_all(format!("{head}\r\ncontent-length: {length}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let started = Instant::now();
    let sender = tokio::spawn(async move {
        for _ in 0..length {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if write.write_all(b"a").await.is_err() {
                break;
            }
        }
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        match tokio::time::timeout(Duration::from_secs(30), read.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => answer.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    let took = started.elapsed();
    sender.abort();
    (String::from_utf8_lossy(&answer).into_owned(), took)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_past_its_time_bound_gets_503_on_every_listener() {
    let s = common::start_with(&[("REQUEST_TIMEOUT", "2")]).await;
    let sign_in = trickled(
        &s.url,
        "POST /login HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/x-www-form-urlencoded",
        200,
    );
    let write_head = format!(
        "POST /api/v2/write?org=iot-center&bucket=iot_center HTTP/1.1\r\nhost: localhost\r\nauthorization: {}",
        s.operator()
    );
    let store_write = trickled(&s.store, &write_head, 200);
    let probe = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        reqwest::Client::builder()
            .timeout(Duration::from_secs(1))
            .build()
            .unwrap()
            .get(format!("{}/api/health", s.url))
            .send()
            .await
            .map(|r| r.status())
    };
    let ((web, web_took), (store, store_took), health) = tokio::join!(sign_in, store_write, probe);
    assert_eq!(health.unwrap(), 200, "the server answers meanwhile");
    for (answer, took) in [(web, web_took), (store, store_took)] {
        assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
        assert!(
            took >= Duration::from_secs(2) && took < Duration::from_secs(6),
            "{took:?}"
        );
    }
    // Nothing of the trickled write was stored.
    assert_eq!(s.telemetry_values().await, 0);
}
