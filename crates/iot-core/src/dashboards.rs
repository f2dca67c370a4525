//! Dashboards users build (`iot_models::DashboardSpec`): read from JSON with every error
//! named by its path, kept with their versions (`store.rs`), and drawn — each cell's data
//! read from InfluxDB at the dashboard's range, downsampled there.

pub mod shares;
pub mod store;

use crate::{telemetry, Backend, Error};
use futures_util::future::join_all;
use influx_client::flux::TimeRange;
use iot_models::{
    window_within, CellData, CellDevices, CellKind, CellSpec, DashboardView, DeviceId, DeviceSet,
    FleetQuery, SavedDashboard, Series, TimeWindow, MAX_CELL_DEVICES,
};

/// The most bytes a dashboard's JSON may have.
pub const MAX_JSON: usize = 256 * 1024;

/// A dashboard from its JSON: what does not fit the format, and what breaks a bound, are
/// named by their JSON path (`cells[2].type: unknown variant …`).
pub fn parse_spec(json: &str) -> Result<iot_models::DashboardSpec, String> {
    if json.len() > MAX_JSON {
        return Err(format!(
            "the dashboard is {} bytes, more than {MAX_JSON}",
            json.len()
        ));
    }
    let mut reader = serde_json::Deserializer::from_str(json);
    let spec: iot_models::DashboardSpec =
        serde_path_to_error::deserialize(&mut reader).map_err(|e| {
            match e.path().to_string().as_str() {
                "." => e.inner().to_string(),
                path => format!("{path}: {}", e.inner()),
            }
        })?;
    spec.check()?;
    Ok(spec)
}

/// A saved dashboard with its cells' data, for device `picked` (else its first device).
pub async fn view(
    b: &Backend,
    dashboard: SavedDashboard,
    picked: Option<&DeviceId>,
    editable: bool,
) -> Result<DashboardView, Error> {
    let spec = &dashboard.spec;
    let (devices, matching) = devices_of(b, &spec.devices).await?;
    let picked = match picked {
        Some(id) if spec.devices.includes(id) => Some(id.to_string()),
        Some(id) => {
            return Err(Error::NotFound(format!(
                "dashboard {:?} is not for device {id}",
                spec.title
            )))
        }
        None => devices.first().cloned(),
    };
    let window = TimeWindow::Last(spec.range_choice());
    let reads = spec
        .cells
        .iter()
        .map(|cell| cell_data(b, cell, &devices, picked.as_deref(), &window));
    let cells = join_all(reads).await;
    let json = serde_json::to_string_pretty(spec).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(DashboardView {
        json,
        dashboard,
        devices,
        matching,
        picked,
        cells,
        editable,
        now_ms: chrono::Utc::now().timestamp_millis(),
    })
}

/// The dashboard's devices by id (a prefix's first [`MAX_CELL_DEVICES`]), and how many
/// it is for.
async fn devices_of(b: &Backend, set: &DeviceSet) -> Result<(Vec<String>, usize), Error> {
    Ok(match set {
        DeviceSet::Device(id) => (vec![id.to_string()], 1),
        DeviceSet::Devices(ids) => (ids.iter().map(|i| i.to_string()).collect(), ids.len()),
        DeviceSet::Prefix(prefix) => {
            let query = FleetQuery {
                prefix: prefix.clone(),
                ..FleetQuery::default()
            };
            let page = b.fleet.page(b, &query).await?;
            let ids = page.devices.into_iter().map(|d| d.id);
            (ids.take(MAX_CELL_DEVICES).collect(), page.matching)
        }
    })
}

/// Points a series of a cell holds at most: about one per two pixels of its width (a
/// column is about 100 px wide), fewer when many lines share the cell — at most
/// [`MAX_CELL_POINTS`] in all — and never fewer than [`MIN_SERIES_POINTS`].
const POINTS_PER_COLUMN: u64 = 50;
const MAX_CELL_POINTS: u64 = 20_000;
const MIN_SERIES_POINTS: u64 = 24;

fn points_for(columns: u8, lines: usize) -> u64 {
    (u64::from(columns) * POINTS_PER_COLUMN)
        .min(MAX_CELL_POINTS / lines.max(1) as u64)
        .max(MIN_SERIES_POINTS)
}

/// A cell's data; viewers of the same cell (same devices, kind, width and range) share
/// one read while its window's step lasts.
async fn cell_data(
    b: &Backend,
    cell: &CellSpec,
    dashboards: &[String],
    picked: Option<&str>,
    window: &TimeWindow,
) -> CellData {
    let devices: Vec<&str> = match &cell.devices {
        CellDevices::Picked => picked.into_iter().collect(),
        CellDevices::All => dashboards.iter().map(String::as_str).collect(),
        CellDevices::List(ids) => ids.iter().map(DeviceId::as_str).collect(),
    };
    if cell.kind.fields().is_empty() || devices.is_empty() {
        return CellData::default();
    }
    let shown = &devices[..devices.len().min(MAX_CELL_DEVICES)];
    let range = telemetry::time_range(window);
    let key = (
        shown.join(","),
        format!("{:?} {} {window:?}", cell.kind, cell.w),
        telemetry::step_of(&range, chrono::Utc::now()),
    );
    let read = b
        .cells
        .get_or_read(key, || read_cell(b, cell, shown, window))
        .await;
    match read {
        Ok(data) => CellData {
            devices_left_out: devices.len() - shown.len(),
            ..(*data).clone()
        },
        Err(e) => CellData {
            error: Some(e.to_string()),
            ..CellData::default()
        },
    }
}

