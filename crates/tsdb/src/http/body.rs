//! Request bodies, read with a bound: a declared `Content-Length` past it is refused before
//! anything is read, and a body that streams past it is cut off there. Either way the caller
//! gets InfluxDB's 413 `request too large`.

use super::error::ApiError;
use super::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode};

/// The largest JSON body of the resource endpoints (setup, orgs, buckets, authorizations,
/// delete): their documents are a few hundred bytes.
pub const JSON_BODY_BYTES: usize = 64 * 1024;
/// The largest `/query` body: a Flux script with its parameters.
pub const QUERY_BODY_BYTES: usize = 1024 * 1024;

pub fn too_large(what: &str, max: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "request too large",
        format!("unable to read data: {what} is larger than the limit of {max} bytes"),
    )
}

/// The whole body, if it is at most `max` bytes.
pub async fn read(
    body: Body,
    headers: &HeaderMap,
    what: &str,
    max: usize,
) -> Result<Bytes, ApiError> {
    let declared = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large(what, max));
    }
    axum::body::to_bytes(body, max).await.map_err(|e| {
        if std::error::Error::source(&e).is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
        {
            too_large(what, max)
        } else {
            ApiError::invalid(format!("unable to read data: {e}"))
        }
    })
}

/// A request body of at most `MAX` bytes.
pub struct Limited<const MAX: usize>(pub Bytes);

impl<const MAX: usize> FromRequest<AppState> for Limited<MAX> {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &AppState) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        read(body, &parts.headers, "request body", MAX)
            .await
            .map(Limited)
    }
}
