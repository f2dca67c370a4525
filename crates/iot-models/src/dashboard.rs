//! What the dashboards draw: time series read at a resolution chosen from the range, so a
//! chart never carries more than about [`MAX_POINTS`] points whatever the range.

use super::LastValue;
use serde::{Deserialize, Serialize};

/// The most points one series of a chart should hold.
pub const MAX_POINTS: u64 = 1_000;

/// Window lengths people read easily, in seconds.
const WINDOWS: [u64; 20] = [
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1_800, 3_600, 7_200, 10_800, 21_600, 43_200,
    86_400, 172_800, 604_800,
];

/// The fields drawn as charts, in the order people read them; anything else follows.
pub const CHART_FIELDS: [&str; 5] = ["Temperature", "Humidity", "Pressure", "CO2", "TVOC"];

/// Position fields: shown on the map, not charted.
pub const POSITION_FIELDS: [&str; 2] = ["Lat", "Lon"];

/// The window to average a range of `range_seconds` over, or `None` for raw points: ranges up
/// to [`MAX_POINTS`] seconds are read raw (devices report at most about once a second); longer
/// ones by the shortest readable window that keeps them within [`MAX_POINTS`] windows.
pub fn window_for(range_seconds: u64) -> Option<u64> {
    window_within(range_seconds, MAX_POINTS)
}

/// The window to average a range over so that it holds at most `points` windows (`None`:
/// raw points, one a second at most, fit).
pub fn window_within(range_seconds: u64, points: u64) -> Option<u64> {
    let points = points.max(1);
    if range_seconds <= points {
        return None;
    }
    let needed = range_seconds.div_ceil(points);
    Some(WINDOWS.into_iter().find(|w| *w >= needed).unwrap_or(needed))
}

/// The unit a reference field is measured in, as the reference IoT Center's devices report.
pub fn unit(field: &str) -> &'static str {
    match field {
        "Temperature" => "°C",
        "Humidity" => "%",
        "Pressure" => "hPa",
        "CO2" => "ppm",
        "TVOC" => "ppb",
        "Lat" | "Lon" => "°",
        _ => "",
    }
}

/// Sort key putting the reference fields first, in [`CHART_FIELDS`] order.
pub fn field_rank(field: &str) -> (usize, String) {
    let known = CHART_FIELDS.iter().chain(POSITION_FIELDS.iter());
    (
        known
            .clone()
            .position(|f| *f == field)
            .unwrap_or(known.count()),
        field.to_string(),
    )
}

/// One field of one device over time: `(milliseconds since the epoch, value)`, oldest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub device: String,
    pub field: String,
    #[serde(with = "time_columns")]
    pub points: Vec<(i64, f64)>,
}

