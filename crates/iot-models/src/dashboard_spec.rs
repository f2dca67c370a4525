//! Dashboards users build: a JSON document of a title, the devices it is for, a range and
//! cells on a 12-column grid (`schemas/dashboard.schema.json` describes it for editors).
//! [`DashboardSpec::check`] names what is wrong by its JSON path (`cells[2].w`).

use crate::{DeviceId, FieldName, RangeChoice};
use serde::{Deserialize, Serialize};

/// Columns of the grid.
pub const GRID_COLUMNS: u8 = 12;
/// Bounds on one dashboard: what one page load costs stays bounded.
pub const MAX_CELLS: usize = 48;
pub const MAX_CELL_DEVICES: usize = 50;
pub const MAX_CELL_FIELDS: usize = 8;
pub const MAX_DASHBOARD_DEVICES: usize = 1_000;
pub const MAX_TITLE: usize = 100;
pub const MAX_NOTE: usize = 4_000;
pub const MAX_BANDS: usize = 8;
/// The most bytes an SVG cell's markup may have.
pub const MAX_SVG: usize = 64 * 1024;
/// The lowest row a cell may start on.
pub const MAX_ROW: u16 = 200;
/// Rows a cell may span.
pub const MAX_HEIGHT: u8 = 12;

/// A dashboard as its author wrote it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DashboardSpec {
    pub title: String,
    /// The devices the dashboard is for; its device picker offers these.
    pub devices: DeviceSet,
    /// The range its cells read, as the range bar names them ("1h", "1d", "7d").
    #[serde(default = "default_range")]
    pub range: String,
    pub cells: Vec<CellSpec>,
}

fn default_range() -> String {
    RangeChoice::H1.label().to_string()
}

/// Which devices a dashboard is for: `{"device": "id"}`, `{"devices": ["a", "b"]}`, or
/// every registered device whose id starts with a prefix: `{"prefix": "ESP32-"}` (`""`:
/// every device).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceSet {
    Device(DeviceId),
    Devices(Vec<DeviceId>),
    Prefix(String),
}

/// One cell: where it sits on the grid, what it shows, and of which devices.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CellSpec {
    /// Column (0–11) and row of its top-left corner; width in columns, height in rows.
    pub x: u8,
    pub y: u16,
    pub w: u8,
    pub h: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "CellDevices::is_picked")]
    pub devices: CellDevices,
    #[serde(flatten)]
    pub kind: CellKind,
}

/// Whose data a cell shows: the device picked on the dashboard (the default), every device
/// of the dashboard (`"all"`), or its own list (`{"list": ["a", "b"]}`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CellDevices {
    #[default]
    Picked,
    All,
    List(Vec<DeviceId>),
}

impl DeviceSet {
    /// Whether the dashboard is for device `id`.
    pub fn includes(&self, id: &DeviceId) -> bool {
        match self {
            DeviceSet::Device(d) => d == id,
            DeviceSet::Devices(ids) => ids.contains(id),
            DeviceSet::Prefix(p) => id.as_str().starts_with(p.as_str()),
        }
    }

    /// How narrowly it names its devices, to choose between two device pages for one
    /// device: one device, then a list, then the longest prefix.
    pub fn narrowness(&self) -> (u8, usize) {
        match self {
            DeviceSet::Device(_) => (2, 0),
            DeviceSet::Devices(_) => (1, 0),
            DeviceSet::Prefix(p) => (0, p.len()),
        }
    }
}

impl CellDevices {
    fn is_picked(&self) -> bool {
        *self == CellDevices::Picked
    }
}

/// What a cell draws, by its `"type"`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum CellKind {
    /// Fields over the range, a line per device and field.
    Line { fields: Vec<FieldName> },
    /// The latest value on a dial from `min` to `max`, coloured by the band it falls in.
    Gauge {
        field: FieldName,
        min: f64,
        max: f64,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        bands: Vec<Band>,
    },
    /// The latest value, how old it is, and a sparkline of the range.
    Value { field: FieldName },
    /// The latest value of each field, a row per device.
    Table { fields: Vec<FieldName> },
    /// Each field's minimum, maximum and when, mean and count over the range, of one
    /// device (the picked one, or the one its list names).
    Stats { fields: Vec<FieldName> },
    /// A drawing whose `{Field}` placeholders (`{value}`: the first field) show the
    /// latest values; sanitised when saved: no scripts, handlers or outside references.
    Svg { svg: String, fields: Vec<FieldName> },
    /// Text (paragraphs and `- ` lists).
    Note { text: String },
    /// The devices' tracks over the range, from their position fields, with the heading
    /// of their last move.
    Geo {
        #[serde(default = "lat_field")]
        lat: FieldName,
        #[serde(default = "lon_field")]
        lon: FieldName,
    },
}

