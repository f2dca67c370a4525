//! Query data: pick a device and a time range (kept in the URL, so it can be shared and
//! survives a reload), see its dashboard and the records, newest first.

use crate::api::device_measurements;
use crate::components::{format_time, format_value, show, Loading};
use crate::device_picker::DevicePicker;
use crate::models::{device_id, Measurements, TelemetryRow};
use crate::pages::dashboard::DeviceDashboardPanel;
use crate::range_bar::{use_range, use_url_editor, RangeSelection};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

#[component]
pub fn QueryData() -> impl IntoView {
    let query = use_query_map();
    let device = Memo::new(move |_| query.read().get("device").unwrap_or_default());
    let page = Memo::new(move |_| {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(0usize)
    });
    let selection = use_range();
    let records = Resource::new(
        move || (device.get(), selection.get(), page.get()),
        |(device, s, page)| async move {
            if device.is_empty() {
                return None;
            }
            let measurements = async {
                let id = device_id(&device)?;
                device_measurements(id, s.window()?, page).await
            };
            // The selection comes with its records: the view reads no signal while the
            // page streams (one may be gone when a reader leaves mid-page).
            Some(measurements.await.map(|m| (m, s)))
        },
    );
    let navigate = use_navigate();
    let url = use_url_editor();

    view! {
        <Title text="Query data"/>
        <h1>"Query data"</h1>
        <section class="card controls">
            <span class="label">"Device"</span>
            <DevicePicker chosen=Signal::derive(move || vec![device.get()]) single=true with_removed=true
                toggle=Callback::new(move |(id, _): (String, bool)| {
                    navigate(&url.with_untracked(&[("device", id)]), Default::default())
                })/>
        </section>
        <Show when=move || !device.read().is_empty() fallback=|| view! { <p class="muted">"Choose a device to see its data."</p> }>
            <DeviceDashboardPanel device/>
            <Transition fallback=Loading>
                {move || records.get().flatten().map(|result| show(result, |(m, selection)| view! { <Records m selection/> }.into_any()))}
            </Transition>
        </Show>
    }
}

/// The rows as one piece of HTML: built as views, the cells of a page of records were
/// 8 % of the page's server time (perf, BENCHMARKS.md run AG). They hold times and numbers
/// only, escaped all the same.
fn rows_html(rows: &[TelemetryRow]) -> String {
    let mut html = String::with_capacity(rows.len() * 160);
    for row in rows {
        html.push_str("<tr><td>");
        html.push_str(&html_escape::encode_text(&format_time(&row.time)));
        html.push_str("</td>");
        for (_, v) in &row.values {
            html.push_str(r#"<td class="num">"#);
            html.push_str(&html_escape::encode_text(
                &v.map(format_value).unwrap_or_default(),
            ));
            html.push_str("</td>");
        }
        html.push_str("</tr>");
    }
    html
}

/// The records of the range, newest first, a page at a time.
#[component]
fn Records(m: Measurements, selection: RangeSelection) -> impl IntoView {
    if m.total_rows == 0 {
        return ().into_any();
    }
    let pages = m.total_rows.div_ceil(m.page_size).max(1);
    let url = use_url_editor();
    let page_href = move |page: usize| url.with(&[("page", page.to_string())]);
    view! {
        <section class="card">
            <h2>{format!("Records ({} {})", m.total_rows, selection.describe())}</h2>
            <table class="data" data-testid="records">
                <thead><tr><th>"Time"</th>{m.fields.iter().map(|f| view! { <th>{f.clone()}</th> }).collect_view()}</tr></thead>
                <tbody inner_html=rows_html(&m.rows)></tbody>
            </table>
            <nav class="pager" aria-label="Pages">
                {(m.page > 0).then(|| view! { <a href=move || page_href(m.page - 1)>"← Newer"</a> })}
                <span>{format!("Page {} of {pages}", m.page + 1)}</span>
                {(m.page + 1 < pages).then(|| view! { <a href=move || page_href(m.page + 1)>"Older →"</a> })}
            </nav>
        </section>
    }
    .into_any()
}
