//! Who is calling: the `Authorization: Token|Bearer <token>` header resolved to a stored
//! authorization. Unknown and inactive tokens get 401, before anything else of the
//! request is read.

use super::error::ApiError;
use super::AppState;
use crate::storage::Authorization;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

pub struct Caller(pub Authorization);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get("authorization")
            .and_then(|h| h.to_str().ok())
            .ok_or_else(ApiError::unauthorized)?;
        let (scheme, token) = header.split_once(' ').ok_or_else(ApiError::unauthorized)?;
        if !scheme.eq_ignore_ascii_case("token") && !scheme.eq_ignore_ascii_case("bearer") {
            return Err(ApiError::unauthorized());
        }
        let auth = state
            .store
            .authorization_by_token(token.trim())?
            .filter(|a| a.active)
            .ok_or_else(ApiError::unauthorized)?;
        Ok(Caller(auth))
    }
}

impl Caller {
    /// Fails with 403 unless the caller may `action` the resource.
    pub fn require(
        &self,
        action: &str,
        kind: &str,
        org_id: Option<&str>,
        id: Option<&str>,
    ) -> Result<(), ApiError> {
        if self.0.grants(action, kind, org_id, id) {
            Ok(())
        } else {
            let target = match (org_id, id) {
                (Some(o), Some(i)) => format!("orgs/{o}/{kind}/{i}"),
                (Some(o), None) => format!("orgs/{o}/{kind}"),
                (None, Some(i)) => format!("{kind}/{i}"),
                (None, None) => kind.to_string(),
            };
            Err(ApiError::forbidden(format!(
                "{action}:{target} is unauthorized"
            )))
        }
    }

    pub fn may(&self, action: &str, kind: &str, org_id: Option<&str>, id: Option<&str>) -> bool {
        self.0.grants(action, kind, org_id, id)
    }
}
