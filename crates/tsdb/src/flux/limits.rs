//! Bounds on one query, so that no query can exhaust the process: how deep its expressions
//! and calls nest, how long it runs, how many rows it reads and makes, how many bytes of
//! values (strings, arrays, records) it builds.

use super::FluxError;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// Deepest nesting of expressions (parser) and of evaluation and calls (evaluator).
    pub max_depth: usize,
    /// How long a query may run.
    pub timeout: Duration,
    /// How many rows a query may read from storage and make in its tables, all told.
    pub max_rows: usize,
    /// How many bytes of strings, arrays and records a query may build, all told (what it
    /// reads is bounded by `max_rows`).
    pub max_bytes: usize,
}

impl Default for Limits {
    /// Far past any dashboard: a 30-day, five-field dashboard reads 216,000 rows in ~35 ms
    /// and nests under 20 deep.
    fn default() -> Self {
        Limits {
            max_depth: 1_000,
            timeout: Duration::from_secs(60),
            max_rows: 20_000_000,
            max_bytes: 256 << 20,
        }
    }
}

/// What a running query has used of its limits; shared with the threads that read storage.
#[derive(Debug)]
pub struct Budget {
    limits: Limits,
    deadline: Instant,
    rows: AtomicUsize,
    bytes: AtomicUsize,
}

impl Budget {
    pub fn new(limits: Limits) -> Budget {
        Budget {
            limits,
            deadline: Instant::now() + limits.timeout,
            rows: AtomicUsize::new(0),
            bytes: AtomicUsize::new(0),
        }
    }

    pub fn max_depth(&self) -> usize {
        self.limits.max_depth
    }

    /// The rows counted so far.
    pub fn rows(&self) -> usize {
        self.rows.load(Ordering::Relaxed)
    }

    /// Counts `rows` more; fails once the query is past its row limit or its time.
    pub fn charge(&self, rows: usize) -> Result<(), FluxError> {
        let total = self.rows.fetch_add(rows, Ordering::Relaxed) + rows;
        if total > self.limits.max_rows {
            return Err(FluxError::Invalid(format!(
                "query exceeded its limit of {} rows",
                self.limits.max_rows
            )));
        }
        self.check_time()
    }

    /// Counts `bytes` more of values the query builds, before it builds them; fails past
    /// its memory limit.
    pub fn charge_bytes(&self, bytes: usize) -> Result<(), FluxError> {
        let add = |b: usize| Some(b.saturating_add(bytes));
        let before = self
            .bytes
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, add)
            .unwrap_or_default();
        let total = before.saturating_add(bytes);
        if total > self.limits.max_bytes {
            return Err(FluxError::Invalid(format!(
                "query exceeded its memory limit of {} MiB (the strings, arrays and records it builds)",
                self.limits.max_bytes >> 20
            )));
        }
        Ok(())
    }

    pub fn check_time(&self) -> Result<(), FluxError> {
        if Instant::now() > self.deadline {
            return Err(FluxError::Invalid(format!(
                "query exceeded its time limit of {} s",
                self.limits.timeout.as_secs_f64()
            )));
        }
        Ok(())
    }

    /// The error of an evaluation nested past the depth limit.
    pub fn too_deep(&self) -> FluxError {
        FluxError::Invalid(format!(
            "evaluation nested deeper than the limit of {} (unbounded recursion?)",
            self.limits.max_depth
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_counted_up_to_the_limit() {
        let budget = Budget::new(Limits {
            max_rows: 10,
            ..Limits::default()
        });
        assert!(budget.charge(6).is_ok());
        assert!(budget.charge(4).is_ok());
        let err = budget.charge(1).unwrap_err().to_string();
        assert_eq!(err, "query exceeded its limit of 10 rows");
    }

    #[test]
    fn bytes_are_counted_up_to_the_limit() {
        let budget = Budget::new(Limits {
            max_bytes: 2 << 20,
            ..Limits::default()
        });
        assert!(budget.charge_bytes(2 << 20).is_ok());
        let err = budget.charge_bytes(1).unwrap_err().to_string();
        assert!(
            err.starts_with("query exceeded its memory limit of 2 MiB"),
            "{err}"
        );
        assert!(budget.charge_bytes(usize::MAX).is_err());
    }

    #[test]
    fn time_runs_out() {
        let budget = Budget::new(Limits {
            timeout: Duration::ZERO,
            ..Limits::default()
        });
        std::thread::sleep(Duration::from_millis(2));
        assert!(budget.check_time().is_err());
        assert!(budget.charge(0).is_err());
    }
}
