//! Who is signed in, a link to the Users page for admins, and signing out. Rendered by the
//! server into the shell, after the hydrated app, so it costs the browser's wasm nothing; it
//! changes only with a new page load, and signing in or out is one.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
pub fn box_view() -> impl IntoView {
    use crate::models::Role;
    crate::api::caller().map(|c| {
        view! {
            <aside class="signed-in" data-testid="signed-in" aria-label="Signed in">
                <span class="who">{c.name.clone()}</span>
                <span class="role">{c.role.as_str()}</span>
                {c.may(Role::Admin).then(|| view! { <a href="/users">"Users"</a> })}
                <form method="post" action="/logout">
                    <button type="submit" class="link">"Sign out"</button>
                </form>
            </aside>
        }
    })
}

/// The browser never renders the shell.
#[cfg(not(feature = "ssr"))]
pub fn box_view() -> impl IntoView {}
