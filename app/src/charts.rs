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
    /// Draws `values` over `times` (see [`Lines`]) in `el`, with a dashed line at each of
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

/// What a chart draws, as uPlot takes it: the times (ms, oldest first), then each line's
/// values in turn, `NaN` where a line has no value (drawn as a gap).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lines {
    times: Vec<f64>,
    values: Vec<f64>,
}

impl Lines {
    /// One line of `(time, value)` points.
    pub fn one(points: impl ExactSizeIterator<Item = (i64, f64)>) -> Lines {
        let (mut times, mut values) = (
            Vec::with_capacity(points.len()),
            Vec::with_capacity(points.len()),
        );
        for (t, v) in points {
            times.push(t as f64);
            values.push(v);
        }
        Lines { times, values }
    }

    /// `lines` lines from rows of a time and each line's value.
    pub fn aligned(rows: &[(i64, Vec<Option<f64>>)], lines: usize) -> Lines {
        let times = rows.iter().map(|(t, _)| *t as f64).collect();
        let values = (0..lines)
            .flat_map(|i| {
                rows.iter()
                    .map(move |(_, v)| v.get(i).copied().flatten().unwrap_or(f64::NAN))
            })
            .collect();
        Lines { times, values }
    }

    /// How many times the chart has.
    pub fn len(&self) -> usize {
        self.times.len()
    }
}

/// Lines across a chart (thresholds) and time spans shaded on it (alerts firing): `(values,
/// [start, end, …])`, as a dashboard's `marks` hold them.
pub type Marks = (Vec<f64>, Vec<f64>);

/// A line chart of `lines` (one per name in `names`), with a legend when it draws more
/// than one, and `marks` over it.
#[component]
pub fn TimeChart(
    title: String,
    unit: &'static str,
    names: Vec<String>,
    #[prop(into)] lines: Signal<Lines>,
    #[prop(optional, into)] marks: Signal<Marks>,
) -> impl IntoView {
    let frame = NodeRef::<leptos::html::Div>::new();
    // Effects run in the browser only, once the frame is in the page; the chart lives in it.
    Effect::new(move |_| {
        let Some(el) = frame.get() else { return };
        lines.with(|l| {
            marks.with(|(at, spans)| draw(&el, names.clone(), unit, &l.times, &l.values, at, spans))
        });
    });
    on_cleanup(move || {
        if let Some(el) = frame.try_get_untracked().flatten() {
            destroy(&el);
        }
    });
    view! {
        <figure class="chart" data-points=move || lines.with(Lines::len)>
            <figcaption>{title} " " <span class="unit">{unit}</span></figcaption>
            <div class="plot" node_ref=frame></div>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::Lines;

    #[test]
    fn aligned_lines_come_one_after_the_other_with_gaps_as_nan() {
        let rows = vec![
            (1_000, vec![Some(1.0), None]),
            (2_000, vec![Some(2.0), Some(20.0)]),
        ];
        let l = Lines::aligned(&rows, 2);
        assert_eq!((l.len(), &l.times[..]), (2, &[1_000.0, 2_000.0][..]));
        assert_eq!(&l.values[..2], &[1.0, 2.0]);
        assert!(l.values[2].is_nan());
        assert_eq!(l.values[3], 20.0);
    }

    #[test]
    fn a_row_short_of_values_leaves_gaps() {
        let l = Lines::aligned(&[(0, vec![])], 2);
        assert!(l.values.iter().all(|v| v.is_nan()));
    }

    #[test]
    fn one_line_is_its_points() {
        let l = Lines::one([(1_000, 1.5), (2_000, -2.0)].into_iter());
        assert_eq!(
            (l.times, l.values),
            (vec![1_000.0, 2_000.0], vec![1.5, -2.0])
        );
    }
}
