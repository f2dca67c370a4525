//! Typed models shared by the server and the browser.

use serde::{Deserialize, Serialize};

/// What the server says about itself when asked; proves the browser-to-server path.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServerInfo {
    /// The `iot-center` version.
    pub version: String,
    /// The server's clock, RFC 3339 UTC.
    pub time: String,
}
