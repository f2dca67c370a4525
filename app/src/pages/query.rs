//! Query data: pick a device and a time range (kept in the URL, so it can be shared and
//! survives a reload), see the last value of each field and the records, newest first.

use crate::api::{device_measurements, list_devices};
use crate::components::{format_time, show, Loading};
use crate::models::{Measurements, RangeChoice};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

/// What the URL says is shown.
#[derive(Clone, Debug, Default, PartialEq)]
struct Selection {
    device: String,
    /// A preset label or `custom`.
    range: String,
    from: String,
    to: String,
    page: usize,
}

impl Selection {
    fn href(&self) -> String {
        let mut url = format!(
            "/data?device={}&range={}&page={}",
            self.device, self.range, self.page
        );
        if self.range == "custom" {
            url.push_str(&format!("&from={}&to={}", self.from, self.to));
        }
        url
    }
    fn with(&self, change: impl FnOnce(&mut Selection)) -> Selection {
        let mut s = self.clone();
        s.page = 0;
        change(&mut s);
        s
    }
    fn describe(&self) -> String {
        if self.range == "custom" {
            format!(
                "from {} to {} UTC",
                self.from.replace('T', " "),
                self.to.replace('T', " ")
            )
        } else {
            format!("in the last {}", self.range)
        }
    }
}

#[component]
pub fn QueryData() -> impl IntoView {
    let query = use_query_map();
    let selection = Memo::new(move |_| {
        let q = query.read();
        let get = |k: &str| q.get(k).unwrap_or_default();
        let range = q
            .get("range")
            .filter(|r| r == "custom" || RangeChoice::parse(r).is_some())
            .unwrap_or_else(|| "1h".into());
        Selection {
            device: get("device"),
            range,
            from: get("from"),
            to: get("to"),
            page: get("page").parse().unwrap_or(0),
        }
    });
    let devices = Resource::new(|| (), |_| list_devices());
    let data = Resource::new(
        move || selection.get(),
        |s| async move {
            if s.device.is_empty() {
                None
            } else {
                let custom = s.range == "custom";
                Some(
                    device_measurements(
                        s.device,
                        s.range,
                        custom.then_some(s.from),
                        custom.then_some(s.to),
                        s.page,
                    )
                    .await,
                )
            }
        },
    );
    let navigate = use_navigate();
    let go = move |s: Selection| navigate(&s.href(), Default::default());
    let go_custom = go.clone();
    let (from, set_from) = signal(String::new());
    let (to, set_to) = signal(String::new());
    Effect::new(move |_| {
        let s = selection.get();
        set_from.set(s.from);
        set_to.set(s.to);
    });

    view! {
        <Title text="Query data"/>
        <h1>"Query data"</h1>
        <section class="card controls">
            <label for="device">"Device"</label>
            <Transition fallback=Loading>
                {
                    let go = go.clone();
                    move || devices.get().map(|r| {
                        let go = go.clone();
                        show(r, move |list| view! {
                            <select id="device" on:change=move |ev| go(selection.get_untracked().with(|s| s.device = event_target_value(&ev)))>
                                <option value="" selected=move || selection.read().device.is_empty()>"Choose a device"</option>
                                {list.into_iter().map(|d| {
                                    let id = d.id.clone();
                                    view! { <option value=d.id.clone() selected=move || selection.read().device == id>{d.id.clone()}</option> }
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
                        <a class=move || if selection.read().range == label { "range active" } else { "range" }
                            href=move || selection.get().with(|s| s.range = label.into()).href()>{label}</a>
                    }
                }).collect_view()}
            </div>
            <form class="custom-range" on:submit={
                move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    go_custom(selection.get_untracked().with(|s| { s.range = "custom".into(); s.from = from.get_untracked(); s.to = to.get_untracked(); }));
                }
            }>
                <label for="from">"From"</label>
                <input id="from" type="datetime-local" prop:value=from on:input=move |ev| set_from.set(event_target_value(&ev))/>
                <label for="to">"to (UTC)"</label>
                <input id="to" type="datetime-local" prop:value=to on:input=move |ev| set_to.set(event_target_value(&ev))/>
                <button type="submit" class=move || if selection.read().range == "custom" { "" } else { "secondary" }
                    disabled=move || from.read().is_empty() || to.read().is_empty()>"Apply"</button>
            </form>
        </section>
        <Transition fallback=Loading>
            {move || data.get().map(|r| match r {
                None => view! { <p class="muted">"Choose a device to see its data."</p> }.into_any(),
                Some(result) => show(result, move |m| view! { <MeasurementsView m selection=selection.get()/> }.into_any()),
            })}
        </Transition>
    }
}

#[component]
fn MeasurementsView(m: Measurements, selection: Selection) -> impl IntoView {
    if m.last_values.is_empty() {
        return view! {
            <section class="card"><p class="muted" data-testid="no-data">
                "No data in this range — write some on the " <a href="/write">"Write data"</a> " page."
            </p></section>
        }
        .into_any();
    }
    let pages = m.total_rows.div_ceil(m.page_size).max(1);
    let page_href = |page: usize| {
        Selection {
            page,
            ..selection.clone()
        }
        .href()
    };
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
            <h2>{format!("Records ({} {})", m.total_rows, selection.describe())}</h2>
            <table class="data" data-testid="records">
                <thead><tr><th>"Time"</th>{m.fields.iter().map(|f| view! { <th>{f.clone()}</th> }).collect_view()}</tr></thead>
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
                {(m.page > 0).then(|| view! { <a href=page_href(m.page - 1)>"← Newer"</a> })}
                <span>{format!("Page {} of {pages}", m.page + 1)}</span>
                {(m.page + 1 < pages).then(|| view! { <a href=page_href(m.page + 1)>"Older →"</a> })}
            </nav>
        </section>
    }
    .into_any()
}
