//! Alerts: what fires now (acknowledged with a note until it resolves), the rules and the
//! endpoints notifications go to. A new rule or endpoint goes as the form holds it; the
//! server checks it as the JSON API does and says what is wrong.

use crate::api::{
    get_alerts, AcknowledgeAlert, AddAlertEndpoint, AddAlertRule, RemoveAlertEndpoint,
    RemoveAlertRule, TestAlertEndpoint,
};
use crate::components::{
    format_time, format_value, level_badge, run_every, show, ErrorBanner, Loading,
};
use crate::models::{
    Alert, AlertEndpoint, AlertEvent, AlertRule, AlertState, AlertsOverview, Condition,
    EndpointForm, RuleDevices, RuleForm, ThresholdOp, CHART_FIELDS,
};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use std::collections::HashMap;
use std::time::Duration;

/// Bumps `tick` whenever `action` succeeds, so the page reads what it changed.
fn refresh_after<T>(action: ServerAction<T>, tick: RwSignal<u64>)
where
    T: ServerFn + Clone + Send + Sync + 'static,
    T::Output: Clone + Send + Sync + 'static,
    T::Error: Clone + Send + Sync + 'static,
{
    Effect::new(move |_| {
        if action.value().with(|v| matches!(v, Some(Ok(_)))) {
            tick.update(|t| *t += 1);
        }
    });
}

/// The error an action answered with, if it did.
fn failure<T>(action: ServerAction<T>) -> impl IntoView
where
    T: ServerFn<Error = crate::models::AppError> + Clone + Send + Sync + 'static,
    T::Output: Clone + Send + Sync + 'static,
{
    move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|error| view! { <ErrorBanner error/> })
    }
}

#[component]
pub fn Alerts() -> impl IntoView {
    let tick = RwSignal::new(0u64);
    // Notes being written on firing alerts, by alert: kept across refreshes, which wait
    // while one is being written.
    let notes = RwSignal::new(HashMap::<String, String>::new());
    Effect::new(move |_| {
        run_every(Duration::from_secs(5), move || {
            if notes.with_untracked(|n| n.values().all(String::is_empty)) {
                tick.update(|t| *t += 1);
            }
        })
    });
    let overview = Resource::new(move || tick.get(), |_| get_alerts());
    let endpoints = Signal::derive(move || {
        overview
            .get()
            .and_then(Result::ok)
            .map(|o| o.endpoints)
            .unwrap_or_default()
    });
    let ack = ServerAction::<AcknowledgeAlert>::new();
    let add_rule = ServerAction::<AddAlertRule>::new();
    let remove_rule = ServerAction::<RemoveAlertRule>::new();
    let add_endpoint = ServerAction::<AddAlertEndpoint>::new();
    let remove_endpoint = ServerAction::<RemoveAlertEndpoint>::new();
    let test_endpoint = ServerAction::<TestAlertEndpoint>::new();
    refresh_after(ack, tick);
    refresh_after(add_rule, tick);
    refresh_after(remove_rule, tick);
    refresh_after(add_endpoint, tick);
    refresh_after(remove_endpoint, tick);
    view! {
        <Title text="Alerts"/>
        <h1>"Alerts"</h1>
        <p class="lead">"Rules are checked every few seconds for every device they name — a device that stops writing too."</p>
        <Transition fallback=Loading>
            {move || overview.get().map(|r| show(r, move |o: AlertsOverview| view! {
                <section class="card">
                    <h2>"Now"</h2>
                    <Firing alerts=o.alerts ack notes/>
                    {failure(ack)}
                </section>
                <section class="card">
                    <h2>"History"</h2>
                    <History events=o.history/>
                </section>
                <section class="card">
                    <h2>"Rules"</h2>
                    <Rules rules=o.rules endpoints=o.endpoints.clone() remove=remove_rule/>
                    {failure(remove_rule)}
                </section>
                <section class="card">
                    <h2>"Endpoints"</h2>
                    <Endpoints endpoints=o.endpoints remove=remove_endpoint test=test_endpoint/>
                    {failure(remove_endpoint)}
                    {failure(test_endpoint)}
                    {move || (test_endpoint.value().get().is_some_and(|r| r.is_ok())).then(|| view! { <p class="answer ok">"Test notification delivered."</p> })}
                </section>
            }.into_any()))}
        </Transition>
        // The forms stay outside the refreshed part: what is typed survives a refresh.
        <section class="card">
            <NewRule endpoints add=add_rule/>
        </section>
        <section class="card">
            <NewEndpoint add=add_endpoint/>
        </section>
    }
}

