//! Who gets what: every server function and JSON route, called by a stranger, a viewer and
//! an operator; signing in and out; a session that outlives a restart.

mod common;

use common::{add_token, add_user, server_fn_name, server_fn_path, start, start_in};
use iot_models::Role;
use reqwest::{header, redirect, StatusCode};

/// The role each server function needs, and arguments it accepts (roles are checked once
/// the arguments are read). A server function missing here fails the test: a new one must
/// say who may call it.
const NEEDS: [(&str, &str, &str); 52] = [
    ("find_devices", "viewer", "query[prefix]=dev&query[page]=0"),
    ("get_fleet_overview", "viewer", ""),
    ("list_pending_devices", "viewer", ""),
    ("dismiss_device", "operator", "id=dev-x"),
    ("get_device", "viewer", "id=dev-x"),
    ("get_writer_status", "viewer", ""),
    (
        "device_measurements",
        "viewer",
        "id=dev-x&window[range]=1h&page=0",
    ),
    ("device_dashboard", "viewer", "id=dev-x&window[range]=1h"),
    ("device_field_stats", "viewer", "id=dev-x"),
    (
        "compare_devices",
        "viewer",
        "devices[0]=dev-x&field=CO2&window[range]=1h",
    ),
    ("device_positions", "viewer", ""),
    ("app_health", "viewer", ""),
    ("app_metrics", "viewer", "window[range]=1h"),
    ("list_buckets", "viewer", ""),
    ("whoami", "viewer", ""),
    ("register_device", "operator", "id=dev-x"),
    ("import_devices", "operator", "csv=dev-z"),
    ("reveal_token", "operator", "id=dev-x"),
    (
        "remove_device",
        "operator",
        "id=dev-y&delete_telemetry=false",
    ),
    ("write_point_now", "operator", "devices[0]=dev-x"),
    ("start_backfill", "operator", "devices[0]=dev-x&days=1"),
    (
        "start_writer",
        "operator",
        "devices[0]=dev-x&interval_seconds=60&over=Http",
    ),
    ("stop_writer", "operator", ""),
    ("list_accounts", "admin", ""),
    (
        "add_user",
        "admin",
        "name=zed&role=viewer&password=zed-password",
    ),
    ("set_user_role", "admin", "name=zed&role=viewer"),
    ("reset_password", "admin", "name=zed&password=zed-password"),
    ("remove_user", "admin", "name=zed"),
    ("add_api_token", "admin", "name=t2&role=viewer"),
    ("remove_api_token", "admin", "name=t2"),
    ("get_alerts", "viewer", ""),
    (
        "add_alert_rule",
        "operator",
        "rule[name]=n&rule[devices]=*&rule[kind]=silent&rule[silent_seconds]=60",
    ),
    ("remove_alert_rule", "operator", "id=x"),
    (
        "add_alert_endpoint",
        "operator",
        "endpoint[name]=n&endpoint[kind]=webhook&endpoint[url]=https://hooks.example.com/x",
    ),
    ("remove_alert_endpoint", "operator", "id=x"),
    ("test_alert_endpoint", "operator", "id=x"),
    ("acknowledge_alert", "operator", "id=x:y&note=n"),
    ("list_dashboards", "viewer", ""),
    ("dashboards_for", "viewer", "id=dev-x"),
    ("open_dashboard", "viewer", "id=x"),
    ("device_page_of", "viewer", "id=dev-x"),
    ("set_device_page", "operator", "id=x&on=true"),
    ("new_dashboard", "operator", "title=t&prefix=dev"),
    ("create_dashboard", "operator", "json=x"),
    ("save_dashboard", "operator", "id=x&version=1&json=x"),
    ("dashboard_versions", "viewer", "id=x"),
    ("restore_dashboard_version", "operator", "id=x&version=1"),
    ("remove_dashboard", "operator", "id=x"),
    ("share_dashboard", "operator", "id=x&hours=1"),
    ("list_share_links", "operator", ""),
    ("revoke_share_link", "operator", "id=x"),
    // Anyone with a share link's token; without one, nobody (a stranger learns nothing).
    ("shared_dashboard", SHARE_LINK, "token=share_x"),
];

/// What [`NEEDS`] says of the server function a share link's token opens.
const SHARE_LINK: &str = "a share link";

