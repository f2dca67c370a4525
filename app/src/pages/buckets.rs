//! The InfluxDB buckets: name, id, retention, type.

use crate::api::list_buckets;
use crate::components::{format_retention, show, Loading};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn Buckets() -> impl IntoView {
    let buckets = Resource::new(|| (), |_| list_buckets());
    view! {
        <Title text="Buckets"/>
        <h1>"Buckets"</h1>
        <p class="lead">"Where the telemetry and the device registry are kept."</p>
        <section class="card">
            <Transition fallback=Loading>
                {move || buckets.get().map(|r| show(r, |rows| view! {
                    <table class="data" data-testid="bucket-table">
                        <thead><tr><th>"Name"</th><th>"Id"</th><th>"Retention"</th><th>"Type"</th></tr></thead>
                        <tbody>
                            {rows.into_iter().map(|b| view! {
                                <tr>
                                    <td>{b.name}</td>
                                    <td><code>{b.id}</code></td>
                                    <td>{format_retention(b.retention_seconds)}</td>
                                    <td><span class=format!("badge {}", b.kind)>{b.kind.clone()}</span></td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()))}
            </Transition>
        </section>
    }
}
