//! A device's dashboard, on its page and on the Query page: the range bar, a tile with the
//! latest value of each field and its age, a chart per field, and a CSV download of what is
//! shown. Charts stay in place when live refresh brings new data. In a live window (10 s to
//! 5 min) the points the server pushes are drawn as they arrive (`live.rs`), without
//! re-reading; while the push is down, the dashboard is read again every 2 s instead.

use super::dashboard_live::LiveState;
use crate::api::device_dashboard;
use crate::charts::{Lines, TimeChart};
use crate::components::{
    format_age, format_duration, format_ms, format_value, resolution_text, run_every, ErrorBanner,
    Loading,
};
use crate::live::{use_live, LiveFeed};
use crate::models::{device_id, unit, AppError, Dashboard, DeviceStatus, LastValue, RangeChoice};
use crate::range_bar::{use_range, use_refresh_tick, RangeBar};
use leptos::prelude::*;

type DashboardResource = Resource<Result<Dashboard, AppError>>;

/// The device's standard charts; `hidden` (read in a `Transition`, so it may be a resource)
/// leaves them out, for a dashboard drawn in their place.
#[component]
pub fn DeviceDashboardPanel(
    #[prop(into)] device: Signal<String>,
    #[prop(optional, into)] hidden: Signal<bool>,
) -> impl IntoView {
    let selection = use_range();
    let tick = use_refresh_tick(selection);
    let data = Resource::new(
        move || (device.get(), selection.get(), tick.get()),
        |(device, s, _)| async move {
            let id = device_id(&device)?;
            device_dashboard(id, s.window()?).await
        },
    );
    let live_window =
        Memo::new(move |_| RangeChoice::parse(&selection.get().range).filter(|r| r.is_live()));
    let feed = use_live(device, Signal::derive(move || live_window.get().is_some()));
    Effect::new(move |_| {
        run_every(std::time::Duration::from_secs(2), move || {
            if live_window.get_untracked().is_some() && !feed.connected.get_untracked() {
                data.refetch();
            }
        })
    });
    // A field the charts do not have yet: read the dashboard again to chart it.
    Effect::new(move |_| {
        let charted = data.with(|d| match d {
            Some(Ok(d)) => Some(d.series.iter().map(|s| s.field.clone()).collect::<Vec<_>>()),
            _ => None,
        });
        let new = charted.is_some_and(|charted| {
            feed.points
                .with(|p| p.iter().any(|p| !charted.contains(&p.field)))
        });
        if new {
            data.refetch();
        }
    });
    let window_ms = Signal::derive(move || live_window.get().map(|r| r.seconds() as i64 * 1_000));
    view! {
        <Transition fallback=Loading>
            {move || (!hidden.get()).then(|| view! {
                <section class="card dashboard">
                    <RangeBar selection/>
                    {move || live_window.get().map(|_| view! { <LiveState feed meanwhile="read every 2 s meanwhile"/> })}
                    <Transition fallback=Loading>
                        <DashboardBody data feed window_ms/>
                    </Transition>
                </section>
            })}
        </Transition>
    }
}

/// One field's line: what was read, then the points pushed since that are newer, within the
/// live window (counted back from the newest point) when there is one.
fn field_line(
    d: Option<&Dashboard>,
    live: &[crate::models::LivePoint],
    field: &str,
    window_ms: Option<i64>,
) -> Lines {
    let mut rows: Vec<(i64, f64)> = d
        .iter()
        .flat_map(|d| &d.series)
        .filter(|s| s.field == field)
        .flat_map(|s| s.points.iter().copied())
        .collect();
    crate::models::join_live(&mut rows, live, field, window_ms);
    Lines::one(rows.into_iter())
}

/// Rebuilt only when what is charted changes; each chart and tile follows the data itself.
#[component]
fn DashboardBody(
    data: DashboardResource,
    feed: LiveFeed,
    window_ms: Signal<Option<i64>>,
) -> impl IntoView {
    let fields = Memo::new(move |_| {
        data.with(|r| {
            r.as_ref().map(|r| {
                let fields =
                    |d: &Dashboard| d.series.iter().map(|s| s.field.clone()).collect::<Vec<_>>();
                r.as_ref().map(fields).map_err(Clone::clone)
            })
        })
    });
    // One copy of the data for every chart, tile and line to borrow: a derived signal would
    // copy all its points for each of them (a 24 h page read it 14 times while rendering).
    let dashboard: Signal<Option<Dashboard>> =
        Memo::new(move |_| data.with(|r| r.as_ref().and_then(|r| r.as_ref().ok()).cloned())).into();
    move || {
        fields.get().map(|r| match r {
            Err(error) => view! { <ErrorBanner error/> }.into_any(),
            Ok(fields) if fields.is_empty() => view! {
                <ActiveAlerts dashboard/>
                <Tiles dashboard feed/>
                <ActivityLine dashboard/>
                <p class="muted empty" data-testid="no-data">
                    "No data in this range — write some on the " <a href="/write">"Write data"</a> " page."
                </p>
            }
            .into_any(),
            Ok(fields) => {
                // The range can change while the fields (and so this view) stay.
                let csv = move || dashboard.with(|d| d.as_ref().and_then(|d| d.export_href.clone()));
                let charts = fields
                    .into_iter()
                    .map(|field| {
                        let lines = {
                            let field = field.clone();
                            Signal::derive(move || {
                                let window = window_ms.get();
                                dashboard.with(|d| {
                                    feed.points.with(|live| field_line(d.as_ref(), live, &field, window))
                                })
                            })
                        };
                        let marks = {
                            let field = field.clone();
                            Signal::derive(move || {
                                dashboard.with(|d| {
                                    let marks = d.iter().flat_map(|d| &d.marks).find(|(f, _, _)| *f == field);
                                    marks.map(|(_, lines, spans)| (lines.clone(), spans.clone())).unwrap_or_default()
                                })
                            })
                        };
                        view! { <TimeChart title=field.clone() unit=unit(&field) names=vec![field.clone()] lines marks/> }
                    })
                    .collect_view();
                view! {
                    <ActiveAlerts dashboard/>
                    <Tiles dashboard feed/>
                    <div class="charts" data-testid="charts">{charts}</div>
                    <ActivityLine dashboard/>
                    <p class="chart-foot muted">
                        {move || dashboard.with(|d| d.as_ref().map(|d| resolution_text(&d.resolution)))}
                        " · "
                        <a href=csv rel="external" download data-testid="csv-download">"Download CSV"</a>
                    </p>
                }
                .into_any()
            }
        })
    }
}

