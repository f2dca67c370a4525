//! Pushed points joined to what was read: a chart in a live window (a device page's or a
//! dashboard cell's) shows what the server read, then each point pushed since that is
//! newer, counted back from the newest point by the window.

use crate::{CellData, LivePoint};

/// `points` (oldest first) with `field`'s pushed points newer than its last, and, with a
/// window, only those within `window_ms` of the newest.
pub fn join_live(
    points: &mut Vec<(i64, f64)>,
    live: &[LivePoint],
    field: &str,
    window_ms: Option<i64>,
) {
    let read_until = points.last().map_or(i64::MIN, |(t, _)| *t);
    points.extend(
        live.iter()
            .filter(|p| p.field == field && p.time_ms > read_until)
            .map(|p| (p.time_ms, p.value)),
    );
    if let (Some(window), Some(&(newest, _))) = (window_ms, points.last()) {
        points.retain(|(t, _)| *t >= newest - window);
    }
}

impl CellData {
    /// The cell with `device`'s pushed points: its series of that device within the
    /// window, and its latest point of each field the newest there is.
    pub fn with_live(&self, device: &str, live: &[LivePoint], window_ms: i64) -> CellData {
        let mut data = self.clone();
        for s in data.series.iter_mut().filter(|s| s.device == device) {
            join_live(&mut s.points, live, &s.field, Some(window_ms));
        }
        for s in data.latest.iter_mut().filter(|s| s.device == device) {
            join_live(&mut s.points, live, &s.field, None);
            let newest = s.points.pop();
            s.points = newest.into_iter().collect();
        }
        data
    }
}

#[cfg(test)]
mod tests {
    use crate::{CellData, LivePoint, Series};

    fn series(device: &str, points: Vec<(i64, f64)>) -> Series {
        Series {
            device: device.into(),
            field: "Temperature".into(),
            points,
        }
    }

    fn point(time_ms: i64, value: f64) -> LivePoint {
        LivePoint {
            field: "Temperature".into(),
            time_ms,
            value,
        }
    }

    #[test]
    fn pushed_points_join_the_picked_devices_series_within_the_window() {
        let read = CellData {
            series: vec![
                series("a", vec![(1_000, 1.0), (5_000, 2.0)]),
                series("b", vec![(5_000, 9.0)]),
            ],
            latest: vec![series("a", vec![(5_000, 2.0)])],
            ..CellData::default()
        };
        // One already read (5 s), two new; another field's point is not this cell's.
        let mut live = vec![point(5_000, 2.0), point(8_000, 3.0), point(12_000, 4.0)];
        live.push(LivePoint {
            field: "Humidity".into(),
            time_ms: 13_000,
            value: 50.0,
        });
        let joined = read.with_live("a", &live, 10_000);
        assert_eq!(
            joined.series[0].points,
            [(5_000, 2.0), (8_000, 3.0), (12_000, 4.0)]
        );
        assert_eq!(
            joined.series[1], read.series[1],
            "another device's series stays as read"
        );
        assert_eq!(joined.latest[0].points, [(12_000, 4.0)]);
        assert_eq!(
            read.with_live("a", &[], 10_000),
            read,
            "nothing pushed: as read"
        );
    }
}
