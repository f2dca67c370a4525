//! The landing page: what IoT Center is, and the state of the fleet.

use crate::pages::fleet::FleetStatus;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn Overview() -> impl IntoView {
    view! {
        <Title text="Overview"/>
        <h1>"Overview"</h1>
        <p class="lead">
            "Register sensors, each with its own device token (devices write through IoT Center, never to InfluxDB), "
            "write and query their telemetry, and watch the health of the fleet."
        </p>
        <FleetStatus/>
    }
}
