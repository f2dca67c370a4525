//! Several instances, one product (#29): two `iot-center`s on one PostgreSQL (a throwaway
//! server, `test-postgres`) and one InfluxDB (a `tsdb` in this test's process), requests
//! alternating between them.

mod common;

use common::alerts::{device, endpoint, get, now, post, Receiver};
use common::{cli, free_port, influx, remote_iot_center, token_add, user_add, Influx, Server};
use reqwest::{header, StatusCode};
use serde_json::json;
use std::process::Command;
use std::time::{Duration, Instant};

/// One InfluxDB and one state database, for as many instances as a test starts.
struct Shared {
    influx: Influx,
    database: String,
    /// The data directory of the `iot-center` commands (their state is the database's).
    cli_dir: tempfile::TempDir,
}

impl Shared {
    async fn new() -> Shared {
        Shared {
            influx: influx().await,
            database: test_postgres::fresh_database(),
            cli_dir: tempfile::tempdir().unwrap(),
        }
    }

    /// `iot-center` as a command on the shared database.
    fn cli(&self) -> Command {
        let mut command = cli(self.cli_dir.path());
        command.env("DATABASE_URL", &self.database);
        command
    }

    /// An instance's command, on a data directory of its own.
    fn command(&self, dir: &tempfile::TempDir, port: u16) -> Command {
        let mut command = remote_iot_center(&self.influx.url, common::OPERATOR_TOKEN, port);
        command
            .arg("--data-dir")
            .arg(dir.path())
            .env("DATABASE_URL", &self.database);
        command
    }

    /// Two instances, each with the admin token.
    async fn two() -> (Shared, Server, Server) {
        let shared = Shared::new().await;
        let admin = token_add(shared.cli(), "admin", "admin");
        let (a, b) = (shared.instance(&admin).await, shared.instance(&admin).await);
        (shared, a, b)
    }

    /// A new instance, ready; `token` is an admin token of the shared state (or empty).
    async fn instance(&self, token: &str) -> Server {
        self.instance_with(token, &[]).await
    }

