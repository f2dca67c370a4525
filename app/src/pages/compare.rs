//! Compare devices: one field of several devices overlaid in one chart. The devices, the
//! field and the range are in the URL (`devices=a,b&field=CO2&range=1d`).

use crate::api::compare_devices;
use crate::charts::{Lines, TimeChart};
use crate::components::{resolution_text, show, Loading};
use crate::device_picker::DevicePicker;
use crate::models::{device_id, unit, AppError, DeviceSelection, FieldName, CHART_FIELDS};
use crate::range_bar::{use_range, use_refresh_tick, use_url_editor, RangeBar};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

#[component]
pub fn Compare() -> impl IntoView {
    let query = use_query_map();
    let chosen = Memo::new(move |_| {
        query
            .read()
            .get("devices")
            .map(|d| {
                d.split(',')
                    .filter(|d| !d.is_empty())
                    .map(String::from)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    });
    let field = Memo::new(move |_| {
        query
            .read()
            .get("field")
            .filter(|f| !f.is_empty())
            .unwrap_or_else(|| CHART_FIELDS[0].into())
    });
    let selection = use_range();
    let tick = use_refresh_tick(selection);
    let comparison = Resource::new(
        move || (chosen.get(), field.get(), selection.get(), tick.get()),
        |(ids, field, s, _)| async move {
            if ids.is_empty() {
                return None;
            }
            let comparison = async {
                let ids = ids.iter().map(|d| device_id(d)).collect::<Result<_, _>>()?;
                let devices = DeviceSelection::new(ids);
                let field = FieldName::parse(&field).map_err(AppError::Invalid)?;
                compare_devices(devices.map_err(AppError::Invalid)?, field, s.window()?).await
            };
            Some(comparison.await)
        },
    );
    let navigate = use_navigate();
    let url = use_url_editor();
    let toggle = move |id: String, on: bool| {
        let mut ids = chosen.get_untracked();
        ids.retain(|d| *d != id);
        if on {
            ids.push(id);
        }
        navigate(
            &url.with_untracked(&[("devices", ids.join(","))]),
            Default::default(),
        );
    };
    let choose_field = {
        let navigate = use_navigate();
        move |ev| {
            navigate(
                &url.with_untracked(&[("field", event_target_value(&ev))]),
                Default::default(),
            )
        }
    };

    view! {
        <Title text="Compare devices"/>
        <h1>"Compare devices"</h1>
        <section class="card controls">
            <label for="field">"Field"</label>
            <select id="field" on:change=choose_field>
                {CHART_FIELDS.into_iter().map(|f| view! {
                    <option value=f selected=move || field.read().as_str() == f>{f}</option>
                }).collect_view()}
            </select>
            <fieldset class="device-picks">
                <legend>"Devices"</legend>
                <DevicePicker chosen=chosen with_removed=true toggle=Callback::new(move |(id, on)| toggle(id, on))/>
            </fieldset>
        </section>
        <section class="card dashboard">
            <RangeBar selection/>
            <Transition fallback=Loading>
                {move || comparison.get().map(|r| match r {
                    None => view! { <p class="muted">"Choose devices to compare."</p> }.into_any(),
                    Some(result) => show(result, move |c| {
                        if c.rows.is_empty() {
                            return view! {
                                <p class="muted empty" data-testid="no-data">
                                    "No data in this range — write some on the " <a href="/write">"Write data"</a> " page."
                                </p>
                            }.into_any();
                        }
                        let csv = c.export_href.clone();
                        let foot = resolution_text(&c.resolution);
                        view! {
                            <TimeChart title=c.field.clone() unit=unit(&c.field) lines=Signal::stored(Lines::aligned(&c.rows, c.devices.len())) names=c.devices/>
                            <p class="chart-foot muted">{foot} " · "
                                <a href=csv rel="external" download data-testid="csv-download">"Download CSV"</a>
                            </p>
                        }.into_any()
                    }),
                })}
            </Transition>
        </section>
    }
}