/// What a cell of `devices` draws: a chart's series downsampled to its width; a value's,
/// gauge's or table's latest points as written, and for a value the sparkline of the
/// device whose point is newest.
async fn read_cell(
    b: &Backend,
    cell: &CellSpec,
    devices: &[&str],
    window: &TimeWindow,
) -> Result<CellData, Error> {
    let fields: Vec<&str> = cell.kind.fields().into_iter().map(|f| f.as_str()).collect();
    let range = telemetry::time_range(window);
    let mut data = CellData::default();
    match &cell.kind {
        CellKind::Line { .. } => {
            data.series = chart_series(b, cell.w, devices, &fields, &range).await?
        }
        CellKind::Value { .. } => {
            data.latest = telemetry::latest_of(b, devices, &fields, &range).await?;
            let newest = data
                .latest
                .iter()
                .max_by_key(|s| s.points.last().map(|p| p.0));
            if let Some(newest) = newest.map(|s| s.device.clone()) {
                data.series = chart_series(b, cell.w, &[&newest], &fields, &range).await?;
            }
        }
        CellKind::Gauge { .. } | CellKind::Table { .. } => {
            data.latest = telemetry::latest_of(b, devices, &fields, &range).await?
        }
        CellKind::Note { .. } => {}
    }
    Ok(data)
}

/// Series of `fields` of `devices` for a chart `columns` wide.
async fn chart_series(
    b: &Backend,
    columns: u8,
    devices: &[&str],
    fields: &[&str],
    range: &TimeRange,
) -> Result<Vec<Series>, Error> {
    let seconds = telemetry::range_seconds(range, chrono::Utc::now());
    let lines = devices.len() * fields.len();
    let every = window_within(seconds, points_for(columns, lines)).unwrap_or(1);
    let (series, _) = telemetry::read_series(b, devices, fields, range, every).await?;
    Ok(series)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_holds_about_a_point_per_two_pixels_and_less_when_crowded() {
        assert_eq!(points_for(6, 1), 300);
        assert_eq!(points_for(12, 4), 600);
        assert_eq!(points_for(12, 50), 400);
        assert_eq!(points_for(1, 2_000), MIN_SERIES_POINTS);
    }

    #[test]
    fn errors_name_their_json_path() {
        let e = parse_spec(r#"{"title": "t", "devices": {"device": "d"}, "cells": [{"x": 0, "y": 0, "w": 1, "h": 1, "type": "pie"}]}"#).unwrap_err();
        assert!(e.starts_with("cells[0]: unknown variant `pie`"), "{e}");
        let e = parse_spec(r#"{"title": "t", "devices": {"device": "bad id!"}, "cells": []}"#)
            .unwrap_err();
        assert!(e.starts_with("devices.device: "), "{e}");
        let e = parse_spec(r#"{"title": "t", "devices": {"device": "d"}, "cells": [{"x": 0, "y": 0, "w": 13, "h": 1, "type": "value", "field": "T"}]}"#).unwrap_err();
        assert_eq!(e, "cells[0].w: 13 columns from column 0 do not fit in 12");
        let e = parse_spec("[1, 2]").unwrap_err();
        assert!(e.contains("invalid type"), "{e}");
        let big = format!("{{\"title\": \"{}\"}}", "x".repeat(MAX_JSON));
        assert!(parse_spec(&big).unwrap_err().contains("more than 262144"));
    }

    /// The schema editors are given says what the server checks: the same cell types, the
    /// same ranges, the same grid.
    #[test]
    fn the_published_schema_agrees_with_the_checks() {
        let schema: serde_json::Value = serde_json::from_str(include_str!(
            "../../../public/schemas/dashboard.schema.json"
        ))
        .unwrap();
        let cell = &schema["$defs"]["cell"]["properties"];
        let types: Vec<&str> = cell["type"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        for t in &types {
            let json = format!(
                r#"{{"title": "t", "devices": {{"device": "d"}}, "cells": [{{"x": 0, "y": 0, "w": 1, "h": 1,
                    "type": "{t}", "field": "T", "fields": ["T"], "min": 0, "max": 1, "text": ""}}]}}"#
            );
            assert!(parse_spec(&json).is_ok(), "{t}: {:?}", parse_spec(&json));
        }
        assert_eq!(types.len(), 5);
        let ranges: Vec<&str> = schema["properties"]["range"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        let labels: Vec<&str> = iot_models::RangeChoice::ALL
            .iter()
            .map(|r| r.label())
            .collect();
        assert_eq!(ranges, labels);
        assert_eq!(cell["w"]["maximum"], iot_models::GRID_COLUMNS);
        assert_eq!(
            schema["properties"]["cells"]["maxItems"],
            iot_models::MAX_CELLS
        );
    }
}