/// Points travel (and are inlined into the page for hydration) as two columns. Times go as
/// the step from the one before, and a run of equal steps as the step and then `-n`, its
/// `n` repeats (steps are never negative: points are oldest first): a day of 2-minute
/// means is `[start, 120000, -718]`. Values go rounded to 12 significant digits: past them
/// is a mean's float noise (`20.299999999999997`), which no device wrote. Together they
/// take a 24 h Query data page from 84 KB to 51 KB (BENCHMARKS.md, run AG1).
mod time_columns {
    use serde::{de::Error, Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Columns {
        steps: Vec<i64>,
        values: Vec<f64>,
    }

    pub fn serialize<S: Serializer>(points: &[(i64, f64)], s: S) -> Result<S::Ok, S::Error> {
        let mut steps: Vec<i64> = Vec::new();
        let (mut previous, mut last_step, mut repeats) = (0i64, None, 0i64);
        for &(t, _) in points {
            let step = t.wrapping_sub(previous);
            previous = t;
            if steps.is_empty() {
                steps.push(t);
            } else if step < 0 {
                return Err(serde::ser::Error::custom(
                    "a series' points are oldest first",
                ));
            } else if last_step == Some(step) {
                repeats += 1;
            } else {
                if repeats > 0 {
                    steps.push(-repeats);
                }
                (last_step, repeats) = (Some(step), 0);
                steps.push(step);
            }
        }
        if repeats > 0 {
            steps.push(-repeats);
        }
        let values = points.iter().map(|(_, v)| significant(*v)).collect();
        Columns { steps, values }.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(i64, f64)>, D::Error> {
        let Columns { steps, values } = Columns::deserialize(d)?;
        let mut times: Vec<i64> = Vec::with_capacity(values.len());
        let mut step = None;
        for entry in steps {
            match (times.last().copied(), entry < 0, step) {
                (None, _, _) => times.push(entry),
                (Some(last), false, _) => {
                    step = Some(entry);
                    times.push(last.wrapping_add(entry));
                }
                (Some(last), true, Some(step))
                    if entry.unsigned_abs() <= values.len().saturating_sub(times.len()) as u64 =>
                {
                    let repeats = 1..=entry.unsigned_abs() as i64;
                    times.extend(repeats.map(|n| last.wrapping_add(step.wrapping_mul(n))));
                }
                _ => return Err(D::Error::custom(
                    "a series repeats a step it has not given, or more times than it has values",
                )),
            }
        }
        if times.len() != values.len() {
            return Err(D::Error::custom("a series has as many times as values"));
        }
        Ok(times.into_iter().zip(values).collect())
    }

    /// `v` rounded to 12 significant digits (left as it is where a power of ten would not
    /// be exact).
    fn significant(v: f64) -> f64 {
        if v == 0.0 || !v.is_finite() {
            return v;
        }
        let places = 11 - v.abs().log10().floor() as i32;
        match places {
            0..=22 => {
                let scale = 10f64.powi(places);
                (v * scale).round() / scale
            }
            -22..=-1 => {
                let scale = 10f64.powi(-places);
                (v / scale).round() * scale
            }
            _ => v,
        }
    }
}

/// How a range was read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Resolution {
    /// The window averaged into one point, or `None` for raw points.
    pub every_seconds: Option<u64>,
    /// The server's clock when it read the data (ms since the epoch), for the age of values.
    pub now_ms: i64,
}

/// How much a device wrote, and when it did not.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    pub points_last_hour: u64,
    pub points_last_day: u64,
    /// Periods without data between the first and the last point of the range:
    /// `(start, end)` in ms since the epoch, oldest first.
    pub gaps: Vec<(i64, i64)>,
    /// Only stretches longer than this count as gaps, in seconds: the stale threshold (a
    /// device that late is still online), or the chart's window when that is longer.
    pub gap_resolution_seconds: u64,
}

/// The gaps in a series. `times` (ms, oldest first) are raw points (`every_ms` 0) or the ends
/// of windows `every_ms` long; a gap is a stretch without data longer than `min_gap_ms`
/// between two of them: `(end of the data before, start of the data after)`. Before the
/// first point and after the last are no gaps: nothing was expected yet, or the device is
/// late, which its status says.
pub fn gaps(times: &[i64], every_ms: i64, min_gap_ms: i64) -> Vec<(i64, i64)> {
    times
        .windows(2)
        .map(|pair| (pair[0], pair[1] - every_ms))
        .filter(|(start, end)| end - start > min_gap_ms)
        .collect()
}

/// A device's dashboard: one series per charted field, and the last value of every field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub series: Vec<Series>,
    pub last_values: Vec<LastValue>,
    pub resolution: Resolution,
    pub activity: Activity,
    /// How often the device is expected to report, in seconds, and when it is late: values
    /// past the stale threshold are greyed.
    pub interval_seconds: u64,
    pub thresholds: super::StatusThresholds,
    /// The CSV download of the charted fields over the same window (an [`ExportRequest`]'s
    /// link, built on the server), if there is anything to download.
    ///
    /// [`ExportRequest`]: crate::ExportRequest
    pub export_href: Option<String>,
    /// What fires or is pending for the device now, firing first: `(class, what)`, the
    /// class its level (`crit`, `warn`, `info`) or `pending`.
    #[serde(default)]
    pub alerts: Vec<(String, String)>,
    /// What charts mark: `(field, thresholds, [start, end, …] in ms of the spans an alert
    /// fired)`, for the fields that have any (see [`crate::DeviceAlerts::put_on`]).
    #[serde(default)]
    pub marks: Vec<(String, Vec<f64>, Vec<f64>)>,
}

