//! One dashboard users built (`/dashboards/<id>?device=<id>`): its cells on the 12-column
//! grid, a device picker when it is for more than one device, read again every 15 s. An
//! operator edits its JSON in place (saved from the version it was opened at: a save
//! someone else made meanwhile is not overwritten), exports it, restores an earlier
//! version, or removes it.

use super::dashboard_arrange::Arrange;
use super::dashboard_live::{use_dashboard_feed, LiveGrid};
use super::dashboard_shares::ShareForm;
use crate::api::{
    dashboard_versions, open_dashboard, RemoveDashboard, RestoreDashboardVersion, SaveDashboard,
    SetDevicePage,
};
use crate::components::{format_by, show, ticks, ErrorBanner, Loading};
use crate::live::LiveFeed;
use crate::models::{device_id, field_rank, DashboardView, CHART_FIELDS, POSITION_FIELDS};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use std::time::Duration;

#[component]
pub fn CustomDashboard() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let device = Memo::new(move |_| query.read().get("device").filter(|d| !d.is_empty()));
    let tick = ticks(Duration::from_secs(15));
    // Bumped by a save or a restore, so the page reads what was saved at once.
    let (saved, set_saved) = signal(0u32);
    let view = Resource::new(
        move || (id.get(), device.get(), tick.get(), saved.get()),
        |(id, device, _, _)| async move {
            let device = device.map(|d| device_id(&d)).transpose()?;
            open_dashboard(id, device).await
        },
    );
    // The version and JSON the editor was opened with; it lives outside the part read
    // again every 15 s, so what is typed stays.
    let editor = RwSignal::new(None::<Opened>);
    let editing = Memo::new(move |_| editor.with(Option::is_some));
    let feed = use_dashboard_feed(
        Signal::derive(move || view.get().and_then(Result::ok)),
        None,
    );
    view! {
        <Transition fallback=Loading>
            {move || view.get().map(|r| show(r, move |v| view! { <Board v editor feed/> }.into_any()))}
        </Transition>
        {move || editing.get().then(|| {
            let (id, opened) = (id.get_untracked(), editor.get_untracked().unwrap_or_default());
            view! {
                <Suspense fallback=Loading>
                    {Suspend::new(async move { editor_view(id, opened, set_saved, editor).await })}
                </Suspense>
            }
        })}
    }
}

/// What the editor was opened with: the version and JSON it changes, and the fields to offer
/// for new cells (the reference devices' and those the dashboard's devices wrote).
#[derive(Clone, Default)]
struct Opened {
    version: u32,
    json: String,
    fields: Vec<String>,
    device_page: bool,
}

impl Opened {
    fn of(v: &DashboardView) -> Opened {
        let written = v
            .cells
            .iter()
            .flat_map(|c| c.series.iter().chain(&c.latest));
        let mut fields: Vec<String> = CHART_FIELDS
            .iter()
            .chain(&POSITION_FIELDS)
            .map(|f| f.to_string())
            .chain(written.map(|s| s.field.clone()))
            .collect();
        fields.sort_by_key(|f| field_rank(f));
        fields.dedup();
        Opened {
            version: v.dashboard.version,
            json: v.json.clone(),
            fields,
            device_page: v.device_page,
        }
    }
}

#[component]
fn Board(v: DashboardView, editor: RwSignal<Option<Opened>>, feed: LiveFeed) -> impl IntoView {
    let spec = v.dashboard.spec.clone();
    let saved_line = format!(
        "Version {} · saved {} · range {}{}",
        v.dashboard.version,
        format_by(&v.dashboard.saved_at, &v.dashboard.saved_by),
        spec.range,
        if v.device_page {
            " · its devices' page"
        } else {
            ""
        }
    );
    let export = format!("/api/dashboards/{}/export", v.dashboard.id);
    view! {
        <Title text=spec.title.clone()/>
        <p class="crumbs"><a href="/dashboards">"Dashboards"</a> " /"</p>
        <h1 data-testid="dashboard-title">{spec.title.clone()}</h1>
        <div class="board-bar">
            <Picker devices=v.devices.clone() matching=v.matching picked=v.picked.clone()/>
            <span class="muted">{saved_line}</span>
            <a href=export rel="external" download>"Export JSON"</a>
            {v.editable.then(|| {
                let opened = Opened::of(&v);
                view! {
                    <button class="secondary" data-testid="edit" on:click=move |_| {
                        let open = editor.with_untracked(Option::is_none).then(|| opened.clone());
                        editor.set(open);
                    }>
                        {move || if editor.with(Option::is_some) { "Close editor" } else { "Edit" }}
                    </button>
                }
            })}
        </div>
        <LiveGrid v feed/>
    }
}

/// The dashboard's devices, to switch the one its cells show.
#[component]
pub(super) fn Picker(
    devices: Vec<String>,
    matching: usize,
    picked: Option<String>,
) -> impl IntoView {
    let navigate = use_navigate();
    let none = devices.is_empty();
    let more =
        (matching > devices.len()).then(|| format!("the first {} of {matching}", devices.len()));
    (!none && devices.len() + usize::from(more.is_some()) > 1).then(|| {
        let options = devices
            .into_iter()
            .map(|d| {
                let selected = picked.as_deref() == Some(d.as_str());
                view! { <option value=d.clone() selected=selected>{d.clone()}</option> }
            })
            .collect_view();
        view! {
            <label class="field-pair">
                "Device"
                <select data-testid="device-picker" on:change=move |ev| {
                    navigate(&format!("?device={}", event_target_value(&ev)), Default::default());
                }>{options}</select>
                {more.map(|m| view! { <span class="muted">{m}</span> })}
            </label>
        }
    })
    .into_any()
        .into_view()
}

