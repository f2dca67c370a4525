//! Devices registering themselves: the policy, and the devices waiting for approval.

use serde::{Deserialize, Serialize};

/// What an unknown device gets from `GET /api/env/<id>` (`DEVICE_REGISTRATION`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegistrationPolicy {
    /// Registered on its first request, as the reference IoT Center does.
    Open,
    /// Listed as pending until an operator approves it.
    #[default]
    Approve,
    /// Refused: devices are registered from the UI only.
    Closed,
}

impl RegistrationPolicy {
    /// What it means for a device, in the UI's words.
    pub fn explain(self) -> &'static str {
        match self {
            RegistrationPolicy::Open => "Devices register themselves on their first request.",
            RegistrationPolicy::Approve => {
                "A new device waits here until an operator approves it; then its next request gets its configuration."
            }
            RegistrationPolicy::Closed => {
                "Devices cannot register themselves: register them above."
            }
        }
    }
}

impl std::str::FromStr for RegistrationPolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "open" => Ok(RegistrationPolicy::Open),
            "approve" => Ok(RegistrationPolicy::Approve),
            "closed" => Ok(RegistrationPolicy::Closed),
            other => Err(format!(
                "device registration must be open, approve or closed, not {other:?}"
            )),
        }
    }
}

impl std::fmt::Display for RegistrationPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RegistrationPolicy::Open => "open",
            RegistrationPolicy::Approve => "approve",
            RegistrationPolicy::Closed => "closed",
        })
    }
}

/// A device that asked for its configuration and waits for an operator's approval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingDevice {
    pub id: String,
    /// RFC 3339, its first and latest request since the server started.
    pub first_request: String,
    pub last_request: String,
    pub requests: u64,
}

/// The registration policy and who waits under it, for the device list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingDevices {
    pub policy: RegistrationPolicy,
    pub devices: Vec<PendingDevice>,
}

/// How many devices one bulk registration takes.
pub const MAX_BULK_DEVICES: usize = 10_000;
/// The largest device CSV a bulk registration reads (10,000 ids of 64 characters fit).
pub const MAX_BULK_CSV_BYTES: usize = 1 << 20;

/// What a bulk registration did: the devices registered now, with their new tokens to
/// provision them, and those that already had a working token (left as they were).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BulkRegistration {
    pub registered: Vec<IssuedToken>,
    pub existing: Vec<String>,
}

/// A device's new IoT Center token.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct IssuedToken {
    pub id: String,
    pub token: String,
}

impl BulkRegistration {
    /// The new tokens as CSV (`id,token`), for the tool that provisions the devices.
    pub fn tokens_csv(&self) -> String {
        let mut csv = String::from("id,token\n");
        for t in &self.registered {
            csv.push_str(&format!("{},{}\n", t.id, t.token));
        }
        csv
    }
}

/// Tokens never show in logs or panics.
impl std::fmt::Debug for BulkRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkRegistration")
            .field("registered", &self.registered.len())
            .field("existing", &self.existing.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_parse_from_settings() {
        assert_eq!("OPEN".parse(), Ok(RegistrationPolicy::Open));
        assert_eq!(" approve ".parse(), Ok(RegistrationPolicy::Approve));
        assert_eq!("closed".parse(), Ok(RegistrationPolicy::Closed));
        let wrong = "yes".parse::<RegistrationPolicy>().unwrap_err();
        assert!(wrong.contains("open, approve or closed"), "{wrong}");
        assert_eq!(RegistrationPolicy::default(), RegistrationPolicy::Approve);
        for p in [
            RegistrationPolicy::Open,
            RegistrationPolicy::Approve,
            RegistrationPolicy::Closed,
        ] {
            assert_eq!(p.to_string().parse(), Ok(p));
        }
    }
}
