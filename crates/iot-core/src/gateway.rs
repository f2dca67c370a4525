//! The device gateway: devices write to IoT Center, never to InfluxDB. Each request comes
//! with the device's own IoT Center token; every line is checked against the device's
//! identity and bounds (all or nothing), then forwarded with the server's token, and the
//! device is answered only once InfluxDB has acknowledged its points.
//!
//! # Layout
//! - [`lines`]: a body's lines parsed, checked and rewritten for InfluxDB.
//! - [`usage`]: what each device has used of its bounds: series, field names, its rate.
//! - [`batcher`]: requests of many devices share InfluxDB writes (group commit).

mod batcher;
pub mod lines;
mod usage;

use crate::Backend;
use chrono::Utc;
pub use influx_client::Precision;
use iot_models::{DeviceId, GatewayDelivery};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// What one device may send. Every bound has a default a user can change (the README's table).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    /// Bytes of line protocol per request, after gzip is undone.
    pub max_bytes: usize,
    /// Lines per request.
    pub max_lines: usize,
    /// Distinct series (measurement and tag set) per device.
    pub max_series: usize,
    /// Distinct field names (per measurement) per device.
    pub max_fields: usize,
    /// Points per second a device may sustain …
    pub points_per_second: u32,
    /// … and how many it may send at once after a quiet spell: at least `max_lines`.
    pub burst: u32,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            max_bytes: 8 << 20,
            max_lines: 10_000,
            max_series: 1_000,
            max_fields: 200,
            points_per_second: 1_000,
            burst: 20_000,
        }
    }
}

impl Bounds {
    /// Refuses bounds that would refuse every request, or could never be met.
    pub fn checked(self) -> Result<Bounds, String> {
        let positive = [
            ("max bytes", self.max_bytes),
            ("max lines", self.max_lines),
            ("max series", self.max_series),
            ("max fields", self.max_fields),
            ("points per second", self.points_per_second as usize),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(format!("the device gateway's {name} must be at least 1"));
        }
        if (self.burst as usize) < self.max_lines {
            return Err(format!(
                "the device gateway's burst ({}) must be at least its max lines per request ({}): a full request could never pass",
                self.burst, self.max_lines
            ));
        }
        Ok(self)
    }
}

/// Why a write was refused, as InfluxDB would say it: the status and `code` of its JSON error.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Refused {
    #[error("unauthorized access")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{message}")]
    TooMany {
        message: String,
        retry_after: Duration,
    },
    /// InfluxDB cannot be reached: nothing was written, the device should retry.
    #[error("{0}")]
    Unavailable(String),
    /// InfluxDB itself refused the points (a field's type conflicts with what it holds).
    #[error("{message}")]
    Rejected {
        status: u16,
        code: String,
        message: String,
    },
}

impl Refused {
    pub fn status(&self) -> u16 {
        match self {
            Refused::Unauthorized => 401,
            Refused::Forbidden(_) => 403,
            Refused::NotFound(_) => 404,
            Refused::Invalid(_) => 400,
            Refused::TooLarge(_) => 413,
            Refused::TooMany { .. } => 429,
            Refused::Unavailable(_) => 503,
            Refused::Rejected { status, .. } => *status,
        }
    }

    /// InfluxDB's `code` for the status.
    pub fn code(&self) -> &str {
        match self {
            Refused::Unauthorized => "unauthorized",
            Refused::Forbidden(_) => "forbidden",
            Refused::NotFound(_) => "not found",
            Refused::Invalid(_) => "invalid",
            Refused::TooLarge(_) => "request too large",
            Refused::TooMany { .. } => "too many requests",
            Refused::Unavailable(_) => "unavailable",
            Refused::Rejected { code, .. } => code,
        }
    }

    /// When to try again (429), in whole seconds as `Retry-After` gives it.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Refused::TooMany { retry_after, .. } => {
                Some(retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0))
            }
            _ => None,
        }
    }

    fn from_influx(e: influx_client::Error) -> Refused {
        match e {
            influx_client::Error::Api {
                status,
                code,
                message,
                ..
            } if (400..500).contains(&status) && status != 429 => Refused::Rejected {
                status,
                code,
                message,
            },
            e => Refused::Unavailable(format!("InfluxDB cannot take the points now: {e}")),
        }
    }
}

/// Where a request asks to write: `/api/v2/write`'s query.
#[derive(Clone, Debug, Default)]
pub struct Target {
    pub org: Option<String>,
    pub org_id: Option<String>,
    pub bucket: Option<String>,
    pub bucket_id: Option<String>,
    pub precision: Option<String>,
}