/// The editor, its code (the grid arranger, the cell forms) loaded the first time it opens:
/// a page only looked at does without it.
#[cfg_attr(feature = "split", lazy)]
async fn editor_view(
    id: String,
    opened: Opened,
    set_saved: WriteSignal<u32>,
    editor: RwSignal<Option<Opened>>,
) -> AnyView {
    view! { <Editor id opened set_saved editor/> }.into_any()
}

/// The dashboard's JSON to change, its versions to restore, and removing it. A save moves
/// the editor's base on to the saved version; a restore closes it (the page shows what was
/// restored, and the editor opens on it).
#[component]
fn Editor(
    id: String,
    opened: Opened,
    set_saved: WriteSignal<u32>,
    editor: RwSignal<Option<Opened>>,
) -> impl IntoView {
    let Opened {
        version,
        json,
        fields,
        device_page,
    } = opened;
    let save = ServerAction::<SaveDashboard>::new();
    let page = ServerAction::<SetDevicePage>::new();
    let (is_page, set_is_page) = signal(device_page);
    // What the last click asked for, kept once it is done.
    let asked = StoredValue::new(device_page);
    Effect::new(move |_| {
        if matches!(page.value().get(), Some(Ok(()))) {
            set_is_page.set(asked.get_value());
            set_saved.update(|n| *n += 1);
        }
    });
    let restore = ServerAction::<RestoreDashboardVersion>::new();
    let remove = ServerAction::<RemoveDashboard>::new();
    let (text, set_text) = signal(json);
    let (base, set_base) = signal(version);
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            set_base.set(saved.version);
            set_saved.update(|n| *n += 1);
        }
    });
    Effect::new(move |_| {
        if matches!(restore.value().get(), Some(Ok(_))) {
            set_saved.update(|n| *n += 1);
            editor.set(None);
        }
    });
    let navigate = use_navigate();
    Effect::new(move |_| {
        if matches!(remove.value().get(), Some(Ok(()))) {
            navigate("/dashboards", Default::default());
        }
    });
    let versions = {
        let id = id.clone();
        Resource::new(
            move || save.version().get() + restore.version().get(),
            move |_| dashboard_versions(id.clone()),
        )
    };
    let error = move || {
        [
            save.value().get().and_then(Result::err),
            restore.value().get().and_then(|r| r.err()),
            remove.value().get().and_then(Result::err),
            page.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .next()
    };
    let (save_id, restore_id, remove_id, page_id, share_id) =
        (id.clone(), id.clone(), id.clone(), id.clone(), id);
    view! {
        <section class="card editor" data-testid="editor">
            <h2>"Edit"</h2>
            {move || save.value().get().and_then(Result::ok).map(|s| view! {
                <p class="saved" data-testid="saved">{format!("Saved as version {}.", s.version)}</p>
            })}
            <p>"Drag a cell by its bar to move it and by its corner to resize it; select it to change what it shows. Or edit the JSON ("
                <a href="/schemas/dashboard.schema.json" rel="external">"the format"</a>")."</p>
            <Arrange text set_text fields/>
            <details class="json-text">
                <summary>"JSON"</summary>
                <textarea class="json" rows="18" aria-label="Dashboard JSON" spellcheck="false"
                    prop:value=text on:input=move |ev| set_text.set(event_target_value(&ev))></textarea>
            </details>
            <div class="inline-form">
                <button disabled=move || save.pending().get()
                    on:click=move |_| { save.dispatch(SaveDashboard { id: save_id.clone(), version: base.get_untracked(), json: text.get_untracked() }); }>
                    "Save"
                </button>
                <button class="danger" on:click=move |_| { remove.dispatch(RemoveDashboard { id: remove_id.clone() }); }>
                    "Remove dashboard"
                </button>
                <button class="secondary" data-testid="device-page-toggle" disabled=move || page.pending().get()
                    title="Shown on the pages of its devices in place of the standard charts"
                    on:click=move |_| {
                        let on = !is_page.get_untracked();
                        asked.set_value(on);
                        page.dispatch(SetDevicePage { id: page_id.clone(), on });
                    }>
                    {move || if is_page.get() { "Stop being its devices' page" } else { "Make it its devices' page" }}
                </button>
            </div>
            {move || error().map(|error| view! { <ErrorBanner error/> })}
            <ShareForm id=share_id/>
            <h3>"Versions"</h3>
            <Transition fallback=Loading>
                {move || versions.get().map(|r| show(r, {
                    let restore_id = restore_id.clone();
                    move |list| view! {
                        <table class="data compact" data-testid="versions">
                            <tbody>
                                {list.into_iter().map(|v| {
                                    let id = restore_id.clone();
                                    let current = v.version == base.get_untracked();
                                    view! {
                                        <tr>
                                            <td>{format!("Version {}", v.version)}</td>
                                            <td>{v.title}</td>
                                            <td>{format_by(&v.saved_at, &v.saved_by)}</td>
                                            <td class="row-actions">
                                                {(!current).then(|| view! {
                                                    <button class="secondary" on:click=move |_| {
                                                        restore.dispatch(RestoreDashboardVersion { id: id.clone(), version: v.version });
                                                    }>"Restore"</button>
                                                })}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }))}
            </Transition>
        </section>
    }
}
