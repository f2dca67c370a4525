//! Time charts drawn in the browser by leptos-chartistry: time labels and tooltips in the
//! viewer's local time, one line per named series. The server renders an empty frame; the
//! chart appears once the page is hydrated and knows its width.

use chrono::{DateTime, Local, TimeZone};
use leptos::prelude::*;
use leptos_chartistry::*;

/// One time with a value per line; `NaN` where a line has no value (drawn as a gap).
#[derive(Clone, Debug, PartialEq)]
struct Row {
    at: DateTime<Local>,
    values: Vec<f64>,
}

/// Sparse data gets a dot per point, so even a lone point shows.
const MARKERS_UP_TO: usize = 60;

fn rows(points: Vec<(i64, Vec<Option<f64>>)>) -> Vec<Row> {
    points
        .into_iter()
        .filter_map(|(ms, values)| {
            Some(Row {
                at: Local.timestamp_millis_opt(ms).single()?,
                values: values.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect(),
            })
        })
        .collect()
}

/// A line chart of `rows` (time in ms, a value per name in `names`), with a legend when it
/// draws more than one line; it redraws in place when `rows` changes.
#[component]
pub fn TimeChart(
    title: String,
    unit: &'static str,
    names: Vec<String>,
    #[prop(into)] rows: Signal<Vec<(i64, Vec<Option<f64>>)>>,
) -> impl IntoView {
    let legend = names.len() > 1;
    let markers: Vec<Marker> = names.iter().map(|_| Marker::default()).collect();
    let series = names.into_iter().zip(markers.clone()).enumerate().fold(
        Series::new(|r: &Row| r.at),
        |series, (i, (name, marker))| {
            series.line(
                Line::new(move |r: &Row| r.values.get(i).copied().unwrap_or(f64::NAN))
                    .with_name(name)
                    .with_width(1.5)
                    .with_marker(marker),
            )
        },
    );
    Effect::new(move |_| {
        let shape = if rows.read().len() <= MARKERS_UP_TO {
            MarkerShape::Circle
        } else {
            MarkerShape::None
        };
        for m in &markers {
            m.shape.set(shape);
        }
    });
    let right = if legend {
        vec![Legend::end().into_edge()]
    } else {
        vec![]
    };
    view! {
        <figure class="chart" data-points=move || rows.read().len()>
            <figcaption>{title} " " <span class="unit">{unit}</span></figcaption>
            <Chart
                aspect_ratio=AspectRatio::from_env_width(220.0)
                font_height=12.0
                font_width=7.0
                left=TickLabels::aligned_floats()
                bottom=TickLabels::timestamps()
                right=right
                inner=[
                    AxisMarker::left_edge().into_inner(),
                    AxisMarker::bottom_edge().into_inner(),
                    XGridLine::default().into_inner(),
                    YGridLine::default().into_inner(),
                    XGuideLine::over_data().into_inner(),
                ]
                tooltip=Tooltip::left_cursor().skip_missing(true)
                series=series
                data=Signal::derive(move || self::rows(rows.get()))
            />
        </figure>
    }
}
