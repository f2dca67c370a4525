//! Query data: pick a device and a time range (kept in the URL), see the last value of each
//! field and the records, newest first, a page at a time.

use crate::api::{device_measurements, list_devices};
use crate::components::{format_time, show, Loading};
use crate::models::{Measurements, RangeChoice};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

fn href(device: &str, range: &str, page: usize) -> String {
    format!("/data?device={device}&range={range}&page={page}")
}

#[component]
pub fn QueryData() -> impl IntoView {
    let query = use_query_map();
    let device = move || query.read().get("device").unwrap_or_default();
    let range = move || {
        query
            .read()
            .get("range")
            .filter(|r| RangeChoice::parse(r).is_some())
            .unwrap_or_else(|| "1h".into())
    };
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(0usize)
    };
    let devices = Resource::new(|| (), |_| list_devices());
    let data = Resource::new(
        move || (device(), range(), page()),
        |(device, range, page)| async move {
            if device.is_empty() {
                None
            } else {
                Some(device_measurements(device, range, page).await)
            }
        },
    );
    let navigate = use_navigate();

    view! {
        <Title text="Query data"/>
        <h1>"Query data"</h1>
        <section class="card controls">
            <label for="device">"Device"</label>
            <Transition fallback=Loading>
                {
                    let navigate = navigate.clone();
                    move || devices.get().map(|r| {
                        let navigate = navigate.clone();
                        show(r, move |list| view! {
                            <select id="device" on:change=move |ev| navigate(&href(&event_target_value(&ev), &range(), 0), Default::default())>
                                <option value="" selected=move || device().is_empty()>"Choose a device"</option>
                                {list.into_iter().map(|d| {
                                    let id = d.id.clone();
                                    let is_selected = move || device() == id;
                                    view! { <option value=d.id.clone() selected=is_selected>{d.id.clone()}</option> }
                                }).collect_view()}
                            </select>
                        }.into_any())
                    })
                }
            </Transition>
            <div class="ranges" role="group" aria-label="Time range">
                {RangeChoice::ALL.into_iter().map(|r| {
                    let label = r.label();
                    view! {
                        <a class=move || if range() == label { "range active" } else { "range" } href=move || href(&device(), label, 0)>{label}</a>
                    }
                }).collect_view()}
            </div>
        </section>
        <Transition fallback=Loading>
            {move || data.get().map(|r| match r {
                None => view! { <p class="muted">"Choose a device to see its data."</p> }.into_any(),
                Some(result) => show(result, move |m| view! { <MeasurementsView m device=device() range=range()/> }.into_any()),
            })}
        </Transition>
    }
}

#[component]
fn MeasurementsView(m: Measurements, device: String, range: String) -> impl IntoView {
    if m.last_values.is_empty() {
        return view! {
            <section class="card"><p class="muted" data-testid="no-data">
                "No data in this range — write some on the " <a href="/write">"Write data"</a> " page."
            </p></section>
        }
        .into_any();
    }
    let pages = m.total_rows.div_ceil(m.page_size).max(1);
    let fields = m.fields.clone();
    view! {
        <div class="tiles" data-testid="last-values">
            {m.last_values.iter().map(|v| view! {
                <div class="tile">
                    <div class="tile-label">{v.field.clone()}</div>
                    <div class="tile-value">{format!("{}", v.value)}</div>
                    <div class="tile-time">{format_time(&v.time)}</div>
                </div>
            }).collect_view()}
        </div>
        <section class="card">
            <h2>{format!("Records ({} in the last {range})", m.total_rows)}</h2>
            <table class="data" data-testid="records">
                <thead><tr><th>"Time"</th>{fields.iter().map(|f| view! { <th>{f.clone()}</th> }).collect_view()}</tr></thead>
                <tbody>
                    {m.rows.into_iter().map(|row| view! {
                        <tr>
                            <td>{format_time(&row.time)}</td>
                            {row.values.into_iter().map(|(_, v)| view! { <td class="num">{v.map(|x| x.to_string()).unwrap_or_default()}</td> }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <nav class="pager" aria-label="Pages">
                {(m.page > 0).then(|| view! { <a href=href(&device, &range, m.page - 1)>"← Newer"</a> })}
                <span>{format!("Page {} of {pages}", m.page + 1)}</span>
                {(m.page + 1 < pages).then(|| view! { <a href=href(&device, &range, m.page + 1)>"Older →"</a> })}
            </nav>
        </section>
    }
    .into_any()
}
