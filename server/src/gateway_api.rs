//! The device gateway over HTTP, as InfluxDB's own API looks to the client libraries:
//! `POST /api/v2/write` with `Authorization: Token <device token>` (or `Bearer`), plain or
//! gzip; `GET /ping`. Errors are InfluxDB's JSON `{"code","message"}`. The checks and the
//! write itself are [`iot_core::gateway`]'s.

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use iot_core::gateway::{lines, Refused, Target};
use iot_core::Service;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use tower_http::decompression::RequestDecompressionLayer;

/// The routes a device writes through; on the web listener and the device listener.
pub fn routes() -> Router<Arc<Service>> {
    Router::new()
        .route(
            "/api/v2/write",
            post(write).layer(RequestDecompressionLayer::new().gzip(true)),
        )
        .route("/ping", get(ping).head(ping))
}

/// What InfluxDB says of itself to clients that ping it.
fn version_headers() -> [(&'static str, HeaderValue); 2] {
    [
        ("x-influxdb-build", HeaderValue::from_static("OSS")),
        (
            "x-influxdb-version",
            HeaderValue::from_static(concat!("iot-center-", env!("CARGO_PKG_VERSION"))),
        ),
    ]
}

async fn ping() -> Response {
    (StatusCode::NO_CONTENT, version_headers()).into_response()
}

/// A refusal as InfluxDB words it, with `Retry-After` when waiting helps.
struct GatewayError(Refused);

impl IntoResponse for GatewayError {
    fn into_response(self) -> Response {
        let refused = self.0;
        let status = StatusCode::from_u16(refused.status()).unwrap_or(StatusCode::BAD_REQUEST);
        let body = Json(json!({ "code": refused.code(), "message": refused.to_string() }));
        let mut response = (status, body).into_response();
        if let Some(secs) = refused.retry_after() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<Refused> for GatewayError {
    fn from(r: Refused) -> Self {
        GatewayError(r)
    }
}

#[derive(Deserialize)]
struct WriteQuery {
    org: Option<String>,
    #[serde(rename = "orgID")]
    org_id: Option<String>,
    bucket: Option<String>,
    #[serde(rename = "bucketID")]
    bucket_id: Option<String>,
    precision: Option<String>,
}

/// The token of `Authorization: Token …` or `Bearer …`.
fn device_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (["Token", "Bearer"].contains(&scheme) && !token.is_empty()).then_some(token)
}

/// The body, gzip undone (by the layer), refused past `max` bytes before more is read.
async fn read_body(body: Body, headers: &HeaderMap, max: usize) -> Result<String, Refused> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(lines::too_large(max));
    }
    let bytes = axum::body::to_bytes(body, max).await.map_err(|e| {
        let past_limit = std::iter::successors(std::error::Error::source(&e), |s| s.source())
            .any(|s| s.is::<http_body_util::LengthLimitError>());
        match past_limit {
            true => lines::too_large(max),
            false => Refused::Invalid(format!("unable to read data: {e}")),
        }
    })?;
    String::from_utf8(bytes.into())
        .map_err(|_| Refused::Invalid("unable to read data: body is not valid UTF-8".into()))
}

async fn write(
    State(s): State<Arc<Service>>,
    Query(q): Query<WriteQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, GatewayError> {
    let token = device_token(&headers).ok_or(Refused::Unauthorized)?;
    let b = s
        .backend()
        .map_err(|e| Refused::Unavailable(e.to_string()))?;
    let device = b.gateway.device_of_token(&b, token).await?;
    let body = read_body(body, &headers, b.gateway.bounds.max_bytes).await?;
    let target = Target {
        org: q.org,
        org_id: q.org_id,
        bucket: q.bucket,
        bucket_id: q.bucket_id,
        precision: q.precision,
    };
    b.gateway.write(&b, &device, &target, body).await?;
    Ok(StatusCode::NO_CONTENT)
}