fn lat_field() -> FieldName {
    FieldName::parse(crate::POSITION_FIELDS[0]).unwrap_or_else(|_| unreachable!("Lat"))
}

fn lon_field() -> FieldName {
    FieldName::parse(crate::POSITION_FIELDS[1]).unwrap_or_else(|_| unreachable!("Lon"))
}

/// From `from` up (to the next band), a gauge is drawn in `color` (`#rrggbb`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Band {
    pub from: f64,
    pub color: String,
}

impl CellKind {
    /// Its `"type"` in the JSON.
    pub fn name(&self) -> &'static str {
        match self {
            CellKind::Line { .. } => "line",
            CellKind::Gauge { .. } => "gauge",
            CellKind::Value { .. } => "value",
            CellKind::Table { .. } => "table",
            CellKind::Stats { .. } => "stats",
            CellKind::Svg { .. } => "svg",
            CellKind::Note { .. } => "note",
            CellKind::Geo { .. } => "geo",
        }
    }

    /// The fields it reads (none for a note).
    pub fn fields(&self) -> Vec<&FieldName> {
        match self {
            CellKind::Line { fields }
            | CellKind::Table { fields }
            | CellKind::Stats { fields }
            | CellKind::Svg { fields, .. } => fields.iter().collect(),
            CellKind::Gauge { field, .. } | CellKind::Value { field } => vec![field],
            CellKind::Geo { lat, lon } => vec![lat, lon],
            CellKind::Note { .. } => Vec::new(),
        }
    }
}

impl DashboardSpec {
    /// What is wrong with it, by JSON path, or nothing.
    pub fn check(&self) -> Result<(), String> {
        let title = self.title.trim();
        if title.is_empty() || title.chars().count() > MAX_TITLE {
            return Err(format!("title: 1 to {MAX_TITLE} characters"));
        }
        if RangeChoice::parse(&self.range).is_none() {
            let names: Vec<&str> = RangeChoice::ALL.iter().map(|r| r.label()).collect();
            return Err(format!(
                "range: {:?} is not one of {}",
                self.range,
                names.join(", ")
            ));
        }
        match &self.devices {
            DeviceSet::Devices(ids) if ids.is_empty() || ids.len() > MAX_DASHBOARD_DEVICES => {
                return Err(format!(
                    "devices.devices: 1 to {MAX_DASHBOARD_DEVICES} devices"
                ))
            }
            DeviceSet::Prefix(p) if !p.is_empty() && DeviceId::parse(p).is_err() => {
                return Err(format!(
                    "devices.prefix: {p:?} is not the start of a device id"
                ))
            }
            _ => {}
        }
        if self.cells.len() > MAX_CELLS {
            return Err(format!(
                "cells: {} cells, at most {MAX_CELLS}",
                self.cells.len()
            ));
        }
        for (i, cell) in self.cells.iter().enumerate() {
            cell.check(&self.devices)
                .map_err(|e| format!("cells[{i}].{e}"))?;
        }
        for (i, a) in self.cells.iter().enumerate() {
            if let Some(j) = self.cells[..i].iter().position(|b| a.overlaps(b)) {
                return Err(format!("cells[{i}]: overlaps cells[{j}]"));
            }
        }
        Ok(())
    }

