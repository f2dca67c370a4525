//! The device list, the registration form and the devices waiting for approval.

use super::device_import::ImportForm;
use crate::api::{
    find_devices, list_pending_devices, DismissDevice, ImportDevices, RegisterDevice,
};
use crate::components::{
    format_age, format_time, level_badge, show, ticks, ErrorBanner, Loading, FLEET_REFRESH,
};
use crate::models::{
    AppError, DeviceId, DeviceStatus, FleetPage, FleetQuery, PendingDevices, FLEET_PAGE_SIZE,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The list's search as the URL holds it: `?q=ESP32&status=offline&page=2`.
#[derive(Clone, Debug, Default, PartialEq)]
struct Search {
    prefix: String,
    status: String,
    page: u32,
}

impl Search {
    fn query(&self) -> Result<FleetQuery, AppError> {
        let status = match self.status.as_str() {
            "" => None,
            slug => Some(DeviceStatus::from_slug(slug).map_err(AppError::Invalid)?),
        };
        FleetQuery::new(&self.prefix, status, self.page).map_err(AppError::Invalid)
    }
}

#[component]
pub fn Devices() -> impl IntoView {
    let register = ServerAction::<RegisterDevice>::new();
    let dismiss = ServerAction::<DismissDevice>::new();
    let import = ServerAction::<ImportDevices>::new();
    let url = use_query_map();
    let search = move || {
        let q = url.read();
        Search {
            prefix: q.get("q").unwrap_or_default(),
            status: q.get("status").unwrap_or_default(),
            page: q.get("page").and_then(|p| p.parse().ok()).unwrap_or(0),
        }
    };
    let tick = ticks(FLEET_REFRESH);
    let devices = Resource::new(
        move || {
            (
                search(),
                register.version().get(),
                import.version().get(),
                tick.get(),
            )
        },
        |(search, ..)| async move {
            let query = search.query()?;
            find_devices(query.clone())
                .await
                .map(|found| (found, query))
        },
    );
    let pending = Resource::new(
        move || (register.version().get(), dismiss.version().get()),
        |_| list_pending_devices(),
    );
    view! {
        <Title text="Devices"/>
        <h1>"Devices"</h1>
        <p class="lead">"Each device gets its own IoT Center token, which writes its own telemetry through the gateway and opens nothing else."</p>
        <RegisterForm register/>
        <ImportForm import/>
        <Transition fallback=Loading>
            {move || pending.get().map(|r| show(r, |waiting| view! { <PendingTable waiting register dismiss/> }.into_any()))}
        </Transition>
        {move || dismiss.value().get().and_then(Result::err).map(|e| view! { <ErrorBanner error=e/> })}
        <section class="card">
            <h2>"Registered devices"</h2>
            <SearchForm search=search()/>
            <Transition fallback=Loading>
                {move || devices.get().map(|r| show(r, |(found, query)| view! { <DeviceTable found query/> }.into_any()))}
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

/// Search by id prefix and status: a plain GET form, so the search is in the URL.
#[component]
fn SearchForm(search: Search) -> impl IntoView {
    view! {
        <form class="inline-form search" method="get" action="/devices">
            <label for="device-search">"Id starts with"</label>
            <input id="device-search" name="q" value=search.prefix.clone() placeholder="ESP32-" autocomplete="off"/>
            <label for="device-status">"Status"</label>
            <select id="device-status" name="status">
                <option value="" selected=search.status.is_empty()>"any"</option>
                {DeviceStatus::ALL.into_iter().map(|s| view! {
                    <option value=s.slug() selected=search.status == s.slug()>{s.label()}</option>
                }).collect_view()}
            </select>
            <button type="submit" class="secondary">"Search"</button>
        </form>
    }
}

#[component]
fn DeviceTable(found: FleetPage, query: FleetQuery) -> impl IntoView {
    let pages = found.pages();
    let first = found.page as usize * FLEET_PAGE_SIZE;
    let summary = match found.matching {
        0 if found.total == 0 => "No devices yet: register one above.".to_string(),
        0 => format!("None of the {} devices match.", found.total),
        n => format!(
            "{}–{} of {n} devices{}",
            first + 1,
            first + found.devices.len(),
            if n < found.total {
                format!(" (of {} registered)", found.total)
            } else {
                String::new()
            }
        ),
    };
    let pager = (pages > 1).then(|| {
        let (previous, next) = (
            found.page.checked_sub(1),
            (found.page + 1 < pages).then_some(found.page + 1),
        );
        view! {
            <nav class="pager" data-testid="pager">
                {previous.map(|p| view! { <a href=query.href(p)>"← Previous"</a> })}
                <span>{format!("Page {} of {pages}", found.page + 1)}</span>
                {next.map(|p| view! { <a href=query.href(p)>"Next →"</a> })}
            </nav>
        }
    });
    if found.devices.is_empty() {
        return view! { <p class="muted" data-testid="no-devices">{summary}</p> }.into_any();
    }
    let (list, firing) = (found.devices, found.firing);
    view! {
        <p class="hint" data-testid="device-count">{summary}</p>
        <table class="data" data-testid="device-table">
            <thead>
                <tr><th>"Device"</th><th>"Registered"</th><th>"Last seen"</th><th>"Status"</th><th>"Alerts"</th></tr>
            </thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|d| {
                        let (label, class) = (d.status.label(), d.status.badge());
                        let alerts = firing
                            .iter()
                            .filter(|(device, _, _)| *device == d.id)
                            .map(|(_, level, rule)| view! { <span class="device-alert">{level_badge(level.clone())} " " {rule.clone()}</span> })
                            .collect_view();
                        view! {
                            <tr>
                                <td><a href=format!("/devices/{}", d.id)>{d.id.clone()}</a></td>
                                <td>{d.created_at.as_deref().map(format_time).unwrap_or_default()}</td>
                                <td title=d.last_seen.as_deref().map(format_time)>{d.seen_ago_seconds.map_or_else(|| "never".to_string(), format_age)}</td>
                                <td><span class=class>{label}</span></td>
                                <td data-testid="device-alerts">{alerts}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        {pager}
    }
    .into_any()
}
