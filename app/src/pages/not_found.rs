//! The page for an address with nothing at it.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <Title text="Not found"/>
        <h1>"Not found"</h1>
        <section class="card not-found">
            <p>"There is no page at this address."</p>
            <p><a href="/">"Go to the overview"</a></p>
        </section>
        <crate::Hydrated/>
    }
}
