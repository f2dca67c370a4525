//! The error every HTTP route of the server answers with: JSON `{"error": reason}` and a
//! status that says whose fault it is.

use app::models::AppError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use iot_core::Error;
use iot_models::{Caller, Role};
use serde_json::json;

pub enum ApiError {
    Domain(Error),
    /// No caller, or an API token that is not valid (401).
    Unauthorized(&'static str),
    /// The caller's role does not allow it (403).
    Forbidden(String),
}

impl ApiError {
    /// Refuses a caller whose role does not include `role`.
    pub fn require(caller: &Caller, role: Role) -> Result<(), ApiError> {
        match caller.may(role) {
            true => Ok(()),
            false => Err(ApiError::Forbidden(format!(
                "{} is a {}: this needs the {role} role",
                caller.name, caller.role
            ))),
        }
    }

    /// Bad input, with what to change.
    pub fn invalid(reason: impl Into<String>) -> ApiError {
        ApiError::Domain(Error::Invalid(reason.into()))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, reason) = match self {
            ApiError::Forbidden(reason) => (StatusCode::FORBIDDEN, reason),
            ApiError::Unauthorized(reason) => (StatusCode::UNAUTHORIZED, reason.to_string()),
            ApiError::Domain(e) => (
                match &e {
                    Error::Invalid(_) => StatusCode::BAD_REQUEST,
                    Error::NotFound(_) => StatusCode::NOT_FOUND,
                    Error::Conflict(_) => StatusCode::CONFLICT,
                    Error::Unavailable(_) | Error::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
                    Error::Influx(_) => StatusCode::BAD_GATEWAY,
                    Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
                },
                e.to_string(),
            ),
        };
        (status, Json(json!({ "error": reason }))).into_response()
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError::Domain(e)
    }
}

/// Server functions answer every error with 500; this gives each the status its kind says
/// (`AppError::status`: 400 for arguments that do not parse, 401, 403, 404, 502, 503).
pub async fn server_fn_status(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response
            .headers()
            .contains_key(leptos::server_fn::error::SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // An error is a short JSON value; anything larger stays a plain 500.
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = StatusCode::from_u16(error.status()).unwrap_or(parts.status);
    }
    Response::from_parts(parts, Body::from(bytes))
}
