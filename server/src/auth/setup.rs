//! `POST /setup`: the first admin. While no one can sign in, whoever reaches `/setup` first
//! becomes admin, so a server that strangers can reach (listening beyond loopback, or behind
//! a proxy) asks for a one-time code it printed in its log at start, as Jupyter and Grafana
//! installers do: only whoever can read the log sets it up.

use super::login::{back_to, busy};
use super::{AuthSession, SessionUser};
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use iot_core::accounts::Accounts;
use iot_models::{AccountName, Password};
use rand::Rng;
use std::sync::Arc;

/// No look-alike letters (Crockford's base32): a code read off a log and typed in.
const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// 12 characters of 5 bits: 60 bits, far past guessing through a throttled form.
const LENGTH: usize = 12;

/// What tells the setup page to ask for the code.
pub(super) const ASKED: &str = "code=asked";

/// The code `/setup` asks for, if it asks for one.
#[derive(Clone, Default)]
pub struct SetupCode(Option<Arc<str>>);

impl SetupCode {
    /// A new code when strangers may reach a server no one can sign in to yet; none otherwise.
    pub async fn when_reachable(
        reachable: bool,
        accounts: &Accounts,
    ) -> Result<Self, iot_core::Error> {
        if !reachable || accounts.has_users().await? {
            return Ok(Self(None));
        }
        let mut rng = rand::rng();
        let code: String = (0..LENGTH)
            .map(|i| {
                let c = ALPHABET[rng.random_range(0..ALPHABET.len())] as char;
                if i > 0 && i % 4 == 0 {
                    format!("-{c}")
                } else {
                    c.to_string()
                }
            })
            .collect();
        Ok(Self(Some(code.into())))
    }

    /// The code, to print in the log.
    pub fn code(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// The setup page, with `error` to show if not empty, asking for the code if there is one.
    pub(super) fn page(&self, error: &str) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if !error.is_empty() {
            query.append_pair("error", error);
        }
        if self.0.is_some() {
            query.append_pair("code", "asked");
        }
        match query.finish() {
            q if q.is_empty() => "/setup".into(),
            q => format!("/setup?{q}"),
        }
    }

    /// Whether `typed` is the code (any case, dashes and spaces ignored), or no code is asked.
    fn admits(&self, typed: &str) -> bool {
        let Some(code) = &self.0 else { return true };
        let canonical = |s: &str| -> Vec<u8> {
            s.bytes()
                .filter(|b| !matches!(b, b'-' | b' '))
                .map(|b| b.to_ascii_uppercase())
                .collect()
        };
        let (want, got) = (canonical(code), canonical(typed));
        // Every byte compared, whatever the first difference: no timing to learn it from.
        want.len() == got.len() && want.iter().zip(&got).fold(0, |d, (a, b)| d | (a ^ b)) == 0
    }
}

#[derive(serde::Deserialize)]
pub(super) struct SetupForm {
    username: String,
    password: String,
    #[serde(default)]
    code: String,
}

/// The first admin, while there are no users (the gate sends `/setup` to `/login` after).
pub(super) async fn set_up(
    State(accounts): State<Accounts>,
    code: SetupCode,
    mut auth: AuthSession,
    Form(form): Form<SetupForm>,
) -> Response {
    // Back to the form with the reason, still asking for the code if it does.
    let again = |error: &str| Redirect::to(&code.page(error)).into_response();
    if !code.admits(&form.code) {
        return again("wrong setup code: it is printed in the server's log at start");
    }
    let name = match AccountName::parse(&form.username) {
        Ok(name) => name,
        Err(e) => return again(&e),
    };
    let password = match Password::parse(&form.password) {
        Ok(password) => password,
        Err(e) => return again(&e),
    };
    match accounts.set_up(&name, &password).await {
        Ok(()) => {}
        Err(iot_core::Error::Busy(m)) => return busy(&m),
        Err(e) => return again(&e.to_string()),
    }
    match accounts.user(name.as_str()).await {
        Ok(Some(user)) => match auth.login(&SessionUser(user)).await {
            Ok(()) => Redirect::to("/").into_response(),
            Err(e) => back_to("/login", &format!("could not sign in: {e}"), "/"),
        },
        _ => Redirect::to("/login").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_asked_for_exactly() {
        let code = SetupCode(Some("AB12-CD34-EF56".into()));
        for right in ["AB12-CD34-EF56", "ab12cd34ef56", " AB12 CD34 EF56 "] {
            assert!(code.admits(right), "{right:?}");
        }
        for wrong in ["", "AB12-CD34-EF57", "AB12-CD34-EF5", "AB12-CD34-EF566"] {
            assert!(!code.admits(wrong), "{wrong:?}");
        }
        assert!(SetupCode(None).admits(""));
    }
}
