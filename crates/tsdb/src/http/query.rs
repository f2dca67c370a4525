//! `/api/v2/query`: Flux in, annotated CSV out. Errors before any output are JSON; an error
//! after a finished result is written as the CSV error table, as InfluxDB does.

use super::auth::Caller;
use super::body::{Limited, QUERY_BODY_BYTES};
use super::error::ApiError;
use super::extern_ast;
use super::{resolve_org, AppState};
use crate::annotated_csv::{Annotation, Dialect, Encoder};
use crate::flux::{self, BucketInfo, BucketRef, FluxError, SeriesSource};
use crate::series::{FieldValue, Pick, SeriesMeta};
use crate::storage::{now_nanos, Authorization, Org, Store};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::ops::ControlFlow;
use std::sync::Arc;
use tokio::sync::mpsc;

#[derive(Deserialize)]
pub struct OrgParams {
    org: Option<String>,
    #[serde(rename = "orgID")]
    org_id: Option<String>,
}

#[derive(Deserialize)]
struct QueryBody {
    query: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    dialect: Option<DialectBody>,
    now: Option<String>,
    #[serde(rename = "extern")]
    externs: Option<serde_json::Value>,
    params: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Deserialize)]
struct DialectBody {
    header: Option<bool>,
    delimiter: Option<String>,
    annotations: Option<Vec<String>>,
}

fn bad_body(message: impl std::fmt::Display) -> ApiError {
    ApiError::invalid(format!("failed to decode request body: {message}"))
}

fn dialect(d: Option<DialectBody>) -> Result<Dialect, ApiError> {
    let Some(d) = d else {
        return Ok(Dialect::default());
    };
    let delimiter = match d.delimiter.as_deref() {
        None | Some("") => b',',
        Some(s) if s.len() == 1 => s.as_bytes()[0],
        Some(_) => return Err(bad_body("invalid dialect delimeter: must be length 1")),
    };
    let annotations = d
        .annotations
        .unwrap_or_default()
        .iter()
        .map(|a| match a.as_str() {
            "datatype" => Ok(Annotation::Datatype),
            "group" => Ok(Annotation::Group),
            "default" => Ok(Annotation::Default),
            other => Err(bad_body(format!(
                "unknown dialect annotation type: {other}"
            ))),
        })
        .collect::<Result<_, _>>()?;
    Ok(Dialect {
        header: d.header.unwrap_or(true),
        delimiter,
        annotations,
    })
}

/// A `params` value as Flux: an AST node as the clients send them, or a plain JSON value.
fn param(v: &serde_json::Value) -> Result<String, ApiError> {
    Ok(match v {
        serde_json::Value::Object(node) if node.contains_key("type") => extern_ast::expression(v)?,
        serde_json::Value::String(s) => extern_ast::string(s),
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::Bool(b) => b.to_string(),
        serde_json::Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(param)
                .collect::<Result<Vec<_>, _>>()?
                .join(", ")
        ),
        other => return Err(bad_body(format!("unsupported param value {other}"))),
    })
}

/// The store as the evaluator sees it: buckets of one organization, read permission checked.
struct Source {
    store: Arc<Store>,
    org: Org,
    auth: Authorization,
}

impl SeriesSource for Source {
    fn bucket(&self, name: &str) -> Result<BucketRef, FluxError> {
        let internal = |e: crate::storage::StorageError| FluxError::Internal(e.to_string());
        let bucket = match self
            .store
            .bucket_by_name(&self.org.id, name)
            .map_err(internal)?
        {
            Some(b) => b,
            None => self
                .store
                .bucket(name)
                .map_err(internal)?
                .filter(|b| b.org_id == self.org.id)
                .ok_or_else(|| {
                    FluxError::NotFound(format!(
                        "failed to initialize execute state: could not find bucket \"{name}\""
                    ))
                })?,
        };
        if !self
            .auth
            .grants("read", "buckets", Some(&bucket.org_id), Some(&bucket.id))
        {
            return Err(FluxError::Forbidden(format!(
                "insufficient permissions for read on bucket \"{name}\""
            )));
        }
        let expired_before = (bucket.retention_secs > 0)
            .then(|| now_nanos() - bucket.retention_secs * 1_000_000_000);
        Ok(BucketRef {
            id: bucket.id,
            name: bucket.name,
            expired_before,
        })
    }

    fn series(
        &self,
        bucket: &BucketRef,
        having: &[(&str, &str)],
    ) -> Result<Arc<Vec<Arc<SeriesMeta>>>, FluxError> {
        Ok(self.store.series_of(&bucket.id, having))
    }

    fn points(
        &self,
        series: &[Arc<SeriesMeta>],
        start: i64,
        stop: i64,
        pick: Pick,
        each: &mut dyn FnMut(Vec<(i64, FieldValue)>) -> ControlFlow<()>,
    ) -> Result<(), FluxError> {
        self.store
            .read_points(series, start, stop, pick, each)
            .map_err(|e| FluxError::Internal(e.to_string()))
    }

