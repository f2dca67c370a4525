//! On a device's page: the dashboards users built that are for this device, each opened
//! on it. Read in the browser only, so the page's server time stays as it was.

use crate::api::dashboards_for;
use crate::models::device_id;
use leptos::prelude::*;

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
