//! Server functions: thin adapters the browser calls over HTTP; the bodies run on the server.

use crate::models::ServerInfo;
use leptos::prelude::*;

/// Answers with the server's version and clock.
#[server]
pub async fn check_server() -> Result<ServerInfo, ServerFnError> {
    Ok(ServerInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    })
}