/// What fires (or is about to) for the device now, firing first.
#[component]
fn ActiveAlerts(dashboard: Signal<Option<Dashboard>>) -> impl IntoView {
    move || {
        let active = dashboard.with(|d| d.as_ref().map(|d| d.alerts.clone()).unwrap_or_default());
        (!active.is_empty()).then(|| {
            let items = active
                .into_iter()
                .map(|(class, said)| view! { <li class=class>{said}</li> });
            view! {
                <ul class="device-alerts" data-testid="device-alerts">
                    {items.collect_view()}
                    <li class="more"><a href="/alerts">"All alerts →"</a></li>
                </ul>
            }
        })
    }
}

/// Points written lately, and the gaps in the range (none to tell of when the range holds
/// no data: the empty state says so).
#[component]
fn ActivityLine(dashboard: Signal<Option<Dashboard>>) -> impl IntoView {
    move || {
        dashboard.with(|d| {
            let d = d.as_ref()?;
            let a = &d.activity;
            let resolution = format_duration(a.gap_resolution_seconds as i64);
            let gap_class = if a.gaps.is_empty() { "muted" } else { "gaps" };
            let empty = d.series.iter().all(|s| s.points.is_empty());
            let gaps = if a.gaps.is_empty() {
                format!("No gaps in this range (stretches of more than {resolution} without data).")
            } else {
                format!(
                    "{} gap{} in this range: {}.",
                    a.gaps.len(),
                    if a.gaps.len() == 1 { "" } else { "s" },
                    a.gaps
                        .iter()
                        .take(5)
                        .map(|&(start, end)| format!(
                            "{} for {}",
                            format_ms(start),
                            format_duration((end - start) / 1_000)
                        ))
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            };
            Some(view! {
                <div class="activity" data-testid="activity">
                    <p>
                        <strong>{a.points_last_hour}</strong> " points in the last hour · "
                        <strong>{a.points_last_day}</strong> " in the last day"
                    </p>
                    {(!empty).then(|| view! { <p class=gap_class data-testid="gaps">{gaps}</p> })}
                </div>
            })
        })
    }
}

/// `v`, or the newest point pushed for its field since, if newer.
fn newest(v: &LastValue, live: &[crate::models::LivePoint]) -> LastValue {
    let read =
        chrono::DateTime::parse_from_rfc3339(&v.time).map_or(i64::MIN, |t| t.timestamp_millis());
    live.iter()
        .rev()
        .find(|p| p.field == v.field && p.time_ms > read)
        .and_then(|p| {
            let time = chrono::DateTime::from_timestamp_millis(p.time_ms)?;
            Some(LastValue {
                field: v.field.clone(),
                value: p.value,
                time: time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            })
        })
        .unwrap_or_else(|| v.clone())
}

/// The latest value of each field with its age, greyed once the device is late.
#[component]
fn Tiles(dashboard: Signal<Option<Dashboard>>, feed: LiveFeed) -> impl IntoView {
    let (clock, set_clock) = signal(None::<i64>);
    // The browser's clock, every second; the server's clock (from the data) until then, so the
    // server's HTML and the first browser render agree.
    Effect::new(move |_| {
        run_every(std::time::Duration::from_secs(1), move || {
            set_clock.set(Some(web_sys::js_sys::Date::now() as i64))
        })
    });
    move || {
        dashboard.with(|d| {
            let d = d.as_ref()?;
            let now_ms = clock.get().unwrap_or(d.resolution.now_ms);
            Some(view! {
                <div class="tiles" data-testid="last-values">
                    {d.last_values.iter().map(|v| feed.points.with(|live| newest(v, live))).map(|v| {
                        let age = chrono::DateTime::parse_from_rfc3339(&v.time)
                            .map(|t| (now_ms - t.timestamp_millis()).max(0) / 1000)
                            .ok();
                        let status = DeviceStatus::classify(false, age, d.interval_seconds as i64, d.thresholds);
                        let stale = status != DeviceStatus::Online;
                        view! {
                            <div class=if stale { "tile stale" } else { "tile" } title=v.time.clone()>
                                <div class="tile-label">{v.field.clone()}</div>
                                <div class="tile-value">{format_value(v.value)} " " <span class="unit">{unit(&v.field)}</span></div>
                                <div class="tile-time">
                                    {age.map(format_age).unwrap_or_default()}
                                    {stale.then(|| format!(" · {}", status.label()))}
                                </div>
                            </div>
                        }
                    }).collect_view()}
                </div>
            })
        })
    }
}
