//! One field of several devices, on shared windows; viewers of one comparison share its
//! read while the window's step lasts, as a dashboard's.

use super::{read_series, step_of, time_range};
use crate::{Backend, Error};
use iot_models::{
    align, Comparison, DeviceId, DeviceSelection, ExportRequest, FieldName, Series, TimeWindow,
};
use std::sync::Arc;

/// One field of several devices. Windows are at least one measurement interval long, so the
/// devices' points fall on the same times and their lines can be read against each other.
pub async fn compare(
    b: &Backend,
    selection: &DeviceSelection,
    field_name: &FieldName,
    window: &TimeWindow,
) -> Result<Arc<Comparison>, Error> {
    let range = time_range(window);
    let ids: Vec<&str> = selection.ids().iter().map(DeviceId::as_str).collect();
    let key = (
        ids.join(","),
        format!("{field_name} {window:?}"),
        step_of(&range, chrono::Utc::now()),
    );
    b.comparisons
        .get_or_read(key, || read(b, selection, field_name, window))
        .await
}

async fn read(
    b: &Backend,
    selection: &DeviceSelection,
    field_name: &FieldName,
    window: &TimeWindow,
) -> Result<Comparison, Error> {
    let range = time_range(window);
    let devices: Vec<&str> = selection.ids().iter().map(DeviceId::as_str).collect();
    let field = field_name.as_str();
    let (series, resolution) = read_series(
        b,
        &devices,
        &[field],
        &range,
        b.settings.measurement_interval,
    )
    .await?;
    // Every chosen device gets a line, with or without data.
    let series: Vec<Series> = devices
        .iter()
        .map(|d| {
            series
                .iter()
                .find(|s| s.device == *d)
                .cloned()
                .unwrap_or_else(|| Series {
                    device: d.to_string(),
                    field: field.to_string(),
                    points: Vec::new(),
                })
        })
        .collect();
    let export = ExportRequest {
        devices: selection.clone(),
        fields: vec![field_name.clone()],
        window: *window,
    };
    Ok(Comparison {
        field: field.to_string(),
        devices: devices.iter().map(|d| d.to_string()).collect(),
        rows: align(&series),
        resolution,
        export_href: Some(export.href()),
    })
}
