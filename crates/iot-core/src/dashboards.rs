//! Dashboards users build (`iot_models::DashboardSpec`): read from JSON with every error
//! named by its path, kept with their versions (`store.rs`), and drawn — each cell's data
//! read from InfluxDB at the dashboard's range, downsampled there.

mod device_pages;
mod reads;
mod reference;
pub mod shares;
pub mod store;
mod svg;

use crate::{telemetry, Backend, Error};
use futures_util::future::join_all;
use iot_models::{
    window_within, CellData, CellDevices, CellKind, CellSpec, DashboardView, DeviceId, DeviceSet,
    FleetQuery, SavedDashboard, TimeWindow, MAX_CELL_DEVICES,
};
use reads::{ReadKey, Reads};

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
    sanitise_drawings(spec)
}

/// A dashboard to import: one as exported (or written by hand), or one of the reference
/// IoT Center's dynamic dashboards, mapped to ours (what does not map is told in a note
/// cell at the bottom).
pub fn parse_import(json: &str) -> Result<iot_models::DashboardSpec, String> {
    match reference::is_reference(json) {
        true => parse_spec(&reference::mapped(json)?),
        false => parse_spec(json),
    }
}

/// Every SVG cell's drawing with only what may be inlined in a page (`svg.rs`).
fn sanitise_drawings(
    mut spec: iot_models::DashboardSpec,
) -> Result<iot_models::DashboardSpec, String> {
    for (i, cell) in spec.cells.iter_mut().enumerate() {
        if let CellKind::Svg { svg, .. } = &mut cell.kind {
            *svg = svg::sanitise(svg).map_err(|e| format!("cells[{i}].svg: {e}"))?;
        }
    }
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
    let cells = cells_data(b, &spec.cells, &devices, picked.as_deref(), &window).await;
    let json = serde_json::to_string_pretty(spec).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(DashboardView {
        json,
        dashboard,
        devices,
        matching,
        picked,
        cells,
        editable,
        device_page: false,
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
/// [`MAX_CELL_POINTS`] in all: 50 lines in a chart are read as a trend, not point by point
/// — and never fewer than [`MIN_SERIES_POINTS`].
const POINTS_PER_COLUMN: u64 = 50;
const MAX_CELL_POINTS: u64 = 6_000;
const MIN_SERIES_POINTS: u64 = 24;

fn points_for(columns: u8, lines: usize) -> u64 {
    (u64::from(columns) * POINTS_PER_COLUMN)
        .min(MAX_CELL_POINTS / lines.max(1) as u64)
        .max(MIN_SERIES_POINTS)
}

/// The devices a cell shows (the first [`MAX_CELL_DEVICES`]), and how many it leaves out.
fn cell_devices(
    cell: &CellSpec,
    dashboards: &[String],
    picked: Option<&str>,
) -> (Vec<String>, usize) {
    let devices: Vec<String> = match &cell.devices {
        CellDevices::Picked => picked.into_iter().map(String::from).collect(),
        CellDevices::All => dashboards.to_vec(),
        CellDevices::List(ids) => ids.iter().map(|i| i.to_string()).collect(),
    };
    let left_out = devices.len().saturating_sub(MAX_CELL_DEVICES);
    (
        devices.into_iter().take(MAX_CELL_DEVICES).collect(),
        left_out,
    )
}

/// Every cell's data, in two rounds of merged reads: the charts and the latest points,
/// then the sparklines of the devices whose points are newest in each value cell.
async fn cells_data(
    b: &Backend,
    cells: &[CellSpec],
    dashboards: &[String],
    picked: Option<&str>,
    window: &TimeWindow,
) -> Vec<CellData> {
    let range = telemetry::time_range(window);
    let seconds = telemetry::range_seconds(&range, chrono::Utc::now());
    let chart = |devices: Vec<String>, cell: &CellSpec| {
        let lines = devices.len() * cell.kind.fields().len();
        let every = window_within(seconds, points_for(cell.w, lines)).unwrap_or(1);
        ReadKey {
            devices,
            every: Some(every),
        }
    };
    let latest = |devices: Vec<String>| ReadKey {
        devices,
        every: None,
    };
    let fields_of = |cell: &CellSpec| -> Vec<String> {
        cell.kind.fields().iter().map(|f| f.to_string()).collect()
    };
    let shown: Vec<(Vec<String>, usize)> = cells
        .iter()
        .map(|c| cell_devices(c, dashboards, picked))
        .collect();
    let stats = cells.iter().zip(&shown).map(|(cell, (devices, _))| async {
        match (&cell.kind, devices.first()) {
            (CellKind::Stats { .. }, Some(device)) => {
                Some(telemetry::field_stats(b, device, &range).await)
            }
            _ => None,
        }
    });
    let first_round = cells
        .iter()
        .zip(&shown)
        .filter(|(c, (d, _))| {
            !matches!(c.kind, CellKind::Stats { .. })
                && !c.kind.fields().is_empty()
                && !d.is_empty()
        })
        .map(|(cell, (devices, _))| {
            let key = match cell.kind {
                CellKind::Line { .. } | CellKind::Geo { .. } => chart(devices.clone(), cell),
                _ => latest(devices.clone()),
            };
            (key, fields_of(cell))
        });
    let (stats, first) = tokio::join!(join_all(stats), Reads::of(b, first_round.collect(), &range));
    let newest = |cell: &CellSpec, devices: &[String]| -> Option<String> {
        let fields = fields_of(cell);
        let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
        let points = first.get(&latest(devices.to_vec()), &fields).ok()?;
        points
            .iter()
            .max_by_key(|s| s.points.last().map(|p| p.0))
            .map(|s| s.device.clone())
    };
    let sparklines: Vec<Option<ReadKey>> = cells
        .iter()
        .zip(&shown)
        .map(|(cell, (devices, _))| match cell.kind {
            CellKind::Value { .. } => newest(cell, devices).map(|d| chart(vec![d], cell)),
            _ => None,
        })
        .collect();
    let second_round = cells
        .iter()
        .zip(&sparklines)
        .filter_map(|(cell, key)| Some((key.clone()?, fields_of(cell))));
    let second = Reads::of(b, second_round.collect(), &range).await;
    cells
        .iter()
        .zip(shown)
        .zip(sparklines)
        .zip(stats)
        .map(|(((cell, (devices, left_out)), sparkline), stats)| {
            let fields = fields_of(cell);
            let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
            let data = match (&cell.kind, devices.is_empty() || fields.is_empty()) {
                (_, true) => Ok(CellData::default()),
                (CellKind::Stats { .. }, _) => {
                    stats.unwrap_or(Ok(Default::default())).map(|all| CellData {
                        stats: all
                            .iter()
                            .filter(|s| fields.contains(&s.field.as_str()))
                            .cloned()
                            .collect(),
                        ..CellData::default()
                    })
                }
                (CellKind::Line { .. } | CellKind::Geo { .. }, _) => first
                    .get(&chart(devices, cell), &fields)
                    .map(|series| CellData {
                        series,
                        ..CellData::default()
                    }),
                (_, _) => first.get(&latest(devices), &fields).and_then(|latest| {
                    let series = match &sparkline {
                        Some(key) => second.get(key, &fields)?,
                        None => Vec::new(),
                    };
                    Ok(CellData {
                        series,
                        latest,
                        ..CellData::default()
                    })
                }),
            };
            match data {
                Ok(data) => CellData {
                    devices_left_out: left_out,
                    ..data
                },
                Err(e) => CellData {
                    error: Some(e.to_string()),
                    ..CellData::default()
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_holds_about_a_point_per_two_pixels_and_less_when_crowded() {
        assert_eq!(points_for(6, 1), 300);
        assert_eq!(points_for(12, 4), 600);
        assert_eq!(points_for(12, 50), 120);
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
                    "type": "{t}", "field": "T", "fields": ["T"], "min": 0, "max": 1, "text": "", "svg": "<svg/>"}}]}}"#
            );
            assert!(parse_spec(&json).is_ok(), "{t}: {:?}", parse_spec(&json));
        }
        assert_eq!(types.len(), 8);
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
