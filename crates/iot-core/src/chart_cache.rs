//! A device's charts over a window, kept while the window's step lasts (5 s for an hour,
//! 2 min for a day): many viewers refreshing one dashboard cost one read per step, not one
//! each. Viewers that miss at once wait for the one read in flight.

use crate::Error;
use iot_models::{Resolution, Series};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// Windows kept at most; past it, older steps go.
const MAX_ENTRIES: usize = 1_024;

/// What a dashboard reads for its charts: the series and how they were read, and the
/// device's points in the last hour and day.
#[derive(Debug)]
pub struct Charted {
    pub series: Vec<Series>,
    pub resolution: Resolution,
    pub points_last_hour: u64,
    pub points_last_day: u64,
}

/// (device, window, window end in steps since 1970).
pub type Key = (String, String, i64);

#[derive(Default)]
pub struct ChartCache {
    entries: Mutex<HashMap<Key, Arc<OnceCell<Arc<Charted>>>>>,
}

impl ChartCache {
    /// The charts under `key`, read by `read` if no one has (a failed read is not kept).
    pub async fn get_or_read<F, Fut>(&self, key: Key, read: F) -> Result<Arc<Charted>, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Charted, Error>>,
    {
        let cell = {
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
                let step = key.2;
                entries.retain(|k, _| k.2 >= step);
                if entries.len() >= MAX_ENTRIES {
                    entries.clear();
                }
            }
            entries.entry(key).or_default().clone()
        };
        let charted = cell
            .get_or_try_init(|| async { read().await.map(Arc::new) })
            .await?;
        Ok(charted.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn charted() -> Charted {
        Charted {
            series: vec![],
            resolution: Resolution {
                every_seconds: None,
                now_ms: 0,
            },
            points_last_hour: 0,
            points_last_day: 0,
        }
    }

    #[tokio::test]
    async fn one_read_per_key_however_many_ask_and_failures_are_not_kept() {
        let cache = Arc::new(ChartCache::default());
        let reads = Arc::new(AtomicUsize::new(0));
        let key = || ("dev-1".to_string(), "1h".to_string(), 7);
        let mut viewers = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let (cache, reads) = (cache.clone(), reads.clone());
            viewers.spawn(async move {
                cache
                    .get_or_read(key(), || async {
                        reads.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        Ok(charted())
                    })
                    .await
                    .unwrap();
            });
        }
        viewers.join_all().await;
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        let failed = cache
            .get_or_read(("dev-2".into(), "1h".into(), 7), || async {
                Err(Error::Unavailable("away".into()))
            })
            .await;
        assert!(failed.is_err());
        let retried = cache
            .get_or_read(("dev-2".into(), "1h".into(), 7), || async { Ok(charted()) })
            .await;
        assert!(retried.is_ok());
    }
}