impl Target {
    /// The precision of the request's timestamps, once the bucket and organization are the
    /// telemetry bucket's: a device writes nowhere else.
    fn precision(&self, settings: &crate::Settings) -> Result<Precision, Refused> {
        let bucket_ok = match (&self.bucket, &self.bucket_id) {
            (Some(name), _) => name == &settings.telemetry_bucket,
            (None, Some(id)) => id == &settings.telemetry_bucket_id,
            (None, None) => return Err(Refused::NotFound("bucket not found".into())),
        };
        if !bucket_ok {
            let named = self.bucket.as_ref().or(self.bucket_id.as_ref());
            return Err(Refused::NotFound(format!(
                "bucket {:?} not found",
                named.map_or("", |s| s.as_str())
            )));
        }
        if let Some(org) = &self.org {
            if org != &settings.org && org != &settings.org_id {
                return Err(Refused::NotFound(format!(
                    "organization name {org:?} not found"
                )));
            }
        }
        if let Some(id) = self.org_id.as_ref().filter(|id| *id != &settings.org_id) {
            return Err(Refused::NotFound(format!(
                "organization id {id:?} not found"
            )));
        }
        Precision::parse(self.precision.as_deref().unwrap_or("ns")).ok_or_else(|| {
            Refused::Invalid(
                "invalid precision; valid precision units are ns, us, ms, and s".into(),
            )
        })
    }
}

/// The gateway: the devices' bounds and usage, and the shared writes to InfluxDB.
#[derive(Default)]
pub struct Gateway {
    pub bounds: Bounds,
    usage: usage::Usage,
    batcher: batcher::Batcher,
    accepted: AtomicU64,
    refused: AtomicU64,
}

/// Bodies past this size are checked on a blocking thread, not on the one serving requests.
const CHECK_INLINE_BYTES: usize = 64 * 1024;

impl Gateway {
    pub fn new(bounds: Bounds) -> Gateway {
        Gateway {
            bounds,
            ..Gateway::default()
        }
    }

    /// The device whose IoT Center token this is, if it is registered now.
    pub async fn device_of_token(&self, b: &Backend, token: &str) -> Result<DeviceId, Refused> {
        match b.fleet.device_of_token(b, token).await {
            Ok(Some(id)) => Ok(id),
            Ok(None) => Err(Refused::Unauthorized),
            Err(e) => Err(Refused::Unavailable(e.to_string())),
        }
    }

    /// Writes `body` for device `id`: every line checked, then forwarded; `Ok` once InfluxDB
    /// has acknowledged it. A refused request writes nothing.
    pub async fn write(
        &self,
        b: &Backend,
        id: &DeviceId,
        target: &Target,
        body: String,
    ) -> Result<(), Refused> {
        let precision = target.precision(&b.settings).map_err(|r| self.refuse(r))?;
        self.write_in(b, id, precision, body).await
    }

    /// [`Gateway::write`] for a face that names no bucket (MQTT): into the telemetry bucket,
    /// timestamps in `precision`.
    pub async fn write_in(
        &self,
        b: &Backend,
        id: &DeviceId,
        precision: Precision,
        body: String,
    ) -> Result<(), Refused> {
        match self.checked_write(b, id, precision, body).await {
            Ok(()) => {
                self.accepted.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            // InfluxDB away is no fault of the device's.
            Err(away @ Refused::Unavailable(_)) => Err(away),
            Err(refused) => Err(self.refuse(refused)),
        }
    }

    /// Counts a write refused, here or by a face before it came here (an MQTT topic).
    pub fn refuse(&self, refused: Refused) -> Refused {
        self.refused.fetch_add(1, Ordering::Relaxed);
        refused
    }

    /// What the gateway did with devices' writes since the start.
    pub fn delivery(&self) -> GatewayDelivery {
        GatewayDelivery {
            accepted: self.accepted.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
        }
    }

    async fn checked_write(
        &self,
        b: &Backend,
        id: &DeviceId,
        precision: Precision,
        body: String,
    ) -> Result<(), Refused> {
        if body.len() > self.bounds.max_bytes {
            return Err(lines::too_large(self.bounds.max_bytes));
        }
        let now = Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX);
        let bounds = self.bounds;
        let checked = if body.len() <= CHECK_INLINE_BYTES {
            lines::check(&body, id, precision, now, &bounds)?
        } else {
            let id = id.clone();
            tokio::task::spawn_blocking(move || lines::check(&body, &id, precision, now, &bounds))
                .await
                .map_err(|e| Refused::Unavailable(format!("checking the lines failed: {e}")))??
        };
        self.usage.admit(&self.bounds, id, &checked)?;
        let watched = b.live.watched(id).then(|| checked.body.clone());
        self.batcher
            .write(
                &b.client,
                &b.settings.telemetry_bucket,
                precision,
                checked.body,
            )
            .await?;
        b.fleet.note_seen(
            id,
            chrono::DateTime::from_timestamp_nanos(checked.latest),
            chrono::DateTime::from_timestamp_nanos(now),
        );
        b.latest.forget(id.as_str());
        b.records.forget(id.as_str());
        b.cell_reads.forget(id.as_str());
        if let Some(lines) = watched {
            b.live.publish(id, &lines, precision.nanos());
        }
        Ok(())
    }

    /// A removed device starts again from nothing if it is registered anew.
    pub fn forget(&self, id: &DeviceId) {
        self.usage.forget(id);
    }
}
