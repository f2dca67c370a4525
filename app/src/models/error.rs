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

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::ServerFn(value.to_string())
    }
}
