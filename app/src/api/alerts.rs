//! Server functions of the Alerts page: what is not ok now, the rules, the endpoints. New
//! rules and endpoints come as the form holds them and are checked here as the JSON API
//! checks its bodies.

use crate::models::*;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::ssr::{alerts, backend, require};

/// What is not ok now (firing first), the rules and the endpoints.
#[server]
pub async fn get_alerts() -> Result<AlertsOverview, AppError> {
    require(Role::Viewer)?;
    let a = alerts()?;
    Ok(AlertsOverview {
        alerts: a.current().await?,
        rules: a.store.rules().await?,
        endpoints: a.store.endpoints().await?,
        history: a.history(&*backend()?).await?,
    })
}

#[server]
pub async fn add_alert_rule(rule: RuleForm) -> Result<AlertRule, AppError> {
    require(Role::Operator)?;
    let spec = rule.check().map_err(AppError::Invalid)?;
    Ok(alerts()?.store.add_rule(spec).await?)
}

#[server]
pub async fn remove_alert_rule(id: String) -> Result<(), AppError> {
    require(Role::Operator)?;
    match alerts()?.store.remove_rule(&id).await? {
        true => Ok(()),
        false => Err(AppError::NotFound(format!("there is no rule {id:?}"))),
    }
}

#[server]
pub async fn add_alert_endpoint(endpoint: EndpointForm) -> Result<AlertEndpoint, AppError> {
    require(Role::Operator)?;
    let spec = endpoint.check().map_err(AppError::Invalid)?;
    Ok(alerts()?.add_endpoint(spec).await?)
}

#[server]
pub async fn remove_alert_endpoint(id: String) -> Result<(), AppError> {
    require(Role::Operator)?;
    match alerts()?.store.remove_endpoint(&id).await? {
        true => Ok(()),
        false => Err(AppError::NotFound(format!("there is no endpoint {id:?}"))),
    }
}

/// Sends a test notification to an endpoint now; the reason when it did not take it.
#[server]
pub async fn test_alert_endpoint(id: String) -> Result<(), AppError> {
    require(Role::Operator)?;
    match alerts()?.test_endpoint(&id).await? {
        None => Ok(()),
        Some(reason) => Err(AppError::Invalid(reason)),
    }
}

/// Acknowledges a firing alert (`rule-id:device-id`) with a note.
#[server]
pub async fn acknowledge_alert(id: String, note: String) -> Result<Alert, AppError> {
    let caller = require(Role::Operator)?;
    let a = alerts()?;
    let AckNote(note) = AckNote::parse(&note).map_err(AppError::Invalid)?;
    Ok(a.acknowledge(&id, &caller.name, &note).await?)
}
