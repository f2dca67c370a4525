//! Onboarding a fresh InfluxDB (`/api/v2/setup`): no token needed, allowed once.

use crate::{Error, Tls};
use serde::Serialize;
use std::time::Duration;

/// Onboarding is one short request: it never waits long.
const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Serialize)]
pub struct Onboarding {
    pub username: String,
    pub password: String,
    pub org: String,
    pub bucket: String,
    /// The operator token to create; InfluxDB generates one when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl std::fmt::Debug for Onboarding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Onboarding")
            .field("username", &self.username)
            .field("org", &self.org)
            .field("bucket", &self.bucket)
            .finish_non_exhaustive()
    }
}

async fn check(
    response: Result<reqwest::Response, reqwest::Error>,
) -> Result<reqwest::Response, Error> {
    let response = response.map_err(Error::from_transport)?;
    if response.status().is_success() {
        return Ok(response);
    }
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    Err(Error::Api {
        status,
        code: body["code"].as_str().unwrap_or("").to_string(),
        message: body["message"].as_str().unwrap_or("").to_string(),
        retry_after: None,
    })
}

/// Whether the InfluxDB at `url` has not been set up yet.
pub async fn setup_allowed(url: &str, tls: &Tls) -> Result<bool, Error> {
    let r = check(
        tls.http_client(TIMEOUT)?
            .get(format!("{}/api/v2/setup", url.trim_end_matches('/')))
            .send()
            .await,
    )
    .await?;
    let v: serde_json::Value = r.json().await.map_err(|e| Error::Decode(e.to_string()))?;
    Ok(v["allowed"].as_bool().unwrap_or(false))
}

/// Sets up a fresh InfluxDB; returns the operator token.
pub async fn setup(url: &str, tls: &Tls, onboarding: &Onboarding) -> Result<String, Error> {
    let r = check(
        tls.http_client(TIMEOUT)?
            .post(format!("{}/api/v2/setup", url.trim_end_matches('/')))
            .json(onboarding)
            .send()
            .await,
    )
    .await?;
    let v: serde_json::Value = r.json().await.map_err(|e| Error::Decode(e.to_string()))?;
    v["auth"]["token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| Error::Decode("setup answer has no token".into()))
}
