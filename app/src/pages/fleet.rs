//! The fleet at a glance, on the Overview and Health pages: how many devices are in each
//! status, and the ones that went stale or offline most recently.

use crate::api::get_fleet_overview;
use crate::components::{format_age, show, ticks, Loading, FLEET_REFRESH};
use leptos::prelude::*;

#[component]
pub fn FleetStatus() -> impl IntoView {
    let tick = ticks(FLEET_REFRESH);
    let overview = Resource::new(move || tick.get(), |_| get_fleet_overview());
    view! {
        <section class="card">
            <h2>"Devices"</h2>
            <Transition fallback=Loading>
                {move || overview.get().map(|r| show(r, |fleet| {
                    let late = fleet.recently_late;
                    view! {
                        <div class="status-counts" data-testid="status-counts">
                            {fleet.counts.into_iter().map(|(status, n)| view! {
                                <div class="status-count">
                                    <span class="count">{n}</span>
                                    <span class=status.badge()>{status.label()}</span>
                                </div>
                            }).collect_view()}
                        </div>
                        {(!late.is_empty()).then(|| view! {
                            <h3>"Recently late"</h3>
                            <ul class="late" data-testid="recently-late">
                                {late.into_iter().map(|d| view! {
                                    <li>
                                        <a href=format!("/devices/{}", d.id)>{d.id.clone()}</a>
                                        " " <span class=d.status.badge()>{d.status.label()}</span>
                                        " last seen " {d.seen_ago_seconds.map(format_age).unwrap_or_default()}
                                    </li>
                                }).collect_view()}
                            </ul>
                        })}
                    }.into_any()
                }))}
            </Transition>
        </section>
    }
}
