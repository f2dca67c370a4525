//! The frame around every page: the brand, the navigation and the content area. (Who is
//! signed in is shown by the shell: `signed_in.rs`.)

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

/// The pages in the navigation, in order: (path, label).
const NAV: [(&str, &str); 10] = [
    ("/", "Overview"),
    ("/devices", "Devices"),
    ("/write", "Write data"),
    ("/data", "Query data"),
    ("/compare", "Compare"),
    ("/map", "Map"),
    ("/dashboards", "Dashboards"),
    ("/alerts", "Alerts"),
    ("/buckets", "Buckets"),
    // `/health` is the JSON health check for machines.
    ("/status", "Health"),
];

/// The navigation, but on a shared dashboard (`/share/…`): whoever opened its link can
/// reach nothing else, so nothing else is offered.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let shared = use_location()
        .pathname
        .get_untracked()
        .starts_with("/share/");
    if shared {
        return view! { <main class="content shared-page">{children()}</main> }.into_any();
    }
    view! {
        <div class="layout">
            <nav class="sidebar" aria-label="Main">
                <a class="brand" href="/">
                    <span class="brand-mark">"◉"</span>
                    " IoT Center"
                </a>
                <ul>
                    {NAV
                        .into_iter()
                        .map(|(href, label)| view! { <li><A href=href exact=true>{label}</A></li> })
                        .collect_view()}
                </ul>
            </nav>
            <main class="content"><crate::help::HelpPanel/>{children()}</main>
        </div>
    }
    .into_any()
}
