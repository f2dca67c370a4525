//! Password hashing on threads of its own, a few at a time. Argon2 takes about 19 MiB and
//! tens of milliseconds per hash by design: a flood of sign-ins waits here, briefly, and is
//! then refused, instead of taking the memory and the blocking threads everything else
//! (the embedded store among them) uses.

use crate::Error;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;
use tokio::sync::{oneshot, Semaphore};

/// Hashes at once: one per core of the machines this runs on.
pub const HASHERS: usize = 2;
/// How long a hash may wait for a free hasher before it is refused as busy.
pub const WAIT: Duration = Duration::from_secs(2);
/// Hashes that may wait at all; past it a request is refused at once.
const WAITING: usize = 32;

type Job = Box<dyn FnOnce() + Send>;

pub struct PasswordPool {
    hashers: Arc<Semaphore>,
    waiting: Arc<Semaphore>,
    jobs: Mutex<mpsc::Sender<Job>>,
}

impl Default for PasswordPool {
    fn default() -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..HASHERS {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("password-{n}"))
                .spawn(move || loop {
                    let job = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                });
            if let Err(e) = spawned {
                tracing::error!("starting a password hasher: {e}");
            }
        }
        PasswordPool {
            hashers: Arc::new(Semaphore::new(HASHERS)),
            waiting: Arc::new(Semaphore::new(WAITING)),
            jobs: Mutex::new(jobs),
        }
    }
}

fn busy() -> Error {
    Error::Busy("too many sign-ins at once: try again in a moment".into())
}

impl PasswordPool {
    /// Runs `hash` on a hasher thread once one is free, within [`WAIT`].
    pub async fn run<T: Send + 'static>(
        &self,
        hash: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Error> {
        let _waiting = self
            .waiting
            .clone()
            .try_acquire_owned()
            .map_err(|_| busy())?;
        let hasher = tokio::time::timeout(WAIT, self.hashers.clone().acquire_owned())
            .await
            .map_err(|_| busy())?
            .map_err(|_| busy())?;
        let (done, answer) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(hash());
            drop(hasher);
        });
        self.jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send(job)
            .map_err(|_| Error::Internal("the password hashers have stopped".into()))?;
        answer
            .await
            .map_err(|_| Error::Internal("a password hash failed".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[tokio::test]
    async fn at_most_two_at_once_then_a_short_wait_then_busy() {
        let pool = Arc::new(PasswordPool::default());
        let slow = |ms: u64| move || std::thread::sleep(Duration::from_millis(ms));
        // Two long hashes hold both hashers past the wait: a third is refused as busy.
        let a = tokio::spawn({
            let p = pool.clone();
            async move { p.run(slow(3_000)).await }
        });
        let b = tokio::spawn({
            let p = pool.clone();
            async move { p.run(slow(3_000)).await }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let started = Instant::now();
        let third = pool.run(|| 1).await;
        assert!(matches!(third, Err(Error::Busy(_))), "{third:?}");
        assert!(started.elapsed() >= WAIT);
        a.await.unwrap().unwrap();
        b.await.unwrap().unwrap();
        // Free again: it runs, on a hasher thread of its own.
        let name = pool
            .run(|| std::thread::current().name().map(str::to_string))
            .await
            .unwrap();
        assert!(name.is_some_and(|n| n.starts_with("password-")));
    }
}
