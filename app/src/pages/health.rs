//! Health: the application's checks (InfluxDB first), the fleet by status, and charts of the
//! application's own metrics. The checks refresh every few seconds, so the page turns red
//! soon after InfluxDB goes away and green again when it is back.

use crate::api::{app_health, app_metrics};
use crate::charts::{Lines, TimeChart};
use crate::components::{format_duration, format_time, show, ticks, Loading};
use crate::models::{CheckStatus, HealthReport, InstanceState, Series};
use crate::pages::fleet::FleetStatus;
use crate::range_bar::{use_range, use_refresh_tick, RangeBar};
use leptos::prelude::*;
use leptos_meta::Title;
use std::time::Duration;

/// How often the checks are asked again.
const CHECK_EVERY: Duration = Duration::from_secs(3);

/// The metrics charted, with their titles and units.
const CHARTS: [(&str, &str, &str); 5] = [
    ("requests", "Requests", "per 10 s"),
    ("latency_p99_ms", "Latency p99", "ms"),
    ("errors", "Errors", "per 10 s"),
    ("memory_mb", "Memory", "MB"),
    (
        "virtual_points_per_s",
        "Virtual devices' writes",
        "points/s",
    ),
];

#[component]
pub fn Health() -> impl IntoView {
    let checks_tick = ticks(CHECK_EVERY);
    let report = Resource::new(move || checks_tick.get(), |_| app_health());
    let selection = use_range();
    let tick = use_refresh_tick(selection);
    let metrics = Resource::new(
        move || (selection.get(), tick.get()),
        |(s, _)| async move { app_metrics(s.window()?).await },
    );
    view! {
        <Title text="Health"/>
        <h1>"Health"</h1>
        <Transition fallback=Loading>
            {move || report.get().map(|r| show(r, |report| view! { <Checks report/> }.into_any()))}
        </Transition>
        <FleetStatus/>
        <section class="card dashboard">
            <h2>"The application's metrics"</h2>
            <RangeBar selection/>
            <Transition fallback=Loading>
                {move || metrics.get().map(|r| show(r, |series| view! { <MetricCharts series/> }.into_any()))}
            </Transition>
        </section>
    }
}

/// The instances on this state database: one row when IoT Center runs alone.
#[component]
fn Instances(instances: Vec<InstanceState>) -> impl IntoView {
    view! {
        <h3>"Instances"</h3>
        <table class="data" data-testid="instances">
            <thead><tr><th>"Instance"</th><th>"Version"</th><th>"Serves"</th><th>"Heard from"</th><th>"Alert rules"</th></tr></thead>
            <tbody>
                {instances.into_iter().map(|i| view! {
                    <tr>
                        <td>{i.id.clone()}{i.this.then_some(" (this one)")}</td>
                        <td>{format!("v{}", i.version)}</td>
                        <td>{i.address.clone()}</td>
                        <td>{format!("{} s ago", i.seen_seconds_ago)}</td>
                        <td>{if i.evaluates_alerts { "evaluates them" } else { "—" }}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn Checks(report: HealthReport) -> impl IntoView {
    let pass = report.status == CheckStatus::Pass;
    let (m, n) = (report.metrics, report.notifications);
    view! {
        <section class=if pass { "card health pass" } else { "card health fail" } data-testid="health-status">
            <h2>{if pass { "All checks pass" } else { "A check fails" }}</h2>
            <table class="data">
                <thead><tr><th>"Check"</th><th>"Status"</th><th>"Latency"</th><th>"Version"</th><th>"Details"</th></tr></thead>
                <tbody>
                    {report.checks.into_iter().map(|c| view! {
                        <tr data-testid=format!("check-{}", c.name)>
                            <td>{c.name.clone()}</td>
                            <td><span class=if c.status == CheckStatus::Pass { "badge ok" } else { "badge bad" }>
                                {if c.status == CheckStatus::Pass { "pass" } else { "fail" }}
                            </span></td>
                            <td class="num">{format!("{:.1} ms", c.latency_ms)}</td>
                            <td>{c.version.clone().unwrap_or_default()}</td>
                            <td>{c.message.clone()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <dl class="facts">
                <dt>"IoT Center"</dt><dd>{format!("v{}, up {}", report.version, format_duration(report.uptime_seconds as i64))}</dd>
                <dt>"Metrics"</dt>
                <dd>
                    {m.last_write.as_deref().map_or_else(|| "not written yet".to_string(), |t| format!("last written {}", format_time(t)))}
                    {format!(" · {} waiting · {} dropped", m.buffered_points, m.dropped_points)}
                </dd>
                <dt>"Device writes"</dt>
                <dd data-testid="gateway">
                    {format!("{} stored · ", report.gateway.accepted)}
                    <span class=(report.gateway.refused > 0).then_some("warn")>{format!("{} refused", report.gateway.refused)}</span>
                    " (HTTP and MQTT, since the start)"
                </dd>
                {report.mqtt_bridge.clone().map(|bridge| view! {
                    <dt>"MQTT bridge"</dt>
                    <dd data-testid="mqtt-bridge">
                        <span class=if bridge.connected { "badge ok" } else { "badge bad" }>
                            {if bridge.connected { "connected" } else { "down" }}
                        </span>
                        {format!(" {} · {}", bridge.broker, bridge.message)}
                    </dd>
                })}
                <dt>"Alert notifications"</dt>
                <dd data-testid="notifications">
                    {format!("{} delivered · {} tries repeated · ", n.delivered, n.retried)}
                    <span class=(n.failed > 0).then_some("bad")>{format!("{} failed", n.failed)}</span>
                </dd>
            </dl>
            <Instances instances=report.instances/>
            {m.last_error.map(|e| view! {
                <div class="banner warn" role="alert"><strong>"Metrics wait for InfluxDB: "</strong>{e}</div>
            })}
        </section>
    }
}

#[component]
fn MetricCharts(series: Vec<Series>) -> impl IntoView {
    if series.is_empty() {
        return view! {
            <p class="muted empty" data-testid="no-metrics">
                "No metrics in this range yet: the application writes them every 10 seconds."
            </p>
        }
        .into_any();
    }
    let charts = CHARTS
        .into_iter()
        .filter_map(|(field, title, unit)| {
            let s = series.iter().find(|s| s.field == field)?;
            let lines = Lines::one(s.points.iter().copied());
            Some(view! { <TimeChart title=title.to_string() unit=unit names=vec![title.to_string()] lines=Signal::stored(lines)/> })
        })
        .collect_view();
    view! { <div class="charts" data-testid="metric-charts">{charts}</div> }.into_any()
}
