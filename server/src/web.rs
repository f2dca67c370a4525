//! The HTTP routes: the Leptos pages and server functions, the device API, the static files.

use crate::auth::{self, SignIn};
use app::{shell, App};
use axum::Router;
use axum_login::AuthManagerLayer;
use iot_core::accounts::Accounts;
use iot_core::Service;
use leptos::prelude::{provide_context, LeptosOptions};
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;
use tower_http::compression::{CompressionLayer, CompressionLevel};

/// The device listener: the device routes and the gateway behind the same host check and
/// headers, and no sign-in (devices have their own tokens).
pub fn device_router(
    service: Arc<Service>,
    alerts: Arc<iot_core::alerts::Alerts>,
    hosts: crate::surface::AllowedHosts,
) -> Router {
    let measure = axum::middleware::from_fn_with_state(service.clone(), crate::health_api::measure);
    crate::device_api::device_routes()
        .merge(crate::gateway_api::routes())
        .merge(crate::health_api::routes(alerts))
        .with_state(service)
        .route_layer(measure)
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(hosts),
            crate::surface::guard,
        ))
}

/// Builds the whole web application around `backend`: every request first through the
/// host and origin checks (`surface`), then the sign-in gate (`auth`) — but for the
/// gateway's routes, which devices call with their own tokens and no session.
pub fn router(
    leptos_options: LeptosOptions,
    service: Arc<Service>,
    accounts: Accounts,
    alerts: Arc<iot_core::alerts::Alerts>,
    auth: AuthManagerLayer<SignIn, crate::auth::SessionStore>,
    hosts: crate::surface::AllowedHosts,
    proxy: crate::surface::Proxy,
    setup: auth::SetupCode,
) -> Router {
    let routes = generate_route_list(App);
    let context = (service.clone(), accounts.clone(), alerts.clone());
    let pages = Router::new()
        .leptos_routes_with_context(
            &leptos_options,
            routes,
            move || {
                provide_context(context.0.clone());
                provide_context(context.1.clone());
                provide_context(context.2.clone());
            },
            {
                let leptos_options = leptos_options.clone();
                move || shell(leptos_options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(leptos_options)
        .layer(axum::middleware::from_fn(crate::error::server_fn_status));
    let measure = axum::middleware::from_fn_with_state(service.clone(), crate::health_api::measure);
    let gate = axum::middleware::from_fn_with_state((accounts.clone(), setup.clone()), auth::gate);
    let gateway = crate::gateway_api::routes()
        .with_state(service.clone())
        .route_layer(measure.clone());
    crate::device_api::routes()
        .merge(crate::export::routes())
        .merge(crate::live_api::routes())
        .merge(crate::health_api::routes(alerts.clone()))
        .with_state(service)
        .merge(auth::routes(proxy, setup).with_state(accounts))
        .merge(crate::alerts_api::routes().with_state(alerts))
        .merge(pages)
        .route_layer(measure)
        .layer(gate)
        .layer(auth)
        .layer(axum::middleware::from_fn_with_state(
            proxy,
            crate::surface::secure_cookies,
        ))
        .merge(gateway)
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(hosts),
            crate::surface::guard,
        ))
        // Fast compression for what is made per request (pages, JSON, CSV); the release
        // build's static files come precompressed at the highest level (`--precompress`).
        .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
}
