//! Server functions: thin adapters the browser calls over HTTP. Their arguments are typed
//! values, validated as they are deserialised; each takes the backend from the context,
//! calls `iot-core` and maps its error.

mod accounts;
mod alerts;
mod dashboards;

pub use accounts::*;
pub use alerts::*;
pub use dashboards::*;

use crate::models::*;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
mod ssr {
    use crate::models::{AppError, Caller, Role};
    pub use iot_core::telemetry::time_range;
    pub use iot_core::{
        buckets, device_env, enrollment, health, registry, telemetry, writer, Backend, Service,
    };
    use leptos::prelude::use_context;
    use std::sync::Arc;

    /// Who is calling, as the server's gate found them.
    pub fn caller() -> Option<Caller> {
        use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Caller>().cloned())
    }

    /// The caller, if their role includes `role`; else why not (401 or 403). Every server
    /// function starts here: each is a public POST endpoint.
    pub fn require(role: Role) -> Result<Caller, AppError> {
        match caller() {
            None => Err(AppError::Unauthorized("sign in first".into())),
            Some(c) if !c.may(role) => Err(AppError::Forbidden(format!(
                "{} is a {}: this needs the {role} role",
                c.name, c.role
            ))),
            Some(c) => Ok(c),
        }
    }

    pub fn service() -> Result<Arc<Service>, AppError> {
        use_context::<Arc<Service>>()
            .ok_or_else(|| AppError::ServerFn("the server gave its pages no service".into()))
    }

    /// The backend, or why InfluxDB is not there yet (the page's outage banner).
    pub fn backend() -> Result<Arc<Backend>, AppError> {
        Ok(service()?.backend()?)
    }

    pub fn alerts() -> Result<Arc<iot_core::alerts::Alerts>, AppError> {
        use_context::<Arc<iot_core::alerts::Alerts>>()
            .ok_or_else(|| AppError::ServerFn("the server gave its pages no alerts".into()))
    }

    pub fn dashboards() -> Result<Arc<iot_core::dashboards::store::DashboardStore>, AppError> {
        use_context::<Arc<iot_core::dashboards::store::DashboardStore>>()
            .ok_or_else(|| AppError::ServerFn("the server gave its pages no dashboards".into()))
    }
}
#[cfg(feature = "ssr")]
pub(crate) use ssr::caller;
#[cfg(feature = "ssr")]
use ssr::*;

/// A page of the device list: found, filtered and cut on the server.
#[server]
pub async fn find_devices(query: FleetQuery) -> Result<FleetPage, AppError> {
    require(Role::Viewer)?;
    let b = backend()?;
    let mut page = b.fleet.page(&b, &query).await?;
    let on_page: Vec<&str> = page.devices.iter().map(|d| d.id.as_str()).collect();
    let firing: Vec<_> = alerts()?
        .current_of(&on_page)
        .await?
        .into_iter()
        .filter(|a| a.state == AlertState::Firing)
        .map(|a| (a.device, a.level.as_str().to_string(), a.rule_name))
        .collect();
    page.firing = firing;
    Ok(page)
}

/// Devices per status and the few that just went quiet.
#[server]
pub async fn get_fleet_overview() -> Result<FleetOverview, AppError> {
    require(Role::Viewer)?;
    let b = backend()?;
    Ok(b.fleet.overview(&b).await?)
}

/// Registers a device from the UI, approving it if it was waiting.
#[server]
pub async fn register_device(id: DeviceId) -> Result<String, AppError> {
    require(Role::Operator)?;
    enrollment::approve(&*backend()?, &id).await?;
    Ok(id.to_string())
}

/// Registers the devices a CSV file names (its first column), for fleets that arrive in
/// thousands: the new tokens come back once, to provision the devices with.
#[server]
pub async fn import_devices(csv: String) -> Result<BulkRegistration, AppError> {
    require(Role::Operator)?;
    let ids = registry::ids_from_csv(&csv)?;
    Ok(registry::register_many(&*backend()?, ids).await?)
}

/// Devices that asked for their configuration and wait for an operator.
#[server]
pub async fn list_pending_devices() -> Result<PendingDevices, AppError> {
    require(Role::Viewer)?;
    let enrollment = &backend()?.enrollment;
    Ok(PendingDevices {
        policy: enrollment.policy(),
        devices: enrollment.pending().await?,
    })
}

/// Forgets a device's request without registering it.
#[server]
pub async fn dismiss_device(id: DeviceId) -> Result<(), AppError> {
    require(Role::Operator)?;
    match backend()?.enrollment.dismiss(&id).await? {
        true => Ok(()),
        false => Err(AppError::NotFound(format!("device {id} is not waiting"))),
    }
}

