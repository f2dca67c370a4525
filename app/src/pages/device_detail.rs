//! One device: its dashboard, its registration, the configuration it fetches, its token on request, removal.

use crate::api::{get_device, RemoveDevice, RevealToken};
use crate::components::{
    format_age, format_duration, format_time, show, ticks, ErrorBanner, Loading, FLEET_REFRESH,
};
use crate::models::DeviceDetail as Detail;
use crate::models::{device_id, DeviceId, DeviceSummary};
use crate::pages::device_dashboards::{DeviceCharts, DeviceDashboards};
use crate::pages::field_stats::FieldStatsPanel;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn DeviceDetail() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let remove = ServerAction::<RemoveDevice>::new();
    let detail = Resource::new(
        move || (id(), remove.version().get()),
        |(id, _)| async move { get_device(device_id(&id)?).await },
    );
    // The header (status, last seen) looks again with the fleet's views; the registration's
    // card below does not, so a revealed token or a half-done removal stays as it is.
    let tick = ticks(FLEET_REFRESH);
    let live = Resource::new(
        move || (id(), remove.version().get(), tick.get()),
        |(id, _, _)| async move { get_device(device_id(&id)?).await },
    );
    // The dashboard follows the URL, not the registration: built inside the registration's
    // Transition it was built (and its data fetched and inlined into the page) twice.
    view! {
        <Title text=move || format!("Device {}", id())/>
        <p class="crumbs"><a href="/devices">"Devices"</a> " / " {id}</p>
        <Transition fallback=Loading>
            {move || live.get().map(|r| show(r, |d| view! { <DeviceHeader summary=d.summary/> }.into_any()))}
        </Transition>
        <DeviceDashboards device=Signal::derive(id)/>
        <DeviceCharts device=Signal::derive(id)/>
        <FieldStatsPanel device=Signal::derive(id)/>
        <Transition>
            {move || detail.get().and_then(Result::ok).map(|d| view! { <DeviceFacts detail=d remove/> }.into_any())}
        </Transition>
        <crate::Hydrated/>
    }
}

/// The device's id, status and when it was last seen (and its clock, when it is ahead).
#[component]
fn DeviceHeader(summary: DeviceSummary) -> impl IntoView {
    let d = summary;
    let seen = match (d.last_seen.as_deref(), d.seen_ago_seconds) {
        (Some(t), Some(ago)) => format!("Last seen {} ({})", format_age(ago), format_time(t)),
        _ => "Never seen".to_string(),
    };
    view! {
        <h1>{d.id} " " <span class=d.status.badge() data-testid="device-status">{d.status.label()}</span></h1>
        <p class="seen" data-testid="device-seen">{seen}</p>
        // To the nearest minute: a clock 3 h ahead is measured a few seconds short of it.
        {d.clock_ahead_seconds.map(|ahead| (ahead + 30) / 60 * 60).map(|ahead| view! {
            <p class="banner warn" data-testid="clock-skew">
                {format!("Its clock is {} ahead: its latest points are stamped in the future, so they count as seen when they arrived.", format_duration(ahead))}
            </p>
        })}
    }
}

/// The registration, the configuration the device fetches, its token and its removal.
#[component]
fn DeviceFacts(detail: Detail, remove: ServerAction<RemoveDevice>) -> impl IntoView {
    let d = detail.summary.clone();
    let id = d.id.clone();
    // Ids in the registry were validated when registered; one that is not valid gets no
    // actions, and neither does a viewer (who never sees a token).
    let actions = (!d.removed && detail.manageable)
        .then(|| DeviceId::parse(&id).ok())
        .flatten();
    view! {
        <section class="card">
            <h2>"Registration"</h2>
            <dl class="facts">
                <dt>"Registered"</dt><dd>{d.created_at.as_deref().map(format_time).unwrap_or_default()}</dd>
                <dt>"Token id"</dt><dd><code>{d.key.clone().unwrap_or_else(|| "none (removed)".into())}</code></dd>
            </dl>
        </section>
        <section class="card">
            <h2>"Configuration"</h2>
            <p>"What the device receives from " <code>{format!("GET /api/env/{id}")}</code> ":"</p>
            <pre class="config" data-testid="device-config">{detail.config_text.clone()}</pre>
            {actions.clone().map(|id| view! { <TokenReveal id/> })}
        </section>
        {actions.map(|id| view! { <RemoveDevicePanel id remove/> })}
    }
}

#[component]
fn TokenReveal(id: DeviceId) -> impl IntoView {
    let reveal = ServerAction::<RevealToken>::new();
    let token = move || {
        match reveal.value().get() {
        Some(Ok(token)) => Some(
            view! {
                <p class="hint">"Give this token to the device; it can write telemetry and nothing else."</p>
                <pre class="config token" data-testid="device-token">{token}</pre>
            }
            .into_any(),
        ),
        Some(Err(e)) => Some(view! { <ErrorBanner error=e/> }.into_any()),
        None => None,
    }
    };
    view! {
        <button class="secondary" on:click=move |_| { reveal.dispatch(RevealToken { id: id.clone() }); }>
            "Reveal token"
        </button>
        {token}
    }
}

#[component]
fn RemoveDevicePanel(id: DeviceId, remove: ServerAction<RemoveDevice>) -> impl IntoView {
    let (confirming, set_confirming) = signal(false);
    let (delete_data, set_delete_data) = signal(false);
    let id_for_remove = id.clone();
    view! {
        <section class="card danger-zone">
            <h2>"Remove"</h2>
            <p>"The device's token stops working at once. Its registration history is kept."</p>
            <Show
                when=move || confirming.get()
                fallback=move || view! {
                    <button class="danger" on:click=move |_| set_confirming.set(true)>"Remove device…"</button>
                }
            >
                <div class="confirm" role="group" aria-label="Confirm removal">
                    <label>
                        <input type="checkbox" prop:checked=delete_data on:change=move |ev| set_delete_data.set(event_target_checked(&ev))/>
                        " Also delete its telemetry"
                    </label>
                    <button
                        class="danger"
                        disabled=move || remove.pending().get()
                        on:click={
                            let id = id_for_remove.clone();
                            move |_| { remove.dispatch(RemoveDevice { id: id.clone(), delete_telemetry: delete_data.get_untracked() }); }
                        }
                    >
                        {format!("Yes, remove {id}")}
                    </button>
                    <button class="secondary" on:click=move |_| set_confirming.set(false)>"Cancel"</button>
                </div>
            </Show>
            {move || remove.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBanner error=e/> })}
        </section>
    }
}
