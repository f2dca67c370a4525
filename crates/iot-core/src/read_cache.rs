//! Reads kept while their step lasts, keyed by (device, what, step number): a dashboard's
//! charts while its window's step lasts (5 s for an hour, 2 min for a day), a device's latest
//! values for a second; a device's records and the cells of dashboards users build while the
//! step lasts too. The gateway ends what was read of a device when it takes its next points,
//! so a page opened after a write shows it. Many viewers
//! refreshing one dashboard cost one read per step, not one each; viewers that miss at once
//! wait for the one read in flight.

use crate::Error;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// Reads kept at most; past it, older steps go.
const MAX_ENTRIES: usize = 1_024;

/// (the devices read, comma-separated, what was read of them, the step it was read in,
/// counted since 1970).
pub type Key = (String, String, i64);

pub struct ReadCache<V> {
    entries: Mutex<HashMap<Key, Arc<OnceCell<Arc<V>>>>>,
}

impl<V> Default for ReadCache<V> {
    fn default() -> Self {
        ReadCache {
            entries: Mutex::default(),
        }
    }
}

impl<V> ReadCache<V> {
    /// What is kept under `key`, read by `read` if no one has (a failed read is not kept).
    pub async fn get_or_read<F, Fut>(&self, key: Key, read: F) -> Result<Arc<V>, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, Error>>,
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
        let value = cell
            .get_or_try_init(|| async { read().await.map(Arc::new) })
            .await?;
        Ok(value.clone())
    }

    /// New points of `device` arrived: what was read of it before, alone or with other
    /// devices, is read again.
    pub fn forget(&self, device: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|k, _| !k.0.split(',').any(|d| d == device));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn one_read_per_key_however_many_ask_and_failures_are_not_kept() {
        let cache = Arc::new(ReadCache::<u32>::default());
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
                        Ok(7)
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
            .get_or_read(("dev-2".into(), "1h".into(), 7), || async { Ok(7) })
            .await;
        assert!(retried.is_ok());
    }

    #[tokio::test]
    async fn a_device_is_forgotten_alone_and_among_others() {
        let cache = ReadCache::<u32>::default();
        let reads = AtomicUsize::new(0);
        let read = |devices: &str| {
            let key = (devices.to_string(), "5m".to_string(), 1);
            cache.get_or_read(key, || async {
                reads.fetch_add(1, Ordering::SeqCst);
                Ok(1)
            })
        };
        for devices in ["dev-1", "dev-0,dev-1", "dev-10", "dev-2"] {
            read(devices).await.unwrap();
        }
        cache.forget("dev-1");
        for devices in ["dev-1", "dev-0,dev-1", "dev-10", "dev-2"] {
            read(devices).await.unwrap();
        }
        assert_eq!(
            reads.load(Ordering::SeqCst),
            4 + 2,
            "dev-1's two reads again, not dev-10's"
        );
    }
}
