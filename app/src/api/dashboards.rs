//! Server functions of the dashboards users build: the list, one dashboard drawn for a
//! device, saving (from the version it was changed from), versions and restoring one, the
//! dashboard a device's page shows. A dashboard travels as its JSON text and is checked
//! here as the JSON API checks it.

use crate::models::*;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::ssr::{backend, dashboards, require};

#[cfg(feature = "ssr")]
fn spec_of(json: &str) -> Result<DashboardSpec, AppError> {
    iot_core::dashboards::parse_spec(json).map_err(AppError::Invalid)
}

#[server]
pub async fn list_dashboards() -> Result<Vec<DashboardSummary>, AppError> {
    require(Role::Viewer)?;
    Ok(dashboards()?.list().await?)
}

/// The dashboards that are for device `id`, for its page to offer.
#[server]
pub async fn dashboards_for(id: DeviceId) -> Result<Vec<DashboardSummary>, AppError> {
    require(Role::Viewer)?;
    Ok(dashboards()?.including(&id).await?)
}

/// A dashboard with its cells' data, for `device` (else its first device).
#[server]
pub async fn open_dashboard(
    id: String,
    #[server(default)] device: Option<DeviceId>,
) -> Result<DashboardView, AppError> {
    let caller = require(Role::Viewer)?;
    let store = dashboards()?;
    let saved = store.get(&id, None).await?;
    let b = backend()?;
    let editable = caller.may(Role::Operator);
    let mut view = iot_core::dashboards::view(&b, saved, device.as_ref(), editable).await?;
    view.device_page = store.is_device_page(&id).await?;
    Ok(view)
}

/// The dashboard an operator made device `id`'s page, if any (else its page shows the
/// standard charts).
#[server]
pub async fn device_page_of(id: DeviceId) -> Result<Option<String>, AppError> {
    require(Role::Viewer)?;
    Ok(dashboards()?.device_page_of(&id).await?)
}

/// Makes dashboard `id` the page of its devices (`on`), in place of their standard charts.
#[server]
pub async fn set_device_page(id: String, on: bool) -> Result<(), AppError> {
    let caller = require(Role::Operator)?;
    Ok(dashboards()?.set_device_page(&id, on, &caller.name).await?)
}

/// A first dashboard for the devices whose ids start with `prefix` (all: empty).
#[server]
pub async fn new_dashboard(title: String, prefix: String) -> Result<SavedDashboard, AppError> {
    let caller = require(Role::Operator)?;
    let spec = DashboardSpec::starter(&title, &prefix);
    Ok(dashboards()?.create(&spec, &caller.name).await?)
}

/// A dashboard from its JSON, as exported (or written by hand), or one of the reference
/// IoT Center's dynamic dashboards.
#[server]
pub async fn create_dashboard(json: String) -> Result<SavedDashboard, AppError> {
    let caller = require(Role::Operator)?;
    let spec = iot_core::dashboards::parse_import(&json).map_err(AppError::Invalid)?;
    Ok(dashboards()?.create(&spec, &caller.name).await?)
}

/// Saves `json` as the version after `version`; refused when someone saved since.
#[server]
pub async fn save_dashboard(
    id: String,
    version: u32,
    json: String,
) -> Result<SavedDashboard, AppError> {
    let caller = require(Role::Operator)?;
    Ok(dashboards()?
        .save(&id, version, &spec_of(&json)?, &caller.name)
        .await?)
}

#[server]
pub async fn dashboard_versions(id: String) -> Result<Vec<DashboardVersion>, AppError> {
    require(Role::Viewer)?;
    Ok(dashboards()?.versions(&id).await?)
}

#[server]
pub async fn restore_dashboard_version(
    id: String,
    version: u32,
) -> Result<SavedDashboard, AppError> {
    let caller = require(Role::Operator)?;
    Ok(dashboards()?.restore(&id, version, &caller.name).await?)
}

#[server]
pub async fn remove_dashboard(id: String) -> Result<(), AppError> {
    require(Role::Operator)?;
    match dashboards()?.remove(&id).await? {
        true => Ok(()),
        false => Err(AppError::NotFound(format!("there is no dashboard {id:?}"))),
    }
}

/// A read-only link to dashboard `id` for `hours`: its path, with the token, shown once.
#[server]
pub async fn share_dashboard(id: String, hours: u32) -> Result<NewShareLink, AppError> {
    let caller = require(Role::Operator)?;
    Ok(dashboards()?
        .share(&id, u64::from(hours) * 3_600, &caller.name)
        .await?)
}

#[server]
pub async fn list_share_links() -> Result<Vec<ShareLink>, AppError> {
    require(Role::Operator)?;
    Ok(dashboards()?.share_links().await?)
}

#[server]
pub async fn revoke_share_link(id: String) -> Result<(), AppError> {
    require(Role::Operator)?;
    match dashboards()?.revoke(&id).await? {
        true => Ok(()),
        false => Err(AppError::NotFound(format!("there is no share link {id:?}"))),
    }
}

/// The dashboard a share link opens, for anyone who has the link and no one else: the one
/// server function the gate lets through without a caller (at this fixed path), as the link
/// is the credential. Read-only, whoever calls.
#[server(endpoint = "shared_dashboard")]
pub async fn shared_dashboard(
    token: String,
    #[server(default)] device: Option<DeviceId>,
) -> Result<DashboardView, AppError> {
    let saved = dashboards()?.shared(&token).await?;
    let b = backend()?;
    Ok(iot_core::dashboards::view(&b, saved, device.as_ref(), false).await?)
}
