//! The cells of a dashboard users built, each drawn from its data as the server read it:
//! a line chart, a gauge with colour bands, a value with its age and a sparkline, a table
//! of latest values, a field's statistics over the range, a drawing showing the latest
//! values, a note.

use super::dashboard_geo::geo;
use super::field_stats::StatsTable;
use crate::charts::{Lines, TimeChart};
use crate::components::{format_age, format_value};
use crate::models::{align, unit, Band, CellData, CellKind, CellSpec, FieldName, Series};
use crate::prose::prose;
use leptos::prelude::*;

/// The cells on the 12-column grid, each with its data (in the same order, following it as
/// it changes: a live window's pushed points); ages are told from `now_ms`.
#[component]
pub fn Grid(
    cells: Vec<CellSpec>,
    #[prop(into)] data: Signal<Vec<CellData>>,
    now_ms: i64,
) -> impl IntoView {
    let rows = cells.iter().map(|c| c.y + c.h as u16).max().unwrap_or(0);
    let cells = cells
        .into_iter()
        .enumerate()
        .map(|(i, spec)| {
            // A memo: a pushed point redraws the cells it changes, not every cell.
            let data = Memo::new(move |_| data.with(|d| d.get(i).cloned().unwrap_or_default()));
            view! { <Cell spec data=data.into() now_ms/> }
        })
        .collect_view();
    view! {
        <div class="board" style=format!("grid-template-rows: repeat({rows}, minmax(70px, auto));") data-testid="board">
            {cells}
        </div>
    }
}

/// One cell in its place on the grid.
#[component]
fn Cell(spec: CellSpec, data: Signal<CellData>, now_ms: i64) -> impl IntoView {
    let style = format!(
        "grid-column: {} / span {}; grid-row: {} / span {};",
        spec.x + 1,
        spec.w,
        spec.y + 1,
        spec.h
    );
    let title = spec
        .title
        .clone()
        .unwrap_or_else(|| default_title(&spec.kind));
    let kind = spec.kind.name();
    let heading =
        (!matches!(spec.kind, CellKind::Line { .. })).then(|| view! { <h3>{title.clone()}</h3> });
    let contents = move || {
        let data = data.get();
        let left_out = (data.devices_left_out > 0)
            .then(|| format!("{} more devices are not shown.", data.devices_left_out));
        let body = match data.error {
            Some(error) => view! { <p class="cell-error">{error}</p> }.into_any(),
            None if matches!(spec.kind, CellKind::Stats { .. }) => match data.stats.is_empty() {
                true => view! { <p class="muted">"No data in this range."</p> }.into_any(),
                false => view! { <StatsTable rows=data.stats testid="cell-stats"/> }.into_any(),
            },
            None => body(&spec.kind, title.clone(), data.series, &data.latest, now_ms),
        };
        view! {
            {body}
            {left_out.map(|m| view! { <p class="muted cell-foot">{m}</p> })}
        }
    };
    view! {
        <section class=format!("cell kind-{kind}") style=style data-testid="cell" data-kind=kind>
            {heading}
            {contents}
        </section>
    }
}

fn default_title(kind: &CellKind) -> String {
    let fields: Vec<&str> = kind.fields().iter().map(|f| f.as_str()).collect();
    match kind {
        CellKind::Note { .. } => "Note".into(),
        CellKind::Geo { .. } => "Track".into(),
        _ => fields.join(", "),
    }
}

fn body(
    kind: &CellKind,
    title: String,
    series: Vec<Series>,
    latest_points: &[Series],
    now_ms: i64,
) -> AnyView {
    let no_data = || view! { <p class="muted">"No data in this range."</p> }.into_any();
    match kind {
        CellKind::Line { fields } => {
            if series.iter().all(|s| s.points.is_empty()) {
                return view! { <h3>{title}</h3> {no_data()} }.into_any();
            }
            let many_devices = series.iter().any(|s| s.device != series[0].device);
            let names = series
                .iter()
                .map(|s| match (many_devices, fields.len() > 1) {
                    (true, true) => format!("{} {}", s.device, s.field),
                    (true, false) => s.device.clone(),
                    _ => s.field.clone(),
                })
                .collect();
            let one_unit = fields
                .iter()
                .all(|f| unit(f.as_str()) == unit(fields[0].as_str()));
            let lines = Lines::aligned(&align(&series), series.len());
            view! {
                <TimeChart title unit=if one_unit { unit(fields[0].as_str()) } else { "" } names lines=Signal::stored(lines)/>
            }
            .into_any()
        }
        CellKind::Gauge {
            field,
            min,
            max,
            bands,
        } => match latest(latest_points) {
            None => no_data(),
            Some((t, v)) => gauge(v, *min, *max, bands, unit(field.as_str()), now_ms - t),
        },
        CellKind::Value { field } => match latest(latest_points) {
            None => no_data(),
            Some((t, v)) => {
                let points: Vec<(i64, f64)> =
                    series.first().map(|s| s.points.clone()).unwrap_or_default();
                view! {
                    <p class="cell-value">{format_value(v)} " " <span class="unit">{unit(field.as_str())}</span></p>
                    <p class="cell-age muted">{format_age((now_ms - t) / 1_000)}</p>
                    {sparkline(&points)}
                }
                .into_any()
            }
        },
        CellKind::Table { fields } => {
            table(fields.iter().map(|f| f.as_str()).collect(), latest_points)
        }
        CellKind::Svg { svg, fields } => {
            let markup = bind_placeholders(svg, fields, latest_points);
            view! { <div class="drawing" inner_html=markup></div> }.into_any()
        }
        CellKind::Stats { .. } => no_data(),
        CellKind::Note { text } => view! { <div class="note">{prose(text)}</div> }.into_any(),
        CellKind::Geo { lat, lon } => geo(&series, lat.as_str(), lon.as_str()),
    }
}

