//! Map: where every device last reported its position, drawn as SVG on a latitude/longitude
//! grid fitted to the fleet. No tile server: many sites (and these machines) are offline.
//! Past a bound, nearby devices share a marker that says how many it stands for.

use crate::api::device_positions;
use crate::components::{format_time, show, Loading};
use crate::models::FleetMap;
use leptos::prelude::*;
use leptos_meta::Title;

pub(super) const WIDTH: f64 = 800.0;
pub(super) const HEIGHT: f64 = 440.0;
const MARGIN: f64 = 60.0;

#[component]
pub fn DeviceMap() -> impl IntoView {
    let positions = Resource::new(|| (), |_| device_positions());
    view! {
        <Title text="Map"/>
        <h1>"Map"</h1>
        <Transition fallback=Loading>
            {move || positions.get().map(|r| show(r, |map| view! { <MapView map/> }.into_any()))}
        </Transition>
    }
}

/// Projects latitude/longitude onto the drawing: an equirectangular projection around the
/// fleet's middle latitude, scaled to fit with equal distances in both directions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Projection {
    lon_min: f64,
    lat_max: f64,
    /// Shrinks longitudes so a degree east is as long as it is at the fleet's latitude.
    lon_scale: f64,
    /// Pixels per (scaled) degree.
    px: f64,
    /// The fitted area, in degrees: (longitude span, latitude span).
    span: (f64, f64),
}

impl Projection {
    /// Fitted to points of (latitude, longitude).
    pub(super) fn fit(points: impl IntoIterator<Item = (f64, f64)>) -> Projection {
        let (mut lat0, mut lat1, mut lon0, mut lon1) = (90.0f64, -90.0f64, 180.0f64, -180.0f64);
        for (lat, lon) in points {
            lat0 = lat0.min(lat);
            lat1 = lat1.max(lat);
            lon0 = lon0.min(lon);
            lon1 = lon1.max(lon);
        }
        // A little room around the devices; at least ~1 km across for a single device.
        let pad = |lo: f64, hi: f64| ((hi - lo) * 0.1).max(0.01);
        let (lat_pad, lon_pad) = (pad(lat0, lat1), pad(lon0, lon1));
        let (lat0, lat1) = ((lat0 - lat_pad).max(-90.0), (lat1 + lat_pad).min(90.0));
        let (lon0, lon1) = ((lon0 - lon_pad).max(-180.0), (lon1 + lon_pad).min(180.0));
        let lon_scale = ((lat0 + lat1) / 2.0).to_radians().cos().max(0.05);
        let (inner_w, inner_h) = (WIDTH - 2.0 * MARGIN, HEIGHT - 2.0 * MARGIN);
        let px = (inner_w / ((lon1 - lon0) * lon_scale)).min(inner_h / (lat1 - lat0));
        // Widen the tighter direction so the devices sit in the middle of the whole drawing.
        let span = (inner_w / (px * lon_scale), inner_h / px);
        Projection {
            lon_min: (lon0 + lon1) / 2.0 - span.0 / 2.0,
            lat_max: (lat0 + lat1) / 2.0 + span.1 / 2.0,
            lon_scale,
            px,
            span,
        }
    }

    pub(super) fn x(&self, lon: f64) -> f64 {
        MARGIN + (lon - self.lon_min) * self.lon_scale * self.px
    }

    pub(super) fn y(&self, lat: f64) -> f64 {
        MARGIN + (self.lat_max - lat) * self.px
    }
}

/// Grid lines every 1, 2 or 5 × 10ⁿ degrees, about five across: their labels and values in
/// `[lo, hi]`.
fn grid(lo: f64, hi: f64) -> Vec<(String, f64)> {
    let raw = (hi - lo) / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last)
        .map(|i| {
            let v = i as f64 * step;
            (format!("{v:.decimals$}°"), v)
        })
        .collect()
}

