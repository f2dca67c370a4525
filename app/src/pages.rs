//! One component per page of DESIGN.md §4.

mod alerts;
mod buckets;
mod compare;
mod custom_dashboard;
mod dashboard;
mod dashboard_arrange;
mod dashboard_cells;
mod dashboard_geo;
mod dashboard_live;
mod dashboard_shares;
mod dashboards;
mod device_dashboards;
mod device_detail;
mod device_import;
mod devices;
mod field_stats;
mod fleet;
mod health;
mod map;
mod not_found;
mod overview;
mod query;
mod shared_dashboard;
mod sign_in;
mod users;
mod write;

pub use device_detail::DeviceDetail;
pub use not_found::NotFound;

use leptos::prelude::*;
#[cfg(feature = "split")]
use leptos_router::lazy_route;
use leptos_router::LazyRoute;

/// Routes loaded asynchronously. With the `split` feature (`cargo leptos build --split
/// --lib-features split`, as `make run` does) each is its own wasm chunk, loaded on first
/// visit: a device's page, where most visits land, carries none of their code. Without it (a
/// plain `cargo leptos build` or `watch`, which cannot resolve split chunks) the pages are in
/// the main wasm.
macro_rules! lazy_pages {
    ($($route:ident => $page:path),* $(,)?) => {$(
        pub struct $route;

        #[cfg(feature = "split")]
        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page/> <crate::Hydrated/> }.into_any()
            }
        }

        #[cfg(not(feature = "split"))]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            async fn view(_this: Self) -> AnyView {
                view! { <$page/> <crate::Hydrated/> }.into_any()
            }
        }
    )*};
}

lazy_pages! {
    OverviewRoute => overview::Overview,
    DevicesRoute => devices::Devices,
    WriteRoute => write::WriteData,
    QueryRoute => query::QueryData,
    CompareRoute => compare::Compare,
    MapRoute => map::DeviceMap,
    BucketsRoute => buckets::Buckets,
    AlertsRoute => alerts::Alerts,
    HealthRoute => health::Health,
    LoginRoute => sign_in::Login,
    SetupRoute => sign_in::Setup,
    UsersRoute => users::Users,
    DashboardsRoute => dashboards::Dashboards,
    CustomDashboardRoute => custom_dashboard::CustomDashboard,
    SharedDashboardRoute => shared_dashboard::SharedDashboard,
}
