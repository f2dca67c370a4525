//! The fleet as pages see it: a page of the device list, found on the server, and the
//! counts and the few quiet devices the Overview and Health pages show.

use crate::{name, DeviceStatus, DeviceSummary};
use serde::{Deserialize, Serialize};

/// Devices on a page of the device list.
pub const FLEET_PAGE_SIZE: usize = 50;
/// Quiet devices the Overview and Health pages name.
pub const RECENTLY_LATE: usize = 5;

/// Which devices the list shows: ids starting with `prefix` (empty: all), in one status or
/// any, page `page` (from 0) of [`FLEET_PAGE_SIZE`], by id.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "FleetQueryParams")]
pub struct FleetQuery {
    pub prefix: String,
    pub status: Option<DeviceStatus>,
    pub page: u32,
}

/// A fleet query as it travels, checked into a [`FleetQuery`].
#[derive(Deserialize)]
struct FleetQueryParams {
    #[serde(default)]
    prefix: String,
    #[serde(default)]
    status: Option<DeviceStatus>,
    #[serde(default)]
    page: u32,
}

/// More pages than a fleet of a million devices has: a bigger number is a typo.
const MAX_PAGE: u32 = 1_000_000 / FLEET_PAGE_SIZE as u32;

impl FleetQuery {
    /// `prefix` is the start of a device id (checked by the device-id rule), `page` at most
    /// 20,000.
    pub fn new(
        prefix: &str,
        status: Option<DeviceStatus>,
        page: u32,
    ) -> Result<FleetQuery, String> {
        let prefix = match prefix.trim() {
            "" => String::new(),
            some => name::checked("a device id prefix", some)?.to_string(),
        };
        if page > MAX_PAGE {
            return Err(format!(
                "page {page} is past the last possible one ({MAX_PAGE})"
            ));
        }
        Ok(FleetQuery {
            prefix,
            status,
            page,
        })
    }
}

impl FleetQuery {
    /// The device list's URL for this search, on `page`: `/devices?q=ESP32&status=offline&page=2`.
    pub fn href(&self, page: u32) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if !self.prefix.is_empty() {
            query.append_pair("q", &self.prefix);
        }
        if let Some(status) = self.status {
            query.append_pair("status", status.slug());
        }
        if page > 0 {
            query.append_pair("page", &page.to_string());
        }
        match query.finish() {
            q if q.is_empty() => "/devices".into(),
            q => format!("/devices?{q}"),
        }
    }
}

impl TryFrom<FleetQueryParams> for FleetQuery {
    type Error = String;

    fn try_from(p: FleetQueryParams) -> Result<Self, Self::Error> {
        FleetQuery::new(&p.prefix, p.status, p.page)
    }
}

/// A page of the device list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FleetPage {
    pub devices: Vec<DeviceSummary>,
    /// Devices the query matches, on every page.
    pub matching: usize,
    /// Devices registered.
    pub total: usize,
    pub page: u32,
    /// The alerts firing for the devices on this page: `(device, level, rule)`.
    #[serde(default)]
    pub firing: Vec<(String, String, String)>,
}

impl FleetPage {
    pub fn pages(&self) -> u32 {
        self.matching.div_ceil(FLEET_PAGE_SIZE).max(1) as u32
    }
}

/// The fleet at a glance: how many devices are in each status, and the ones that went stale
/// or offline most recently (at most [`RECENTLY_LATE`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FleetOverview {
    pub counts: Vec<(DeviceStatus, usize)>,
    pub recently_late: Vec<DeviceSummary>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_checked_where_they_are_read() {
        let q: FleetQuery = serde_urlencoded_like("prefix=ESP32-&status=Online&page=3");
        assert_eq!(
            q,
            FleetQuery::new("ESP32-", Some(DeviceStatus::Online), 3).unwrap()
        );
        assert_eq!(FleetQuery::new("", None, 0).unwrap(), FleetQuery::default());
        let bad = FleetQuery::new("a\"b", None, 0).unwrap_err();
        assert!(bad.contains("not allowed in a device id prefix"), "{bad}");
        assert!(FleetQuery::new("x", None, 20_001)
            .unwrap_err()
            .contains("past the last"));
        assert!(FleetQuery::new("x", None, 20_000).is_ok());
        assert!(FleetQuery::new(&"a".repeat(65), None, 0).is_err());
    }

    fn serde_urlencoded_like(query: &str) -> FleetQuery {
        let pairs: serde_json::Map<String, serde_json::Value> =
            form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| {
                    let v = match v.parse::<u32>() {
                        Ok(n) => serde_json::Value::from(n),
                        Err(_) => serde_json::Value::from(v.to_string()),
                    };
                    (k.to_string(), v)
                })
                .collect();
        serde_json::from_value(serde_json::Value::Object(pairs)).unwrap()
    }

    #[test]
    fn links_keep_the_search() {
        let q = FleetQuery::new("ESP 32", Some(DeviceStatus::NeverSeen), 0);
        assert!(q.is_err());
        let q = FleetQuery::new("ESP32", Some(DeviceStatus::NeverSeen), 4).unwrap();
        assert_eq!(q.href(5), "/devices?q=ESP32&status=never-seen&page=5");
        assert_eq!(FleetQuery::default().href(0), "/devices");
    }

    #[test]
    fn a_page_count_is_never_zero() {
        let page = |matching| FleetPage {
            firing: vec![],
            devices: vec![],
            matching,
            total: matching,
            page: 0,
        };
        assert_eq!(
            (page(0).pages(), page(50).pages(), page(51).pages()),
            (1, 1, 2)
        );
    }
}
