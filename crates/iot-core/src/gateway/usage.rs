//! What each device has used of its [`Bounds`]: the series and field names it has written
//! since this server started, and its points-per-second allowance (a token bucket). A request
//! is admitted whole or not at all, and a refused one uses up nothing.

use super::lines::Checked;
use super::{Bounds, Refused};
use iot_models::DeviceId;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Default)]
pub struct Usage(Mutex<HashMap<DeviceId, Used>>);

struct Used {
    series: HashSet<u64>,
    fields: HashSet<u64>,
    /// Points the device may send now, and when that was worked out.
    allowance: f64,
    at: Instant,
}

impl Usage {
    /// Admits `checked` for device `id`, or says which bound it would pass.
    pub fn admit(&self, bounds: &Bounds, id: &DeviceId, checked: &Checked) -> Result<(), Refused> {
        self.admit_at(bounds, id, checked, Instant::now())
    }

    fn admit_at(
        &self,
        bounds: &Bounds,
        id: &DeviceId,
        checked: &Checked,
        now: Instant,
    ) -> Result<(), Refused> {
        let mut devices = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let used = devices.entry(id.clone()).or_insert_with(|| Used {
            series: HashSet::new(),
            fields: HashSet::new(),
            allowance: bounds.burst as f64,
            at: now,
        });
        let new_series = checked.series.difference(&used.series).count();
        if used.series.len() + new_series > bounds.max_series {
            return Err(Refused::Forbidden(format!(
                "device {id} would write {} series; its limit is {}",
                used.series.len() + new_series,
                bounds.max_series
            )));
        }
        let new_fields = checked.fields.difference(&used.fields).count();
        if used.fields.len() + new_fields > bounds.max_fields {
            return Err(Refused::Forbidden(format!(
                "device {id} would write {} field names; its limit is {}",
                used.fields.len() + new_fields,
                bounds.max_fields
            )));
        }
        let rate = bounds.points_per_second as f64;
        let elapsed = now.saturating_duration_since(used.at).as_secs_f64();
        used.allowance = (used.allowance + elapsed * rate).min(bounds.burst as f64);
        used.at = now;
        let wanted = checked.lines as f64;
        if wanted > used.allowance {
            let wait = Duration::from_secs_f64((wanted - used.allowance) / rate);
            return Err(Refused::TooMany {
                message: format!(
                    "device {id} may write {} points per second (bursts of {}); try again in {:.1} s",
                    bounds.points_per_second,
                    bounds.burst,
                    wait.as_secs_f64()
                ),
                retry_after: wait,
            });
        }
        used.allowance -= wanted;
        used.series.extend(&checked.series);
        used.fields.extend(&checked.fields);
        Ok(())
    }

    pub fn forget(&self, id: &DeviceId) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(
        lines: usize,
        series: impl IntoIterator<Item = u64>,
        fields: impl IntoIterator<Item = u64>,
    ) -> Checked {
        Checked {
            lines,
            series: series.into_iter().collect(),
            fields: fields.into_iter().collect(),
            ..Checked::default()
        }
    }

    #[test]
    fn series_and_fields_are_bounded_at_and_past_their_limit() {
        let bounds = Bounds {
            max_series: 3,
            max_fields: 2,
            ..Bounds::default()
        };
        let id = DeviceId::parse("d").unwrap();
        let usage = Usage::default();
        assert!(usage.admit(&bounds, &id, &checked(1, [1, 2], [1])).is_ok());
        // Past the limit: refused, and nothing of it counted.
        assert!(
            matches!(usage.admit(&bounds, &id, &checked(1, [3, 4], [1])), Err(Refused::Forbidden(m)) if m.contains("4 series"))
        );
        assert!(usage
            .admit(&bounds, &id, &checked(1, [2, 3], [1, 2]))
            .is_ok());
        assert!(usage
            .admit(&bounds, &id, &checked(1, [1, 2, 3], [2]))
            .is_ok());
        assert!(
            matches!(usage.admit(&bounds, &id, &checked(1, [1], [3])), Err(Refused::Forbidden(m)) if m.contains("3 field names"))
        );
        // Other devices have bounds of their own.
        assert!(usage
            .admit(
                &bounds,
                &DeviceId::parse("e").unwrap(),
                &checked(1, [7, 8, 9], [5, 6])
            )
            .is_ok());
    }

    #[test]
    fn the_rate_is_a_token_bucket_that_refills() {
        let bounds = Bounds {
            points_per_second: 10,
            burst: 100,
            max_lines: 100,
            ..Bounds::default()
        };
        let id = DeviceId::parse("d").unwrap();
        let usage = Usage::default();
        let t0 = Instant::now();
        assert!(usage
            .admit_at(&bounds, &id, &checked(100, [1], [1]), t0)
            .is_ok());
        let refused = usage
            .admit_at(&bounds, &id, &checked(5, [1], [1]), t0)
            .unwrap_err();
        assert_eq!(refused.status(), 429);
        assert_eq!(refused.retry_after(), Some(1));
        // Half a second later five points are back, and not one more.
        let later = t0 + Duration::from_millis(500);
        assert!(usage
            .admit_at(&bounds, &id, &checked(5, [1], [1]), later)
            .is_ok());
        assert!(usage
            .admit_at(&bounds, &id, &checked(1, [1], [1]), later)
            .is_err());
        // A long quiet spell refills to the burst, never past it.
        let much_later = t0 + Duration::from_secs(3600);
        assert!(usage
            .admit_at(&bounds, &id, &checked(100, [1], [1]), much_later)
            .is_ok());
        assert!(usage
            .admit_at(&bounds, &id, &checked(1, [1], [1]), much_later)
            .is_err());
    }
}
