//! The IoT Center user interface: routes, pages, components, server functions and the typed
//! models the server and the browser share.
//!
//! Compiled twice: with `ssr` into the server (pages render to HTML, server functions run),
//! and with `hydrate` into the wasm frontend (pages come alive, server functions become HTTP
//! calls). Code that must only exist on the server sits behind `#[cfg(feature = "ssr")]`.

// A lazy route turns a whole page's view type into an `AnyView` inside an async block: where
// components are not type-erased (`cargo test`), a fresh build's type queries go past 128.
#![recursion_limit = "256"]

pub mod api;
mod charts;
mod components;
mod device_picker;
mod help;
mod layout;
mod live;
pub mod models;
mod pages;
mod prose;
mod range_bar;
mod signed_in;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, Lazy,
};

/// The HTML document around the app; rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                // The chart library runs before the wasm hydrates (deferred scripts keep order).
                <link rel="stylesheet" href="/vendor/uplot/uPlot.min.css"/>
                <script defer src="/vendor/uplot/uPlot.iife.min.js"></script>
                <script defer src="/charts.js"></script>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
                {signed_in::box_view()}
            </body>
        </html>
    }
}

/// The application: the shell's navigation and one route per page.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <Stylesheet id="leptos" href="/pkg/iot-center.css"/>
        <Title formatter=|page: String| format!("{page} · IoT Center")/>
        <Router>
            <layout::Layout>
                <Routes fallback=pages::NotFound>
                    <Route path=path!("") view={Lazy::<pages::OverviewRoute>::new()}/>
                    <Route path=path!("devices") view={Lazy::<pages::DevicesRoute>::new()}/>
                    <Route path=path!("devices/:id") view=pages::DeviceDetail/>
                    <Route path=path!("write") view={Lazy::<pages::WriteRoute>::new()}/>
                    <Route path=path!("data") view={Lazy::<pages::QueryRoute>::new()}/>
                    <Route path=path!("compare") view={Lazy::<pages::CompareRoute>::new()}/>
                    <Route path=path!("map") view={Lazy::<pages::MapRoute>::new()}/>
                    <Route path=path!("dashboards") view={Lazy::<pages::DashboardsRoute>::new()}/>
                    <Route path=path!("dashboards/:id") view={Lazy::<pages::CustomDashboardRoute>::new()}/>
                    <Route path=path!("share/:token") view={Lazy::<pages::SharedDashboardRoute>::new()}/>
                    <Route path=path!("buckets") view={Lazy::<pages::BucketsRoute>::new()}/>
                    <Route path=path!("alerts") view={Lazy::<pages::AlertsRoute>::new()}/>
                    <Route path=path!("status") view={Lazy::<pages::HealthRoute>::new()}/>
                    <Route path=path!("login") view={Lazy::<pages::LoginRoute>::new()}/>
                    <Route path=path!("setup") view={Lazy::<pages::SetupRoute>::new()}/>
                    <Route path=path!("users") view={Lazy::<pages::UsersRoute>::new()}/>
                </Routes>
            </layout::Layout>
        </Router>
    }
}

/// Sets `data-hydrated` on `<body>` once a page's own view is live in the browser (for a
/// lazy route, after its part of the wasm has hydrated it), so end-to-end tests (and curious
/// humans) can tell a live page from server-rendered HTML. Effects never run on the server,
/// so the attribute cannot appear before hydration. Every page ends with it.
#[component]
pub fn Hydrated() -> impl IntoView {
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}
