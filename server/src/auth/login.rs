//! `POST /login`, `POST /logout` and `POST /setup` (`setup.rs`): plain form posts, so scripts
//! and password managers find them. Failures go back to the form with the reason in the URL. Sign-ins are
//! throttled per name and per address (`throttle`); the forms' bodies are small.

use super::setup::{set_up, SetupCode};
use super::throttle::{client_key, Throttle};
use super::{AuthSession, Credentials};
use crate::surface::Proxy;
use axum::extract::{ConnectInfo, DefaultBodyLimit};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Router};
use iot_core::accounts::Accounts;
use iot_models::{MAX_NAME_LEN, MAX_PASSWORD};

/// The largest sign-in or setup form: a name and a password at their limits, encoded, fit.
pub const FORM_BYTES: usize = 4 * 1024;

/// The routes; `proxy` says whether a proxy's `X-Forwarded-For` names the client, `code`
/// what `/setup` asks for.
pub fn routes(proxy: Proxy, code: SetupCode, throttle: Throttle) -> Router<Accounts> {
    Router::new()
        .route(
            "/login",
            post(move |auth, from, headers, form| {
                login(
                    auth,
                    throttle.clone(),
                    proxy.client(&headers, peer(from)),
                    form,
                )
            }),
        )
        .route("/logout", post(logout))
        .route(
            "/setup",
            post(move |accounts, auth, form| set_up(accounts, code.clone(), auth, form)),
        )
        .layer(DefaultBodyLimit::max(FORM_BYTES))
}

#[derive(serde::Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// Where to go after signing in: a path of this site only. A browser drops tabs and
/// newlines from a URL and reads `\` as `/`, so `/\t/evil.example` would be
/// `//evil.example`: any control character or backslash, raw or percent-encoded, and any
/// second slash at the start, send the user home instead.
fn local(next: &str) -> &str {
    let safe = |path: &str| {
        path.starts_with('/')
            && !path[1..].starts_with('/')
            && !path.chars().any(|c| c.is_control() || c == '\\')
    };
    let decoded: String = form_urlencoded::parse(format!("p={next}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    if safe(next) && safe(&decoded) {
        next
    } else {
        "/"
    }
}

pub(super) fn back_to(page: &str, error: &str, next: &str) -> Response {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("error", error)
        .append_pair("next", next)
        .finish();
    Redirect::to(&format!("{page}?{query}")).into_response()
}

/// Every hasher busy past the wait: 503, try again shortly.
pub(super) fn busy(message: &str) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [("retry-after", "2")],
        message.to_string(),
    )
        .into_response()
}

fn peer(ConnectInfo(from): ConnectInfo<std::net::SocketAddr>) -> std::net::IpAddr {
    from.ip()
}

async fn login(
    mut auth: AuthSession,
    throttle: Throttle,
    client: std::net::IpAddr,
    Form(form): Form<LoginForm>,
) -> Response {
    let name = form.username.trim().to_string();
    let next = local(&form.next).to_string();
    let address = client_key(client);
    let failed = |e: iot_core::Error| back_to("/login", &format!("could not sign in: {e}"), &next);
    match throttle.blocked(&name, &address).await {
        Ok(false) => {}
        Ok(true) => return back_to("/login", "too many failed attempts: wait 15 minutes", &next),
        Err(e) => return failed(e),
    }
    // No account has a longer name or password: refused before anything is hashed or kept.
    if name.len() > MAX_NAME_LEN || form.password.chars().count() > MAX_PASSWORD {
        return match throttle.failed(None, &address).await {
            Ok(()) => back_to("/login", "wrong name or password", &next),
            Err(e) => failed(e),
        };
    }
    let credentials = Credentials {
        username: name.clone(),
        password: form.password,
    };
    match auth.authenticate(credentials).await {
        Ok(Some(user)) => {
            if let Err(e) = throttle.succeeded(&name).await {
                return failed(e);
            }
            match auth.login(&user).await {
                Ok(()) => Redirect::to(&next).into_response(),
                Err(e) => back_to("/login", &format!("could not sign in: {e}"), &next),
            }
        }
        Ok(None) => match throttle.failed(Some(&name), &address).await {
            Ok(()) => back_to("/login", "wrong name or password", &next),
            Err(e) => failed(e),
        },
        Err(axum_login::Error::Backend(iot_core::Error::Busy(m))) => busy(&m),
        Err(e) => back_to("/login", &format!("could not sign in: {e}"), &next),
    }
}

async fn logout(mut auth: AuthSession) -> Redirect {
    let _ = auth.logout().await;
    Redirect::to("/login")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_a_sign_in_only_this_site() {
        for own in ["/devices/a?range=1d", "/", "/data?device=a%20b"] {
            assert_eq!(local(own), own);
        }
        for foreign in [
            "https://evil.example/",
            "//evil.example/x",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/%09/evil.example",
            "/%5Cevil.example",
            "/%2F/evil.example",
            " //evil.example",
            "javascript:alert(1)",
            "",
        ] {
            assert_eq!(local(foreign), "/", "{foreign:?}");
        }
    }
}
