//! Why a domain operation failed, in words a user can act on; adapters map it to HTTP
//! statuses or to the server functions' error.

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Error {
    /// Bad input: the message says what to change.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    /// InfluxDB cannot be reached: pages show a banner and retry.
    #[error("InfluxDB is unreachable: {0}")]
    Unavailable(String),
    /// InfluxDB refused or failed.
    #[error("InfluxDB error: {0}")]
    Influx(String),
    /// Too much at once (sign-ins waiting for a password hash): try again shortly.
    #[error("{0}")]
    Busy(String),
    /// Someone else changed it first: the message says who, and what to do.
    #[error("{0}")]
    Conflict(String),
    /// The server itself failed (writing a response, a task that died).
    #[error("{0}")]
    Internal(String),
}

impl From<influx_client::Error> for Error {
    fn from(e: influx_client::Error) -> Self {
        if e.is_unreachable() {
            Error::Unavailable(e.to_string())
        } else {
            Error::Influx(e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn influxdb_away_is_told_apart_from_influxdb_refusing() {
        let away: Error = influx_client::Error::Unreachable("connection refused".into()).into();
        assert!(matches!(away, Error::Unavailable(_)));
        let refused: Error = influx_client::Error::Api {
            status: 401,
            code: "unauthorized".into(),
            message: "unauthorized access".into(),
            retry_after: None,
        }
        .into();
        assert!(matches!(refused, Error::Influx(m) if m.contains("unauthorized access")));
    }
}