    fn buckets(&self) -> Result<Vec<BucketInfo>, FluxError> {
        let all = self
            .store
            .buckets()
            .map_err(|e| FluxError::Internal(e.to_string()))?;
        Ok(all
            .into_iter()
            .filter(|b| {
                b.org_id == self.org.id
                    && self
                        .auth
                        .grants("read", "buckets", Some(&b.org_id), Some(&b.id))
            })
            .map(|b| BucketInfo {
                name: b.name,
                id: b.id,
                org_id: b.org_id,
                retention_ns: b.retention_secs * 1_000_000_000,
            })
            .collect())
    }
}

pub async fn query(
    State(s): State<AppState>,
    caller: Caller,
    Query(p): Query<OrgParams>,
    headers: HeaderMap,
    Limited(body): Limited<QUERY_BODY_BYTES>,
) -> Result<Response, ApiError> {
    let org = resolve_org(&s.store, p.org.as_deref(), p.org_id.as_deref())
        .map_err(|e| bad_body(e.message))?;
    // A token that can read nothing here (a device's write-only token) never reaches Flux.
    if !caller.0.may_read_in(&org.id) {
        return Err(ApiError::forbidden(format!(
            "insufficient permissions to query organization \"{}\"",
            org.name
        )));
    }
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    let (source_text, dialect, now) = if content_type.starts_with("application/vnd.flux") {
        let text =
            String::from_utf8(body.to_vec()).map_err(|_| bad_body("query is not valid UTF-8"))?;
        (text, Dialect::default(), now_nanos())
    } else {
        let req: QueryBody = serde_json::from_slice(&body).map_err(bad_body)?;
        if let Some(kind) = req.kind.as_deref().filter(|k| *k != "flux") {
            return Err(bad_body(format!("unknown query type: {kind}")));
        }
        let now = match req.now.as_deref() {
            Some(t) => chrono::DateTime::parse_from_rfc3339(t)
                .ok()
                .and_then(|t| t.timestamp_nanos_opt())
                .ok_or_else(|| bad_body(format!("invalid now time {t:?}")))?,
            None => now_nanos(),
        };
        let mut prefix = match &req.externs {
            Some(ext) => extern_ast::file(ext)?,
            None => String::new(),
        };
        if let Some(params) = &req.params {
            let fields = params
                .iter()
                .map(|(k, v)| Ok(format!("{}: {}", extern_ast::string(k), param(v)?)))
                .collect::<Result<Vec<_>, ApiError>>()?;
            prefix.push_str(&format!("params = {{{}}}\n", fields.join(", ")));
        }
        (format!("{prefix}{}", req.query), dialect(req.dialect)?, now)
    };
    let source = Source {
        store: s.store.clone(),
        org,
        auth: caller.0,
    };
    let limits = s.query_limits;
    let (tx, mut rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
    tokio::task::spawn_blocking(move || run(&source_text, &source, now, limits, dialect, tx));
    // The status is decided by the first chunk: an error before any output is a JSON error.
    let first = match rx.recv().await {
        Some(Ok(csv)) => csv,
        Some(Err(e)) => return Err(ApiError::from(e)),
        None => return Err(ApiError::internal("the query stopped without an answer")),
    };
    let rest = futures_util::stream::unfold(rx, |mut rx| async move {
        let chunk = rx.recv().await?;
        // After the first chunk the query sends no errors: they end its CSV instead.
        Some((chunk.map_err(std::io::Error::other), rx))
    });
    // Fused: a layer that polls once more after the end (gzip does) gets `None` again, not
    // the panic of an `unfold` polled past its end.
    let body = futures_util::StreamExt::fuse(futures_util::StreamExt::chain(
        futures_util::stream::iter([Ok(first)]),
        rest,
    ));
    Ok((
        [("content-type", "text/csv; charset=utf-8")],
        axum::body::Body::from_stream(body),
    )
        .into_response())
}

/// CSV is handed to the response in chunks of about this many bytes.
const CHUNK_BYTES: usize = 64 * 1024;
/// Chunks waiting for a slow client before the query waits for it.
const CHUNKS_IN_FLIGHT: usize = 4;

/// Runs the query, sending its CSV as it is made: so a query holds the chunks in flight and
/// the series it is reading, not its whole result. An error before any table is sent alone;
/// after, it ends the CSV as InfluxDB's error table. A client that has gone stops the query.
fn run(
    query: &str,
    source: &Source,
    now: i64,
    limits: flux::Limits,
    dialect: Dialect,
    tx: mpsc::Sender<Result<String, FluxError>>,
) {
    let mut encoder = Encoder::new(dialect);
    let mut csv = String::new();
    let outcome = flux::execute(query, source, now, limits, &mut |result, table| {
        encoder.table(result, &table, &mut csv);
        if csv.len() >= CHUNK_BYTES {
            tx.blocking_send(Ok(std::mem::take(&mut csv)))
                .map_err(|_| FluxError::Internal("the client has gone".into()))?;
        }
        Ok(())
    });
    let last = match outcome {
        Ok(()) => {
            encoder.finish(&mut csv);
            Ok(csv)
        }
        Err(e) if encoder.wrote_any() => {
            encoder.fail(&e.to_string(), &mut csv);
            Ok(csv)
        }
        Err(e) => Err(e),
    };
    let _ = tx.blocking_send(last);
}
