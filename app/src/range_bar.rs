//! The time range and live refresh of a dashboard, kept in the URL (`range`, `from`, `to`,
//! `refresh`) so a view can be shared and survives a reload; links change only those keys.

use crate::components::run_every;
use crate::models::{AppError, RangeChoice, TimeWindow, WindowParams};
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};
use leptos_router::params::ParamsMap;
use std::time::Duration;

/// The range and refresh the URL asks for.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RangeSelection {
    /// A preset label (`1h`) or `custom`.
    pub range: String,
    /// `YYYY-MM-DDTHH:MM` (UTC) when custom.
    pub from: String,
    pub to: String,
    /// A [`REFRESH`] label.
    pub refresh: String,
}

/// Live refresh choices: (label, seconds; 0 is off).
pub const REFRESH: [(&str, u64); 4] = [("off", 0), ("5s", 5), ("30s", 30), ("1m", 60)];

impl RangeSelection {
    /// The window the URL asks for; a custom range the user mistyped says what is wrong.
    pub fn window(&self) -> Result<TimeWindow, AppError> {
        let custom = self.range == "custom";
        TimeWindow::parse(&WindowParams {
            range: self.range.clone(),
            from: custom.then(|| self.from.clone()),
            to: custom.then(|| self.to.clone()),
        })
        .map_err(AppError::Invalid)
    }

    pub fn describe(&self) -> String {
        if self.range == "custom" {
            format!(
                "from {} to {} UTC",
                self.from.replace('T', " "),
                self.to.replace('T', " ")
            )
        } else {
            format!("in the last {}", self.range)
        }
    }

    fn refresh_every(&self) -> Option<Duration> {
        REFRESH
            .iter()
            .find(|(label, s)| *label == self.refresh && *s > 0)
            .map(|(_, s)| Duration::from_secs(*s))
    }
}

/// The selection in the current URL; an unknown range reads as `1h`, an unknown refresh as off.
pub fn use_range() -> Memo<RangeSelection> {
    let query = use_query_map();
    Memo::new(move |_| {
        let q = query.read();
        let get = |k: &str| q.get(k).unwrap_or_default();
        RangeSelection {
            range: q
                .get("range")
                .filter(|r| r == "custom" || RangeChoice::parse(r).is_some())
                .unwrap_or_else(|| "1h".into()),
            from: get("from"),
            to: get("to"),
            refresh: q
                .get("refresh")
                .filter(|r| REFRESH.iter().any(|(label, _)| label == r))
                .unwrap_or_else(|| "off".into()),
        }
    })
}

/// Builds links to the current page with some query keys changed.
#[derive(Clone, Copy)]
pub struct UrlEditor {
    path: Memo<String>,
    query: Memo<ParamsMap>,
}

pub fn use_url_editor() -> UrlEditor {
    let location = use_location();
    UrlEditor {
        path: location.pathname,
        query: location.query,
    }
}

impl UrlEditor {
    /// The current URL with `changes` applied (an empty value removes its key); the paging
    /// is reset unless `changes` sets it.
    pub fn with(&self, changes: &[(&'static str, String)]) -> String {
        Self::build(self.path.get(), self.query.get(), changes)
    }

    /// [`with`](Self::with) for event handlers, which do not track the URL.
    pub fn with_untracked(&self, changes: &[(&'static str, String)]) -> String {
        Self::build(
            self.path.get_untracked(),
            self.query.get_untracked(),
            changes,
        )
    }

    fn build(path: String, mut query: ParamsMap, changes: &[(&'static str, String)]) -> String {
        query.remove("page");
        for (key, value) in changes {
            if value.is_empty() {
                query.remove(key);
            } else {
                query.replace(*key, value.clone());
            }
        }
        format!("{path}{}", query.to_query_string())
    }
}

/// A counter that goes up at the URL's refresh rate, in the browser only: data that depends on
/// it reloads in place, and the chosen range stays as it is.
pub fn use_refresh_tick(selection: Memo<RangeSelection>) -> ReadSignal<u64> {
    let (tick, set_tick) = signal(0u64);
    Effect::new(move |_| {
        if let Some(every) = selection.read().refresh_every() {
            run_every(every, move || set_tick.update(|t| *t += 1));
        }
    });
    tick
}

/// Preset buttons, a custom UTC range and the live refresh choice.
#[component]
pub fn RangeBar(selection: Memo<RangeSelection>) -> impl IntoView {
    let navigate = use_navigate();
    let url = use_url_editor();
    let (from, set_from) = signal(String::new());
    let (to, set_to) = signal(String::new());
    Effect::new(move |_| {
        let s = selection.get();
        set_from.set(s.from);
        set_to.set(s.to);
    });
    let go_custom = {
        let navigate = navigate.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            navigate(
                &url.with_untracked(&[
                    ("range", "custom".into()),
                    ("from", from.get_untracked()),
                    ("to", to.get_untracked()),
                ]),
                Default::default(),
            );
        }
    };
    let set_refresh = move |ev| {
        navigate(
            &url.with_untracked(&[("refresh", event_target_value(&ev))]),
            Default::default(),
        )
    };
    view! {
        <div class="range-bar">
            <div class="ranges" role="group" aria-label="Time range">
                {RangeChoice::ALL.into_iter().map(|r| {
                    let label = r.label();
                    view! {
                        <a class=move || if selection.read().range == label { "range active" } else { "range" }
                            href=move || url.with(&[("range", label.into()), ("from", String::new()), ("to", String::new())])>{label}</a>
                    }
                }).collect_view()}
            </div>
            <form class="custom-range" on:submit=go_custom>
                <label for="from">"From"</label>
                <input id="from" type="datetime-local" prop:value=from on:input=move |ev| set_from.set(event_target_value(&ev))/>
                <label for="to">"to (UTC)"</label>
                <input id="to" type="datetime-local" prop:value=to on:input=move |ev| set_to.set(event_target_value(&ev))/>
                <button type="submit" class=move || if selection.read().range == "custom" { "" } else { "secondary" }
                    disabled=move || from.read().is_empty() || to.read().is_empty()>"Apply"</button>
            </form>
            <label class="refresh">
                "Refresh "
                <select id="refresh" on:change=set_refresh>
                    {REFRESH.into_iter().map(|(label, _)| view! {
                        <option value=label selected=move || selection.read().refresh == label>{label}</option>
                    }).collect_view()}
                </select>
            </label>
        </div>
    }
}
