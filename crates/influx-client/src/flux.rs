//! Building Flux safely: every string that goes into a query passes through [`string`]; time
//! ranges are typed values that write their own `range()` call.

use chrono::{DateTime, SecondsFormat, Utc};
use std::time::Duration;

/// `s` as a Flux string literal: `"` and `\` are escaped, and `${` cannot start an
/// interpolation, so no input can change the query around it.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A bound of a time range.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RangeBound {
    /// This long before the query's `now()`.
    Ago(Duration),
    At(DateTime<Utc>),
}

impl RangeBound {
    fn flux(&self) -> String {
        match self {
            RangeBound::Ago(d) => format!("-{}s", d.as_secs().max(1)),
            RangeBound::At(t) => t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        }
    }
}

/// A time range `[start, stop)`; no stop means now.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeRange {
    pub start: RangeBound,
    pub stop: Option<RangeBound>,
}

impl TimeRange {
    /// From `t` on.
    pub fn since(t: DateTime<Utc>) -> TimeRange {
        TimeRange {
            start: RangeBound::At(t),
            stop: None,
        }
    }

    pub fn last(d: Duration) -> TimeRange {
        TimeRange {
            start: RangeBound::Ago(d),
            stop: None,
        }
    }
    /// The range's start and stop as of `now`.
    pub fn resolve(&self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let at = |bound: &RangeBound| match bound {
            RangeBound::Ago(d) => now - chrono::Duration::from_std(*d).unwrap_or_default(),
            RangeBound::At(t) => *t,
        };
        (at(&self.start), self.stop.as_ref().map_or(now, at))
    }

    /// The range as a Flux `range(start:, stop:)` call.
    pub fn flux(&self) -> String {
        match &self.stop {
            Some(stop) => format!("range(start: {}, stop: {})", self.start.flux(), stop.flux()),
            None => format!("range(start: {})", self.start.flux()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_escape_quotes_backslashes_and_interpolation() {
        assert_eq!(string(r#"a"b\c${d}$e"#), r#""a\"b\\c\${d}$e""#);
        assert_eq!(string(""), "\"\"");
    }

    #[test]
    fn ranges_write_their_call() {
        let last_hour = TimeRange::last(Duration::from_secs(3600));
        assert_eq!(last_hour.flux(), "range(start: -3600s)");
        let fixed = TimeRange {
            start: RangeBound::At(DateTime::from_timestamp(0, 0).unwrap()),
            stop: Some(RangeBound::At(DateTime::from_timestamp(90, 0).unwrap())),
        };
        assert_eq!(
            fixed.flux(),
            "range(start: 1970-01-01T00:00:00Z, stop: 1970-01-01T00:01:30Z)"
        );
    }
}
