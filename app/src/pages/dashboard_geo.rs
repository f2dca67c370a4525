//! A dashboard's geo cell: each device's track over the range — its positions joined by
//! time — drawn as SVG on the Map page's projection (no tiles: many sites are offline), an
//! arrow at the end giving the heading of its last move.

use super::map::{Projection, HEIGHT, WIDTH};
use crate::models::Series;
use leptos::prelude::*;
use std::collections::BTreeMap;

/// A device's position fields by time, as they are found: (latitude, longitude).
type Fixes = BTreeMap<i64, (Option<f64>, Option<f64>)>;

/// A track per device: its (latitude, longitude) points, oldest first.
fn tracks(series: &[Series], lat: &str, lon: &str) -> Vec<(String, Vec<(f64, f64)>)> {
    let mut by_device: BTreeMap<&str, Fixes> = BTreeMap::new();
    for s in series {
        let points = by_device.entry(&s.device).or_default();
        for &(t, v) in &s.points {
            let at = points.entry(t).or_default();
            if s.field == lat {
                at.0 = Some(v);
            } else if s.field == lon {
                at.1 = Some(v);
            }
        }
    }
    by_device
        .into_iter()
        .map(|(device, points)| {
            let track = points
                .into_values()
                .filter_map(|(lat, lon)| Some((lat?, lon?)))
                .filter(|(lat, lon)| (-90.0..=90.0).contains(lat) && (-180.0..=180.0).contains(lon))
                .collect();
            (device.to_string(), track)
        })
        .filter(|(_, track): &(String, Vec<_>)| !track.is_empty())
        .collect()
}

pub fn geo(series: &[Series], lat: &str, lon: &str) -> AnyView {
    let tracks = tracks(series, lat, lon);
    if tracks.is_empty() {
        return view! { <p class="muted">"No positions in this range."</p> }.into_any();
    }
    let p = Projection::fit(tracks.iter().flat_map(|(_, t)| t.iter().copied()));
    let lines = tracks
        .into_iter()
        .map(|(device, track)| {
            let points: Vec<String> = track
                .iter()
                .map(|(lat, lon)| format!("{:.1},{:.1}", p.x(*lon), p.y(*lat)))
                .collect();
            let (last_lat, last_lon) = track[track.len() - 1];
            let (x, y) = (p.x(last_lon), p.y(last_lat));
            view! {
                <g class="geo-track">
                    <title>{device.clone()}</title>
                    <polyline points=points.join(" ") marker-end="url(#geo-heading)"/>
                    <circle cx=x cy=y r="5"/>
                    <text x=x + 9.0 y=y - 9.0>{device}</text>
                </g>
            }
        })
        .collect_view();
    view! {
        <svg class="geo" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label="Tracks" data-testid="geo">
            <defs>
                <marker id="geo-heading" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
                    <path d="M 0 0 L 10 5 L 0 10 z"/>
                </marker>
            </defs>
            {lines}
        </svg>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_joined_by_time_and_bad_ones_left_out() {
        let s = |field: &str, points: Vec<(i64, f64)>| Series {
            device: "car-1".into(),
            field: field.into(),
            points,
        };
        let series = [
            s("Lat", vec![(1, 50.0), (2, 50.1), (3, 95.0)]),
            s("Lon", vec![(1, 14.4), (2, 14.5), (3, 14.6), (4, 14.7)]),
        ];
        let t = tracks(&series, "Lat", "Lon");
        assert_eq!(
            t,
            vec![("car-1".to_string(), vec![(50.0, 14.4), (50.1, 14.5)])]
        );
    }
}
