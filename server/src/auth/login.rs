//! `POST /login`, `POST /logout` and `POST /setup`: plain form posts, so scripts and password
//! managers find them. Failures go back to the form with the reason in the URL.

use super::{AuthSession, Credentials, SessionUser};
use axum::extract::State;
use axum::response::Redirect;
use axum::routing::post;
use axum::{Form, Router};
use iot_core::accounts::Accounts;
use iot_models::{AccountName, Password, MAX_NAME_LEN, MAX_PASSWORD};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub fn routes() -> Router<Accounts> {
    let throttle = Arc::new(Throttle::default());
    Router::new()
        .route(
            "/login",
            post(move |auth, form| login(auth, throttle.clone(), form)),
        )
        .route("/logout", post(logout))
        .route("/setup", post(set_up))
}

/// Failed sign-ins allowed per name within [`WINDOW`] before it is refused unheard.
const ATTEMPTS: u32 = 5;
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Names tracked at once: past this, windows that are over are forgotten first.
const TRACKED: usize = 10_000;

/// Failed sign-ins per name: guessing a password takes 5 tries per 15 minutes.
#[derive(Default)]
struct Throttle(Mutex<HashMap<String, (u32, Instant)>>);

impl Throttle {
    fn blocked(&self, name: &str) -> bool {
        let failures = self.0.lock().unwrap_or_else(|e| e.into_inner());
        failures
            .get(name)
            .is_some_and(|(n, since)| *n >= ATTEMPTS && since.elapsed() < WINDOW)
    }

    fn failed(&self, name: &str) {
        let mut failures = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() >= TRACKED {
            failures.retain(|_, (_, since)| since.elapsed() < WINDOW);
        }
        if failures.len() >= TRACKED {
            return;
        }
        let entry = failures
            .entry(name.to_string())
            .or_insert((0, Instant::now()));
        if entry.1.elapsed() >= WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }

    fn succeeded(&self, name: &str) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(name);
    }
}

#[derive(serde::Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// Where to go after signing in: a path of this site only, never another site.
fn local(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/"
    }
}

fn back_to(page: &str, error: &str, next: &str) -> Redirect {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("error", error)
        .append_pair("next", next)
        .finish();
    Redirect::to(&format!("{page}?{query}"))
}

async fn login(
    mut auth: AuthSession,
    throttle: Arc<Throttle>,
    Form(form): Form<LoginForm>,
) -> Redirect {
    let name = form.username.trim().to_string();
    let next = local(&form.next).to_string();
    if throttle.blocked(&name) {
        return back_to("/login", "too many failed attempts: wait 15 minutes", &next);
    }
    // No account has a longer name or password: refused before anything is hashed.
    if name.len() > MAX_NAME_LEN || form.password.chars().count() > MAX_PASSWORD {
        throttle.failed(&name);
        return back_to("/login", "wrong name or password", &next);
    }
    let credentials = Credentials {
        username: name.clone(),
        password: form.password,
    };
    match auth.authenticate(credentials).await {
        Ok(Some(user)) => {
            throttle.succeeded(&name);
            match auth.login(&user).await {
                Ok(()) => Redirect::to(&next),
                Err(e) => back_to("/login", &format!("could not sign in: {e}"), &next),
            }
        }
        Ok(None) => {
            throttle.failed(&name);
            back_to("/login", "wrong name or password", &next)
        }
        Err(e) => back_to("/login", &format!("could not sign in: {e}"), &next),
    }
}

async fn logout(mut auth: AuthSession) -> Redirect {
    let _ = auth.logout().await;
    Redirect::to("/login")
}

#[derive(serde::Deserialize)]
struct SetupForm {
    username: String,
    password: String,
}

/// The first admin, while there are no users (the gate sends `/setup` to `/login` after).
async fn set_up(
    State(accounts): State<Accounts>,
    mut auth: AuthSession,
    Form(form): Form<SetupForm>,
) -> Redirect {
    let name = match AccountName::parse(&form.username) {
        Ok(name) => name,
        Err(e) => return back_to("/setup", &e, "/"),
    };
    let password = match Password::parse(&form.password) {
        Ok(password) => password,
        Err(e) => return back_to("/setup", &e, "/"),
    };
    if let Err(e) = accounts.set_up(&name, &password).await {
        return back_to("/setup", &e.to_string(), "/");
    }
    match accounts.user(name.as_str()) {
        Ok(Some(user)) => match auth.login(&SessionUser(user)).await {
            Ok(()) => Redirect::to("/"),
            Err(e) => back_to("/login", &format!("could not sign in: {e}"), "/"),
        },
        _ => Redirect::to("/login"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_a_sign_in_only_this_site() {
        assert_eq!(local("/devices/a?range=1d"), "/devices/a?range=1d");
        for foreign in [
            "https://evil.example/",
            "//evil.example/x",
            "/\\evil.example",
            "",
        ] {
            assert_eq!(local(foreign), "/", "{foreign}");
        }
    }

    #[test]
    fn five_failures_block_a_name() {
        let t = Throttle::default();
        for _ in 0..ATTEMPTS - 1 {
            t.failed("admin");
        }
        assert!(!t.blocked("admin"));
        t.failed("admin");
        assert!(t.blocked("admin"));
        assert!(!t.blocked("other"));
        t.succeeded("admin");
        assert!(!t.blocked("admin"));
    }
}
