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
            "Register sensors, give each its own least-privilege InfluxDB token, "
            "write and query their telemetry, and watch the health of the fleet."
        </p>
        <FleetStatus/>
    }
}
