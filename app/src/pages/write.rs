//! Writing telemetry from the built-in virtual devices, each with its own token: one point
//! now, a back-fill of the last days, or a continuous writer that runs in the server.

use crate::api::{get_writer_status, StartBackfill, StartWriter, StopWriter, WritePointNow};
use crate::components::{ticks, ErrorBanner};
use crate::device_picker::DevicePicker;
use crate::models::{AppError, DeviceId, DeviceSelection, WriteOver, WriterStatus};
use leptos::prelude::*;
use leptos_meta::Title;
use std::time::Duration;

#[component]
pub fn WriteData() -> impl IntoView {
    let selected = RwSignal::new(Vec::<String>::new());
    // The writer's status, refreshed every second once the page is live.
    let tick = ticks(Duration::from_secs(1));
    let status = LocalResource::new(move || {
        tick.track();
        get_writer_status()
    });

    view! {
        <Title text="Write data"/>
        <h1>"Write data"</h1>
        <p class="lead">"Virtual devices write plausible telemetry through the device gateway, as real ones do."</p>
        <section class="card">
            <h2>"Devices"</h2>
            <DevicePicker chosen=selected toggle=Callback::new(move |(id, on): (String, bool)| {
                selected.update(|s| { s.retain(|x| *x != id); if on { s.push(id); } });
            })/>
        </section>
        <div class="grid">
            <WriteNow selected/>
            <Backfill selected status/>
            <Continuous selected status/>
        </div>
    }
}

fn outcome<T>(action: ServerAction<T>, ok: &'static str) -> impl IntoView
where
    T: leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    T::Output: Clone + Send + Sync + 'static,
{
    move || match action.value().get() {
        Some(Ok(_)) => Some(view! { <p class="answer ok">{ok}</p> }.into_any()),
        Some(Err(e)) => Some(view! { <ErrorBanner error=e/> }.into_any()),
        None => None,
    }
}

/// The devices ticked, as a selection the server accepts (none ticked: `None`).
fn chosen(selected: RwSignal<Vec<String>>) -> Option<DeviceSelection> {
    let ids = selected.with(|s| {
        s.iter()
            .map(|d| DeviceId::parse(d).ok())
            .collect::<Option<_>>()
    })?;
    DeviceSelection::new(ids).ok()
}

#[component]
fn WriteNow(selected: RwSignal<Vec<String>>) -> impl IntoView {
    let write = ServerAction::<WritePointNow>::new();
    view! {
        <section class="card">
            <h2>"One point now"</h2>
            <p>"Each chosen device writes its current readings."</p>
            <button disabled=move || chosen(selected).is_none() || write.pending().get()
                on:click=move |_| if let Some(devices) = chosen(selected) { write.dispatch(WritePointNow { devices }); }>
                "Write one point"
            </button>
            {outcome(write, "Written.")}
        </section>
    }
}

#[component]
fn Backfill(
    selected: RwSignal<Vec<String>>,
    status: LocalResource<Result<WriterStatus, AppError>>,
) -> impl IntoView {
    let backfill = ServerAction::<StartBackfill>::new();
    let (days, set_days) = signal(7u32);
    let progress = move || status.get().and_then(|s| s.ok()).and_then(|s| s.backfill);
    view! {
        <section class="card">
            <h2>"Back-fill"</h2>
            <p>"The last days at 1-minute steps (7 days: 10,080 points per device)."</p>
            <div class="inline-form">
                <label for="backfill-days">"Days"</label>
                <input id="backfill-days" type="number" min="1" max="30" prop:value=move || days.get().to_string()
                    on:input=move |ev| set_days.set(event_target_value(&ev).parse().unwrap_or(0))/>
                <button disabled=move || chosen(selected).is_none() || progress().is_some() || !(1..=30).contains(&days.get())
                    on:click=move |_| if let Some(devices) = chosen(selected) { backfill.dispatch(StartBackfill { devices, days: days.get_untracked() }); }>
                    "Back-fill"
                </button>
            </div>
            {move || progress().map(|(done, total)| view! {
                <div class="progress" data-testid="backfill-progress">
                    <progress max=total.to_string() value=done.to_string()></progress>
                    <span>{format!("{done} of {total} points")}</span>
                </div>
            })}
            {move || backfill.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBanner error=e/> })}
        </section>
    }
}

#[component]
fn Continuous(
    selected: RwSignal<Vec<String>>,
    status: LocalResource<Result<WriterStatus, AppError>>,
) -> impl IntoView {
    let start = ServerAction::<StartWriter>::new();
    let stop = ServerAction::<StopWriter>::new();
    let (interval, set_interval) = signal(10u64);
    let (over, set_over) = signal(WriteOver::Http);
    let current = move || status.get().and_then(|s| s.ok()).unwrap_or_default();
    view! {
        <section class="card">
            <h2>"Continuous"</h2>
            <p>"Writes a point per device every few seconds until stopped, whether or not this page is open."</p>
            <div class="inline-form">
                <span class="field-pair">
                    <label for="interval">"Every (s)"</label>
                    <input id="interval" type="number" min="1" max="3600" prop:value=move || interval.get().to_string()
                        on:input=move |ev| set_interval.set(event_target_value(&ev).parse().unwrap_or(0))/>
                </span>
                <span class="field-pair">
                    <label for="over">"Over"</label>
                    <select id="over" on:change=move |ev| set_over.set(if event_target_value(&ev) == "MQTT" { WriteOver::Mqtt } else { WriteOver::Http })>
                        {[WriteOver::Http, WriteOver::Mqtt].map(|o| view! { <option value=o.label() selected=move || over.get() == o>{o.label()}</option> })}
                    </select>
                </span>
                <button disabled=move || chosen(selected).is_none() || !(1..=3600).contains(&interval.get())
                    on:click=move |_| if let Some(devices) = chosen(selected) { start.dispatch(StartWriter { devices, interval_seconds: interval.get_untracked(), over: over.get_untracked() }); }>
                    "Start"
                </button>
                <button class="secondary" disabled=move || current().continuous_devices.is_empty()
                    on:click=move |_| { stop.dispatch(StopWriter {}); }>
                    "Stop"
                </button>
            </div>
            <p class="writer-state" data-testid="writer-state">
                {move || {
                    let s = current();
                    if s.continuous_devices.is_empty() {
                        format!("Stopped. {} points written since the server started.", s.points_written)
                    } else {
                        format!("Writing every {} s over {} for {}. {} points written.", s.interval_seconds, s.over.label(), s.continuous_devices.join(", "), s.points_written)
                    }
                }}
            </p>
            {move || current().last_error.map(|e| view! { <p class="field-error">{e}</p> })}
            {move || start.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBanner error=e/> })}
        </section>
    }
}