/// The server functions' paths (`/api/<name><hash>`), with the role each needs and
/// arguments for it.
fn server_functions() -> Vec<(String, &'static str, &'static str)> {
    // Linking the app registers its server functions.
    let _ = app::App;
    leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| {
            let name = server_fn_name(path);
            let (_, role, args) = NEEDS
                .iter()
                .find(|(n, _, _)| *n == name)
                .unwrap_or_else(|| panic!("server function {name} ({path}) is not in NEEDS"));
            (path.to_string(), *role, *args)
        })
        .collect()
}

fn client(token: Option<&str>) -> reqwest::Client {
    let mut headers = header::HeaderMap::new();
    if let Some(token) = token {
        headers.insert(
            header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
    }
    reqwest::Client::builder()
        .default_headers(headers)
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn every_server_function_checks_its_caller() {
    let s = start().await;
    let viewer = add_token(s._dir.path(), "viewer", "viewer");
    let operator = add_token(s._dir.path(), "operator", "operator");
    let functions = server_functions();
    assert_eq!(functions.len(), NEEDS.len(), "{functions:?}");
    for (path, needs, args) in &functions {
        let call = |token: Option<&str>| {
            client(token)
                .post(format!("{}{path}", s.url))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(*args)
                .send()
        };
        if *needs == SHARE_LINK {
            for token in [None, Some(viewer.as_str()), Some(operator.as_str())] {
                let answer = call(token).await.unwrap();
                assert_eq!(answer.status(), StatusCode::NOT_FOUND, "{path}");
                let reason = answer.text().await.unwrap();
                assert!(reason.contains("this link does not work"), "{reason}");
            }
            continue;
        }
        let anonymous = call(None).await.unwrap();
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert!(
            anonymous.text().await.unwrap().contains("sign in first"),
            "{path}"
        );
        for (role, token) in [("viewer", &viewer), ("operator", &operator)] {
            let answer = call(Some(token)).await.unwrap();
            let status = answer.status();
            let (role, needs) = (Role::parse(role).unwrap(), Role::parse(needs).unwrap());
            if role < needs {
                assert_eq!(status, StatusCode::FORBIDDEN, "{path} as {role}");
                let reason = answer.text().await.unwrap();
                assert!(
                    reason.contains(&format!("this needs the {needs} role")),
                    "{reason}"
                );
            } else {
                assert!(
                    status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED,
                    "{path} as {role}: {status}"
                );
            }
        }
    }
    let me = call_with(&s.url, Some(&viewer), "whoami").await;
    assert_eq!(me.0, StatusCode::OK);
    assert_eq!(me.1.unwrap()["role"], "viewer");
    let bad = call_with(&s.url, Some("not-a-token"), "whoami").await;
    assert_eq!(bad.0, StatusCode::UNAUTHORIZED);
}

/// Calls the server function `name` without arguments: its status and JSON answer.
async fn call_with(
    url: &str,
    token: Option<&str>,
    name: &str,
) -> (StatusCode, Option<serde_json::Value>) {
    let path = server_fn_path(name);
    let r = client(token)
        .post(format!("{url}{path}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body = r.json().await.ok().filter(|_| status == StatusCode::OK);
    (status, body)
}

#[tokio::test]
async fn json_routes_and_pages_need_a_caller() {
    let s = start().await;
    add_user(s._dir.path(), "alice", "admin", "alice-password");
    let viewer = add_token(s._dir.path(), "viewer", "viewer");
    let operator = add_token(s._dir.path(), "operator", "operator");
    let anonymous = client(None);
    let get = |c: &reqwest::Client, path: &str| c.get(format!("{}{path}", s.url)).send();
    for path in [
        "/api/devices",
        "/export.csv?devices=a&fields=CO2",
        "/status",
    ] {
        let r = get(&anonymous, path).await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    // A browser asking for a page is sent to sign in, and back afterwards.
    let page = anonymous
        .get(format!("{}/devices/x?range=1d", s.url))
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        page.headers()[header::LOCATION],
        "/login?next=%2Fdevices%2Fx%3Frange%3D1d"
    );
    // Public: signing in, health, the device API, static files (which exist once the site
    // is built: here the gate must only let them through).
    for path in ["/login", "/health", "/api/health"] {
        let r = get(&anonymous, path).await.unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
    }
    for path in [
        "/favicon.svg",
        "/pkg/iot-center.css",
        "/vendor/uplot/uPlot.min.css",
        "/schemas/dashboard.schema.json",
    ] {
        let status = get(&anonymous, path).await.unwrap().status();
        assert!(
            status != StatusCode::UNAUTHORIZED && status != StatusCode::SEE_OTHER,
            "{path}: {status}"
        );
    }
    assert_eq!(
        get(&client(Some(&viewer)), "/api/devices")
            .await
            .unwrap()
            .status(),
        200
    );
    let delete = |token: &str| {
        client(Some(token))
            .delete(format!("{}/api/devices/never-registered", s.url))
            .send()
    };
    assert_eq!(
        delete(&viewer).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        delete(&operator).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn sign_in_and_out_and_the_session_outlives_a_restart() {
    let s = start().await;
    add_user(s._dir.path(), "alice", "operator", "alice-password");
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .build()
        .unwrap();
    let login = |password: &str| {
        browser
            .post(format!("{}/login", s.url))
            .form(&[
                ("username", "alice"),
                ("password", password),
                ("next", "/devices"),
            ])
            .send()
    };
    // Past the longest password there is: refused before anything is hashed; past the
    // form's 4 KiB, before it is read.
    let long = "x".repeat(iot_models::MAX_PASSWORD + 1);
    let oversized = login(&long).await.unwrap();
    assert_eq!(
        oversized.headers()[header::LOCATION],
        "/login?error=wrong+name+or+password&next=%2Fdevices"
    );
    // From a client of its own: the server closes a connection whose body it refused
    // unread, and a pooled connection closed that way fails the next request sent on it.
    let oversized = reqwest::Client::new()
        .post(format!("{}/login", s.url))
        .form(&[("username", "alice"), ("password", &"x".repeat(100_000))])
        .send()
        .await;
    assert!(common::refused_unread(oversized));
    let wrong = login("wrong-password").await.unwrap();
    assert_eq!(wrong.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        wrong.headers()[header::LOCATION],
        "/login?error=wrong+name+or+password&next=%2Fdevices"
    );
    let right = login("alice-password").await.unwrap();
    assert_eq!(right.headers()[header::LOCATION], "/devices");
    let cookie = right.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let devices = |c: &reqwest::Client, url: &str| c.get(format!("{url}/api/devices")).send();
    assert_eq!(devices(&browser, &s.url).await.unwrap().status(), 200);

    // The same cookie after a restart on the same data directory.
    let url = s.url.clone();
    let s = start_in(s.stop()).await;
    let session = cookie.split(';').next().unwrap().to_string();
    let same_cookie = |url: &str| {
        reqwest::Client::new()
            .get(format!("{url}/api/devices"))
            .header(header::COOKIE, &session)
            .send()
    };
    assert_ne!(url, s.url);
    assert_eq!(same_cookie(&s.url).await.unwrap().status(), 200);

    let out = browser
        .post(format!("{}/logout", s.url))
        .header(header::COOKIE, &session)
        .send()
        .await
        .unwrap();
    assert_eq!(out.headers()[header::LOCATION], "/login");
    assert_eq!(
        same_cookie(&s.url).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_name_for_a_while() {
    let s = start().await;
    add_user(s._dir.path(), "bob", "viewer", "bob-password");
    let login = |password: &'static str| {
        client(None)
            .post(format!("{}/login", s.url))
            .form(&[("username", "bob"), ("password", password)])
            .send()
    };
    for _ in 0..5 {
        login("guess-guess").await.unwrap();
    }
    let locked = login("bob-password").await.unwrap();
    let location = locked.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    assert!(location.contains("too+many+failed+attempts"), "{location}");
}

#[tokio::test]
async fn foreign_hosts_and_cross_site_posts_are_refused() {
    let s = start().await;
    add_user(s._dir.path(), "carol", "admin", "carol-password");
    let http = client(None);
    let rebound = http
        .get(format!("{}/login", s.url))
        .header(header::HOST, "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), StatusCode::MISDIRECTED_REQUEST);
    let (path, _, _) = server_functions().into_iter().next().unwrap();
    for target in ["/login", path.as_str()] {
        let forged = http
            .post(format!("{}{target}", s.url))
            .header("origin", "https://evil.example")
            .form(&[("username", "carol"), ("password", "carol-password")])
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), StatusCode::FORBIDDEN, "{target}");
        let forged = http
            .post(format!("{}{target}", s.url))
            .header("sec-fetch-site", "cross-site")
            .form(&[("username", "carol"), ("password", "carol-password")])
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), StatusCode::FORBIDDEN, "{target}");
    }
    let page = http.get(format!("{}/login", s.url)).send().await.unwrap();
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
}
