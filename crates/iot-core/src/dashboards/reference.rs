//! The reference IoT Center's dynamic dashboards (iot-center-v2's `DashboardDefiniton`:
//! `cells` of type `plot` — `line` or `gauge` —, `geo`, `svg` and `md`, each with a
//! `layout` on a 12-column grid, and `supportedDevices`), mapped to ours. What has no
//! counterpart is named in a note cell at the bottom, so the import says what it left out.

use serde::Deserialize;
use serde_json::{json, Value};

/// Whether `json` is one of the reference's dashboards: cells with a `layout`, no title.
pub fn is_reference(json: &str) -> bool {
    let Ok(Value::Object(o)) = serde_json::from_str::<Value>(json) else {
        return false;
    };
    !o.contains_key("title")
        && o.get("cells")
            .and_then(Value::as_array)
            .is_some_and(|cells| cells.iter().any(|c| c.get("layout").is_some()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Definition {
    cells: Vec<Value>,
    #[serde(default)]
    no_device_cells: Vec<Value>,
    supported_devices: Option<SupportedDevices>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SupportedDevices {
    #[serde(default)]
    device_types: Vec<String>,
    #[serde(default)]
    devices: Vec<String>,
}

#[derive(Deserialize)]
struct Layout {
    x: u8,
    y: u16,
    w: u8,
    h: u8,
}

/// `field`: one name or several.
#[derive(Deserialize)]
#[serde(untagged)]
enum Fields {
    One(String),
    Many(Vec<String>),
}

impl Fields {
    fn names(self) -> Vec<String> {
        match self {
            Fields::One(f) => vec![f],
            Fields::Many(fs) => fs,
        }
    }
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Cell {
    #[serde(rename_all = "camelCase")]
    Plot {
        layout: Layout,
        plot_type: PlotType,
        field: Fields,
        label: Option<String>,
        range: Option<Range>,
        unit: Option<String>,
        decimal_places: Option<u8>,
    },
    #[serde(rename_all = "camelCase")]
    Geo {
        layout: Layout,
        lat_field: String,
        lon_field: String,
    },
    Md {
        layout: Layout,
        md: String,
    },
    Svg {
        file: String,
    },
}

#[derive(Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
enum PlotType {
    Line,
    Gauge,
}

#[derive(Deserialize)]
struct Range {
    min: f64,
    max: f64,
}

/// Our dashboard's JSON for a reference dashboard (checked, as any, by `parse_spec`), or
/// what in it is malformed, by its path.
pub fn mapped(json: &str) -> Result<String, String> {
    let definition: Definition = from_json(json, "")?;
    let mut left_out = Vec::new();
    let mut cells = Vec::new();
    for (i, cell) in definition.cells.iter().enumerate() {
        let kind = cell.get("type").and_then(Value::as_str).unwrap_or_default();
        if !["plot", "geo", "md", "svg"].contains(&kind) {
            left_out.push(format!("cells[{i}]: a {kind:?} cell has no counterpart"));
            continue;
        }
        let cell: Cell = from_json(&cell.to_string(), &format!("cells[{i}]"))?;
        match map_cell(cell) {
            Ok((cell, lost)) => {
                cells.push(cell);
                left_out.extend(lost.map(|l| format!("cells[{i}]: {l}")));
            }
            Err(lost) => left_out.push(format!("cells[{i}]: {lost}")),
        }
    }
    if !definition.no_device_cells.is_empty() {
        left_out.push(format!(
            "noDeviceCells: the {} cells shown while no device is picked (here a dashboard always shows one)",
            definition.no_device_cells.len()
        ));
    }
    let devices = match definition.supported_devices {
        Some(s) if !s.devices.is_empty() => {
            if !s.device_types.is_empty() {
                left_out.push(format!(
                    "supportedDevices.deviceTypes {:?}: devices are chosen by id here",
                    s.device_types
                ));
            }
            json!({ "devices": s.devices })
        }
        Some(s) if !s.device_types.is_empty() => {
            left_out.push(format!("supportedDevices.deviceTypes {:?}: devices are chosen by id here, so the dashboard is for every device (set its devices to an id prefix)", s.device_types));
            json!({ "prefix": "" })
        }
        _ => json!({ "prefix": "" }),
    };
    if !left_out.is_empty() {
        let bottom = cells
            .iter()
            .map(|c| c["y"].as_u64().unwrap_or(0) + c["h"].as_u64().unwrap_or(0))
            .max()
            .unwrap_or(0);
        let text = format!(
            "Imported from the reference IoT Center. Not mapped:\n{}",
            left_out
                .iter()
                .map(|l| format!("- {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        let text: String = text.chars().take(iot_models::MAX_NOTE).collect();
        cells.push(json!({"x": 0, "y": bottom, "w": 12, "h": 2, "type": "note", "text": text}));
    }
    let spec = json!({
        "title": "Imported from the reference IoT Center",
        "devices": devices,
        "range": "1d",
        "cells": cells,
    });
    Ok(spec.to_string())
}

/// `json` read as a `T`, or what is wrong by its path (under `at`, the path of `json`).
fn from_json<T: serde::de::DeserializeOwned>(json: &str, at: &str) -> Result<T, String> {
    let mut reader = serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(&mut reader).map_err(|e| {
        let path = match (at, e.path().to_string().as_str()) {
            (at, ".") => at.to_string(),
            ("", path) => path.to_string(),
            (at, path) => format!("{at}.{path}"),
        };
        match path.as_str() {
            "" => e.inner().to_string(),
            path => format!("{path}: {}", e.inner()),
        }
    })
}

/// Our cell for a reference cell, with what it loses (`Err`: it cannot be mapped).
fn map_cell(cell: Cell) -> Result<(Value, Option<String>), String> {
    let place = |l: &Layout, title: Option<String>| {
        // Heights past ours are cut to ours: the cell is still all there, shorter.
        let h = l.h.clamp(1, iot_models::MAX_HEIGHT);
        let mut v = json!({"x": l.x, "y": l.y, "w": l.w, "h": h});
        if let Some(t) = title.filter(|t| !t.trim().is_empty()) {
            v["title"] = json!(t);
        }
        v
    };
    let with = |mut v: Value, kind: Value| {
        if let (Some(v), Value::Object(kind)) = (v.as_object_mut(), kind) {
            v.extend(kind);
        }
        v
    };
    match cell {
        Cell::Plot { layout, plot_type: PlotType::Line, field, label, .. } => Ok((
            with(place(&layout, label), json!({"type": "line", "fields": field.names()})),
            None,
        )),
        Cell::Plot { layout, field, label, range, unit, decimal_places, .. } => {
            let field = field.names().into_iter().next().unwrap_or_default();
            let range = range.ok_or("a gauge needs its range (min, max) to be drawn")?;
            let lost = (unit.is_some() || decimal_places.is_some())
                .then(|| "the gauge's unit and decimalPlaces (it shows the field's own unit and precision)".to_string());
            let kind = json!({"type": "gauge", "field": field, "min": range.min, "max": range.max});
            Ok((with(place(&layout, label), kind), lost))
        }
        Cell::Geo { layout, lat_field, lon_field } => Ok((
            with(place(&layout, None), json!({"type": "geo", "lat": lat_field, "lon": lon_field})),
            None,
        )),
        Cell::Md { layout, md } => Ok((
            with(place(&layout, None), json!({"type": "note", "text": md})),
            None,
        )),
        Cell::Svg { file, .. } => Err(format!(
            "the svg cell's drawing {file:?} is a separate file: add an svg cell and paste its markup"
        )),
    }
}

#[cfg(test)]
mod tests {
    use crate::dashboards::parse_import;
    use iot_models::{CellKind, DeviceSet};

    /// A dynamic dashboard as the reference's definitions directory holds them.
    const REFERENCE: &str = r#"{
        "$schema": "./schema.json",
        "supportedDevices": {"devices": ["virtual_device", "ESP32-0A1B2C"]},
        "cells": [
            {"type": "plot", "plotType": "gauge", "layout": {"x": 0, "y": 0, "w": 3, "h": 3},
             "field": "Temperature", "label": "Temperature", "range": {"min": -10, "max": 50},
             "unit": "°C", "decimalPlaces": 1},
            {"type": "plot", "plotType": "line", "layout": {"x": 3, "y": 0, "w": 9, "h": 3},
             "field": ["Temperature", "Humidity"], "label": "Climate"},
            {"type": "geo", "layout": {"x": 0, "y": 3, "w": 6, "h": 4},
             "latField": "Lat", "lonField": "Lon", "Live": {"zoom": 7}, "Past": {}},
            {"type": "svg", "layout": {"x": 6, "y": 3, "w": 6, "h": 4},
             "field": ["Temperature"], "file": "house.svg"},
            {"type": "md", "layout": {"x": 0, "y": 7, "w": 12, "h": 1}, "md": "Greenhouse 2"}
        ]
    }"#;

    #[test]
    fn a_reference_dashboard_imports_and_what_does_not_map_is_named() {
        let spec = parse_import(REFERENCE).unwrap();
        assert_eq!(
            spec.devices,
            DeviceSet::Devices(vec![
                iot_models::DeviceId::parse("virtual_device").unwrap(),
                iot_models::DeviceId::parse("ESP32-0A1B2C").unwrap()
            ])
        );
        let kinds: Vec<&str> = spec.cells.iter().map(|c| c.kind.name()).collect();
        assert_eq!(kinds, ["gauge", "line", "geo", "note", "note"]);
        assert_eq!(spec.cells[1].title.as_deref(), Some("Climate"));
        assert_eq!(spec.cells[1].kind.fields().len(), 2);
        assert!(
            matches!(spec.cells[0].kind, CellKind::Gauge { min, max, .. } if min == -10.0 && max == 50.0)
        );
        let CellKind::Note { text } = &spec.cells[4].kind else {
            unreachable!()
        };
        assert_eq!(
            (spec.cells[4].y, spec.cells[4].w),
            (8, 12),
            "the note goes below every cell"
        );
        assert!(
            text.contains("cells[3]: the svg cell's drawing \"house.svg\" is a separate file"),
            "{text}"
        );
        assert!(
            text.contains("cells[0]: the gauge's unit and decimalPlaces"),
            "{text}"
        );
    }

    #[test]
    fn a_malformed_reference_dashboard_is_refused_by_its_path() {
        let e = parse_import(&REFERENCE.replace(r#""w": 9"#, r#""w": 19"#)).unwrap_err();
        assert_eq!(e, "cells[1].w: 19 columns from column 3 do not fit in 12");
        let e = parse_import(&REFERENCE.replace(r#""latField": "Lat","#, "")).unwrap_err();
        assert_eq!(e, "cells[2]: missing field `latField`");
    }

    #[test]
    fn cells_with_no_counterpart_are_left_out_by_name() {
        let spec = parse_import(r#"{"cells": [{"type": "pie", "layout": {"x": 0, "y": 0, "w": 1, "h": 1}},
            {"type": "plot", "plotType": "gauge", "layout": {"x": 1, "y": 0, "w": 1, "h": 1}, "field": "T"}],
            "noDeviceCells": [{}]}"#).unwrap();
        assert_eq!(spec.cells.len(), 1, "only the note");
        let CellKind::Note { text } = &spec.cells[0].kind else {
            unreachable!()
        };
        assert!(
            text.contains("cells[0]: a \"pie\" cell has no counterpart"),
            "{text}"
        );
        assert!(text.contains("cells[1]: a gauge needs its range"), "{text}");
        assert!(text.contains("noDeviceCells: the 1 cells"), "{text}");
    }
}
