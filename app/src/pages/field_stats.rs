//! A device's fields over the last 30 days — min, max and when, mean, count, sensor — as
//! the store computed them, read when the panel is opened (the device page stays as fast
//! as it was for those who do not).

use crate::api::device_field_stats;
use crate::components::{format_time, format_value, show, Loading};
use crate::models::{device_id, unit, FieldStats, FIELD_STATS_DAYS};
use leptos::prelude::*;

#[component]
pub fn FieldStatsPanel(#[prop(into)] device: Signal<String>) -> impl IntoView {
    let (open, set_open) = signal(false);
    let stats = Resource::new(
        move || open.get().then(|| device.get()),
        |device| async move {
            match device {
                Some(d) => Some(device_field_stats(device_id(&d)?).await),
                None => None,
            }
            .transpose()
        },
    );
    view! {
        <details class="card field-stats" on:toggle=move |_| set_open.set(true)>
            <summary><h2>{format!("Fields over {FIELD_STATS_DAYS} days")}</h2></summary>
            <Transition fallback=Loading>
                {move || stats.get().map(|r| match r.transpose() {
                    None => ().into_any(),
                    Some(r) => show(r, |rows| {
                        if rows.is_empty() {
                            return view! { <p class="muted">{format!("No data in the last {FIELD_STATS_DAYS} days.")}</p> }.into_any();
                        }
                        view! { <StatsTable rows testid="field-stats"/> }.into_any()
                    }),
                })}
            </Transition>
        </details>
    }
}

/// A row per field: min, max and when, mean, points, the sensor at the max.
#[component]
pub fn StatsTable(rows: Vec<FieldStats>, testid: &'static str) -> impl IntoView {
    view! {
        <table class="data compact" data-testid=testid>
            <thead><tr>
                <th>"Field"</th><th>"Min"</th><th>"Max"</th><th>"Max at"</th>
                <th>"Mean"</th><th>"Points"</th><th>"Sensor"</th>
            </tr></thead>
            <tbody>
                {rows.into_iter().map(|s| {
                    let u = unit(&s.field);
                    view! {
                        <tr>
                            <td>{s.field.clone()}</td>
                            <td>{format!("{} {u}", format_value(s.min))}</td>
                            <td>{format!("{} {u}", format_value(s.max))}</td>
                            <td>{format_time(&s.max_time)}</td>
                            <td>{format!("{} {u}", format_value(s.mean))}</td>
                            <td>{s.count}</td>
                            <td>{s.sensor.unwrap_or_else(|| "—".into())}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