#[component]
fn MapView(map: FleetMap) -> impl IntoView {
    let list = map.markers;
    if list.is_empty() {
        return view! {
            <section class="card"><p class="muted" data-testid="no-positions">
                "No device has reported a position (Lat, Lon) in the last 30 days — write some on the "
                <a href="/write">"Write data"</a> " page."
            </p></section>
        }
        .into_any();
    }
    let p = Projection::fit(list.iter().map(|m| (m.lat, m.lon)));
    let (lon_hi, lat_lo) = (p.lon_min + p.span.0, p.lat_max - p.span.1);
    let (right, bottom) = (p.x(lon_hi), p.y(lat_lo));
    let meridians = grid(p.lon_min, lon_hi).into_iter().map(|(label, lon)| {
        let x = p.x(lon);
        view! {
            <line class="map-grid" x1=x y1=MARGIN x2=x y2=bottom/>
            <text class="map-label" x=x y=bottom + 16.0 text-anchor="middle">{label}</text>
        }
    });
    let parallels = grid(lat_lo, p.lat_max).into_iter().map(|(label, lat)| {
        let y = p.y(lat);
        view! {
            <line class="map-grid" x1=MARGIN y1=y x2=right y2=y/>
            <text class="map-label" x=MARGIN - 6.0 y=y + 4.0 text-anchor="end">{label}</text>
        }
    });
    let dots = list.iter().map(|d| {
        let (x, y) = (p.x(d.lon), p.y(d.lat));
        if d.count > 1 {
            // A group: a bigger disc (by the digits of its count), the count on it.
            let r = 8.0 + 3.0 * (d.count as f64).log10();
            return view! {
                <g class="device-group">
                    <title>{format!("{} devices near {:.3}, {:.3}, e.g. {}", d.count, d.lat, d.lon, d.device)}</title>
                    <circle cx=x cy=y r=r/>
                    <text x=x y=y + 4.0 text-anchor="middle">{d.count.to_string()}</text>
                </g>
            }
            .into_any();
        }
        view! {
            <a href=format!("/devices/{}", d.device) class="device-dot">
                <title>{format!("{} at {:.5}, {:.5} ({})", d.device, d.lat, d.lon, format_time(&d.time))}</title>
                <circle cx=x cy=y r="6"/>
                <text x=x + 9.0 y=y + 4.0>{d.device.clone()}</text>
            </a>
        }
        .into_any()
    });
    let grouped = (list.len() < map.devices).then(|| view! {
        <p class="muted" data-testid="map-grouped">
            {format!("{} devices: nearby ones share a marker ({} markers). Hover over one for its count, or find a device on the ", map.devices, list.len())}
            <a href="/devices">"Devices"</a> " page."
        </p>
    });
    view! {
        <section class="card">
            {grouped}
            <svg class="map" data-testid="map" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img"
                aria-label="Device positions">
                <rect class="map-area" x=MARGIN y=MARGIN width=right - MARGIN height=bottom - MARGIN/>
                {meridians.collect_view()}
                {parallels.collect_view()}
                {dots.collect_view()}
            </svg>
        </section>
        <section class="card">
            <table class="data">
                <thead><tr><th>"Device"</th><th>"Latitude"</th><th>"Longitude"</th><th>"Reported"</th></tr></thead>
                <tbody>
                    {list.iter().map(|d| view! {
                        <tr>
                            <td>
                                <a href=format!("/devices/{}", d.device)>{d.device.clone()}</a>
                                {(d.count > 1).then(|| format!(" and {} more nearby", d.count - 1))}
                            </td>
                            <td class="num">{format!("{:.5}", d.lat)}</td>
                            <td class="num">{format!("{:.5}", d.lon)}</td>
                            <td>{format_time(&d.time)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::MapMarker;

    fn at(lat: f64, lon: f64) -> MapMarker {
        MapMarker {
            device: "d".into(),
            lat,
            lon,
            count: 1,
            time: String::new(),
        }
    }

    #[test]
    fn devices_fit_inside_the_drawing() {
        let list = [at(50.0, 14.4), at(50.1, 14.6), at(49.9, 14.3)];
        let p = Projection::fit(list.iter().map(|m| (m.lat, m.lon)));
        for d in &list {
            let (x, y) = (p.x(d.lon), p.y(d.lat));
            assert!((MARGIN..=WIDTH - MARGIN).contains(&x), "x {x}");
            assert!((MARGIN..=HEIGHT - MARGIN).contains(&y), "y {y}");
        }
        // North is up, east is right.
        assert!(p.y(50.1) < p.y(49.9));
        assert!(p.x(14.6) > p.x(14.3));
        // One device alone still gets an area around it.
        let single = Projection::fit([(0.0, 0.0)]);
        assert!(single.px.is_finite() && single.px > 0.0);
    }

    #[test]
    fn grid_lines_fall_on_round_degrees() {
        let labels = |lo, hi| grid(lo, hi).into_iter().map(|g| g.0).collect::<Vec<_>>();
        assert_eq!(
            labels(49.88, 50.12),
            ["49.90°", "49.95°", "50.00°", "50.05°", "50.10°"]
        );
        assert_eq!(labels(0.0, 10.0), ["0°", "2°", "4°", "6°", "8°", "10°"]);
    }
}
