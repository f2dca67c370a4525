//! A dashboard whose range is a live window (10 s to 5 min): the points its picked device
//! writes are pushed to the page as they land and join its cells' data. The page still
//! reads the dashboard again every 15 s (its other devices; and while the stream is down).

use super::dashboard_cells::Grid;
use crate::live::{use_stream, LiveFeed};
use crate::models::{CellData, DashboardView};
use leptos::prelude::*;

/// The picked device's stream while the dashboard's range is a live window (by `share`, a
/// share link's token, when it is opened by one); it is opened again only when the device
/// or the range changes, not at each read.
pub fn use_dashboard_feed(
    view: Signal<Option<DashboardView>>,
    share: Option<Memo<String>>,
) -> LiveFeed {
    let followed = Memo::new(move |_| {
        view.with(|v| {
            let v = v.as_ref()?;
            v.dashboard
                .spec
                .range_choice()
                .is_live()
                .then(|| v.picked.clone())
                .flatten()
        })
    });
    let path = Signal::derive(move || {
        let device = followed.get().unwrap_or_default();
        match share {
            Some(token) => format!("/share/{}/live/{device}", token.get()),
            None => format!("/api/live/{device}"),
        }
    });
    use_stream(path, Signal::derive(move || followed.with(Option::is_some)))
}

/// The dashboard's cells on their grid, following the feed when its range is a live window
/// (and saying whether the points are arriving).
#[component]
pub fn LiveGrid(v: DashboardView, feed: LiveFeed) -> impl IntoView {
    let live = v.dashboard.spec.range_choice().is_live();
    let data = live_cells(&v, feed);
    view! {
        {live.then(|| view! { <LiveState feed meanwhile="read every 15 s meanwhile"/> })}
        <Grid cells=v.dashboard.spec.cells data now_ms=v.now_ms/>
    }
}

/// The cells' data as read, joined by the feed's points when the range is a live window.
fn live_cells(v: &DashboardView, feed: LiveFeed) -> Signal<Vec<CellData>> {
    let range = v.dashboard.spec.range_choice();
    let read = v.cells.clone();
    match (range.is_live(), v.picked.clone()) {
        (true, Some(device)) => {
            let window_ms = range.seconds() as i64 * 1_000;
            Signal::derive(move || {
                feed.points.with(|p| {
                    read.iter()
                        .map(|c| c.with_live(&device, p, window_ms))
                        .collect()
                })
            })
        }
        _ => Signal::stored(read),
    }
}

/// Whether the pushed points are arriving, on a dashboard with a live window.
#[component]
pub fn LiveState(feed: LiveFeed, meanwhile: &'static str) -> impl IntoView {
    move || {
        let connected = feed.connected.get();
        view! {
            <p class=if connected { "live-state on" } else { "live-state" } data-testid="live-state">
                {if connected { "● Live: points are drawn as they arrive".to_string() } else { format!("Connecting… ({meanwhile})") }}
            </p>
        }
    }
}
