//! The gate: public paths pass; everything else needs a caller. A browser asking for a page
//! is sent to sign in (or to set up, while there are no users); anything else gets 401.

use super::setup::ASKED;
use super::{AuthSession, SetupCode};
use crate::error::ApiError;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use iot_core::accounts::Accounts;
use iot_models::Caller;

/// Paths anyone may reach: signing in and setting up, the static files (the dashboard
/// format's schema among them, for editors), health for load balancers, the device API
/// (devices have their own tokens), and a shared dashboard with the server function it
/// reads (the link's token is their credential).
fn is_public(path: &str) -> bool {
    matches!(
        path,
        "/login"
            | "/setup"
            | "/health"
            | "/ready"
            | "/api/health"
            | "/favicon.svg"
            | "/charts.js"
            | "/api/shared_dashboard"
    ) || ["/pkg/", "/vendor/", "/schemas/", "/api/env/", "/share/"]
        .iter()
        .any(|prefix| path.starts_with(prefix))
}

/// The caller of a request: its API token, else its session's user.
async fn caller(
    accounts: &Accounts,
    auth: &AuthSession,
    headers: &header::HeaderMap,
) -> Result<Option<Caller>, ApiError> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match bearer {
        Some(token) => match accounts.caller_of_token(token.trim()).await? {
            Some(caller) => Ok(Some(caller)),
            None => Err(ApiError::Unauthorized("this API token is not valid")),
        },
        None => Ok(auth.user.as_ref().map(|u| u.0.caller())),
    }
}

/// Whether a browser is asking for a page (so a redirect to sign in helps).
fn wants_page(req: &Request) -> bool {
    req.method() == axum::http::Method::GET
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"))
}

pub async fn gate(
    State((accounts, code)): State<(Accounts, SetupCode)>,
    auth: AuthSession,
    mut req: Request,
    next: Next,
) -> Response {
    let caller = match caller(&accounts, &auth, req.headers()).await {
        Ok(caller) => caller,
        Err(refused) => return refused.into_response(),
    };
    let path = req.uri().path().to_string();
    if path == "/setup" {
        if accounts.has_users().await.unwrap_or(true) {
            return Redirect::to("/login").into_response();
        }
        let asked = req.uri().query().is_some_and(|q| q.contains(ASKED));
        if wants_page(&req) && !asked && code.code().is_some() {
            return Redirect::to(&code.page("")).into_response();
        }
    }
    match caller {
        Some(caller) => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        None if is_public(&path) => next.run(req).await,
        None if wants_page(&req) => {
            if !accounts.has_users().await.unwrap_or(true) {
                return Redirect::to(&code.page("")).into_response();
            }
            let next_page = req.uri().path_and_query().map_or("/", |p| p.as_str());
            let query = form_urlencoded::Serializer::new(String::new())
                .append_pair("next", next_page)
                .finish();
            Redirect::to(&format!("/login?{query}")).into_response()
        }
        None => ApiError::Unauthorized("sign in first").into_response(),
    }
}
