//! Choosing devices from a fleet of any size: a search by id prefix, answered on the server
//! with the first page of matches, and the devices already chosen kept in view above them.

use crate::api::find_devices;
use crate::components::{show, Loading};
use crate::models::{AppError, FleetQuery, FLEET_PAGE_SIZE};
use leptos::prelude::*;

/// Ticks devices on and off (`single`: one at a time, as radio buttons). `chosen` are the
/// ids chosen now; `toggle` hears (id, on). Removed devices are offered only `with_removed`.
#[component]
pub fn DevicePicker(
    #[prop(into)] chosen: Signal<Vec<String>>,
    toggle: Callback<(String, bool)>,
    #[prop(optional)] single: bool,
    #[prop(optional)] with_removed: bool,
) -> impl IntoView {
    let prefix = RwSignal::new(String::new());
    let found = Resource::new(
        move || prefix.get(),
        |prefix| async move {
            let query = FleetQuery::new(&prefix, None, 0).map_err(AppError::Invalid)?;
            find_devices(query).await
        },
    );
    let option = move |id: String| {
        let checked = {
            let id = id.clone();
            move || chosen.read().contains(&id)
        };
        let value = id.clone();
        let kind = if single { "radio" } else { "checkbox" };
        view! {
            <label class="check">
                <input type=kind name="device" value=id.clone() prop:checked=checked
                    on:change=move |ev| toggle.run((value.clone(), event_target_checked(&ev)))/>
                " " {id}
            </label>
        }
    };
    view! {
        <div class="device-picker">
            <input type="search" class="device-search" aria-label="Find devices" placeholder="Find devices by id…"
                prop:value=move || prefix.get() on:input=move |ev| prefix.set(event_target_value(&ev))/>
            <Transition fallback=Loading>
                {move || found.get().map(|r| show(r, move |page| {
                    let picked = chosen.get();
                    let offered: Vec<String> = page.devices.into_iter()
                        .filter(|d| with_removed || !d.removed)
                        .map(|d| d.id)
                        .filter(|id| !picked.contains(id))
                        .collect();
                    let more = page.matching.saturating_sub(FLEET_PAGE_SIZE);
                    let note = if page.total == 0 {
                        Some(view! { <p class="muted">"No devices yet: " <a href="/devices">"register one"</a> " first."</p> }.into_any())
                    } else if page.matching == 0 {
                        Some(view! { <p class="muted">"No device id starts with that."</p> }.into_any())
                    } else if more > 0 {
                        Some(view! { <p class="muted">{format!("{more} more match: type more of the id to find them.")}</p> }.into_any())
                    } else {
                        None
                    };
                    view! {
                        <div class="checks" data-testid="device-choices">
                            {picked.into_iter().chain(offered).map(option).collect_view()}
                        </div>
                        {note}
                    }.into_any()
                }))}
            </Transition>
        </div>
    }
}
