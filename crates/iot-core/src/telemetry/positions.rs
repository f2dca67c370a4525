//! Where every device last reported a position, for the map; viewers within a second
//! share one read.

use super::{latest_readings, rfc3339, LAST_VALUES_WITHIN};
use crate::{Backend, Error};
use iot_models::{DevicePosition, FleetMap, POSITION_FIELDS};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Where every device last reported a position (`Lat` and `Lon`) in the last 30 days, as
/// the map draws it (nearby devices sharing a marker past [`iot_models::MAP_MARKERS`]).
pub async fn positions(b: &Backend) -> Result<Arc<FleetMap>, Error> {
    let key = (
        String::new(),
        "positions".into(),
        chrono::Utc::now().timestamp(),
    );
    b.positions.get_or_read(key, || read(b)).await
}

async fn read(b: &Backend) -> Result<FleetMap, Error> {
    let mut by_device: BTreeMap<String, (Option<f64>, Option<f64>, String)> = BTreeMap::new();
    latest_readings(b, &POSITION_FIELDS, LAST_VALUES_WITHIN, |r| {
        let entry = by_device.entry(r.device.to_string()).or_default();
        match r.field {
            "Lat" => entry.0 = Some(r.value),
            _ => entry.1 = Some(r.value),
        }
        entry.2 = entry.2.clone().max(rfc3339(r.time));
    })
    .await?;
    let positions = by_device
        .into_iter()
        .filter_map(|(device, (lat, lon, time))| {
            Some(DevicePosition {
                device,
                lat: lat.filter(|l| (-90.0..=90.0).contains(l))?,
                lon: lon.filter(|l| (-180.0..=180.0).contains(l))?,
                time,
            })
        });
    Ok(FleetMap::of(positions.collect()))
}
