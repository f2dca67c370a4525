//! A dashboard opened by its share link (`/share/<token>`, `?kiosk` for a wall screen):
//! read-only, read again every 15 s (a live range's points pushed as they land), with no navigation (the layout shows none here). Once
//! the link expires or is revoked, the next read says so and the data is gone from the page.

use super::custom_dashboard::Picker;
use super::dashboard_live::{use_dashboard_feed, LiveGrid};
use crate::api::shared_dashboard;
use crate::components::{show, ticks, Loading};
use crate::models::device_id;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use std::time::Duration;

#[component]
pub fn SharedDashboard() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let token = Memo::new(move |_| params.read().get("token").unwrap_or_default());
    let device = Memo::new(move |_| query.read().get("device").filter(|d| !d.is_empty()));
    let kiosk = Memo::new(move |_| query.read().get("kiosk").is_some());
    let tick = ticks(Duration::from_secs(15));
    let view = Resource::new(
        move || (token.get(), device.get(), tick.get()),
        |(token, device, _)| async move {
            let device = device.map(|d| device_id(&d)).transpose()?;
            shared_dashboard(token, device).await
        },
    );
    let feed = use_dashboard_feed(
        Signal::derive(move || view.get().and_then(Result::ok)),
        Some(token),
    );
    view! {
        <Transition fallback=Loading>
            {move || view.get().map(|r| show(r, move |v| {
                let title = v.dashboard.spec.title.clone();
                view! {
                    <Title text=title.clone()/>
                    <div class=move || if kiosk.get() { "shared kiosk" } else { "shared" } data-testid="shared">
                        <h1 data-testid="dashboard-title">{title}</h1>
                        <div class="board-bar">
                            <Picker devices=v.devices.clone() matching=v.matching picked=v.picked.clone()/>
                            <span class="muted">"Shared read-only · range " {v.dashboard.spec.range.clone()} " · read every 15 s"</span>
                        </div>
                        <LiveGrid v feed/>
                    </div>
                }
                .into_any()
            }))}
        </Transition>
    }
}
