//! Time charts drawn in the browser by uPlot (`public/vendor/uplot`, driven by
//! `public/charts.js`): time labels and tooltips in the viewer's local time, one line per
//! named series. The server renders an empty frame; the chart appears once the page is
//! hydrated, and redraws in place when its rows change.
//!
//! uPlot rather than leptos-chartistry: measured on the release wasm, chartistry's
//! generic Leptos code added 120 KB (brotli) to every page; uPlot is 20 KB of JavaScript.

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// Draws `values` over `times` (see [`columns`]) in `el`, with a dashed line at each of
    /// `lines` and the time spans `[start, end, …]` (ms) shaded: makes the chart on the first
    /// call, redraws it in place after.
    #[wasm_bindgen(js_namespace = iotCharts)]
    fn draw(
        el: &web_sys::Element,
        names: Vec<String>,
        unit: &str,
        times: &[f64],
        values: &[f64],
        lines: &[f64],
        spans: &[f64],
    );

    /// Lets go of the chart in `el`.
    #[wasm_bindgen(js_namespace = iotCharts)]
    fn destroy(el: &web_sys::Element);
}

/// The rows as the chart takes them: the times (ms), then each line's values in turn, `NaN`
/// where a line has no value (drawn as a gap).
fn columns(rows: &[(i64, Vec<Option<f64>>)], lines: usize) -> (Vec<f64>, Vec<f64>) {
    let times = rows.iter().map(|(t, _)| *t as f64).collect();
    let values = (0..lines)
        .flat_map(|i| {
            rows.iter()
                .map(move |(_, v)| v.get(i).copied().flatten().unwrap_or(f64::NAN))
        })
        .collect();
    (times, values)
}

/// Lines across a chart (thresholds) and time spans shaded on it (alerts firing): `(values,
/// [start, end, …])`, as a dashboard's `marks` hold them.
pub type Marks = (Vec<f64>, Vec<f64>);

/// A line chart of `rows` (time in ms, a value per name in `names`), with a legend when it
/// draws more than one line, and `marks` over it.
#[component]
pub fn TimeChart(
    title: String,
    unit: &'static str,
    names: Vec<String>,
    #[prop(into)] rows: Signal<Vec<(i64, Vec<Option<f64>>)>>,
    #[prop(optional, into)] marks: Signal<Marks>,
) -> impl IntoView {
    let frame = NodeRef::<leptos::html::Div>::new();
    // Effects run in the browser only, once the frame is in the page; the chart lives in it.
    Effect::new(move |_| {
        let Some(el) = frame.get() else { return };
        let (times, values) = rows.with(|rows| columns(rows, names.len()));
        marks.with(|(lines, spans)| draw(&el, names.clone(), unit, &times, &values, lines, spans));
    });
    on_cleanup(move || {
        if let Some(el) = frame.try_get_untracked().flatten() {
            destroy(&el);
        }
    });
    view! {
        <figure class="chart" data-points=move || rows.read().len()>
            <figcaption>{title} " " <span class="unit">{unit}</span></figcaption>
            <div class="plot" node_ref=frame></div>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::columns;

    #[test]
    fn columns_put_each_line_after_the_other_with_gaps_as_nan() {
        let rows = vec![
            (1_000, vec![Some(1.0), None]),
            (2_000, vec![Some(2.0), Some(20.0)]),
        ];
        let (times, values) = columns(&rows, 2);
        assert_eq!(times, vec![1_000.0, 2_000.0]);
        assert_eq!(&values[..2], &[1.0, 2.0]);
        assert!(values[2].is_nan());
        assert_eq!(values[3], 20.0);
    }

    #[test]
    fn a_row_short_of_values_leaves_gaps() {
        let (_, values) = columns(&[(0, vec![])], 2);
        assert!(values.iter().all(|v| v.is_nan()));
    }
}
