//! Share links, for operators: making one for a dashboard (its address is shown this once),
//! and every link listed with its expiry, to revoke.

use crate::api::{list_share_links, RevokeShareLink, ShareDashboard};
use crate::components::{format_by, format_time, show, ErrorBanner, Loading};
use crate::models::SHARE_HOURS;
use leptos::prelude::*;

/// A new read-only link to dashboard `id`.
#[component]
pub fn ShareForm(id: String) -> impl IntoView {
    let share = ServerAction::<ShareDashboard>::new();
    let (hours, set_hours) = signal(SHARE_HOURS[1].0);
    let origin = window_origin();
    view! {
        <h3>"Share read-only"</h3>
        <p>"Whoever has the link sees this dashboard, live, and nothing else — no sign-in, no other page — until it expires or is revoked (on the Dashboards page)."</p>
        <div class="inline-form">
            <label class="field-pair">"Works for"
                <select aria-label="Works for" on:change=move |ev| set_hours.set(event_target_value(&ev).parse().unwrap_or(SHARE_HOURS[1].0))>
                    {SHARE_HOURS.map(|(h, label)| view! { <option value=h.to_string() selected=h == SHARE_HOURS[1].0>{label}</option> })}
                </select>
            </label>
            <button class="secondary" disabled=move || share.pending().get()
                on:click=move |_| { share.dispatch(ShareDashboard { id: id.clone(), hours: hours.get_untracked() }); }>
                "Create link"
            </button>
        </div>
        {move || share.value().get().map(|r| match r {
            Ok(made) => {
                let url = format!("{origin}{}", made.path);
                view! {
                    <p class="share-made" data-testid="share-link">
                        "Until " {format_time(&made.link.expires_at)} ": "
                        <a href=url.clone() rel="external" target="_blank">{url.clone()}</a>
                        " · kiosk (no navigation): " <a href=format!("{url}?kiosk") rel="external" target="_blank">"?kiosk"</a>
                    </p>
                    <p class="hint">"Copy it now: it is not shown again."</p>
                }
                .into_any()
            }
            Err(error) => view! { <ErrorBanner error/> }.into_any(),
        })}
    }
}

/// Where the page was loaded from, so a link can be copied whole (empty on the server,
/// which never renders a link: one is made by a click).
fn window_origin() -> String {
    #[cfg(not(feature = "ssr"))]
    {
        window().location().origin().unwrap_or_default()
    }
    #[cfg(feature = "ssr")]
    String::new()
}

/// Every share link, newest first, to revoke.
#[component]
pub fn ShareLinks() -> impl IntoView {
    let revoke = ServerAction::<RevokeShareLink>::new();
    let links = Resource::new(move || revoke.version().get(), |_| list_share_links());
    view! {
        <section class="card">
            <h2>"Share links"</h2>
            {move || revoke.value().get().and_then(Result::err).map(|error| view! { <ErrorBanner error/> })}
            <Transition fallback=Loading>
                {move || links.get().map(|r| show(r, move |rows| {
                    if rows.is_empty() {
                        return view! { <p class="muted">"No dashboard is shared. Share one from its page (Edit)."</p> }.into_any();
                    }
                    view! {
                        <table class="data" data-testid="share-links">
                            <thead><tr><th>"Dashboard"</th><th>"Made"</th><th>"Works until"</th><th></th></tr></thead>
                            <tbody>
                                {rows.into_iter().map(|l| {
                                    let id = l.id.clone();
                                    view! {
                                        <tr>
                                            <td><a href=format!("/dashboards/{}", l.dashboard)>{l.title}</a></td>
                                            <td>{format_by(&l.created_at, &l.created_by)}</td>
                                            <td>{format_time(&l.expires_at)} {l.expired.then(|| view! { " " <span class="badge removed">"expired"</span> })}</td>
                                            <td class="row-actions">
                                                <button class="danger" on:click=move |_| { revoke.dispatch(RevokeShareLink { id: id.clone() }); }>"Revoke"</button>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }))}
            </Transition>
        </section>
    }
}
