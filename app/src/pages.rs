//! One component per page of DESIGN.md §4.

mod buckets;
mod compare;
mod dashboard;
mod device_detail;
mod devices;
mod fleet;
mod health;
mod map;
mod not_found;
mod overview;
mod query;
mod write;

pub use device_detail::DeviceDetail;
pub use not_found::NotFound;

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

/// Routes whose page the browser loads on first visit (the wasm is split by `cargo leptos
/// build --split`): a device's page, where most visits land, carries none of their code.
macro_rules! lazy_pages {
    ($($route:ident => $page:path),* $(,)?) => {$(
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page/> }.into_any()
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
    HealthRoute => health::Health,
}
