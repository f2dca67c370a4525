//! The frame around every page: the brand, the navigation, who is signed in, and the
//! content area.

use crate::models::Role;
use crate::session::{provide_me, Me};
use leptos::prelude::*;
use leptos_router::components::A;

/// The pages in the navigation, in order: (path, label).
const NAV: [(&str, &str); 8] = [
    ("/", "Overview"),
    ("/devices", "Devices"),
    ("/write", "Write data"),
    ("/data", "Query data"),
    ("/compare", "Compare"),
    ("/map", "Map"),
    ("/buckets", "Buckets"),
    // `/health` is the JSON health check for machines.
    ("/status", "Health"),
];

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let me = provide_me();
    view! {
        <div class="layout">
            <nav class="sidebar" aria-label="Main">
                <a class="brand" href="/">
                    <span class="brand-mark">"◉"</span>
                    " IoT Center"
                </a>
                <ul>
                    {NAV
                        .into_iter()
                        .map(|(href, label)| view! { <li><A href=href exact=true>{label}</A></li> })
                        .collect_view()}
                    <Transition>
                        {move || crate::session::may(Role::Admin)().then(|| view! {
                            <li><A href="/users" exact=true>"Users"</A></li>
                        })}
                    </Transition>
                </ul>
                <SignedIn me/>
            </nav>
            <main class="content">{children()}</main>
        </div>
    }
}

/// The caller's name and role, and signing out (a plain form post).
#[component]
fn SignedIn(me: Me) -> impl IntoView {
    view! {
        <Transition>
            {move || me.0.get().and_then(Result::ok).flatten().map(|caller| view! {
                <div class="signed-in" data-testid="signed-in">
                    <span class="who">{caller.name}</span>
                    <span class="role">{caller.role.as_str()}</span>
                    <form method="post" action="/logout">
                        <button type="submit" class="link">"Sign out"</button>
                    </form>
                </div>
            })}
        </Transition>
    }
}
