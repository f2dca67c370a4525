//! Sign-in under attack, on the real binary: the lockout survives a flood of throw-away
//! names, long names and big forms are refused before they are kept, password hashes are
//! bounded, `next=` never leaves the site, and cookies say `Secure` where the site is HTTPS.

mod common;

use common::{add_user, start_configured};
use reqwest::{header, StatusCode};

/// A client that shows redirects instead of following them.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// `POST /login` from `client` (an `X-Forwarded-For` address the server trusts): the status
/// and where it redirects.
async fn sign_in(
    http: &reqwest::Client,
    url: &str,
    client: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    let r = http
        .post(format!("{url}/login"))
        .header("x-forwarded-for", client)
        .form(form)
        .send()
        .await
        .unwrap();
    let to = r
        .headers()
        .get(header::LOCATION)
        .map_or(String::new(), |l| l.to_str().unwrap().to_string());
    (r.status(), to)
}

async fn server_with_alice(env: &[(&str, &str)]) -> common::Server {
    let dir = tempfile::tempdir().unwrap();
    add_user(dir.path(), "alice", "viewer", "alice-password");
    start_configured(dir, env).await
}

#[tokio::test]
async fn a_flood_of_throw_away_names_does_not_flush_the_lockout() {
    let s = server_with_alice(&[("TRUST_PROXY", "true")]).await;
    let http = browser();
    // 10,050 failures with names no account can have, each from an address of its own.
    let long = "x".repeat(65);
    let mut flood = tokio::task::JoinSet::new();
    for worker in 0..16 {
        let (http, url, long) = (http.clone(), s.url.clone(), long.clone());
        flood.spawn(async move {
            for n in (worker..10_050).step_by(16) {
                let client = format!("10.{}.{}.{}", n / 65_536, n / 256 % 256, n % 256);
                let name = format!("{long}{n}");
                let (status, _) = sign_in(
                    &http,
                    &url,
                    &client,
                    &[("username", &name), ("password", "p")],
                )
                .await;
                assert_eq!(status, StatusCode::SEE_OTHER);
            }
        });
    }
    flood.join_all().await;
    // Then guesses at a real account, from addresses of their own: the sixth is refused
    // unheard, and so is the right password.
    for n in 0..8 {
        let (_, to) = sign_in(
            &http,
            &s.url,
            &format!("192.168.0.{n}"),
            &[("username", "alice"), ("password", "guess")],
        )
        .await;
        let refused = to.contains("too+many+failed+attempts");
        assert_eq!(refused, n >= 5, "guess {n}: {to}");
    }
    let (_, to) = sign_in(
        &http,
        &s.url,
        "192.168.1.1",
        &[("username", "alice"), ("password", "alice-password")],
    )
    .await;
    assert!(to.contains("too+many+failed+attempts"), "{to}");
}

#[tokio::test]
async fn one_address_gets_twenty_tries_at_any_names() {
    let s = server_with_alice(&[("TRUST_PROXY", "true")]).await;
    let http = browser();
    for n in 0..20 {
        let name = format!("nobody-{n}");
        let (_, to) = sign_in(
            &http,
            &s.url,
            "10.0.0.9",
            &[("username", &name), ("password", "p")],
        )
        .await;
        assert!(to.contains("wrong+name"), "{n}: {to}");
    }
    let right = [("username", "alice"), ("password", "alice-password")];
    let (_, to) = sign_in(&http, &s.url, "10.0.0.9", &right).await;
    assert!(to.contains("too+many+failed+attempts"), "{to}");
    // Another address signs in.
    let (status, to) = sign_in(&http, &s.url, "10.0.0.10", &right).await;
    assert_eq!((status, to.as_str()), (StatusCode::SEE_OTHER, "/"));
}

#[tokio::test]
async fn big_forms_are_refused_and_next_stays_on_this_site() {
    let s = server_with_alice(&[]).await;
    let http = browser();
    let form = |name: &str| format!("username={name}&password=p&next=%2F");
    let at_limit = form(&"a".repeat(4_096 - form("").len()));
    assert_eq!(at_limit.len(), 4_096);
    let post = |body: String| {
        http.post(format!("{}/login", s.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    assert_eq!(
        post(at_limit.clone()).await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    let past = format!("{at_limit}a");
    assert_eq!(
        post(past).await.unwrap().status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    let megabyte = form(&"a".repeat(1 << 20));
    assert!(common::refused_unread(post(megabyte).await));
    let setup = http
        .post(format!("{}/setup", s.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&"a".repeat(8_192)))
        .send()
        .await
        .unwrap();
    assert!(
        matches!(
            setup.status(),
            StatusCode::PAYLOAD_TOO_LARGE | StatusCode::SEE_OTHER
        ),
        "{}",
        setup.status()
    );

    for (next, to) in [
        ("/devices?q=a", "/devices?q=a"),
        ("/\t/evil.example", "/"),
        ("/%09/evil.example", "/"),
        ("/\\evil.example", "/"),
        ("//evil.example", "/"),
        ("https://evil.example", "/"),
    ] {
        let r = http
            .post(format!("{}/login", s.url))
            .form(&[
                ("username", "alice"),
                ("password", "alice-password"),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()[header::LOCATION], to, "{next:?}");
    }
}

#[tokio::test]
async fn many_sign_ins_at_once_wait_for_a_hasher_or_are_told_to_come_back() {
    let s = server_with_alice(&[("TRUST_PROXY", "true")]).await;
    let http = browser();
    let mut at_once = tokio::task::JoinSet::new();
    for n in 0..96 {
        let (http, url) = (http.clone(), s.url.clone());
        at_once.spawn(async move {
            let name = format!("unknown-{n}");
            let client = format!("10.2.0.{n}");
            let r = http
                .post(format!("{url}/login"))
                .header("x-forwarded-for", client)
                .form(&[("username", name.as_str()), ("password", "p")])
                .send()
                .await
                .unwrap();
            (r.status(), r.headers().contains_key(header::RETRY_AFTER))
        });
    }
    // The server answers meanwhile.
    let health = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(1))
        .build()
        .unwrap();
    let probe = health
        .get(format!("{}/api/health", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(probe.status(), StatusCode::OK);
    for (status, retry_after) in at_once.join_all().await {
        match status {
            StatusCode::SEE_OTHER => {}
            StatusCode::SERVICE_UNAVAILABLE => assert!(retry_after),
            other => panic!("{other}"),
        }
    }
}

#[tokio::test]
async fn session_cookies_say_secure_where_the_site_is_https() {
    let right = [("username", "alice"), ("password", "alice-password")];
    let cookie = |r: &reqwest::Response| {
        r.headers()
            .get(header::SET_COOKIE)
            .map(|c| c.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let always = server_with_alice(&[("COOKIE_SECURE", "true")]).await;
    let r = browser()
        .post(format!("{}/login", always.url))
        .form(&right)
        .send()
        .await
        .unwrap();
    assert!(cookie(&r).contains("; Secure"), "{}", cookie(&r));

    let proxied = server_with_alice(&[("TRUST_PROXY", "true")]).await;
    let through = |proto: Option<&'static str>| {
        let r = browser()
            .post(format!("{}/login", proxied.url))
            .form(&right);
        match proto {
            Some(p) => r.header("x-forwarded-proto", p),
            None => r,
        }
    };
    let https = through(Some("https")).send().await.unwrap();
    assert!(cookie(&https).contains("; Secure"), "{}", cookie(&https));
    let plain = through(None).send().await.unwrap();
    assert!(cookie(&plain).contains("iot_center_session"));
    assert!(!cookie(&plain).contains("Secure"), "{}", cookie(&plain));
}
