//! One component per page of DESIGN.md §4.

mod overview;
mod placeholder;

pub use overview::Overview;
pub use placeholder::{Buckets, DeviceDetail, Devices, Health, NotFound, QueryData, WriteData};
