//! A collapsible help panel at the top of every page: a few lines of Markdown per page, kept
//! in `app/help/`. Whether it is open is remembered in the browser (`localStorage`), page by
//! page; it starts closed.

use crate::prose::prose;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// The help of the page at `path`, by its route: (key, text).
fn help_for(path: &str) -> Option<(&'static str, &'static str)> {
    let page = path.trim_end_matches('/');
    Some(match page {
        "" => ("overview", include_str!("../help/overview.md")),
        "/devices" => ("devices", include_str!("../help/devices.md")),
        p if p.starts_with("/devices/") => ("device", include_str!("../help/device.md")),
        "/write" => ("write", include_str!("../help/write.md")),
        "/data" => ("data", include_str!("../help/data.md")),
        "/compare" => ("compare", include_str!("../help/compare.md")),
        "/map" => ("map", include_str!("../help/map.md")),
        "/dashboards" => ("dashboards", include_str!("../help/dashboards.md")),
        p if p.starts_with("/dashboards/") => ("dashboard", include_str!("../help/dashboard.md")),
        "/alerts" => ("alerts", include_str!("../help/alerts.md")),
        "/buckets" => ("buckets", include_str!("../help/buckets.md")),
        "/status" => ("health", include_str!("../help/health.md")),
        "/users" => ("users", include_str!("../help/users.md")),
        _ => return None,
    })
}

#[component]
pub fn HelpPanel() -> impl IntoView {
    let location = use_location();
    move || {
        let (key, text) = help_for(&location.pathname.get())?;
        let open = RwSignal::new(false);
        // The browser remembers; the server renders it closed.
        Effect::new(move |_| open.set(stored(key)));
        Some(view! {
            <details class="help" prop:open=open data-testid="help"
                on:toggle=move |ev| {
                    let now = event_target::<web_sys::HtmlDetailsElement>(&ev).open();
                    open.set(now);
                    store(key, now);
                }>
                <summary>"Help"</summary>
                <div class="help-text">{prose(text)}</div>
            </details>
        })
    }
}

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

fn stored(key: &str) -> bool {
    storage()
        .and_then(|s| s.get_item(&format!("help:{key}")).ok().flatten())
        .is_some_and(|v| v == "open")
}

fn store(key: &str, open: bool) {
    if let Some(s) = storage() {
        let _ = s.set_item(&format!("help:{key}"), if open { "open" } else { "closed" });
    }
}