/// The drawing (sanitised when saved) with each `{Field}` — and `{value}`, the first
/// field — showing the field's latest value, or "—" when there is none.
fn bind_placeholders(svg: &str, fields: &[FieldName], latest_points: &[Series]) -> String {
    let value_of = |field: &str| {
        let points = latest_points.iter().filter(|s| s.field == field);
        let newest = points
            .filter_map(|s| s.points.last())
            .max_by_key(|(t, _)| *t);
        newest.map_or("—".to_string(), |(_, v)| format_value(*v))
    };
    let mut markup = svg.to_string();
    for (i, field) in fields.iter().enumerate() {
        let value = value_of(field.as_str());
        markup = markup.replace(&format!("{{{}}}", field.as_str()), &value);
        if i == 0 {
            markup = markup.replace("{value}", &value);
        }
    }
    markup
}

/// The newest point of any of the series.
fn latest(series: &[Series]) -> Option<(i64, f64)> {
    series
        .iter()
        .filter_map(|s| s.points.last().copied())
        .max_by_key(|(t, _)| *t)
}

/// A half dial from `min` to `max`, filled to the value in the colour of its band.
fn gauge(v: f64, min: f64, max: f64, bands: &[Band], unit: &'static str, age_ms: i64) -> AnyView {
    let share = ((v - min) / (max - min)).clamp(0.0, 1.0);
    let colour = bands
        .iter()
        .rev()
        .find(|b| v >= b.from)
        .map_or("#2f6fde".to_string(), |b| b.color.clone());
    // The arc from the left (180°) clockwise over the top to the value.
    let angle = std::f64::consts::PI * (1.0 - share);
    let (x, y) = (50.0 + 40.0 * angle.cos(), 50.0 - 40.0 * angle.sin());
    let filled = format!("M 10 50 A 40 40 0 0 1 {x:.2} {y:.2}");
    view! {
        <svg class="gauge" viewBox="0 0 100 58" role="img" aria-label=format!("{} {unit}", format_value(v))>
            <path d="M 10 50 A 40 40 0 0 1 90 50" class="gauge-track"/>
            <path d=filled class="gauge-fill" style=format!("stroke: {colour}")/>
            <text x="50" y="47" class="gauge-value">{format_value(v)}</text>
            <text x="4" y="57" class="gauge-end">{format_value(min)}</text>
            <text x="96" y="57" class="gauge-end" text-anchor="end">{format_value(max)}</text>
        </svg>
        <p class="cell-age muted">{unit} " · " {format_age(age_ms / 1_000)}</p>
    }
    .into_any()
}

/// The range's points as a small line, without axes.
fn sparkline(points: &[(i64, f64)]) -> Option<impl IntoView> {
    let (first, last) = (points.first()?.0, points.last()?.0);
    let (lo, hi) = points
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), (_, v)| {
            (lo.min(*v), hi.max(*v))
        });
    if points.len() < 2 || last == first {
        return None;
    }
    let span = (hi - lo).max(f64::EPSILON);
    let line: Vec<String> = points
        .iter()
        .map(|(t, v)| {
            let x = (t - first) as f64 / (last - first) as f64 * 100.0;
            let y = 28.0 - (v - lo) / span * 26.0;
            format!("{x:.1},{y:.1}")
        })
        .collect();
    Some(view! {
        <svg class="sparkline" viewBox="0 0 100 30" preserveAspectRatio="none" aria-hidden="true">
            <polyline points=line.join(" ")/>
        </svg>
    })
}

/// A row per device, the latest value of each field.
fn table(fields: Vec<&str>, series: &[Series]) -> AnyView {
    let mut devices: Vec<&str> = series.iter().map(|s| s.device.as_str()).collect();
    devices.sort_unstable();
    devices.dedup();
    if devices.is_empty() {
        return view! { <p class="muted">"No data in this range."</p> }.into_any();
    }
    let value = |device: &str, field: &str| {
        series
            .iter()
            .find(|s| s.device == device && s.field == field)
            .and_then(|s| s.points.last())
            .map_or("—".to_string(), |(_, v)| {
                format!("{} {}", format_value(*v), unit(field))
            })
    };
    let head = fields
        .iter()
        .map(|f| view! { <th>{f.to_string()}</th> })
        .collect_view();
    let rows = devices
        .iter()
        .map(|d| {
            let cells = fields
                .iter()
                .map(|f| view! { <td>{value(d, f)}</td> })
                .collect_view();
            view! { <tr><td><a href=format!("/devices/{d}")>{d.to_string()}</a></td>{cells}</tr> }
        })
        .collect_view();
    view! {
        <table class="data compact">
            <thead><tr><th>"Device"</th>{head}</tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}
