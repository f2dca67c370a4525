//! The map: where devices last were, one marker each, or, past [`MAP_MARKERS`] devices, one
//! marker per group of nearby devices, so a fleet of any size draws (and travels) bounded.

use serde::{Deserialize, Serialize};

/// Markers the map draws at most.
pub const MAP_MARKERS: usize = 200;
/// Past [`MAP_MARKERS`] devices, the fleet's area is cut into this many cells a side and
/// each cell's devices share a marker (at most 14 × 14 = 196): on the drawing, a cell is
/// about as wide as a marker with its label, so devices that would cover each other merge.
const CELLS: usize = 14;

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
            (((v - lo) / width * CELLS as f64) as usize).min(CELLS - 1)
        };
        // Sums of latitude and longitude, and the marker so far, per cell.
        let mut cells: std::collections::BTreeMap<(usize, usize), (f64, f64, MapMarker)> =
            Default::default();
        for p in positions {
            let key = (cell(p.lat, lat), cell(p.lon, lon));
            let (lat_sum, lon_sum, marker) = cells.entry(key).or_insert_with(|| {
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
        // 10,000 devices around two cities.
        let mut fleet: Vec<_> = (0..10_000)
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
        let markers = |fleet: Vec<DevicePosition>| {
            let map = FleetMap::of(fleet);
            assert!(map.markers.len() <= MAP_MARKERS, "{}", map.markers.len());
            let counts: Vec<usize> = map.markers.iter().map(|m| m.count).collect();
            assert_eq!(counts.iter().sum::<usize>(), map.devices, "none lost");
            map.markers
        };
        let two = markers(fleet.clone());
        assert_eq!(two.len(), 2, "one marker a city");
        assert_eq!((two[0].device.as_str(), two[0].count), ("d00001", 5_000));
        assert!((two[0].lat - 48.205).abs() < 1e-9 && (two[0].lon - 16.365).abs() < 1e-9);
        // One device on the other side of the world: the map spans it, and the two cities,
        // a pixel apart now, share a marker.
        fleet.push(at("far", -33.9, 151.2));
        let three = markers(fleet);
        assert_eq!(three.len(), 2);
        let far = three.iter().find(|m| m.device == "far").unwrap();
        assert_eq!((far.count, far.lat, far.lon), (1, -33.9, 151.2));
    }

    #[test]
    fn devices_in_one_place_make_one_marker() {
        let fleet: Vec<_> = (0..500).map(|n| at(&format!("d{n}"), 1.0, 2.0)).collect();
        let map = FleetMap::of(fleet);
        assert_eq!(map.markers.len(), 1);
        assert_eq!((map.markers[0].count, map.markers[0].lat), (500, 1.0));
    }
}
