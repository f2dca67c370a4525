//! The device list, the registration form and the devices waiting for approval.

use crate::api::{list_devices, list_pending_devices, DismissDevice, RegisterDevice};
use crate::components::{format_age, format_time, show, ErrorBanner, Loading};
use crate::models::{DeviceId, DeviceSummary, PendingDevices};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn Devices() -> impl IntoView {
    let register = ServerAction::<RegisterDevice>::new();
    let dismiss = ServerAction::<DismissDevice>::new();
    let devices = Resource::new(move || register.version().get(), |_| list_devices());
    let pending = Resource::new(
        move || (register.version().get(), dismiss.version().get()),
        |_| list_pending_devices(),
    );
    view! {
        <Title text="Devices"/>
        <h1>"Devices"</h1>
        <p class="lead">"Each device gets its own token, which may only write telemetry."</p>
        <RegisterForm register/>
        <Transition fallback=Loading>
            {move || pending.get().map(|r| show(r, |waiting| view! { <PendingTable waiting register dismiss/> }.into_any()))}
        </Transition>
        {move || dismiss.value().get().and_then(Result::err).map(|e| view! { <ErrorBanner error=e/> })}
        <section class="card">
            <h2>"Registered devices"</h2>
            <Transition fallback=Loading>
                {move || devices.get().map(|r| show(r, |list| view! { <DeviceTable list/> }.into_any()))}
            </Transition>
        </section>
    }
}

#[component]
fn RegisterForm(register: ServerAction<RegisterDevice>) -> impl IntoView {
    let (id, set_id) = signal(String::new());
    // Checked as the user types, with the same rule the server applies.
    let problem = move || {
        let raw = id.get();
        (!raw.is_empty())
            .then(|| DeviceId::parse(&raw).err())
            .flatten()
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Ok(valid) = DeviceId::parse(&id.get_untracked()) {
            register.dispatch(RegisterDevice { id: valid });
        }
    };
    let outcome = move || {
        match register.value().get() {
        Some(Ok(registered)) => Some(
            view! {
                <p class="answer ok" data-testid="register-result">
                    "Registered " <a href=format!("/devices/{registered}")>{registered.clone()}</a> "."
                </p>
            }
            .into_any(),
        ),
        Some(Err(e)) => Some(view! { <ErrorBanner error=e/> }.into_any()),
        None => None,
    }
    };
    view! {
        <section class="card">
            <h2>"Register a device"</h2>
            <form class="inline-form" on:submit=submit>
                <label for="device-id">"Device id"</label>
                <input
                    id="device-id"
                    name="id"
                    placeholder="ESP32-A0B1C2D3E4F5"
                    autocomplete="off"
                    prop:value=id
                    on:input=move |ev| set_id.set(event_target_value(&ev))
                />
                <button type="submit" disabled=move || register.pending().get() || problem().is_some() || id.get().trim().is_empty()>
                    "Register"
                </button>
            </form>
            <p class="hint">"Letters, digits, '.', '_' and '-'; up to 64 characters."</p>
            {move || problem().map(|p| view! { <p class="field-error" role="alert">{p}</p> })}
            {outcome}
        </section>
    }
}

/// Devices that asked for their configuration: an operator approves (registers) or dismisses
/// each. Under open registration, with no one waiting, there is nothing to show.
#[component]
fn PendingTable(
    waiting: PendingDevices,
    register: ServerAction<RegisterDevice>,
    dismiss: ServerAction<DismissDevice>,
) -> impl IntoView {
    let nobody = waiting.devices.is_empty();
    if nobody && waiting.policy == crate::models::RegistrationPolicy::Open {
        return ().into_any();
    }
    let rows = waiting
        .devices
        .into_iter()
        .filter_map(|d| DeviceId::parse(&d.id).ok().map(|id| (id, d)))
        .map(|(id, d)| {
            let (approve_id, dismiss_id) = (id.clone(), id.clone());
            view! {
                <tr>
                    <td>{d.id.clone()}</td>
                    <td>{format_time(&d.first_request)}</td>
                    <td>{format_time(&d.last_request)}</td>
                    <td>{d.requests}</td>
                    <td class="row-actions">
                        <button
                            data-testid=format!("approve-{}", d.id)
                            disabled=move || register.pending().get()
                            on:click=move |_| { register.dispatch(RegisterDevice { id: approve_id.clone() }); }
                        >"Approve"</button>
                        <button
                            class="secondary"
                            disabled=move || dismiss.pending().get()
                            on:click=move |_| { dismiss.dispatch(DismissDevice { id: dismiss_id.clone() }); }
                        >"Dismiss"</button>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let table = view! {
        <table class="data">
            <thead>
                <tr><th>"Device"</th><th>"First asked"</th><th>"Last asked"</th><th>"Requests"</th><th></th></tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    };
    view! {
        <section class="card" data-testid="pending-devices">
            <h2>"Waiting for approval"</h2>
            <p class="hint">{waiting.policy.explain()}</p>
            {if nobody {
                view! { <p class="muted">"No device is waiting."</p> }.into_any()
            } else {
                table.into_any()
            }}
        </section>
    }
    .into_any()
}

#[component]
fn DeviceTable(list: Vec<DeviceSummary>) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="muted" data-testid="no-devices">"No devices yet: register one above."</p> }.into_any();
    }
    view! {
        <table class="data" data-testid="device-table">
            <thead>
                <tr><th>"Device"</th><th>"Registered"</th><th>"Last seen"</th><th>"Status"</th></tr>
            </thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|d| {
                        let (label, class) = (d.status.label(), d.status.badge());
                        view! {
                            <tr>
                                <td><a href=format!("/devices/{}", d.id)>{d.id.clone()}</a></td>
                                <td>{d.created_at.as_deref().map(format_time).unwrap_or_default()}</td>
                                <td title=d.last_seen.as_deref().map(format_time)>{d.seen_ago_seconds.map_or_else(|| "never".to_string(), format_age)}</td>
                                <td><span class=class>{label}</span></td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
