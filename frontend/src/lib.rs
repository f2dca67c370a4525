//! The wasm entry point: hydrates the server-rendered page. Nothing else lives here.

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Lazy routes (`app/src/pages.rs`) load their part of the split wasm before hydrating.
    leptos::mount::hydrate_lazy(app::App);
}