#[server]
pub async fn get_device(id: DeviceId) -> Result<DeviceDetail, AppError> {
    let caller = require(Role::Viewer)?;
    let manageable = caller.may(Role::Operator);
    Ok(device_env::detail(&*backend()?, &id, manageable).await?)
}

/// The device's token, for provisioning a real device: shown only when asked for.
#[server]
pub async fn reveal_token(id: DeviceId) -> Result<String, AppError> {
    require(Role::Operator)?;
    let reg = registry::lookup(&*backend()?, &id).await?;
    reg.map(|r| r.token)
        .ok_or_else(|| AppError::NotFound(format!("device {id} has no working token")))
}

#[server]
pub async fn remove_device(id: DeviceId, delete_telemetry: bool) -> Result<(), AppError> {
    require(Role::Operator)?;
    match registry::remove(&*backend()?, &id, delete_telemetry).await? {
        true => Ok(()),
        false => Err(AppError::NotFound(format!("device {id} is not registered"))),
    }
}

#[server]
pub async fn write_point_now(devices: DeviceSelection) -> Result<usize, AppError> {
    require(Role::Operator)?;
    Ok(writer::write_now(&*backend()?, &devices).await?)
}

#[server]
pub async fn start_backfill(devices: DeviceSelection, days: u32) -> Result<(), AppError> {
    require(Role::Operator)?;
    Ok(writer::start_backfill(backend()?, devices, days).await?)
}

#[server]
pub async fn start_writer(
    devices: DeviceSelection,
    interval_seconds: u64,
    // Over HTTP when not said (as before MQTT was offered).
    #[server(default)] over: WriteOver,
) -> Result<(), AppError> {
    require(Role::Operator)?;
    Ok(writer::start_continuous(backend()?, devices, interval_seconds, over).await?)
}

#[server]
pub async fn stop_writer() -> Result<(), AppError> {
    require(Role::Operator)?;
    writer::stop_continuous(&*backend()?);
    Ok(())
}

#[server]
pub async fn get_writer_status() -> Result<WriterStatus, AppError> {
    require(Role::Viewer)?;
    Ok(backend()?.writer.status())
}

/// A page of a device's records over a window, newest first.
#[server]
pub async fn device_measurements(
    id: DeviceId,
    window: TimeWindow,
    page: usize,
) -> Result<Measurements, AppError> {
    require(Role::Viewer)?;
    let range = time_range(&window);
    let page = telemetry::measurements(&*backend()?, &id, &range, page).await?;
    Ok((*page).clone())
}

/// A device's charts and latest values over a window.
#[server]
pub async fn device_dashboard(id: DeviceId, window: TimeWindow) -> Result<Dashboard, AppError> {
    require(Role::Viewer)?;
    let b = backend()?;
    let mut dashboard = telemetry::dashboard(&b, &id, &window).await?;
    alerts()?
        .on_device(&b, &id, &window)
        .await?
        .put_on(&mut dashboard);
    Ok(dashboard)
}

/// A device's fields over the last 30 days: min, max and when, mean, count, sensor.
#[server]
pub async fn device_field_stats(id: DeviceId) -> Result<Vec<FieldStats>, AppError> {
    require(Role::Viewer)?;
    let range = telemetry::field_stats_range();
    Ok((*telemetry::field_stats(&*backend()?, id.as_str(), &range).await?).clone())
}

/// One field of several devices over a window, to overlay in one chart.
#[server]
pub async fn compare_devices(
    devices: DeviceSelection,
    field: FieldName,
    window: TimeWindow,
) -> Result<Comparison, AppError> {
    require(Role::Viewer)?;
    let comparison = telemetry::compare(&*backend()?, &devices, &field, &window).await?;
    Ok((*comparison).clone())
}

/// Where devices last were, as the map draws them.
#[server]
pub async fn device_positions() -> Result<FleetMap, AppError> {
    require(Role::Viewer)?;
    Ok((*telemetry::positions(&*backend()?).await?).clone())
}

/// The application's health, as `GET /health` reports it.
#[server]
pub async fn app_health() -> Result<HealthReport, AppError> {
    require(Role::Viewer)?;
    Ok(health::report(&*service()?, &*alerts()?).await)
}

/// The application's own metrics over a range.
#[server]
pub async fn app_metrics(window: TimeWindow) -> Result<Vec<Series>, AppError> {
    require(Role::Viewer)?;
    Ok(telemetry::app_metrics(&*backend()?, &time_range(&window)).await?)
}

#[server]
pub async fn list_buckets() -> Result<Vec<BucketRow>, AppError> {
    require(Role::Viewer)?;
    Ok(buckets::list(&*backend()?).await?)
}

/// Who is signed in (nobody on the sign-in pages), for the navigation and for what each
/// page offers.
#[server]
pub async fn whoami() -> Result<Option<Caller>, AppError> {
    Ok(caller())
}
