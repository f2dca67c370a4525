//! The models the pages and server functions use: the shared ones of `iot-models`, and the
//! error server functions answer with (it speaks Leptos's server-function protocol).

mod error;

pub use error::AppError;
pub use iot_models::*;

/// A device id from the URL or a form, or the reason it is not one.
pub fn device_id(raw: &str) -> Result<DeviceId, AppError> {
    DeviceId::parse(raw).map_err(AppError::Invalid)
}