    /// A first dashboard for the devices whose ids start with `prefix`: the reference
    /// devices' fields as a chart, a value, a gauge and a table, and a note on editing.
    pub fn starter(title: &str, prefix: &str) -> DashboardSpec {
        let field = |f: &str| FieldName::parse(f).unwrap_or_else(|_| unreachable!("{f}"));
        let cell = |x, y, w, h, devices, kind| CellSpec {
            x,
            y,
            w,
            h,
            title: None,
            devices,
            kind,
        };
        let band = |from, color: &str| Band {
            from,
            color: color.into(),
        };
        DashboardSpec {
            title: title.trim().to_string(),
            devices: DeviceSet::Prefix(prefix.trim().to_string()),
            range: RangeChoice::D1.label().into(),
            cells: vec![
                cell(0, 0, 8, 4, CellDevices::Picked, CellKind::Line {
                    fields: vec![field("Temperature"), field("Humidity")],
                }),
                cell(8, 0, 4, 2, CellDevices::Picked, CellKind::Value {
                    field: field("Temperature"),
                }),
                cell(8, 2, 4, 2, CellDevices::Picked, CellKind::Gauge {
                    field: field("CO2"),
                    min: 400.0,
                    max: 2000.0,
                    bands: vec![band(400.0, "#16a34a"), band(1000.0, "#d97706"), band(1500.0, "#dc2626")],
                }),
                cell(0, 4, 12, 3, CellDevices::All, CellKind::Table {
                    fields: vec![field("Temperature"), field("Humidity"), field("CO2")],
                }),
                cell(0, 7, 12, 1, CellDevices::Picked, CellKind::Note {
                    text: "Edit this dashboard to change its cells: each has a place on the 12-column grid (x, y, w, h) and a type (line, gauge, value, table, stats, geo, svg, note).".into(),
                }),
            ],
        }
    }

    /// The range its cells read.
    pub fn range_choice(&self) -> RangeChoice {
        RangeChoice::parse(&self.range).unwrap_or(RangeChoice::H1)
    }
}

impl CellSpec {
    /// What is wrong with it, by its path inside the cell (`w: …`); the devices it names
    /// are the dashboard's (`set`).
    fn check(&self, set: &DeviceSet) -> Result<(), String> {
        if self.x >= GRID_COLUMNS {
            return Err(format!(
                "x: {} is past the last column ({})",
                self.x,
                GRID_COLUMNS - 1
            ));
        }
        if self.w == 0 || self.x + self.w > GRID_COLUMNS {
            return Err(format!(
                "w: {} columns from column {} do not fit in {GRID_COLUMNS}",
                self.w, self.x
            ));
        }
        if self.y > MAX_ROW {
            return Err(format!("y: {} is past row {MAX_ROW}", self.y));
        }
        if self.h == 0 || self.h > MAX_HEIGHT {
            return Err(format!("h: 1 to {MAX_HEIGHT} rows"));
        }
        if let Some(t) = &self.title {
            if t.chars().count() > MAX_TITLE {
                return Err(format!("title: at most {MAX_TITLE} characters"));
            }
        }
        if let CellDevices::List(ids) = &self.devices {
            if ids.is_empty() || ids.len() > MAX_CELL_DEVICES {
                return Err(format!("devices.list: 1 to {MAX_CELL_DEVICES} devices"));
            }
            if let Some(j) = ids.iter().position(|id| !set.includes(id)) {
                return Err(format!(
                    "devices.list[{j}]: {} is not one of the dashboard's devices",
                    ids[j]
                ));
            }
        }
        match &self.kind {
            CellKind::Line { fields } | CellKind::Table { fields } => check_fields(fields)?,
            CellKind::Stats { fields } => {
                check_fields(fields)?;
                let one = match &self.devices {
                    CellDevices::Picked => true,
                    CellDevices::List(ids) => ids.len() == 1,
                    CellDevices::All => false,
                };
                if !one {
                    return Err(
                        "devices: a stats cell shows one device (the picked one, or a list of one)"
                            .into(),
                    );
                }
            }
            CellKind::Svg { svg, fields } => {
                check_fields(fields)?;
                if svg.len() > MAX_SVG {
                    return Err(format!("svg: {} bytes, at most {MAX_SVG}", svg.len()));
                }
            }
            CellKind::Gauge {
                min, max, bands, ..
            } => {
                if !(min.is_finite() && max.is_finite() && min < max) {
                    return Err(format!("max: {max} is not above min {min}"));
                }
                if bands.len() > MAX_BANDS {
                    return Err(format!("bands: at most {MAX_BANDS}"));
                }
                for (i, band) in bands.iter().enumerate() {
                    if !is_hex_colour(&band.color) {
                        return Err(format!("bands[{i}].color: {:?} is not #rrggbb", band.color));
                    }
                    if i > 0 && band.from <= bands[i - 1].from {
                        return Err(format!("bands[{i}].from: bands go upwards"));
                    }
                }
            }
            CellKind::Value { .. } | CellKind::Geo { .. } => {}
            CellKind::Note { text } => {
                if text.chars().count() > MAX_NOTE {
                    return Err(format!("text: at most {MAX_NOTE} characters"));
                }
            }
        }
        Ok(())
    }

