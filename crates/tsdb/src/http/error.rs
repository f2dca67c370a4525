//! InfluxDB's error responses: `{"code","message"}` with `X-Platform-Error-Code`.

use crate::flux::FluxError;
use crate::storage::StorageError;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid", message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not found", message)
    }
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "unauthorized access",
        )
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "conflict", message)
    }
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable entity",
            message,
        )
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "code": self.code, "message": self.message }).to_string();
        let mut response = (
            self.status,
            [("content-type", "application/json; charset=utf-8")],
            body,
        )
            .into_response();
        response
            .headers_mut()
            .insert("x-platform-error-code", HeaderValue::from_static(self.code));
        response
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Conflict(m) => ApiError::conflict(m),
            StorageError::NotFound(m) => ApiError::not_found(m),
            StorageError::Invalid(m) => ApiError::invalid(m),
            e => {
                tracing::error!("{e}");
                ApiError::internal("An internal error has occurred - check server logs")
            }
        }
    }
}

impl From<FluxError> for ApiError {
    fn from(e: FluxError) -> Self {
        match e {
            FluxError::Invalid(m) => ApiError::invalid(m),
            FluxError::NotFound(m) => ApiError::not_found(m),
            FluxError::Forbidden(m) => ApiError::forbidden(m),
            FluxError::Internal(m) => ApiError::internal(m),
        }
    }
}