/// One field of several devices, to overlay in one chart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub field: String,
    pub devices: Vec<String>,
    /// Times (ms) with each device's value at that time, in `devices` order.
    pub rows: Vec<(i64, Vec<Option<f64>>)>,
    pub resolution: Resolution,
    /// The CSV download of the field of the devices over the same window.
    pub export_href: Option<String>,
}

/// Joins series on their timestamps: one row per distinct time, oldest first, with each
/// series' value (or `None`) in the order of `series`.
pub fn align(series: &[Series]) -> Vec<(i64, Vec<Option<f64>>)> {
    let mut rows: std::collections::BTreeMap<i64, Vec<Option<f64>>> = Default::default();
    for (i, s) in series.iter().enumerate() {
        for &(t, v) in &s.points {
            rows.entry(t).or_insert_with(|| vec![None; series.len()])[i] = Some(v);
        }
    }
    rows.into_iter().collect()
}

/// One field of a device over the last 30 days, as the store computed it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldStats {
    pub field: String,
    pub min: f64,
    pub max: f64,
    /// RFC 3339: when the maximum was written.
    pub max_time: String,
    pub mean: f64,
    pub count: u64,
    /// The sensor that measured it at its maximum, as the device tagged it.
    pub sensor: Option<String>,
}

/// How far back [`FieldStats`] look.
pub const FIELD_STATS_DAYS: i64 = 30;

