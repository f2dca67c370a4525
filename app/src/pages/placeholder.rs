//! Pages whose features are still to come; each says what it will offer.

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
pub fn Health() -> impl IntoView {
    view! { <Placeholder title="Health" purpose="The health of the devices and of the application itself."/> }
}

#[component]
pub fn NotFound() -> impl IntoView {
    view! { <Placeholder title="Not found" purpose="There is no page at this address."/> }
}
