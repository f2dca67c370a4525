//! A device's status from when it last wrote, against how often it should write.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeviceStatus {
    /// Wrote within the stale threshold (see [`StatusThresholds`]).
    Online,
    /// Late, but within the offline threshold.
    Stale,
    Offline,
    /// Registered, never wrote.
    NeverSeen,
    /// Its token was revoked.
    Removed,
}

/// How many measurement intervals without data make a device stale, and offline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusThresholds {
    pub stale_after: u32,
    pub offline_after: u32,
}

impl Default for StatusThresholds {
    fn default() -> Self {
        StatusThresholds {
            stale_after: 2,
            offline_after: 10,
        }
    }
}

impl StatusThresholds {
    pub fn new(stale_after: u32, offline_after: u32) -> Result<StatusThresholds, String> {
        if stale_after == 0 || offline_after <= stale_after {
            return Err(format!(
                "device status thresholds need 1 <= stale after ({stale_after}) < offline after ({offline_after}) intervals"
            ));
        }
        Ok(StatusThresholds {
            stale_after,
            offline_after,
        })
    }
}

impl DeviceStatus {
    /// `age_seconds`: time since its last point; `interval_seconds`: how often it writes.
    pub fn classify(
        removed: bool,
        age_seconds: Option<i64>,
        interval_seconds: i64,
        t: StatusThresholds,
    ) -> DeviceStatus {
        let late = |intervals: u32| i64::from(intervals) * interval_seconds;
        match (removed, age_seconds) {
            (true, _) => DeviceStatus::Removed,
            (false, None) => DeviceStatus::NeverSeen,
            (false, Some(age)) if age <= late(t.stale_after) => DeviceStatus::Online,
            (false, Some(age)) if age <= late(t.offline_after) => DeviceStatus::Stale,
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

    pub const ALL: [DeviceStatus; 5] = [
        DeviceStatus::Online,
        DeviceStatus::Stale,
        DeviceStatus::Offline,
        DeviceStatus::NeverSeen,
        DeviceStatus::Removed,
    ];

    /// Its name in a URL (`?status=never-seen`).
    pub fn slug(self) -> &'static str {
        match self {
            DeviceStatus::NeverSeen => "never-seen",
            other => other.label(),
        }
    }

    pub fn from_slug(slug: &str) -> Result<DeviceStatus, String> {
        DeviceStatus::ALL
            .into_iter()
            .find(|s| s.slug() == slug)
            .ok_or_else(|| {
                format!("unknown status {slug:?}: online, stale, offline, never-seen or removed")
            })
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
    use super::StatusThresholds;

    #[test]
    fn boundaries() {
        let t = StatusThresholds::default();
        let at = |age| DeviceStatus::classify(false, Some(age), 60, t);
        assert_eq!((at(0), at(120), at(121)), (Online, Online, Stale));
        assert_eq!((at(600), at(601)), (Stale, Offline));
        assert_eq!(DeviceStatus::classify(false, None, 60, t), NeverSeen);
        assert_eq!(DeviceStatus::classify(true, Some(0), 60, t), Removed);
        // Clock skew: a point from the future counts as just seen.
        assert_eq!(at(-5), Online);
    }

    #[test]
    fn statuses_travel_in_urls_by_slug() {
        for s in DeviceStatus::ALL {
            assert_eq!(DeviceStatus::from_slug(s.slug()), Ok(s));
        }
        assert!(DeviceStatus::from_slug("never seen").is_err());
    }

    #[test]
    fn thresholds_are_configurable_and_checked() {
        let t = StatusThresholds::new(3, 5).unwrap();
        let at = |age| DeviceStatus::classify(false, Some(age), 10, t);
        assert_eq!(
            (at(30), at(31), at(50), at(51)),
            (Online, Stale, Stale, Offline)
        );
        assert_eq!(
            StatusThresholds::new(0, 5).unwrap_err(),
            "device status thresholds need 1 <= stale after (0) < offline after (5) intervals"
        );
        assert!(StatusThresholds::new(5, 5)
            .unwrap_err()
            .contains("stale after (5) < offline after (5)"));
    }
}
