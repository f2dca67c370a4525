//! Writes for the virtual devices, through the gateway as any device's, within its bounds:
//! one point now, a back-fill of the last days at 1-minute steps, or a continuous writer
//! that runs until stopped (it lives in the server, so it survives page reloads), over HTTP
//! or MQTT.

use super::gateway::{Refused, Target};
use super::registry;
use super::virtual_device::{point, reading};
use super::Backend;
use crate::Error;
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use influx_client::Point;
use iot_models::{DeviceId, DeviceSelection, WriteOver, WriterStatus};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinHandle;

mod mqtt;

/// Points per write request of a back-fill, unless the gateway takes fewer lines a request.
const BATCH: usize = 5_000;

#[derive(Default)]
pub struct Writer {
    status: Mutex<WriterStatus>,
    continuous: Mutex<Option<JoinHandle<()>>>,
}

impl Writer {
    pub fn status(&self) -> WriterStatus {
        self.status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
    fn update(&self, f: impl FnOnce(&mut WriterStatus)) {
        f(&mut self.status.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

/// Checks that a virtual device is registered: only registered devices write.
async fn registered(b: &Backend, id: &DeviceId) -> Result<(), Error> {
    match registry::lookup(b, id).await? {
        Some(_) => Ok(()),
        None => Err(not_registered(id)),
    }
}

fn not_registered(id: &DeviceId) -> Error {
    Error::NotFound(format!("device {id} is not registered (or was removed)"))
}

/// Points as line protocol text.
fn line_of(points: &[Point]) -> Result<String, Error> {
    let body =
        influx_client::to_line_protocol(points).map_err(|e| Error::Internal(e.to_string()))?;
    String::from_utf8(body).map_err(|e| Error::Internal(e.to_string()))
}

/// Writes `points` as device `id` through the gateway; past its rate it waits as a device
/// told `429` would.
async fn write_as(b: &Backend, id: &DeviceId, points: &[Point]) -> Result<(), Error> {
    let body = line_of(points)?;
    let target = Target {
        bucket: Some(b.settings.telemetry_bucket.clone()),
        precision: Some("s".into()),
        ..Target::default()
    };
    loop {
        match b.gateway.write(b, id, &target, body.clone()).await {
            Ok(()) => return Ok(()),
            Err(Refused::TooMany { retry_after, .. }) => tokio::time::sleep(retry_after).await,
            Err(Refused::Unavailable(why)) => return Err(Error::Unavailable(why)),
            Err(refused) => {
                return Err(Error::Invalid(format!(
                    "the gateway refused the points of {id}: {refused}"
                )))
            }
        }
    }
}

/// Writes one point per device, stamped now; returns how many were written.
pub async fn write_now(b: &Backend, devices: &DeviceSelection) -> Result<usize, Error> {
    send_now(b, devices, WriteOver::Http).await
}

/// One point per device, stamped now, sent `over` HTTP or MQTT.
async fn send_now(b: &Backend, devices: &DeviceSelection, over: WriteOver) -> Result<usize, Error> {
    let ids = devices.ids();
    let now = Utc::now();
    let home = (b.settings.default_lat, b.settings.default_lon);
    for id in ids {
        let p = point(id, now, &reading(id, now, home, &mut rand::rng()));
        match over {
            WriteOver::Http => {
                registered(b, id).await?;
                write_as(b, id, &[p]).await?;
            }
            WriteOver::Mqtt => {
                let token = registry::lookup(b, id)
                    .await?
                    .ok_or_else(|| not_registered(id))?
                    .token;
                mqtt::publish(b, id, &token, line_of(std::slice::from_ref(&p))?).await?;
            }
        }
    }
    b.writer.update(|s| s.points_written += ids.len() as u64);
    Ok(ids.len())
}

/// The times of a back-fill: every minute of the last `days` days, oldest first.
pub fn backfill_times(now: DateTime<Utc>, days: u32) -> impl Iterator<Item = DateTime<Utc>> {
    let minutes = days as i64 * 24 * 60;
    let end = now - ChronoDuration::seconds(now.timestamp() % 60);
    (1..=minutes)
        .rev()
        .map(move |m| end - ChronoDuration::minutes(m))
}

/// Starts back-filling `days` of 1-minute data for each device; progress is in the status.
pub async fn start_backfill(
    b: Arc<Backend>,
    devices: DeviceSelection,
    days: u32,
) -> Result<(), Error> {
    if !(1..=30).contains(&days) {
        return Err(Error::Invalid("back-fill between 1 and 30 days".into()));
    }
    let ids: Vec<DeviceId> = devices.into();
    if b.writer.status().backfill.is_some() {
        return Err(Error::Invalid("a back-fill is already running".into()));
    }
    for id in &ids {
        registered(&b, id).await?;
    }
    let total = (days as u64 * 24 * 60) * ids.len() as u64;
    b.writer.update(|s| {
        s.backfill = Some((0, total));
        s.last_error = None;
    });
    tokio::spawn(async move {
        let now = Utc::now();
        let home = (b.settings.default_lat, b.settings.default_lon);
        for id in ids {
            let size = BATCH.min(b.gateway.bounds.max_lines);
            let mut batch = Vec::with_capacity(size);
            let mut times = backfill_times(now, days).peekable();
            while let Some(t) = times.next() {
                batch.push(point(&id, t, &reading(&id, t, home, &mut rand::rng())));
                if batch.len() == size || times.peek().is_none() {
                    let n = batch.len() as u64;
                    if let Err(e) = write_as(&b, &id, &batch).await {
                        b.writer.update(|s| {
                            s.last_error = Some(format!("back-fill of {id} stopped: {e}"));
                            s.backfill = None;
                        });
                        return;
                    }
                    batch.clear();
                    b.writer.update(|s| {
                        s.points_written += n;
                        s.backfill = s.backfill.map(|(done, total)| (done + n, total));
                    });
                }
            }
        }
        b.writer.update(|s| s.backfill = None);
    });
    Ok(())
}

/// Starts (or restarts) writing one point per device every `interval`.
pub async fn start_continuous(
    b: Arc<Backend>,
    devices: DeviceSelection,
    interval_seconds: u64,
    over: WriteOver,
) -> Result<(), Error> {
    if !(1..=3600).contains(&interval_seconds) {
        return Err(Error::Invalid(
            "the interval is between 1 and 3600 seconds".into(),
        ));
    }
    for id in devices.ids() {
        registered(&b, id).await?;
    }
    // Over MQTT only while IoT Center's listener runs: said now, not at every tick.
    if over == WriteOver::Mqtt && !b.settings.mqtt.as_ref().is_some_and(|m| m.device_tokens) {
        return Err(Error::Invalid(
            "IoT Center's MQTT listener is off (MQTT_LISTEN): write over HTTP".into(),
        ));
    }
    stop_continuous(&b);
    b.writer.update(|s| {
        s.continuous_devices = devices.ids().iter().map(DeviceId::to_string).collect();
        s.interval_seconds = interval_seconds;
        s.over = over;
        s.last_error = None;
    });
    let task_backend = b.clone();
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(interval_seconds));
        loop {
            tick.tick().await;
            let result = send_now(&task_backend, &devices, over).await;
            task_backend
                .writer
                .update(|s| s.last_error = result.err().map(|e| e.to_string()));
        }
    });
    *b.writer
        .continuous
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = Some(task);
    Ok(())
}

pub fn stop_continuous(b: &Backend) {
    if let Some(task) = b
        .writer
        .continuous
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
    {
        task.abort();
    }
    b.writer.update(|s| s.continuous_devices.clear());
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_seven_day_backfill_is_10080_minutes_ending_before_now() {
        let now = Utc.with_ymd_and_hms(2026, 1, 8, 12, 30, 45).unwrap();
        let times: Vec<_> = backfill_times(now, 7).collect();
        assert_eq!(times.len(), 10_080);
        assert_eq!(
            times[0],
            Utc.with_ymd_and_hms(2026, 1, 1, 12, 30, 0).unwrap()
        );
        assert_eq!(
            *times.last().unwrap(),
            Utc.with_ymd_and_hms(2026, 1, 8, 12, 29, 0).unwrap()
        );
    }
}
