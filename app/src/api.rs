//! Server functions: thin adapters the browser calls over HTTP. Each takes the backend from
//! the context, parses its input into typed values, and calls `backend`.

use crate::models::*;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::backend::{registry, telemetry, writer, Backend};
    use crate::models::{AppError, DeviceId};
    use leptos::prelude::use_context;
    use std::sync::Arc;

    pub fn backend() -> Result<Arc<Backend>, AppError> {
        use_context::<Arc<Backend>>()
            .ok_or_else(|| AppError::ServerFn("the server has no InfluxDB connection".into()))
    }

    pub fn device_id(raw: &str) -> Result<DeviceId, AppError> {
        DeviceId::parse(raw).map_err(AppError::Invalid)
    }

    pub fn device_ids(raw: &[String]) -> Result<Vec<DeviceId>, AppError> {
        raw.iter().map(|r| device_id(r)).collect()
    }
}
#[cfg(feature = "ssr")]
use ssr::*;

/// Answers with the server's version and clock.
#[server]
pub async fn check_server() -> Result<ServerInfo, AppError> {
    Ok(ServerInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    })
}

#[server]
pub async fn list_devices() -> Result<Vec<DeviceSummary>, AppError> {
    registry::list(&*backend()?).await
}

#[server]
pub async fn register_device(id: String) -> Result<String, AppError> {
    let id = device_id(&id)?;
    registry::register(&*backend()?, &id).await?;
    Ok(id.to_string())
}

#[server]
pub async fn get_device(id: String) -> Result<DeviceDetail, AppError> {
    let b = backend()?;
    let id = device_id(&id)?;
    let reg = registry::get(&b, &id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("device {id} is not registered")))?;
    let summary = registry::summary(&b, &id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("device {id} is not registered")))?;
    let mut masked = reg.clone();
    if !masked.token.is_empty() {
        masked.token = "•••••• (hidden: reveal it to provision a device)".into();
    }
    let config_text = crate::backend::device_env::DeviceEnv::new(&b.settings, &masked).to_text();
    Ok(DeviceDetail {
        summary,
        config_text,
    })
}

/// The device's token, for provisioning a real device: shown only when asked for.
#[server]
pub async fn reveal_token(id: String) -> Result<String, AppError> {
    let id = device_id(&id)?;
    let reg = registry::lookup(&*backend()?, &id).await?;
    reg.map(|r| r.token)
        .ok_or_else(|| AppError::NotFound(format!("device {id} has no working token")))
}

#[server]
pub async fn remove_device(id: String, delete_telemetry: bool) -> Result<(), AppError> {
    let id = device_id(&id)?;
    match registry::remove(&*backend()?, &id, delete_telemetry).await? {
        true => Ok(()),
        false => Err(AppError::NotFound(format!("device {id} is not registered"))),
    }
}

#[server]
pub async fn write_point_now(ids: Vec<String>) -> Result<usize, AppError> {
    let ids = device_ids(&ids)?;
    if ids.is_empty() {
        return Err(AppError::Invalid("choose at least one device".into()));
    }
    writer::write_now(&*backend()?, &ids).await
}

#[server]
pub async fn start_backfill(ids: Vec<String>, days: u32) -> Result<(), AppError> {
    writer::start_backfill(backend()?, device_ids(&ids)?, days).await
}

#[server]
pub async fn start_writer(ids: Vec<String>, interval_seconds: u64) -> Result<(), AppError> {
    writer::start_continuous(backend()?, device_ids(&ids)?, interval_seconds).await
}

#[server]
pub async fn stop_writer() -> Result<(), AppError> {
    writer::stop_continuous(&*backend()?);
    Ok(())
}

#[server]
pub async fn get_writer_status() -> Result<WriterStatus, AppError> {
    Ok(backend()?.writer.status())
}

#[server]
pub async fn device_measurements(
    id: String,
    range: String,
    from: Option<String>,
    to: Option<String>,
    page: usize,
) -> Result<Measurements, AppError> {
    let id = device_id(&id)?;
    let window = telemetry::time_range(&range, from.as_deref(), to.as_deref())?;
    telemetry::measurements(&*backend()?, &id, &window, page).await
}

/// A device's charts and latest values over a range (see [`telemetry::time_range`]).
#[server]
pub async fn device_dashboard(
    id: String,
    range: String,
    from: Option<String>,
    to: Option<String>,
) -> Result<Dashboard, AppError> {
    let id = device_id(&id)?;
    let window = telemetry::time_range(&range, from.as_deref(), to.as_deref())?;
    telemetry::dashboard(&*backend()?, &id, &window).await
}

/// One field of several devices over a range, to overlay in one chart.
#[server]
pub async fn compare_devices(
    ids: Vec<String>,
    field: String,
    range: String,
    from: Option<String>,
    to: Option<String>,
) -> Result<Comparison, AppError> {
    let ids = device_ids(&ids)?;
    if ids.is_empty() {
        return Err(AppError::Invalid("choose at least one device".into()));
    }
    if field.is_empty() {
        return Err(AppError::Invalid("choose a field".into()));
    }
    let window = telemetry::time_range(&range, from.as_deref(), to.as_deref())?;
    telemetry::compare(&*backend()?, &ids, &field, &window).await
}

#[server]
pub async fn device_positions() -> Result<Vec<DevicePosition>, AppError> {
    telemetry::positions(&*backend()?).await
}

/// The application's health, as `GET /health` reports it.
#[server]
pub async fn app_health() -> Result<HealthReport, AppError> {
    Ok(crate::backend::health::report(&*backend()?).await)
}

/// The application's own metrics over a range.
#[server]
pub async fn app_metrics(
    range: String,
    from: Option<String>,
    to: Option<String>,
) -> Result<Vec<Series>, AppError> {
    let window = telemetry::time_range(&range, from.as_deref(), to.as_deref())?;
    telemetry::app_metrics(&*backend()?, &window).await
}

#[server]
pub async fn list_buckets() -> Result<Vec<BucketRow>, AppError> {
    let mut rows: Vec<BucketRow> = backend()?
        .client
        .buckets()
        .await?
        .into_iter()
        .map(|b| BucketRow {
            retention_seconds: b.retention_seconds(),
            name: b.name,
            id: b.id,
            kind: b.kind,
        })
        .collect();
    rows.sort_by(|a, b| {
        (&a.kind, &a.name)
            .cmp(&(&b.kind, &b.name))
            .reverse()
            .then(a.name.cmp(&b.name))
    });
    Ok(rows)
}