    fn overlaps(&self, other: &CellSpec) -> bool {
        let (ax, aw, bx, bw) = (self.x, self.w, other.x, other.w);
        let (ay, ah, by, bh) = (self.y, self.h as u16, other.y, other.h as u16);
        ax < bx + bw && bx < ax + aw && ay < by + bh && by < ay + ah
    }
}

fn check_fields(fields: &[FieldName]) -> Result<(), String> {
    match fields.len() {
        1..=MAX_CELL_FIELDS => Ok(()),
        _ => Err(format!("fields: 1 to {MAX_CELL_FIELDS} fields")),
    }
}

fn is_hex_colour(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|d| d.is_ascii_hexdigit())
}

/// A saved dashboard: its latest version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedDashboard {
    pub id: String,
    pub version: u32,
    pub saved_at: String,
    pub saved_by: String,
    pub spec: DashboardSpec,
}

/// One version in a dashboard's history (the newest first in lists).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DashboardVersion {
    pub version: u32,
    pub title: String,
    pub saved_at: String,
    pub saved_by: String,
}

/// A dashboard in the list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DashboardSummary {
    pub id: String,
    pub title: String,
    pub version: u32,
    pub saved_at: String,
    pub saved_by: String,
    pub cells: usize,
    /// Whether an operator made it the page of its devices (in place of the standard charts).
    #[serde(default)]
    pub device_page: bool,
}

/// A dashboard as its page draws it: the saved dashboard, the devices its picker offers,
/// and each cell's data in the order of its cells.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DashboardView {
    pub dashboard: SavedDashboard,
    /// Its JSON, indented, for the editor.
    pub json: String,
    /// The dashboard's devices, by id (the first [`MAX_CELL_DEVICES`] of a prefix's).
    pub devices: Vec<String>,
    /// How many devices it is for.
    pub matching: usize,
    /// The device the picker shows (`None`: the dashboard is for no device yet).
    pub picked: Option<String>,
    pub cells: Vec<CellData>,
    /// Whether the caller may edit it (an operator).
    pub editable: bool,
    /// Whether it is the page of its devices.
    #[serde(default)]
    pub device_page: bool,
    /// When it was read (ms), which ages are told from: the same on the server's page and
    /// in the browser.
    pub now_ms: i64,
}

