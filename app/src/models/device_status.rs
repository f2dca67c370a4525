//! A device's status from when it last wrote, against how often it should write.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeviceStatus {
    /// Wrote within [`STALE_AFTER`] intervals.
    Online,
    /// Late, but by fewer than [`OFFLINE_AFTER`] intervals.
    Stale,
    Offline,
    /// Registered, never wrote (in the last 30 days).
    NeverSeen,
    /// Its token was revoked.
    Removed,
}

/// A device is stale once it is this many measurement intervals late.
pub const STALE_AFTER: i64 = 2;
/// … and offline once it is this many intervals late.
pub const OFFLINE_AFTER: i64 = 10;

impl DeviceStatus {
    /// `age_seconds`: time since its last point; `interval_seconds`: how often it writes.
    pub fn classify(
        removed: bool,
        age_seconds: Option<i64>,
        interval_seconds: i64,
    ) -> DeviceStatus {
        match (removed, age_seconds) {
            (true, _) => DeviceStatus::Removed,
            (false, None) => DeviceStatus::NeverSeen,
            (false, Some(age)) if age <= STALE_AFTER * interval_seconds => DeviceStatus::Online,
            (false, Some(age)) if age <= OFFLINE_AFTER * interval_seconds => DeviceStatus::Stale,
            _ => DeviceStatus::Offline,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DeviceStatus::Online => "online",
            DeviceStatus::Stale => "stale",
            DeviceStatus::Offline => "offline",
            DeviceStatus::NeverSeen => "never seen",
            DeviceStatus::Removed => "removed",
        }
    }

    /// The CSS class of its badge.
    pub fn badge(self) -> &'static str {
        match self {
            DeviceStatus::Online => "badge ok",
            DeviceStatus::Stale => "badge warn",
            DeviceStatus::Offline => "badge bad",
            DeviceStatus::NeverSeen | DeviceStatus::Removed => "badge removed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DeviceStatus::{self, *};

    #[test]
    fn boundaries() {
        let at = |age| DeviceStatus::classify(false, Some(age), 60);
        assert_eq!((at(0), at(120), at(121)), (Online, Online, Stale));
        assert_eq!((at(600), at(601)), (Stale, Offline));
        assert_eq!(DeviceStatus::classify(false, None, 60), NeverSeen);
        assert_eq!(DeviceStatus::classify(true, Some(0), 60), Removed);
        // Clock skew: a point from the future counts as just seen.
        assert_eq!(at(-5), Online);
    }
}