#[component]
fn Firing(
    alerts: Vec<Alert>,
    ack: ServerAction<AcknowledgeAlert>,
    notes: RwSignal<HashMap<String, String>>,
) -> impl IntoView {
    if alerts.is_empty() {
        return view! { <p class="muted" data-testid="no-alerts">"Nothing is firing."</p> }
            .into_any();
    }
    view! {
        <table class="data" data-testid="alert-table">
            <thead><tr><th>"Level"</th><th>"Rule"</th><th>"Device"</th><th>"What"</th><th>"Since"</th><th>"Acknowledged"</th></tr></thead>
            <tbody>
                {alerts.into_iter().map(|a| {
                    let state = state_badge(a.state);
                    let acknowledged = match (a.acknowledged, a.state) {
                        (Some(k), _) => view! { <span>{format!("by {}", k.by)} {(!k.note.is_empty()).then(|| format!(": {}", k.note))}</span> }.into_any(),
                        (None, AlertState::Firing) => {
                            let (id, key, typed) = (a.id.clone(), a.id.clone(), a.id.clone());
                            let note = move || notes.with(|n| n.get(&key).cloned().unwrap_or_default());
                            view! {
                                <span class="inline-form">
                                    <input aria-label=format!("Note on {}", a.device) placeholder="Note" prop:value=note
                                        on:input=move |ev| notes.update(|n| { n.insert(typed.clone(), event_target_value(&ev)); })/>
                                    <button on:click=move |_| {
                                        let note = notes.try_update(|n| n.remove(&id)).flatten().unwrap_or_default();
                                        ack.dispatch(AcknowledgeAlert { id: id.clone(), note });
                                    }>
                                        "Acknowledge"
                                    </button>
                                </span>
                            }.into_any()
                        }
                        (None, _) => ().into_any(),
                    };
                    view! {
                        <tr data-state=a.state.as_str()>
                            <td class="nowrap">{level_badge(a.level.as_str().into())} " " {state}</td>
                            <td>{a.rule_name}</td>
                            <td><a href=format!("/devices/{}", a.device)>{a.device.clone()}</a></td>
                            <td>{a.message}</td>
                            <td>{format_time(&a.since)}</td>
                            <td>{acknowledged}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// A rule's condition in words: `CO2 > 1000 for 60 s`, `no data for 300 s`.
fn condition_text(c: &Condition) -> String {
    match c {
        Condition::Threshold {
            field,
            op,
            value,
            value2,
            for_seconds,
        } => {
            let test = match op {
                ThresholdOp::Above => format!("{field} > {}", format_value(*value)),
                ThresholdOp::Below => format!("{field} < {}", format_value(*value)),
                ThresholdOp::Outside => format!(
                    "{field} outside {}…{}",
                    format_value(*value),
                    format_value(value2.unwrap_or(*value))
                ),
            };
            match for_seconds {
                0 => test,
                s => format!("{test} for {s} s"),
            }
        }
        Condition::Silent { silent_seconds } => format!("no data for {silent_seconds} s"),
    }
}

#[component]
fn Rules(
    rules: Vec<AlertRule>,
    endpoints: Vec<AlertEndpoint>,
    remove: ServerAction<RemoveAlertRule>,
) -> impl IntoView {
    if rules.is_empty() {
        return view! { <p class="muted">"No rules yet."</p> }.into_any();
    }
    let name_of = move |id: &String| {
        endpoints
            .iter()
            .find(|e| &e.id == id)
            .map_or(id.clone(), |e| e.name.clone())
    };
    view! {
        <table class="data" data-testid="rule-table">
            <thead><tr><th>"Name"</th><th>"Devices"</th><th>"Condition"</th><th>"Level"</th><th>"Notifies"</th><th></th></tr></thead>
            <tbody>
                {rules.into_iter().map(|r| {
                    let devices = match &r.spec.devices {
                        RuleDevices::All => "all".to_string(),
                        RuleDevices::Only(ids) if ids.len() <= 3 => ids.iter().map(|d| d.as_str()).collect::<Vec<_>>().join(", "),
                        RuleDevices::Only(ids) => format!("{}, … ({} devices)", ids[0].as_str(), ids.len()),
                    };
                    let notifies: Vec<String> = r.spec.endpoints.iter().map(&name_of).collect();
                    let notifies = match (notifies.is_empty(), r.spec.remind_minutes) {
                        (true, _) => "—".to_string(),
                        (false, None) => notifies.join(", "),
                        (false, Some(m)) => format!("{}, again every {m} min", notifies.join(", ")),
                    };
                    let id = r.id.clone();
                    view! {
                        <tr>
                            <td>{r.spec.name.clone()}</td>
                            <td>{devices}</td>
                            <td>{condition_text(&r.spec.condition)}</td>
                            <td>{level_badge(r.spec.level.as_str().into())}</td>
                            <td>{notifies}</td>
                            <td><button class="secondary" on:click=move |_| { remove.dispatch(RemoveAlertRule { id: id.clone() }); }>"Remove"</button></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// A state as a coloured badge.
fn state_badge(state: AlertState) -> impl IntoView {
    let class = match state {
        AlertState::Firing => "badge bad",
        AlertState::Pending => "badge warn",
        AlertState::Ok => "badge ok",
    };
    view! { <span class=class>{state.as_str()}</span> }
}

/// The latest changes of state, newest first.
#[component]
fn History(events: Vec<AlertEvent>) -> impl IntoView {
    if events.is_empty() {
        return view! { <p class="muted">"No alert changed state in the last week."</p> }
            .into_any();
    }
    view! {
        <table class="data" data-testid="alert-history">
            <thead><tr><th>"Time"</th><th>"Rule"</th><th>"Device"</th><th>"State"</th><th>"Message"</th></tr></thead>
            <tbody>
                {events.into_iter().map(|e| {
                    view! {
                        <tr>
                            <td class="nowrap">{format_time(&e.time)}</td>
                            <td>{e.rule_name}</td>
                            <td><a href=format!("/devices/{}", e.device)>{e.device.clone()}</a></td>
                            <td class="nowrap">{level_badge(e.level)} " " {state_badge(e.state)}</td>
                            <td>{e.message}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn NewRule(
    endpoints: Signal<Vec<AlertEndpoint>>,
    add: ServerAction<AddAlertRule>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let devices = RwSignal::new("*".to_string());
    let kind = RwSignal::new("threshold".to_string());
    let field = RwSignal::new(CHART_FIELDS[0].to_string());
    let op = RwSignal::new(">".to_string());
    let value = RwSignal::new(String::new());
    let value2 = RwSignal::new(String::new());
    let for_seconds = RwSignal::new("0".to_string());
    let silent_seconds = RwSignal::new("300".to_string());
    let level = RwSignal::new("warn".to_string());
    let notify = RwSignal::new(Vec::<String>::new());
    let remind = RwSignal::new(String::new());
    let form = move || RuleForm {
        name: name.get_untracked(),
        devices: devices.get_untracked(),
        kind: kind.get_untracked(),
        field: field.get_untracked(),
        op: op.get_untracked(),
        value: value.get_untracked(),
        value2: value2.get_untracked(),
        for_seconds: for_seconds.get_untracked(),
        silent_seconds: silent_seconds.get_untracked(),
        level: level.get_untracked(),
        endpoints: notify.get_untracked(),
        remind_minutes: remind.get_untracked(),
    };
    let threshold = move || kind.get() == "threshold";
    view! {
        <h2>"New rule"</h2>
        <div class="rule-form">
            {text_input("Name", "rule-name", "text", name)}
            {text_input("Devices (* or ids, comma-separated)", "rule-devices", "text", devices)}
            {choice("Kind", "rule-kind", kind, &[("threshold", "threshold"), ("silent", "silent")])}
            <Show when=threshold>
                {choice("Field", "rule-field", field, &CHART_FIELDS.map(|f| (f, f)))}
                {choice("Is", "rule-op", op, &[(">", ">"), ("<", "<"), ("outside", "outside")])}
                {text_input("Value", "rule-value", "text", value)}
                <Show when=move || op.get() == "outside">{text_input("Up to", "rule-value2", "text", value2)}</Show>
                {text_input("For (s)", "rule-for", "text", for_seconds)}
            </Show>
            <Show when=move || !threshold()>{text_input("Silent for (s)", "rule-silent", "text", silent_seconds)}</Show>
            {choice("Level", "rule-level", level, &[("crit", "crit"), ("warn", "warn"), ("info", "info")])}
            {text_input("Remind every (min, optional)", "rule-remind", "text", remind)}
        </div>
        <div class="checks">
            {move || endpoints.get().into_iter().map(|e| {
                let (id, shown) = (e.id.clone(), e.id.clone());
                view! {
                    <label class="check">
                        <input type="checkbox" prop:checked=move || notify.read().contains(&shown) on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            notify.update(|n| { n.retain(|x| *x != id); if on { n.push(id.clone()); } });
                        }/>
                        {format!(" notify {}", e.name)}
                    </label>
                }
            }).collect_view()}
        </div>
        <button disabled=move || name.get().trim().is_empty() || add.pending().get()
            on:click=move |_| { add.dispatch(AddAlertRule { rule: form() }); }>
            "Add rule"
        </button>
        {failure(add)}
    }
}

#[component]
fn Endpoints(
    endpoints: Vec<AlertEndpoint>,
    remove: ServerAction<RemoveAlertEndpoint>,
    test: ServerAction<TestAlertEndpoint>,
) -> impl IntoView {
    if endpoints.is_empty() {
        return view! { <p class="muted">"No endpoints yet: rules can still fire, and show here."</p> }.into_any();
    }
    view! {
        <table class="data" data-testid="endpoint-table">
            <thead><tr><th>"Name"</th><th>"Kind"</th><th>"Sends to"</th><th>"Token"</th><th></th></tr></thead>
            <tbody>
                {endpoints.into_iter().map(|e| {
                    let (a, b) = (e.id.clone(), e.id.clone());
                    view! {
                        <tr>
                            <td>{e.name.clone()}</td>
                            <td>{e.kind.as_str()}</td>
                            <td><code>{e.target()}</code></td>
                            <td>{if e.has_token { "yes" } else { "—" }}</td>
                            <td class="actions">
                                <button class="secondary" on:click=move |_| { test.dispatch(TestAlertEndpoint { id: a.clone() }); }>"Test"</button>
                                <button class="secondary" on:click=move |_| { remove.dispatch(RemoveAlertEndpoint { id: b.clone() }); }>"Remove"</button>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn NewEndpoint(add: ServerAction<AddAlertEndpoint>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new("webhook".to_string());
    let url = RwSignal::new(String::new());
    let token = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let email = move || kind.get() == "email";
    let kinds = [
        ("webhook", "webhook (JSON)"),
        ("slack", "Slack-compatible"),
        ("email", "e-mail"),
    ];
    view! {
        <h2>"New endpoint"</h2>
        <div class="rule-form">
            {text_input("Name", "endpoint-name", "text", name)}
            {choice("Kind", "endpoint-kind", kind, &kinds)}
            <Show when=move || !email()>
                {text_input("URL", "endpoint-url", "url", url)}
                {text_input("Bearer token (optional)", "endpoint-token", "password", token)}
            </Show>
            <Show when=email>
                {text_input("To (addresses, comma-separated)", "endpoint-to", "text", to)}
            </Show>
        </div>
        <button disabled=move || name.get().trim().is_empty() || add.pending().get()
            on:click=move |_| {
                let endpoint = EndpointForm {
                    name: name.get_untracked(),
                    kind: kind.get_untracked(),
                    // What the other kind would use is left out.
                    url: if email() { String::new() } else { url.get_untracked() },
                    token: if email() { String::new() } else { token.get_untracked() },
                    to: if email() { to.get_untracked() } else { String::new() },
                };
                add.dispatch(AddAlertEndpoint { endpoint });
            }>
            "Add endpoint"
        </button>
        {failure(add)}
    }
}

/// A labelled input bound to `signal`.
fn text_input(
    label: &'static str,
    id: &'static str,
    kind: &'static str,
    signal: RwSignal<String>,
) -> impl IntoView {
    view! {
        <label for=id>{label}</label>
        <input id=id type=kind prop:value=move || signal.get() on:input=move |ev| signal.set(event_target_value(&ev))/>
    }
}

/// A labelled choice of `(value, label)` bound to `signal`.
fn choice(
    label: &'static str,
    id: &'static str,
    signal: RwSignal<String>,
    options: &[(&'static str, &'static str)],
) -> impl IntoView {
    let options = options.iter().map(|&(value, text)| {
        view! { <option value=value selected=move || signal.get() == value>{text}</option> }
    });
    view! {
        <label for=id>{label}</label>
        <select id=id on:change=move |ev| signal.set(event_target_value(&ev))>
            {options.collect_view()}
        </select>
    }
}
