//! On a device's page: the dashboards users built that are for this device, each opened
//! on it (read in the browser only, so the page's server time stays as it was), and the
//! dashboard an operator made the page of its devices, drawn in place of the standard
//! charts (`?charts=standard` shows those still).

use crate::api::{dashboards_for, device_page_of, open_dashboard};
use crate::components::{show, ticks, Loading};
use crate::models::device_id;
use crate::pages::dashboard::DeviceDashboardPanel;
use crate::pages::dashboard_live::{use_dashboard_feed, LiveGrid};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use std::time::Duration;

#[component]
pub fn DeviceDashboards(#[prop(into)] device: Signal<String>) -> impl IntoView {
    let list = LocalResource::new(move || {
        let device = device.get();
        async move { dashboards_for(device_id(&device)?).await }
    });
    move || {
        let boards = list.get().and_then(Result::ok).unwrap_or_default();
        (!boards.is_empty()).then(|| {
            let id = device.get();
            let links = boards
                .into_iter()
                .map(|d| view! { <a href=format!("/dashboards/{}?device={id}", d.id)>{d.title}</a> })
                .collect_view();
            view! { <p class="device-dashboards" data-testid="device-dashboards">"Dashboards: " {links}</p> }
        })
    }
}

/// The device's charts: the dashboard picked as its page, else the standard ones. The
/// standard charts are built outside any `Transition` (one built inside would be built, and
/// its data read and inlined into the page, twice) and left out once a dashboard shows.
#[component]
pub fn DeviceCharts(#[prop(into)] device: Signal<String>) -> impl IntoView {
    let query = use_query_map();
    let standard = Memo::new(move |_| query.read().get("charts").as_deref() == Some("standard"));
    let page = Resource::new(
        move || device.get(),
        |device| async move { device_page_of(device_id(&device)?).await },
    );
    let board = move || page.get().and_then(Result::ok).flatten();
    view! {
        <Transition>
            {move || board().map(|board| match standard.get() {
                false => view! { <LazyDevicePage board device/> }.into_any(),
                true => view! {
                    <p class="device-dashboards">
                        "The standard charts. "
                        <a href=format!("/devices/{}", device.get()) data-testid="device-page-back">"Back to this device's page"</a>
                    </p>
                }
                .into_any(),
            })}
        </Transition>
        <DeviceDashboardPanel device hidden=Signal::derive(move || board().is_some() && !standard.get())/>
    }
}

/// The dashboard's cells, their code loaded only on the pages of devices that have one: the
/// standard page, where most visits land, does without it. Drawn in the browser once the
/// page has hydrated: a lazy part the server drew would not hydrate before its code loads.
#[component]
fn LazyDevicePage(board: String, device: Signal<String>) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    move || match hydrated.get() {
        true => {
            let board = board.clone();
            view! {
                <Suspense fallback=Loading>
                    {Suspend::new(async move { device_page(board, device).await })}
                </Suspense>
            }
            .into_any()
        }
        false => view! { <Loading/> }.into_any(),
    }
}

#[cfg_attr(feature = "split", lazy)]
async fn device_page(board: String, device: Signal<String>) -> AnyView {
    view! { <DevicePage board device/> }.into_any()
}

/// Dashboard `board` drawn for `device`, read again every 15 s as its own page is.
#[component]
fn DevicePage(board: String, device: Signal<String>) -> impl IntoView {
    let tick = ticks(Duration::from_secs(15));
    let view = Resource::new(
        move || (board.clone(), device.get(), tick.get()),
        |(board, device, _)| async move { open_dashboard(board, Some(device_id(&device)?)).await },
    );
    let feed = use_dashboard_feed(
        Signal::derive(move || view.get().and_then(Result::ok)),
        None,
    );
    view! {
        <Transition fallback=Loading>
            {move || view.get().map(|r| show(r, move |v| {
                let open = format!("/dashboards/{}?device={}", v.dashboard.id, v.picked.clone().unwrap_or_default());
                view! {
                    <section class="device-page" data-testid="device-page">
                        <p class="board-bar">
                            <span>"This device's page: " <a href=open>{v.dashboard.spec.title.clone()}</a></span>
                            <a href="?charts=standard" data-testid="standard-charts">"Standard charts"</a>
                        </p>
                        <LiveGrid v feed/>
                    </section>
                }
                .into_any()
            }))}
        </Transition>
    }
}
