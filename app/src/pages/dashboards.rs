//! The dashboards users built: the list, a new one from a starter (for the devices whose ids
//! start with a prefix), and one imported from its JSON (as exported, or written by hand
//! against `/schemas/dashboard.schema.json`).

use super::dashboard_shares::ShareLinks;
use crate::api::{list_dashboards, whoami, CreateDashboard, NewDashboard};
use crate::components::{format_by, show, ErrorBanner, Loading};
use crate::models::{AppError, Role, SavedDashboard};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

#[component]
pub fn Dashboards() -> impl IntoView {
    let list = Resource::new(|| (), |_| list_dashboards());
    let me = Resource::new(|| (), |_| whoami());
    let may_edit = move || matches!(me.get(), Some(Ok(Some(c))) if c.may(Role::Operator));
    view! {
        <Title text="Dashboards"/>
        <h1>"Dashboards"</h1>
        <p class="lead">"Dashboards you build: cells on a grid for one device, a list, or every device whose id starts with a prefix."</p>
        <section class="card">
            <Transition fallback=Loading>
                {move || list.get().map(|r| show(r, |rows| {
                    if rows.is_empty() {
                        return view! { <p class="muted" data-testid="no-dashboards">"No dashboards yet."</p> }.into_any();
                    }
                    view! {
                        <table class="data" data-testid="dashboard-list">
                            <thead><tr><th>"Title"</th><th>"Cells"</th><th>"Version"</th><th>"Saved"</th></tr></thead>
                            <tbody>
                                {rows.into_iter().map(|d| view! {
                                    <tr>
                                        <td>
                                            <a href=format!("/dashboards/{}", d.id)>{d.title}</a>
                                            {d.device_page.then(|| view! { " " <span class="badge info" title="Shown on its devices' pages">"device page"</span> })}
                                        </td>
                                        <td>{d.cells}</td>
                                        <td>{d.version}</td>
                                        <td>{format_by(&d.saved_at, &d.saved_by)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }))}
            </Transition>
        </section>
        <Transition fallback=|| ()>
            <Show when=may_edit>
                <div class="grid">
                    <NewForm/>
                    <ImportForm/>
                </div>
                <ShareLinks/>
            </Show>
        </Transition>
    }
}

/// Opens a dashboard once it was made.
fn open_when_made(made: Signal<Option<Result<SavedDashboard, AppError>>>) {
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = made.get() {
            navigate(&format!("/dashboards/{}", saved.id), Default::default());
        }
    });
}

#[component]
fn NewForm() -> impl IntoView {
    let make = ServerAction::<NewDashboard>::new();
    open_when_made(make.value().into());
    let (title, set_title) = signal(String::new());
    let (prefix, set_prefix) = signal(String::new());
    view! {
        <section class="card">
            <h2>"New dashboard"</h2>
            <p>"A starter of a chart, a value, a gauge and a table, to change as you like."</p>
            <div class="stacked-form">
                <label for="new-title">"Title"</label>
                <input id="new-title" maxlength="100" prop:value=title on:input=move |ev| set_title.set(event_target_value(&ev))/>
                <label for="new-prefix">"Devices whose id starts with"</label>
                <input id="new-prefix" placeholder="(every device)" prop:value=prefix on:input=move |ev| set_prefix.set(event_target_value(&ev))/>
                <button disabled=move || title.read().trim().is_empty() || make.pending().get()
                    on:click=move |_| { make.dispatch(NewDashboard { title: title.get_untracked(), prefix: prefix.get_untracked() }); }>
                    "Create"
                </button>
            </div>
            {move || make.value().get().and_then(Result::err).map(|error| view! { <ErrorBanner error/> })}
        </section>
    }
}

#[component]
fn ImportForm() -> impl IntoView {
    let import = ServerAction::<CreateDashboard>::new();
    open_when_made(import.value().into());
    let (json, set_json) = signal(String::new());
    view! {
        <section class="card">
            <h2>"Import"</h2>
            <p>"A dashboard's JSON, as exported from a dashboard's page, or a dynamic dashboard of the reference IoT Center. "
                <a href="/schemas/dashboard.schema.json" rel="external">"The format"</a></p>
            <textarea class="json" rows="8" aria-label="Dashboard JSON" spellcheck="false"
                prop:value=json on:input=move |ev| set_json.set(event_target_value(&ev))></textarea>
            <button disabled=move || json.read().trim().is_empty() || import.pending().get()
                on:click=move |_| { import.dispatch(CreateDashboard { json: json.get_untracked() }); }>
                "Import"
            </button>
            {move || import.value().get().and_then(Result::err).map(|error| view! { <ErrorBanner error/> })}
        </section>
    }
}
