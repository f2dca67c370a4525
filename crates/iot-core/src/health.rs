//! The application's health: InfluxDB's own health with its latency and version, and whether
//! the buckets the application needs are there (readiness).

use super::{Backend, Service};
use crate::alerts::Alerts;
use iot_models::{CheckStatus, HealthCheck, HealthReport, MetricsDelivery};
use std::time::{Duration, Instant};

/// A check that takes longer than this has failed: a health answer must come quickly.
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// `GET /health` of InfluxDB, timed.
async fn influxdb(b: &Backend) -> HealthCheck {
    let started = Instant::now();
    let answer = tokio::time::timeout(CHECK_TIMEOUT, b.client.health()).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1_000.0;
    let (status, version, message) = match answer {
        Ok(Ok(h)) if h.status == "pass" => (CheckStatus::Pass, Some(h.version), h.message),
        Ok(Ok(h)) => (CheckStatus::Fail, Some(h.version), h.message),
        Ok(Err(e)) => (CheckStatus::Fail, None, e.to_string()),
        Err(_) => (
            CheckStatus::Fail,
            None,
            format!("no answer within {} s", CHECK_TIMEOUT.as_secs()),
        ),
    };
    HealthCheck {
        name: "influxdb".into(),
        status,
        latency_ms,
        version: version.filter(|v| !v.is_empty()),
        message: format!("{} {}", b.client.url(), message).trim().to_string(),
    }
}

/// Until the first connection: InfluxDB fails with the reason (what to fix).
fn not_connected(s: &Service) -> HealthCheck {
    HealthCheck {
        name: "influxdb".into(),
        status: CheckStatus::Fail,
        latency_ms: 0.0,
        version: None,
        message: s.waiting_for(),
    }
}

/// The application's health; `alerts` tells the notifications and the instances.
pub async fn report(s: &Service, alerts: &Alerts) -> HealthReport {
    let notifications = alerts.notifier.counts.snapshot();
    let instances = alerts.instances.list().await.unwrap_or_else(|e| {
        tracing::warn!("listing the instances: {e}");
        Vec::new()
    });
    let (check, metrics, gateway) = match s.get() {
        Some(b) => (
            influxdb(b).await,
            b.metrics.delivery(),
            b.gateway.delivery(),
        ),
        None => (
            not_connected(s),
            MetricsDelivery::default(),
            Default::default(),
        ),
    };
    let message = match check.status {
        CheckStatus::Pass => "ready for writes",
        CheckStatus::Fail => "not ready: InfluxDB's check fails",
    };
    HealthReport {
        name: "iot-center".into(),
        message: message.into(),
        status: check.status,
        version: env!("CARGO_PKG_VERSION").to_string(),
        uptime_seconds: s.started.elapsed().as_secs(),
        checks: vec![check],
        metrics,
        notifications,
        gateway,
        mqtt_bridge: s.bridge(),
        instances,
    }
}

/// Ready when InfluxDB answers and both buckets exist; otherwise the reason.
pub async fn ready(s: &Service) -> Result<(), String> {
    let Some(b) = s.get() else {
        return Err(s.waiting_for());
    };
    let buckets = tokio::time::timeout(CHECK_TIMEOUT, b.client.buckets())
        .await
        .map_err(|_| {
            format!(
                "InfluxDB gave no answer within {} s",
                CHECK_TIMEOUT.as_secs()
            )
        })?
        .map_err(|e| e.to_string())?;
    for name in [&b.settings.telemetry_bucket, &b.settings.registry_bucket] {
        if !buckets.iter().any(|bucket| &bucket.name == name) {
            return Err(format!("bucket {name} is missing"));
        }
    }
    Ok(())
}
