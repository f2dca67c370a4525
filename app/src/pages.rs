//! One component per page of DESIGN.md §4.

mod buckets;
mod compare;
mod dashboard;
mod device_detail;
mod devices;
mod fleet;
mod health;
mod map;
mod overview;
mod placeholder;
mod query;
mod write;

pub use buckets::Buckets;
pub use compare::Compare;
pub use device_detail::DeviceDetail;
pub use devices::Devices;
pub use health::Health;
pub use map::DeviceMap;
pub use overview::Overview;
pub use placeholder::NotFound;
pub use query::QueryData;
pub use write::WriteData;
