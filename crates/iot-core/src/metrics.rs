//! The application measures itself: requests per route, errors, latency, the virtual devices'
//! write throughput and the process's memory. Every [`FLUSH_EVERY`] the window becomes points
//! of the measurement [`METRICS_MEASUREMENT`], written to the telemetry bucket as the reference IoT
//! Center does. While InfluxDB is away, points wait in a bounded buffer; when it is full the
//! oldest are dropped and counted, never silently lost.

use crate::layout::{METRICS_MEASUREMENT, METRICS_ROUTE_TAG};
use crate::Backend;
use chrono::{DateTime, Utc};
use influx_client::{Point, Precision};
use iot_models::MetricsDelivery;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const FLUSH_EVERY: Duration = Duration::from_secs(10);
/// The route tag of the totals over all routes.
pub const ALL_ROUTES: &str = "all";
/// Points kept while InfluxDB is away: about an hour of a busy server.
const BUFFER_POINTS: usize = 10_000;

#[derive(Default)]
struct RouteWindow {
    requests: u64,
    errors: u64,
    latencies_ms: Vec<f64>,
}

#[derive(Default)]
struct State {
    window: BTreeMap<String, RouteWindow>,
    buffer: VecDeque<Point>,
    delivery: MetricsDelivery,
    /// The virtual devices' points written at the last flush.
    virtual_points: u64,
}

/// The collector, shared by the request middleware and the flush task.
#[derive(Default)]
pub struct Metrics {
    state: Mutex<State>,
}

/// The `q` quantile (0..=1) of sorted values, by nearest rank.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Resident memory of this process in bytes (Linux), or `None` where it cannot be read.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

impl Metrics {
    /// Counts one answered request; a 5xx status is an error.
    pub fn record(&self, route: &str, status: u16, elapsed: Duration) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let ms = elapsed.as_secs_f64() * 1_000.0;
        for key in [route, ALL_ROUTES] {
            let w = state.window.entry(key.to_string()).or_default();
            w.requests += 1;
            w.errors += u64::from(status >= 500);
            w.latencies_ms.push(ms);
        }
    }

    pub fn delivery(&self) -> MetricsDelivery {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        MetricsDelivery {
            buffered_points: state.buffer.len(),
            ..state.delivery.clone()
        }
    }

    /// Closes the current window: its points, stamped `now`, join the buffer.
    fn close_window(&self, now: DateTime<Utc>, virtual_points: u64) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let window = std::mem::take(&mut state.window);
        let seconds = FLUSH_EVERY.as_secs_f64();
        let mut points: Vec<Point> = window
            .into_iter()
            .map(|(route, mut w)| {
                w.latencies_ms.sort_by(f64::total_cmp);
                Point::new(METRICS_MEASUREMENT)
                    .tag(METRICS_ROUTE_TAG, route)
                    .field("requests", w.requests as i64)
                    .field("errors", w.errors as i64)
                    .field("latency_p50_ms", quantile(&w.latencies_ms, 0.5))
                    .field("latency_p99_ms", quantile(&w.latencies_ms, 0.99))
                    .time(now.timestamp_millis())
            })
            .collect();
        let written = virtual_points.saturating_sub(state.virtual_points);
        state.virtual_points = virtual_points;
        let mut process = Point::new(METRICS_MEASUREMENT)
            .tag(METRICS_ROUTE_TAG, ALL_ROUTES)
            .field("virtual_points_per_s", written as f64 / seconds)
            .field("dropped_points", state.delivery.dropped_points as i64)
            .time(now.timestamp_millis());
        if let Some(rss) = resident_bytes() {
            process = process.field("memory_mb", rss as f64 / 1_048_576.0);
        }
        points.push(process);
        for p in points {
            if state.buffer.len() == BUFFER_POINTS {
                state.buffer.pop_front();
                state.delivery.dropped_points += 1;
            }
            state.buffer.push_back(p);
        }
    }

    /// Writes what the buffer holds; on failure it stays for the next flush.
    async fn deliver(&self, b: &Backend, now: DateTime<Utc>) {
        let pending: Vec<Point> = {
            let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            state.buffer.iter().cloned().collect()
        };
        if pending.is_empty() {
            return;
        }
        let result = b
            .client
            .write(&b.settings.telemetry_bucket, Precision::Ms, &pending)
            .await;
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match result {
            Ok(()) => {
                // Points added meanwhile stay; the written ones were the oldest.
                let written = pending.len().min(state.buffer.len());
                state.buffer.drain(..written);
                state.delivery.last_write = Some(now.to_rfc3339());
                state.delivery.last_error = None;
            }
            Err(e) => state.delivery.last_error = Some(e.to_string()),
        }
    }
}

/// Closes the current window and writes what the buffer holds (what stays on failure is
/// tried again at the next flush).
pub async fn flush(b: &Backend) {
    let now = Utc::now();
    b.metrics
        .close_window(now, b.writer.status().points_written);
    b.metrics.deliver(b, now).await;
}

/// Flushes the metrics every [`FLUSH_EVERY`], for as long as the server runs.
pub fn spawn_flusher(b: Arc<Backend>) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(FLUSH_EVERY);
        every.tick().await;
        loop {
            every.tick().await;
            flush(&b).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_by_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), 50.0);
        assert_eq!(quantile(&v, 0.99), 99.0);
        assert_eq!(quantile(&[7.0], 0.99), 7.0);
        assert_eq!(quantile(&[], 0.5), 0.0);
    }

    #[test]
    fn a_window_becomes_points_per_route_and_in_all() {
        let m = Metrics::default();
        m.record("/devices", 200, Duration::from_millis(10));
        m.record("/devices", 500, Duration::from_millis(30));
        m.record("/api/env/{id}", 200, Duration::from_millis(5));
        m.close_window(Utc::now(), 0);
        let state = m.state.lock().unwrap();
        let points: Vec<Point> = state.buffer.iter().cloned().collect();
        let lp = String::from_utf8(influx_client::to_line_protocol(&points).unwrap()).unwrap();
        assert!(
            lp.contains("route=/devices requests=2i,errors=1i,latency_p50_ms=10,latency_p99_ms=30"),
            "{lp}"
        );
        assert!(
            lp.contains("route=all requests=3i,errors=1i,latency_p50_ms=10,latency_p99_ms=30"),
            "{lp}"
        );
        assert!(lp.contains("virtual_points_per_s=0"), "{lp}");
    }

    #[test]
    fn a_full_buffer_drops_the_oldest_and_counts_them() {
        let m = Metrics::default();
        for _ in 0..BUFFER_POINTS + 5 {
            // Each empty window still yields the process point.
            m.close_window(Utc::now(), 0);
        }
        let d = m.delivery();
        assert_eq!(d.buffered_points, BUFFER_POINTS);
        assert_eq!(d.dropped_points, 5);
    }
}
