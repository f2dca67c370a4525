//! Small pieces every page uses: error banners, loading text, time and number formatting.

use crate::models::{AppError, Resolution};
use leptos::prelude::*;
use std::time::Duration;

/// An error as the user should see it; InfluxDB being away gets a banner of its own.
#[component]
pub fn ErrorBanner(error: AppError) -> impl IntoView {
    let (class, title) = match &error {
        AppError::Unavailable(_) => (
            "banner error",
            "InfluxDB is unreachable — showing nothing until it is back.",
        ),
        AppError::Invalid(_) => ("banner warn", "Please check your input."),
        AppError::NotFound(_) => ("banner warn", "Not found."),
        _ => ("banner error", "Something went wrong."),
    };
    view! {
        <div class=class role="alert">
            <strong>{title}</strong>
            " "
            <span>{error.to_string()}</span>
        </div>
    }
}

/// Shows `Ok` values with `ok`, errors as a banner.
pub fn show<T: 'static>(result: Result<T, AppError>, ok: impl FnOnce(T) -> AnyView) -> AnyView {
    match result {
        Ok(v) => ok(v),
        Err(e) => view! { <ErrorBanner error=e/> }.into_any(),
    }
}

#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="muted">"Loading…"</p> }
}

/// `2026-11-28T01:01:25.129Z` → `2026-11-28 01:01:25 UTC`: the same text on server and browser.
pub fn format_time(rfc3339: &str) -> String {
    match rfc3339.split_once('T') {
        Some((date, rest)) => format!("{date} {} UTC", rest.get(..8).unwrap_or(rest)),
        None => rfc3339.to_string(),
    }
}

/// When something was saved or made, and by whom: `2026-11-28 01:01:25 UTC by alice`.
pub fn format_by(rfc3339: &str, who: &str) -> String {
    format!("{} by {who}", format_time(rfc3339))
}

/// A duration in words: `12 s`, `5 min`, `3 h`, `2 d`.
pub fn format_duration(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3_600 => format!("{} min", s / 60),
        s if s < 86_400 => format!("{} h", s / 3_600),
        s => format!("{} d", s / 86_400),
    }
}

/// Seconds since something happened, in words: `just now`, `12 s ago`, `5 min ago`.
pub fn format_age(seconds: i64) -> String {
    if seconds < 1 {
        "just now".into()
    } else {
        format!("{} ago", format_duration(seconds))
    }
}

/// Milliseconds since the epoch as `2026-11-28 01:01 UTC`.
pub fn format_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// A measured value with at most two decimals, without trailing zeros: `21.5`, `1013.25`, `400`.
/// Rounded, then printed shortest: formatting to exactly two places (`{:.2}`) was a third of
/// rendering a page of records.
pub fn format_value(v: f64) -> String {
    let rounded = (v * 100.0).round() / 100.0;
    if rounded == 0.0 {
        "0".into() // not `-0`
    } else if rounded.is_finite() {
        rounded.to_string()
    } else {
        v.to_string() // too large to scale: already whole
    }
}

/// How a chart's points were read: `raw points` or `means of 2 min`.
pub fn resolution_text(r: &Resolution) -> String {
    match r.every_seconds {
        None => "raw points".into(),
        Some(s) if s % 86_400 == 0 => format!("means of {} d", s / 86_400),
        Some(s) if s % 3_600 == 0 => format!("means of {} h", s / 3_600),
        Some(s) if s % 60 == 0 => format!("means of {} min", s / 60),
        Some(s) => format!("means of {s} s"),
    }
}

/// Calls `f` every `period` in the browser until the reactive owner (a component or an
/// effect's run) ends. Does nothing on the server.
pub fn run_every(period: Duration, f: impl Fn() + 'static) {
    if let Ok(handle) = set_interval_with_handle(f, period) {
        on_cleanup(move || handle.clear());
    }
}

/// A count that goes up every `period` in the browser (never on the server): a resource
/// that reads it is fetched again that often.
pub fn ticks(period: Duration) -> ReadSignal<u64> {
    let (tick, set_tick) = signal(0u64);
    Effect::new(move |_| run_every(period, move || set_tick.update(|t| *t += 1)));
    tick
}

/// How often the fleet's views (the device list, a device's header, the Overview) look
/// again: the fleet index itself is at most this old for writes that bypass the gateway.
pub const FLEET_REFRESH: Duration = Duration::from_secs(5);

/// Retention in words: `forever`, `7 days`, `1 hour`.
pub fn format_retention(seconds: i64) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    match seconds {
        0 => "forever".into(),
        s if s % 86_400 == 0 => plural(s / 86_400, "day"),
        s if s % 3_600 == 0 => plural(s / 3_600, "hour"),
        s => plural(s, "second"),
    }
}

/// An alert's level (`crit`, `warn`, `info`) as a coloured badge.
pub fn level_badge(level: String) -> impl IntoView {
    let class = match level.as_str() {
        "crit" => "badge bad",
        "warn" => "badge warn",
        _ => "badge user",
    };
    view! { <span class=class>{level}</span> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_retentions_read_well() {
        assert_eq!(
            format_time("2026-11-28T01:01:25.129Z"),
            "2026-11-28 01:01:25 UTC"
        );
        assert_eq!(format_retention(0), "forever");
        assert_eq!(format_retention(604_800), "7 days");
        assert_eq!(format_retention(3_600), "1 hour");
        assert_eq!(format_retention(90), "90 seconds");
    }

    #[test]
    fn ages_values_and_resolutions_read_well() {
        assert_eq!(format_age(0), "just now");
        assert_eq!(format_age(12), "12 s ago");
        assert_eq!(format_age(60), "1 min ago");
        assert_eq!(format_age(3_599), "59 min ago");
        assert_eq!(format_age(7_200), "2 h ago");
        assert_eq!(format_age(90_000), "1 d ago");
        assert_eq!(format_duration(1_800), "30 min");
        assert_eq!(format_ms(1_764_291_600_000), "2025-11-28 01:00 UTC");
        assert_eq!(format_value(21.5), "21.5");
        assert_eq!(format_value(1013.254), "1013.25");
        assert_eq!(format_value(400.0), "400");
        assert_eq!(format_value(-0.001), "0");
        assert_eq!(format_value(20.299999999999997), "20.3");
        assert_eq!(format_value(-3.14159), "-3.14");
        assert_eq!(format_value(1e20), "100000000000000000000");
        assert_eq!(format_value(f64::NAN), "NaN");
        let r = |every_seconds| Resolution {
            every_seconds,
            now_ms: 0,
        };
        assert_eq!(resolution_text(&r(None)), "raw points");
        assert_eq!(resolution_text(&r(Some(120))), "means of 2 min");
        assert_eq!(resolution_text(&r(Some(3_600))), "means of 1 h");
        assert_eq!(resolution_text(&r(Some(5))), "means of 5 s");
    }
}