    /// A new instance with these environment variables besides the tests' defaults.
    async fn instance_with(&self, token: &str, env: &[(&str, &str)]) -> Server {
        let (dir, port) = (tempfile::tempdir().unwrap(), free_port());
        let mut command = self.command(&dir, port);
        command.envs(env.iter().copied());
        Server::spawn(command, dir, token.to_string(), port, "/ready").await
    }
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// `POST /login` at `url`: the session cookie when it worked, else where it sent us.
async fn sign_in(url: &str, name: &str, password: &str) -> Result<String, String> {
    let r = no_redirects()
        .post(format!("{url}/login"))
        .form(&[("username", name), ("password", password), ("next", "/")])
        .send()
        .await
        .unwrap();
    let to = r.headers()[header::LOCATION].to_str().unwrap().to_string();
    match r.headers().get(header::SET_COOKIE) {
        Some(c) if to == "/" => Ok(c.to_str().unwrap().split(';').next().unwrap().into()),
        _ => Err(to),
    }
}

/// The status of `GET /api/dashboards` at `url` with the session `cookie`.
async fn status_with(url: &str, cookie: &str) -> StatusCode {
    let r = reqwest::Client::new()
        .get(format!("{url}/api/dashboards"))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .unwrap();
    r.status()
}

/// Tries `attempt` every 50 ms until it gives a value, failing the test with `what` past
/// `limit`: the value, and how long it took.
async fn eventually<T>(
    limit: Duration,
    what: &str,
    mut attempt: impl AsyncFnMut() -> Option<T>,
) -> (T, Duration) {
    let started = Instant::now();
    loop {
        if let Some(value) = attempt().await {
            return (value, started.elapsed());
        }
        assert!(started.elapsed() < limit, "{what} within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits up to `within` for `url` to refuse `cookie`, failing the test past it.
async fn refused_within(url: &str, cookie: &str, within: Duration) {
    let refused =
        async || (status_with(url, cookie).await == StatusCode::UNAUTHORIZED).then_some(());
    eventually(within, "the cookie refused", refused).await;
}

#[tokio::test]
async fn a_session_made_on_one_instance_holds_on_the_other_and_ends_on_both() {
    let (shared, a, b) = Shared::two().await;
    user_add(shared.cli(), "alice", "operator", "alice-password");

    let cookie = sign_in(&a.url, "alice", "alice-password").await.unwrap();
    assert_eq!(status_with(&b.url, &cookie).await, StatusCode::OK);
    // What one instance keeps, the other shows.
    let made = a
        .client()
        .post(format!("{}/api/dashboards", a.url))
        .json(&serde_json::json!({"title": "Shared", "devices": {"prefix": ""}, "cells": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        made.status(),
        StatusCode::CREATED,
        "{:?}",
        made.text().await
    );
    let listed = b.page("/api/dashboards").await;
    assert!(listed.contains("\"Shared\""), "{listed}");

    // Signing out on B ends the session on A at once.
    let out = no_redirects()
        .post(format!("{}/logout", b.url))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    refused_within(&a.url, &cookie, Duration::from_secs(1)).await;

    // Removing a user on A ends their sessions on B within a second.
    let again = sign_in(&b.url, "alice", "alice-password").await.unwrap();
    assert_eq!(status_with(&a.url, &again).await, StatusCode::OK);
    let removed = a.call("remove_user", "name=alice").await;
    assert_eq!(removed.status(), StatusCode::OK);
    refused_within(&b.url, &again, Duration::from_secs(1)).await;
}

#[tokio::test]
async fn failed_sign_ins_count_across_instances() {
    let (shared, a, b) = Shared::two().await;
    user_add(shared.cli(), "bob", "viewer", "bob-password");
    // Five guesses, alternating: each instance saw only two or three of them.
    for n in 0..5 {
        let at = if n % 2 == 0 { &a.url } else { &b.url };
        let to = sign_in(at, "bob", "guess").await.unwrap_err();
        assert!(to.contains("wrong+name+or+password"), "guess {n}: {to}");
    }
    for at in [&a.url, &b.url] {
        let to = sign_in(at, "bob", "bob-password").await.unwrap_err();
        assert!(to.contains("too+many+failed+attempts"), "{to}");
    }
}

#[tokio::test]
async fn two_instances_starting_at_once_on_an_empty_database_migrate_it_once() {
    let shared = Shared::new().await;
    let (a, b) = tokio::join!(shared.instance(""), shared.instance(""));
    let db = sqlx::PgPool::connect(&shared.database).await.unwrap();
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(applied, [1, 2, 3, 4, 5, 6]);
    // Both serve the accounts they share.
    user_add(shared.cli(), "carol", "admin", "carol-password");
    for s in [&a, &b] {
        assert!(sign_in(&s.url, "carol", "carol-password").await.is_ok());
    }
}

/// Which of `servers` evaluates the alerts, as `/health` on the first of them says.
async fn evaluator(servers: &[&Server]) -> Option<usize> {
    let health = get(servers[0], "/health").await;
    let instances = health["instances"].as_array()?;
    let holder = instances.iter().find(|i| i["evaluates_alerts"] == true)?;
    let address = holder["address"].as_str()?;
    servers.iter().position(|s| s.url.ends_with(address))
}

#[tokio::test]
async fn one_instance_evaluates_and_another_takes_over_when_it_is_killed() {
    let shared = Shared::new().await;
    let admin = token_add(shared.cli(), "admin", "admin");
    let env = [
        ("ALERT_EVALUATE_EVERY", "1"),
        ("ALERT_ALLOWED_HOSTS", "127.0.0.1"),
    ];
    let mut servers = vec![
        shared.instance_with(&admin, &env).await,
        shared.instance_with(&admin, &env).await,
    ];
    let hook = Receiver::start(0).await;
    let endpoint = endpoint(&servers[0], &hook).await;
    let (status, _) = post(
        &servers[1],
        "/api/alert-rules",
        json!({"name": "Hot", "devices": "*", "kind": "threshold", "field": "Temperature",
               "op": ">", "value": 30, "endpoints": [endpoint]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let ten_s = Duration::from_secs(10);
    let holding = async || evaluator(&[&servers[0], &servers[1]]).await;
    let (holder, _) = eventually(ten_s, "an instance evaluates", holding).await;
    let write = device(&servers[holder], "hot-1").await;
    write(format!(
        "environment,clientId=hot-1 Temperature=35 {}",
        now()
    ))
    .await;
    let fired = hook.wait_for(1, 20).await;
    assert_eq!(fired[0].0["state"], "firing");
    // Acknowledged on the other instance: the evaluator shows it too.
    let follower = &servers[1 - holder];
    let shown =
        async || Some(get(follower, "/api/alerts").await).filter(|a| a[0]["state"] == "firing");
    let (firing, _) = eventually(
        Duration::from_secs(3),
        "the follower shows the firing",
        shown,
    )
    .await;
    let id = firing[0]["id"].as_str().unwrap().to_string();
    let ack = json!({"note": "on it"});
    let (status, _) = post(follower, &format!("/api/alerts/{id}/ack"), ack).await;
    assert_eq!(status, StatusCode::OK);
    let acked = |s: &Server| {
        let s = s.client().get(format!("{}/api/alerts", s.url)).send();
        async move { s.await.unwrap().json::<serde_json::Value>().await.unwrap() }
    };
    let seen = async || {
        (acked(&servers[holder]).await[0]["acknowledged"]["note"] == "on it").then_some(())
    };
    eventually(Duration::from_secs(5), "the evaluator shows the ack", seen).await;

    // The evaluator dies mid-firing; the other takes over within 30 s, and does not send
    // the firing again.
    let killed = servers.remove(holder).stop();
    drop(killed);
    let survivor = servers.pop().unwrap();
    let taken = async || (evaluator(&[&survivor]).await == Some(0)).then_some(());
    let (_, took_over) = eventually(Duration::from_secs(30), "a takeover", taken).await;
    let alerts = get(&survivor, "/api/alerts").await;
    assert_eq!(
        alerts[0]["acknowledged"]["note"], "on it",
        "kept through the takeover"
    );
    let write = device(&survivor, "hot-1").await;
    write(format!(
        "environment,clientId=hot-1 Temperature=20 {}",
        now()
    ))
    .await;
    let took = hook.wait_for(2, 20).await;
    let states: Vec<&str> = took
        .iter()
        .map(|(b, _)| b["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        ["firing", "resolved"],
        "took over after {took_over:?}"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(hook.took().len(), 2, "each notification once");
    eprintln!("the alert evaluator moved in {took_over:?}");
}

#[tokio::test]
async fn a_live_window_on_one_instance_gets_the_points_written_through_the_other() {
    let (_shared, a, b) = Shared::two().await;
    let write = device(&a, "live-1").await;
    // Registered on A, known to B within 5 s (A tells it, and B reads the registry again).
    let known = async || {
        let r = b
            .client()
            .get(format!("{}/api/live/live-1", b.url))
            .send()
            .await
            .unwrap();
        if r.status() != StatusCode::OK {
            assert_eq!(r.status(), StatusCode::NOT_FOUND);
            return None;
        }
        Some(r)
    };
    let (mut stream, took) = eventually(Duration::from_secs(5), "B knows live-1", known).await;
    eprintln!("B knew a device registered on A after {took:?}");
    // B says what it watches within a second; A relays from then on.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let sent = Instant::now();
    write(format!(
        "environment,clientId=live-1 Temperature=23.5 {}",
        now()
    ))
    .await;
    let mut seen = String::new();
    while !seen.contains("23.5") {
        let chunk = tokio::time::timeout(Duration::from_secs(3), stream.chunk())
            .await
            .expect("the point within 3 s")
            .unwrap()
            .expect("the stream goes on");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    eprintln!(
        "a point written on A reached B's window in {:?}",
        sent.elapsed()
    );
}

#[tokio::test]
async fn a_buffered_upload_through_one_instance_is_last_seen_on_the_other_at_once() {
    let (_shared, a, b) = Shared::two().await;
    let write = device(&a, "late-1").await;
    // An hour of readings a device kept through an outage, sent at once.
    let hour_ago = now() - 3_600;
    let lines: Vec<String> = (0..60)
        .map(|m| {
            format!(
                "environment,clientId=late-1 Temperature=20 {}",
                hour_ago + m * 60
            )
        })
        .collect();
    write(lines.join("\n")).await;
    let newest = chrono::DateTime::from_timestamp(hour_ago + 59 * 60, 0).unwrap();
    let sent = Instant::now();
    loop {
        // The device list reads B's fleet index, never InfluxDB.
        let page = b
            .call_json("find_devices", "query[prefix]=late-1&query[page]=0")
            .await;
        let late = page["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == "late-1");
        let seen = late
            .and_then(|d| d["last_seen"].as_str())
            .map(|t| chrono::DateTime::parse_from_rfc3339(t).unwrap().to_utc());
        if seen == Some(newest) {
            break;
        }
        assert!(
            sent.elapsed() < Duration::from_secs(5),
            "B's last-seen of late-1 is {seen:?}, not {newest}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("B saw the upload through A after {:?}", sent.elapsed());
}

#[tokio::test]
async fn a_device_that_asks_one_instance_is_approved_on_the_other() {
    let shared = Shared::new().await;
    let admin = token_add(shared.cli(), "admin", "admin");
    let approve = [("DEVICE_REGISTRATION", "approve")];
    let a = shared.instance_with(&admin, &approve).await;
    let b = shared.instance_with(&admin, &approve).await;
    let ask = |s: &Server| reqwest::get(format!("{}/api/env/plant-9", s.url));
    assert_eq!(ask(&a).await.unwrap().status(), StatusCode::FORBIDDEN);
    let waiting = b.call_json("list_pending_devices", "").await;
    assert_eq!(waiting["devices"][0]["id"], "plant-9", "{waiting}");
    let approved = b.call("register_device", "id=plant-9").await;
    assert_eq!(approved.status(), StatusCode::OK);
    let listed = a.call_json("list_pending_devices", "").await;
    assert_eq!(
        listed["devices"],
        json!([]),
        "approved on B, no longer waiting on A"
    );
    // A knows the registration at once (B told it), and hands the device its configuration.
    let served = async || {
        let r = ask(&a).await.unwrap();
        match r.status() {
            StatusCode::OK => Some(r.json::<serde_json::Value>().await.unwrap()),
            _ => None,
        }
    };
    let (env, _) = eventually(Duration::from_secs(5), "A serves plant-9", served).await;
    // Its token works at B's gateway too, until it is removed on A.
    let token = format!("Token {}", env["influx_token"].as_str().unwrap());
    let write = |s: &Server| {
        let url = format!(
            "{}/api/v2/write?org=remote-org&bucket=iot_center&precision=s",
            s.url
        );
        let line = format!("environment,clientId=plant-9 Temperature=20 {}", now());
        let request = reqwest::Client::new()
            .post(url)
            .header("authorization", &token);
        async move { request.body(line).send().await.unwrap().status() }
    };
    assert_eq!(write(&b).await, StatusCode::NO_CONTENT);
    let removed = a
        .call("remove_device", "id=plant-9&delete_telemetry=false")
        .await;
    assert_eq!(removed.status(), StatusCode::OK);
    let refused = async || (write(&b).await == StatusCode::UNAUTHORIZED).then_some(());
    let (_, took) = eventually(Duration::from_secs(5), "B refuses plant-9's token", refused).await;
    eprintln!("B refused the removed device's token after {took:?}");
}
