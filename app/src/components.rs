//! Small pieces every page uses: error banners, loading text, time formatting.

use crate::models::AppError;
use leptos::prelude::*;

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
}
