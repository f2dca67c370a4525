//! The error every server function answers with: a reason a user can act on.

use leptos::prelude::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::codec::JsonEncoding;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, thiserror::Error, Serialize, Deserialize)]
pub enum AppError {
    /// Bad input: the message says what to change.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    /// No one is signed in (the session ended): sign in again.
    #[error("{0}")]
    Unauthorized(String),
    /// The caller's role does not allow it.
    #[error("{0}")]
    Forbidden(String),
    /// InfluxDB cannot be reached: the page shows a banner and retries.
    #[error("InfluxDB is unreachable: {0}")]
    Unavailable(String),
    /// InfluxDB refused or failed.
    #[error("InfluxDB error: {0}")]
    Influx(String),
    #[error("{0}")]
    ServerFn(String),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    /// Arguments that do not parse are the caller's mistake, with the reason.
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(reason) => AppError::Invalid(reason),
            other => AppError::ServerFn(other.to_string()),
        }
    }
}

impl AppError {
    /// The HTTP status a server function answers with: whose fault it is, for scripts and
    /// logs (the server sets it on the way out).
    pub fn status(&self) -> u16 {
        match self {
            AppError::Invalid(_) => 400,
            AppError::Unauthorized(_) => 401,
            AppError::Forbidden(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::Influx(_) => 502,
            AppError::Unavailable(_) => 503,
            AppError::ServerFn(_) => 500,
        }
    }
}

#[cfg(feature = "ssr")]
impl From<iot_core::Error> for AppError {
    fn from(e: iot_core::Error) -> Self {
        use iot_core::Error;
        match e {
            Error::Invalid(m) | Error::Conflict(m) => AppError::Invalid(m),
            Error::NotFound(m) => AppError::NotFound(m),
            Error::Unavailable(m) => AppError::Unavailable(m),
            Error::Influx(m) => AppError::Influx(m),
            Error::Internal(m) | Error::Busy(m) => AppError::ServerFn(m),
        }
    }
}
