//! One component per page of DESIGN.md §4.

mod buckets;
mod device_detail;
mod devices;
mod overview;
mod placeholder;
mod query;
mod write;

pub use buckets::Buckets;
pub use device_detail::DeviceDetail;
pub use devices::Devices;
pub use overview::Overview;
pub use placeholder::{Health, NotFound};
pub use query::QueryData;
pub use write::WriteData;
