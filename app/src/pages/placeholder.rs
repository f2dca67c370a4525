//! Pages whose features are still to come; each says what it will offer.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
fn Placeholder(title: &'static str, purpose: &'static str) -> impl IntoView {
    view! {
        <Title text=title/>
        <h1>{title}</h1>
        <section class="card placeholder">
            <p>{purpose}</p>
        </section>
    }
}

#[component]
pub fn Devices() -> impl IntoView {
    view! { <Placeholder title="Devices" purpose="Registered devices, their status and when they were last seen."/> }
}

#[component]
pub fn DeviceDetail() -> impl IntoView {
    view! { <Placeholder title="Device" purpose="A device's registration, configuration and telemetry."/> }
}

#[component]
pub fn WriteData() -> impl IntoView {
    view! { <Placeholder title="Write data" purpose="Write telemetry from virtual devices: one point, a back-fill, or continuously."/> }
}

#[component]
pub fn QueryData() -> impl IntoView {
    view! { <Placeholder title="Query data" purpose="Pick a device and a time range; see last values and records."/> }
}

#[component]
pub fn Buckets() -> impl IntoView {
    view! { <Placeholder title="Buckets" purpose="The InfluxDB buckets: name, id, retention and type."/> }
}

#[component]
pub fn Health() -> impl IntoView {
    view! { <Placeholder title="Health" purpose="The health of the devices and of the application itself."/> }
}

#[component]
pub fn NotFound() -> impl IntoView {
    view! { <Placeholder title="Not found" purpose="There is no page at this address."/> }
}
