//! The map: where devices last were, one marker each, or, past [`MAP_MARKERS`] devices, one
//! marker per group of nearby devices, so a fleet of any size draws (and travels) bounded.

use serde::{Deserialize, Serialize};

/// Markers the map draws at most.
pub const MAP_MARKERS: usize = 200;
/// Past [`MAP_MARKERS`] devices, devices in one cell of a grid over the fleet's area share
/// a marker; the finest grid tried has this many cells a side.
const FINEST: usize = 1 << 12;

/// Where a device last was.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DevicePosition {
    pub device: String,
    pub lat: f64,
    pub lon: f64,
    /// RFC 3339, when it reported that position.
    pub time: String,
}

/// One marker: a device, or `count` devices near each other (at their mean position).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MapMarker {
    pub lat: f64,
    pub lon: f64,
    /// The device, or the first of the group by id.
    pub device: String,
    pub count: usize,
    /// RFC 3339: when the device reported, or the latest report of the group.
    pub time: String,
}

/// What the map draws, and how many devices it stands for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FleetMap {
    pub markers: Vec<MapMarker>,
    pub devices: usize,
}

impl FleetMap {
    pub fn of(mut positions: Vec<DevicePosition>) -> FleetMap {
        let devices = positions.len();
        positions.sort_by(|a, b| a.device.cmp(&b.device));
        if devices <= MAP_MARKERS {
            let markers = positions.into_iter().map(|p| MapMarker {
                lat: p.lat,
                lon: p.lon,
                device: p.device,
                count: 1,
                time: p.time,
            });
            return FleetMap {
                markers: markers.collect(),
                devices,
            };
        }
        let span = |of: fn(&DevicePosition) -> f64| {
            let values = positions.iter().map(of);
            let lo = values.clone().fold(f64::INFINITY, f64::min);
            let hi = values.fold(f64::NEG_INFINITY, f64::max);
            (lo, (hi - lo).max(f64::MIN_POSITIVE))
        };
        let (lat, lon) = (span(|p| p.lat), span(|p| p.lon));
        let cell = |v: f64, (lo, width): (f64, f64)| {
            (((v - lo) / width * FINEST as f64) as usize).min(FINEST - 1)
        };
        let finest: Vec<(usize, usize)> = positions
            .iter()
            .map(|p| (cell(p.lat, lat), cell(p.lon, lon)))
            .collect();
        // The finest grid (cells halved in size at each step from the whole area) on which
        // the devices fill at most MAP_MARKERS cells: far-apart places stay apart.
        let coarse = |shift: u32| {
            let cells = finest.iter().map(move |(i, j)| (i >> shift, j >> shift));
            cells.collect::<std::collections::BTreeSet<_>>().len() <= MAP_MARKERS
        };
        let shift = (0..=FINEST.ilog2())
            .find(|s| coarse(*s))
            .unwrap_or(FINEST.ilog2());
        // Sums of latitude and longitude, and the marker so far, per cell.
        let mut cells: std::collections::BTreeMap<(usize, usize), (f64, f64, MapMarker)> =
            Default::default();
        for (p, (i, j)) in positions.into_iter().zip(finest) {
            let (lat_sum, lon_sum, marker) =
                cells.entry((i >> shift, j >> shift)).or_insert_with(|| {
                    let first = MapMarker {
                        lat: 0.0,
                        lon: 0.0,
                        device: p.device.clone(),
                        count: 0,
                        time: String::new(),
                    };
                    (0.0, 0.0, first)
                });
            *lat_sum += p.lat;
            *lon_sum += p.lon;
            marker.count += 1;
            marker.time = marker.time.clone().max(p.time);
        }
        let markers = cells
            .into_values()
            .map(|(lat_sum, lon_sum, marker)| MapMarker {
                lat: lat_sum / marker.count as f64,
                lon: lon_sum / marker.count as f64,
                ..marker
            });
        FleetMap {
            markers: markers.collect(),
            devices,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(device: &str, lat: f64, lon: f64) -> DevicePosition {
        DevicePosition {
            device: device.into(),
            lat,
            lon,
            time: format!("2026-12-01T00:00:{:02}Z", device.len() % 60),
        }
    }

    #[test]
    fn up_to_the_bound_every_device_has_its_marker() {
        let fleet: Vec<_> = (0..MAP_MARKERS)
            .map(|n| at(&format!("d{n:03}"), 50.0 + n as f64 / 1e3, 14.0))
            .collect();
        let map = FleetMap::of(fleet);
        assert_eq!((map.devices, map.markers.len()), (MAP_MARKERS, MAP_MARKERS));
        assert!(map.markers.iter().all(|m| m.count == 1));
        assert_eq!(map.markers[0].device, "d000");
    }

    #[test]
    fn past_the_bound_nearby_devices_share_a_marker_and_none_is_lost() {
        // 10,000 devices around two cities, and one far away.
        let mut fleet: Vec<_> = (0..9_999)
            .map(|n| {
                let (lat, lon) = if n % 2 == 0 {
                    (50.08, 14.42)
                } else {
                    (48.2, 16.37)
                };
                let jitter = (n % 100) as f64 / 1e4;
                at(&format!("d{n:05}"), lat + jitter, lon - jitter)
            })
            .collect();
        fleet.push(at("far", -33.9, 151.2));
        let map = FleetMap::of(fleet);
        assert_eq!(map.devices, 10_000);
        assert!(map.markers.len() <= MAP_MARKERS, "{}", map.markers.len());
        assert_eq!(map.markers.iter().map(|m| m.count).sum::<usize>(), 10_000);
        let far = map.markers.iter().find(|m| m.device == "far").unwrap();
        assert_eq!((far.count, far.lat, far.lon), (1, -33.9, 151.2));
        let near = |lat: f64, lon: f64| {
            let markers = map.markers.iter();
            let near = markers.filter(|m| (m.lat - lat).abs() < 0.1 && (m.lon - lon).abs() < 0.1);
            near.map(|m| m.count).sum::<usize>()
        };
        assert_eq!((near(50.08, 14.42), near(48.2, 16.37)), (5_000, 4_999));
    }

    #[test]
    fn devices_in_one_place_make_one_marker() {
        let fleet: Vec<_> = (0..500).map(|n| at(&format!("d{n}"), 1.0, 2.0)).collect();
        let map = FleetMap::of(fleet);
        assert_eq!(map.markers.len(), 1);
        assert_eq!((map.markers[0].count, map.markers[0].lat), (500, 1.0));
    }
}
