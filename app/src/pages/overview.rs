//! The landing page: what IoT Center is, and a live check of the browser-to-server path.

use crate::api::CheckServer;
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
        <ServerCheck/>
    }
}

/// A button that calls the `check_server` server function and shows its answer.
#[component]
fn ServerCheck() -> impl IntoView {
    let check = ServerAction::<CheckServer>::new();
    let answer = move || {
        check.value().get().map(|result| match result {
            Ok(info) => view! {
                <p class="answer ok" data-testid="server-answer">
                    "Server v" {info.version} " answered at " <time>{info.time}</time>
                </p>
            }
            .into_any(),
            Err(e) => view! {
                <p class="answer error" data-testid="server-answer">{e.to_string()}</p>
            }
            .into_any(),
        })
    };
    view! {
        <section class="card">
            <h2>"Server"</h2>
            <p>"Ask the server for its version and clock, through a server function."</p>
            <button on:click=move |_| { check.dispatch(CheckServer {}); } disabled=check.pending()>
                "Check the server"
            </button>
            {answer}
        </section>
    }
}