#[cfg(test)]
mod tests {
    #[test]
    fn series_travel_as_time_steps_and_values_and_come_back_the_same() {
        let minute = |n: i64, v| (1_764_288_000_000 + n * 60_000, v);
        let series = Series {
            device: "d".into(),
            field: "Temperature".into(),
            points: vec![
                minute(0, 21.5),
                minute(1, -3.25),
                minute(2, 0.1),
                minute(3, 4.0),
                minute(5, 0.001),
            ],
        };
        let json = serde_json::to_string(&series).unwrap();
        assert!(
            json.contains(r#""steps":[1764288000000,60000,-2,120000]"#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<Series>(&json).unwrap(), series);
        let regular = Series {
            points: (0..720).map(|n| minute(2 * n, 1.0)).collect(),
            ..series.clone()
        };
        let json = serde_json::to_string(&regular).unwrap();
        assert!(
            json.contains(r#""steps":[1764288000000,120000,-718]"#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<Series>(&json).unwrap(), regular);
        let single = Series {
            points: vec![minute(0, 1.0)],
            ..series.clone()
        };
        let json = serde_json::to_string(&single).unwrap();
        assert_eq!(serde_json::from_str::<Series>(&json).unwrap(), single);
    }

    #[test]
    fn a_series_out_of_order_or_with_more_times_than_values_is_refused() {
        let unsorted = Series {
            device: "d".into(),
            field: "f".into(),
            points: vec![(2, 1.0), (1, 2.0)],
        };
        assert_eq!(
            serde_json::to_string(&unsorted).unwrap_err().to_string(),
            "a series' points are oldest first"
        );
        let refused = |steps: &str, values: &str| {
            let json = format!(
                r#"{{"device":"d","field":"f","points":{{"steps":{steps},"values":{values}}}}}"#
            );
            serde_json::from_str::<Series>(&json)
                .unwrap_err()
                .to_string()
        };
        assert!(refused("[1,2]", "[1.0]").starts_with("a series has as many times as values"));
        // A repeat count past the values is refused before anything is made of it.
        assert!(refused("[1,2,-9223372036854775807]", "[1.0,2.0,3.0]")
            .starts_with("a series repeats a step"));
        assert!(refused("[1,-1]", "[1.0,2.0]").starts_with("a series repeats a step"));
    }

    #[test]
    fn values_travel_to_12_significant_digits() {
        let points = |v: f64| Series {
            device: "d".into(),
            field: "f".into(),
            points: vec![(0, v)],
        };
        let travelled = |v| {
            serde_json::from_str::<Series>(&serde_json::to_string(&points(v)).unwrap())
                .unwrap()
                .points[0]
                .1
        };
        assert_eq!(travelled(20.299999999999997), 20.3);
        assert_eq!(travelled(1010.5700000000001), 1010.57);
        assert_eq!(travelled(-0.0012345678901234), -0.00123456789012);
        assert_eq!(travelled(123_456_789_012_345.0), 123_456_789_012_000.0);
        assert_eq!(travelled(593.0), 593.0);
        assert_eq!(travelled(0.0), 0.0);
    }

    use super::*;

    #[test]
    fn short_ranges_are_raw_and_long_ones_stay_under_the_cap() {
        assert_eq!(window_within(86_400, 300), Some(300));
        assert_eq!(window_within(600, 300), Some(2));
        assert_eq!(window_for(300), None);
        assert_eq!(window_for(1_000), None);
        assert_eq!(window_for(1_001), Some(2));
        assert_eq!(window_for(3_600), Some(5));
        assert_eq!(window_for(86_400), Some(120));
        assert_eq!(window_for(7 * 86_400), Some(900));
        assert_eq!(window_for(30 * 86_400), Some(3_600));
        // Beyond the table: the exact window needed.
        assert_eq!(window_for(20_000 * 86_400), Some(1_728_000));
        for range in [
            1_001,
            3_599,
            3_600,
            86_399,
            2_592_000,
            31_536_000,
            u32::MAX as u64,
        ] {
            let every = window_for(range).unwrap();
            assert!(range.div_ceil(every) <= MAX_POINTS, "{range}s by {every}s");
        }
    }

    #[test]
    fn gaps_are_stretches_without_data_between_data() {
        // Raw points a minute apart, one missed (no gap: that late is still online) and then
        // five missed (a gap from the point before to the point after).
        let raw = [0, 60_000, 180_000, 540_000, 600_000];
        assert_eq!(gaps(&raw, 0, 120_000), vec![(180_000, 540_000)]);
        // Windows of 10 ending at 10, 20, 50: the windows (20, 30] and (30, 40] were empty.
        assert_eq!(gaps(&[10, 20, 50], 10, 5), vec![(20, 40)]);
        assert!(gaps(&[10, 20, 30], 10, 5).is_empty());
        assert!(gaps(&[], 10, 5).is_empty());
        assert!(gaps(&[10], 10, 5).is_empty());
    }

    #[test]
    fn reference_fields_come_first_and_have_units() {
        let mut fields = vec!["zeta", "CO2", "Lat", "Temperature", "alpha"];
        fields.sort_by_key(|f| field_rank(f));
        assert_eq!(fields, ["Temperature", "CO2", "Lat", "alpha", "zeta"]);
        assert_eq!(unit("Pressure"), "hPa");
        assert_eq!(unit("custom"), "");
    }

    #[test]
    fn align_joins_series_on_time() {
        let s = |device: &str, points: Vec<(i64, f64)>| Series {
            device: device.into(),
            field: "CO2".into(),
            points,
        };
        let rows = align(&[
            s("a", vec![(1, 10.0), (3, 30.0)]),
            s("b", vec![(2, 2.0), (3, 3.0)]),
        ]);
        assert_eq!(
            rows,
            vec![
                (1, vec![Some(10.0), None]),
                (2, vec![None, Some(2.0)]),
                (3, vec![Some(30.0), Some(3.0)]),
            ]
        );
        assert!(align(&[]).is_empty());
    }
}