/// What a cell draws: a series per device and field over the range, downsampled on the
/// server (charts and sparklines), the latest point of each as written (values, gauges,
/// tables: their age is true), or why it could not be read.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CellData {
    pub series: Vec<crate::Series>,
    pub latest: Vec<crate::Series>,
    /// A stats cell's figures, a row per field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stats: Vec<crate::FieldStats>,
    pub error: Option<String>,
    /// Devices of the cell left out past [`MAX_CELL_DEVICES`].
    pub devices_left_out: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: &str) -> DashboardSpec {
        serde_json::from_str(json).unwrap()
    }

    const ONE: &str = r##"{"title": "Greenhouse", "devices": {"devices": ["gh-1", "gh-2"]}, "cells": [
        {"x": 0, "y": 0, "w": 6, "h": 4, "type": "line", "fields": ["Temperature", "Humidity"]},
        {"x": 6, "y": 0, "w": 3, "h": 2, "type": "gauge", "field": "CO2", "min": 400, "max": 2000,
         "bands": [{"from": 400, "color": "#16a34a"}, {"from": 1000, "color": "#dc2626"}]},
        {"x": 9, "y": 0, "w": 3, "h": 2, "type": "value", "field": "Temperature", "devices": "all"},
        {"x": 6, "y": 2, "w": 6, "h": 2, "type": "table", "fields": ["Temperature"],
         "devices": {"list": ["gh-1", "gh-2"]}},
        {"x": 0, "y": 4, "w": 12, "h": 1, "type": "note", "text": "Vents open at 28 °C."},
        {"x": 0, "y": 5, "w": 6, "h": 4, "type": "geo"}
    ]}"##;

    #[test]
    fn a_dashboard_reads_checks_and_writes_back_the_same() {
        let d = spec(ONE);
        assert_eq!(d.check(), Ok(()));
        assert_eq!(d.range, "1h");
        assert_eq!(d.cells[2].devices, CellDevices::All);
        let track: Vec<&str> = d.cells[5]
            .kind
            .fields()
            .iter()
            .map(|f| f.as_str())
            .collect();
        assert_eq!(
            track,
            ["Lat", "Lon"],
            "a track reads the position fields by default"
        );
        let again: DashboardSpec =
            serde_json::from_str(&serde_json::to_string(&d).unwrap()).unwrap();
        assert_eq!(again, d);
    }

    #[test]
    fn the_starter_dashboard_passes_its_checks() {
        let d = DashboardSpec::starter(" Greenhouse ", "");
        assert_eq!(d.check(), Ok(()));
        assert_eq!((d.title.as_str(), d.cells.len()), ("Greenhouse", 5));
        assert!(DashboardSpec::starter("x", "bad prefix").check().is_err());
    }

    #[test]
    fn what_is_wrong_is_named_by_its_path() {
        let mut d = spec(ONE);
        d.cells[1].w = 7;
        assert_eq!(
            d.check().unwrap_err(),
            "cells[1].w: 7 columns from column 6 do not fit in 12"
        );
        let mut d = spec(ONE);
        d.cells[3].y = 1;
        assert_eq!(d.check().unwrap_err(), "cells[3]: overlaps cells[1]");
        let mut d = spec(ONE);
        d.devices = DeviceSet::Prefix("gh-".into());
        assert_eq!(d.check(), Ok(()));
        d.devices = DeviceSet::Devices(vec![DeviceId::parse("gh-1").unwrap()]);
        assert_eq!(
            d.check().unwrap_err(),
            "cells[3].devices.list[1]: gh-2 is not one of the dashboard's devices"
        );
        let mut d = spec(ONE);
        d.range = "2h".into();
        assert!(d
            .check()
            .unwrap_err()
            .starts_with("range: \"2h\" is not one of"));
        let mut d = spec(ONE);
        if let CellKind::Gauge { bands, .. } = &mut d.cells[1].kind {
            bands[1].color = "red".into();
        }
        assert_eq!(
            d.check().unwrap_err(),
            "cells[1].bands[1].color: \"red\" is not #rrggbb"
        );
    }

    #[test]
    fn bounds_hold_at_and_past_their_limits() {
        let cell = |i: usize| CellSpec {
            x: (i % 12) as u8,
            y: (i / 12) as u16,
            w: 1,
            h: 1,
            title: None,
            devices: CellDevices::Picked,
            kind: CellKind::Note {
                text: "n".repeat(MAX_NOTE),
            },
        };
        let mut d = spec(ONE);
        d.devices = DeviceSet::Prefix("d-".into());
        d.cells = (0..MAX_CELLS).map(cell).collect();
        assert_eq!(d.check(), Ok(()));
        d.cells.push(cell(MAX_CELLS));
        assert_eq!(d.check().unwrap_err(), "cells: 49 cells, at most 48");
        d.cells.truncate(1);
        d.cells[0].kind = CellKind::Note {
            text: "n".repeat(MAX_NOTE + 1),
        };
        assert_eq!(
            d.check().unwrap_err(),
            "cells[0].text: at most 4000 characters"
        );
        let ids = |n: usize| {
            (0..n)
                .map(|i| DeviceId::parse(&format!("d-{i}")).unwrap())
                .collect()
        };
        d.cells[0].kind = CellKind::Value {
            field: FieldName::parse("T").unwrap(),
        };
        d.cells[0].devices = CellDevices::List(ids(MAX_CELL_DEVICES));
        assert_eq!(d.check(), Ok(()));
        d.cells[0].devices = CellDevices::List(ids(MAX_CELL_DEVICES + 1));
        assert_eq!(
            d.check().unwrap_err(),
            "cells[0].devices.list: 1 to 50 devices"
        );
    }
}
