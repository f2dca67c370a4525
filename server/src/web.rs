//! The HTTP routes: the Leptos pages and server functions, the device API, the static files.

use crate::auth::{self, SignIn};
use app::{shell, App};
use axum::Router;
use axum_login::AuthManagerLayer;
use iot_core::accounts::Accounts;
use iot_core::dashboards::store::DashboardStore;
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

/// What the pages and routes share: the backend's service, the accounts, the alerts and
/// the dashboards.
#[derive(Clone)]
pub struct Shared {
    pub service: Arc<Service>,
    pub accounts: Accounts,
    pub alerts: Arc<iot_core::alerts::Alerts>,
    pub dashboards: Arc<DashboardStore>,
}

/// Builds the whole web application around `shared`: every request first through the
/// host and origin checks (`surface`), then the sign-in gate (`auth`) — but for the
/// gateway's routes, which devices call with their own tokens and no session.
pub fn router(
    leptos_options: LeptosOptions,
    shared: Shared,
    auth: AuthManagerLayer<SignIn, crate::auth::SessionStore>,
    hosts: crate::surface::AllowedHosts,
    proxy: crate::surface::Proxy,
    setup: auth::SetupCode,
    throttle: auth::Throttle,
) -> Router {
    let routes = generate_route_list(App);
    let context = shared.clone();
    let Shared {
        service,
        accounts,
        alerts,
        dashboards,
    } = shared;
    let pages = Router::new()
        .leptos_routes_with_context(
            &leptos_options,
            routes,
            move || {
                provide_context(context.service.clone());
                provide_context(context.accounts.clone());
                provide_context(context.alerts.clone());
                provide_context(context.dashboards.clone());
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
        .merge(crate::live_api::routes(dashboards.clone()))
        .merge(crate::health_api::routes(alerts.clone()))
        .with_state(service)
        .merge(auth::routes(proxy, setup, throttle).with_state(accounts))
        .merge(crate::alerts_api::routes().with_state(alerts))
        .merge(crate::dashboards_api::routes().with_state(dashboards))
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
