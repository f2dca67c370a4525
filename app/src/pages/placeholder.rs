//! A page that says there is nothing at an address.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
fn Placeholder(title: &'static str, purpose: &'static str) -> impl IntoView {
    view! {
        <Title text=title/>
        <h1>{title}</h1>
        <section class="card placeholder">
            <p>{purpose}</p>
        </section>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    view! { <Placeholder title="Not found" purpose="There is no page at this address."/> }
}
