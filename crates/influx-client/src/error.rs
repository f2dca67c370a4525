//! One error type for every call, so callers can tell "unreachable" from "unauthorized"
//! from "bad query" from "not found".

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// InfluxDB answered with an error status.
    #[error("InfluxDB error {status} ({code}): {message}")]
    Api {
        status: u16,
        /// InfluxDB's `code` (`invalid`, `unauthorized`, `not found`, …).
        code: String,
        message: String,
        /// `Retry-After`, when the server gave one.
        retry_after: Option<Duration>,
    },
    /// A query's result held an error table after data had started.
    #[error("query failed: {0}")]
    Query(String),
    /// InfluxDB could not be reached (connection refused, DNS, reset).
    #[error("InfluxDB unreachable: {0}")]
    Unreachable(String),
    #[error("InfluxDB did not answer in time")]
    Timeout,
    /// A response that does not have the shape InfluxDB's has.
    #[error("unexpected response from InfluxDB: {0}")]
    Decode(String),
    /// A point that line protocol cannot represent.
    #[error("invalid point: {0}")]
    InvalidPoint(String),
    /// Bad client settings (URL, organization).
    #[error("invalid configuration: {0}")]
    Config(String),
}

impl Error {
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
    pub fn is_unauthorized(&self) -> bool {
        matches!(self.status(), Some(401 | 403))
    }
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }
    /// A query InfluxDB refused as invalid, or one that failed while running.
    pub fn is_bad_query(&self) -> bool {
        matches!(self, Error::Query(_)) || self.status() == Some(400)
    }
    /// InfluxDB could not be reached or did not answer: worth retrying later.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Error::Unreachable(_) | Error::Timeout)
            || matches!(self.status(), Some(502..=504))
    }

    pub(crate) fn from_transport(e: reqwest::Error) -> Error {
        if e.is_timeout() {
            Error::Timeout
        } else if e.is_decode() || e.is_body() {
            Error::Decode(e.to_string())
        } else {
            let mut message = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                message = format!("{message}: {s}");
                source = s.source();
            }
            Error::Unreachable(message)
        }
    }
}
