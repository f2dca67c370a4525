//! Points as they arrive, for the pages watching a device: the gateway hands each write it
//! stored (HTTP or MQTT) to the hub once InfluxDB acknowledged it, and every watcher of that
//! device gets its numeric values at once, without a query. Bounded: at most
//! [`MAX_WATCHERS`] streams per server, [`BACKLOG`] writes waiting per stream (a watcher too
//! slow misses the older ones and is told how many). With several instances on one
//! PostgreSQL, points of devices watched on another instance go there too (`peers`).

use crate::Error;
use influxdb_line_protocol::{parse_lines, FieldValue};
use iot_models::{DeviceId, LivePoint};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::{broadcast, mpsc};

/// Streams open at once on one server.
pub const MAX_WATCHERS: usize = 1_000;
/// Writes a stream may fall behind by before it skips the older ones.
const BACKLOG: usize = 64;

/// One write's points, as its watchers get them.
pub type Batch = Arc<Vec<LivePoint>>;

#[derive(Default)]
pub struct Live {
    devices: Mutex<HashMap<String, broadcast::Sender<Batch>>>,
    watchers: Arc<AtomicUsize>,
    /// The devices other instances watch, and where their points go for them.
    elsewhere: Mutex<HashSet<String>>,
    relay: OnceLock<mpsc::Sender<(String, Batch)>>,
}

/// A page watching one device; dropping it ends the watch.
pub struct Watch {
    pub points: broadcast::Receiver<Batch>,
    _slot: Slot,
}

struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Live {
    /// Starts watching device `id`, unless [`MAX_WATCHERS`] streams are open.
    pub fn watch(&self, id: &DeviceId) -> Result<Watch, Error> {
        if self.watchers.fetch_add(1, Ordering::Relaxed) >= MAX_WATCHERS {
            self.watchers.fetch_sub(1, Ordering::Relaxed);
            return Err(Error::Busy(format!(
                "{MAX_WATCHERS} live streams are open: try again shortly"
            )));
        }
        let slot = Slot(self.watchers.clone());
        let mut devices = self.devices.lock().unwrap_or_else(|e| e.into_inner());
        // Devices nobody watches any more go as others are watched.
        devices.retain(|_, sender| sender.receiver_count() > 0);
        let sender = devices
            .entry(id.to_string())
            .or_insert_with(|| broadcast::channel(BACKLOG).0);
        Ok(Watch {
            points: sender.subscribe(),
            _slot: slot,
        })
    }

    /// Whether anyone watches device `id`, here or on another instance (so its points are
    /// worth reading).
    pub fn watched(&self, id: &DeviceId) -> bool {
        self.sender(id.as_str())
            .is_some_and(|s| s.receiver_count() > 0)
            || self.relayed(id)
    }

    /// Whether device `id`'s points go to another instance's watchers.
    fn relayed(&self, id: &DeviceId) -> bool {
        self.relay.get().is_some() && {
            let watched = self.elsewhere.lock().unwrap_or_else(|e| e.into_inner());
            watched.contains(id.as_str())
        }
    }

    /// Hands device `id`'s stored lines (as the gateway wrote them: every line timed, in
    /// nanoseconds per `unit_nanos`) to its watchers, here and on other instances.
    pub fn publish(&self, id: &DeviceId, lines: &[u8], unit_nanos: i64) {
        let here = self.sender(id.as_str());
        let elsewhere = self.relay.get().filter(|_| self.relayed(id));
        if here.is_none() && elsewhere.is_none() {
            return;
        }
        let points = points_of(lines, unit_nanos);
        if points.is_empty() {
            return;
        }
        let batch = Arc::new(points);
        if let Some(sender) = here {
            let _ = sender.send(batch.clone());
        }
        if let Some(relay) = elsewhere {
            // A relay that cannot keep up drops, as a slow watcher does.
            let _ = relay.try_send((id.to_string(), batch));
        }
    }

    fn sender(&self, id: &str) -> Option<broadcast::Sender<Batch>> {
        let devices = self.devices.lock().unwrap_or_else(|e| e.into_inner());
        devices.get(id).cloned()
    }

    /// Points another instance stored, for this one's watchers of device `id`.
    pub fn deliver(&self, id: &str, batch: Batch) {
        if let Some(sender) = self.sender(id) {
            let _ = sender.send(batch);
        }
    }

    /// The devices watched on this instance.
    pub fn watched_here(&self) -> Vec<String> {
        let devices = self.devices.lock().unwrap_or_else(|e| e.into_inner());
        let watched = devices.iter().filter(|(_, s)| s.receiver_count() > 0);
        watched.map(|(id, _)| id.clone()).collect()
    }

    /// Sends the points of the devices other instances watch to `relay` from now on.
    pub fn relay_to(&self, relay: mpsc::Sender<(String, Batch)>) {
        let _ = self.relay.set(relay);
    }

    /// The devices other instances watch, as they last said.
    pub fn watched_elsewhere(&self, devices: HashSet<String>) {
        *self.elsewhere.lock().unwrap_or_else(|e| e.into_inner()) = devices;
    }
}

/// The numeric values of checked lines.
fn points_of(lines: &[u8], unit_nanos: i64) -> Vec<LivePoint> {
    let Ok(text) = std::str::from_utf8(lines) else {
        return Vec::new();
    };
    let mut points = Vec::new();
    for line in parse_lines(text).flatten() {
        let Some(stamp) = line.timestamp else {
            continue;
        };
        let time_ms = stamp.saturating_mul(unit_nanos) / 1_000_000;
        for (field, value) in &line.field_set {
            let value = match value {
                FieldValue::F64(v) => *v,
                FieldValue::I64(v) => *v as f64,
                FieldValue::U64(v) => *v as f64,
                _ => continue,
            };
            points.push(LivePoint {
                field: field.to_string(),
                time_ms,
                value,
            });
        }
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_watcher_gets_what_is_published_and_the_watchers_are_bounded() {
        let live = Live::default();
        let id = DeviceId::parse("dev-1").unwrap();
        assert!(!live.watched(&id));
        let mut watch = live.watch(&id).unwrap();
        assert!(live.watched(&id));
        let body = b"environment,clientId=dev-1 Temperature=21.5,Count=3i,Note=\"x\" 1700000000\n";
        live.publish(&id, body, 1_000_000_000);
        let batch = watch.points.recv().await.unwrap();
        assert_eq!(
            *batch,
            vec![
                LivePoint {
                    field: "Temperature".into(),
                    time_ms: 1_700_000_000_000,
                    value: 21.5
                },
                LivePoint {
                    field: "Count".into(),
                    time_ms: 1_700_000_000_000,
                    value: 3.0
                },
            ]
        );
        let more: Vec<_> = (1..MAX_WATCHERS)
            .map(|_| live.watch(&id).unwrap())
            .collect();
        assert!(matches!(live.watch(&id), Err(Error::Busy(_))));
        drop(more);
        drop(watch);
        assert!(!live.watched(&id));
        assert!(live.watch(&id).is_ok());
    }
}
