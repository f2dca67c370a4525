//! The connection: URL, token and organization; requests with timeouts, a connection pool,
//! and bounded retries with backoff and jitter on 429/503 and connection errors.

use crate::annotated_csv::{AnnotatedCsvReader, Record};
use crate::point::{to_line_protocol, Point};
use crate::Error;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use std::io::Write;
use std::time::Duration;
use tokio::sync::OnceCell;

#[derive(Clone)]
pub struct ClientConfig {
    /// `http://host:8086`, without a path.
    pub url: String,
    pub token: String,
    /// The organization's name or its 16-hex-digit id.
    pub org: String,
    /// Per request, connection included.
    pub timeout: Duration,
    /// Attempts after the first for 429/503 and connection errors.
    pub max_retries: u32,
    /// Write bodies larger than this are sent gzip-compressed.
    pub gzip_threshold: usize,
    /// Whom to trust on `https://`.
    pub tls: Tls,
}

/// Whom the client trusts on `https://` (rustls; never OpenSSL).
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Tls {
    /// The platform's certificate roots.
    #[default]
    PlatformRoots,
    /// The platform's roots and the CA certificates in this PEM (a private CA).
    ExtraRoots(Vec<u8>),
    /// Any certificate, any name: for a lab only.
    InsecureSkipVerify,
}

impl Tls {
    /// An HTTP client that trusts whom this says, with these timeouts.
    pub(crate) fn http_client(&self, timeout: Duration) -> Result<reqwest::Client, Error> {
        let builder = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .pool_idle_timeout(Duration::from_secs(60));
        let builder = match self {
            Tls::PlatformRoots => builder,
            Tls::ExtraRoots(pem) => {
                let roots = reqwest::Certificate::from_pem_bundle(pem)
                    .map_err(|e| Error::Config(format!("reading the CA certificate: {e}")))?;
                if roots.is_empty() {
                    return Err(Error::Config("the CA file holds no PEM certificate".into()));
                }
                roots
                    .into_iter()
                    .fold(builder, |b, root| b.add_root_certificate(root))
            }
            Tls::InsecureSkipVerify => builder.danger_accept_invalid_certs(true),
        };
        builder.build().map_err(|e| Error::Config(e.to_string()))
    }
}

impl ClientConfig {
    pub fn new(
        url: impl Into<String>,
        token: impl Into<String>,
        org: impl Into<String>,
    ) -> ClientConfig {
        ClientConfig {
            url: url.into(),
            token: token.into(),
            org: org.into(),
            timeout: Duration::from_secs(30),
            max_retries: 3,
            gzip_threshold: 64 * 1024,
            tls: Tls::default(),
        }
    }
}

/// Timestamp units of written points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    Ns,
    Us,
    Ms,
    S,
}

impl Precision {
    /// The `precision` of a `/write` query, as InfluxDB reads it.
    pub fn parse(s: &str) -> Option<Precision> {
        Some(match s {
            "ns" | "n" => Precision::Ns,
            "us" | "u" => Precision::Us,
            "ms" => Precision::Ms,
            "s" => Precision::S,
            _ => return None,
        })
    }

    /// Nanoseconds in one unit.
    pub fn nanos(self) -> i64 {
        match self {
            Precision::Ns => 1,
            Precision::Us => 1_000,
            Precision::Ms => 1_000_000,
            Precision::S => 1_000_000_000,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Precision::Ns => "ns",
            Precision::Us => "us",
            Precision::Ms => "ms",
            Precision::S => "s",
        }
    }
}

/// Clones share the connection pool.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
    org: String,
    org_id: OnceCell<String>,
    config: ClientConfig,
}

impl std::fmt::Debug for Client {
    /// The token stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("url", &self.base)
            .field("org", &self.org)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// Whether a failed attempt may be repeated: only for idempotent requests.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    Yes,
    No,
}

const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);

impl Client {
    pub fn new(config: ClientConfig) -> Result<Client, Error> {
        let base = config.url.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(Error::Config(format!(
                "InfluxDB URL {base:?} must start with http:// or https://"
            )));
        }
        if config.org.is_empty() {
            return Err(Error::Config("no organization given".into()));
        }
        let http = config.tls.http_client(config.timeout)?;
        Ok(Client {
            http,
            base,
            token: config.token.clone(),
            org: config.org.clone(),
            org_id: OnceCell::new(),
            config,
        })
    }

    pub fn url(&self) -> &str {
        &self.base
    }

    /// The same InfluxDB, connection pool and trust, with another token and organization:
    /// a virtual device writing as itself.
    pub fn acting_as(&self, token: impl Into<String>, org: impl Into<String>) -> Client {
        let (token, org) = (token.into(), org.into());
        Client {
            http: self.http.clone(),
            base: self.base.clone(),
            config: ClientConfig {
                token: token.clone(),
                org: org.clone(),
                ..self.config.clone()
            },
            token,
            org,
            org_id: OnceCell::new(),
        }
    }

    pub(crate) fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .header("Authorization", format!("Token {}", self.token))
    }

    /// Sends, retrying 429/503 (after `Retry-After` when given) and connection errors with
    /// exponential backoff and jitter; any other answer is returned, errors as [`Error::Api`].
    pub(crate) async fn send(
        &self,
        retry: Retry,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Response, Error> {
        let mut attempt = 0;
        loop {
            let error = match build().send().await {
                Ok(response) if response.status().is_success() => return Ok(response),
                Ok(response) => api_error(response).await,
                Err(e) => Error::from_transport(e),
            };
            let retryable = match &error {
                Error::Api { status, .. } => *status == 429 || *status == 503,
                Error::Unreachable(_) => true,
                _ => false,
            };
            if retry == Retry::No || !retryable || attempt >= self.config.max_retries {
                return Err(error);
            }
            let wait = match &error {
                Error::Api {
                    retry_after: Some(after),
                    ..
                } => (*after).min(MAX_RETRY_WAIT),
                _ => backoff(attempt),
            };
            tracing::debug!("InfluxDB: {error}; retrying in {wait:?}");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// The organization's id, looked up once.
    pub async fn org_id(&self) -> Result<String, Error> {
        self.org_id
            .get_or_try_init(|| self.resolve_org())
            .await
            .cloned()
    }

    async fn resolve_org(&self) -> Result<String, Error> {
        let is_id = self.org.len() == 16 && self.org.bytes().all(|b| b.is_ascii_hexdigit());
        if is_id {
            let found = self
                .send(Retry::Yes, || {
                    self.request(Method::GET, &format!("/api/v2/orgs/{}", self.org))
                })
                .await;
            match found {
                Ok(_) => return Ok(self.org.clone()),
                Err(e) if e.is_not_found() || e.is_unauthorized() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.find_org(&self.org).await?.id)
    }

    /// Writes points; they are durable (on OSS) when this returns.
    pub async fn write(
        &self,
        bucket: &str,
        precision: Precision,
        points: &[Point],
    ) -> Result<(), Error> {
        self.write_line_protocol(bucket, precision, to_line_protocol(points)?)
            .await
    }

    /// Writes a body of line protocol as it is.
    pub async fn write_line_protocol(
        &self,
        bucket: &str,
        precision: Precision,
        body: Vec<u8>,
    ) -> Result<(), Error> {
        if body.is_empty() {
            return Ok(());
        }
        let (body, gzip) = if body.len() > self.config.gzip_threshold {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            encoder
                .write_all(&body)
                .and_then(|_| encoder.finish())
                .map(|b| (b, true))
                .unwrap_or((body, false))
        } else {
            (body, false)
        };
        let query = [
            ("org", self.org.as_str()),
            ("bucket", bucket),
            ("precision", precision.as_str()),
        ];
        self.send(Retry::Yes, || {
            let r = self
                .request(Method::POST, "/api/v2/write")
                .query(&query)
                .header("Content-Type", "text/plain; charset=utf-8")
                .body(body.clone());
            if gzip {
                r.header("Content-Encoding", "gzip")
            } else {
                r
            }
        })
        .await
        .map(drop)
    }

    /// Runs Flux and returns InfluxDB's annotated CSV as it came.
    pub async fn query_csv(&self, flux: &str) -> Result<String, Error> {
        let body = serde_json::json!({
            "query": flux,
            "type": "flux",
            "dialect": { "header": true, "delimiter": ",", "annotations": ["datatype", "group", "default"], "commentPrefix": "#", "dateTimeFormat": "RFC3339" },
        });
        let response = self
            .send(Retry::Yes, || {
                self.request(Method::POST, "/api/v2/query")
                    .query(&[("org", self.org.as_str())])
                    .json(&body)
            })
            .await?;
        response.text().await.map_err(Error::from_transport)
    }

    /// Runs Flux; every record of every table, in order. An error table in the result is an error.
    pub async fn query(&self, flux: &str) -> Result<Vec<Record>, Error> {
        let mut records = Vec::new();
        self.query_each(flux, |r| records.push(r)).await?;
        Ok(records)
    }

    /// Runs Flux and hands each record to `each` as it is read, never holding them all: for
    /// answers of hundreds of thousands of rows (a fleet's registry), where the records
    /// would take ten times the memory of their CSV.
    pub async fn query_each(&self, flux: &str, mut each: impl FnMut(Record)) -> Result<(), Error> {
        let csv = self.query_csv(flux).await?;
        for record in AnnotatedCsvReader::new(csv.as_bytes()) {
            each(record?);
        }
        Ok(())
    }

    /// Runs Flux and deserializes each record (by column name) into `T`.
    pub async fn query_as<T: serde::de::DeserializeOwned>(
        &self,
        flux: &str,
    ) -> Result<Vec<T>, Error> {
        self.query(flux)
            .await?
            .iter()
            .map(Record::deserialize)
            .collect()
    }
}

/// 200 ms doubling per attempt, plus up to 100 ms of jitter so clients do not retry in step.
fn backoff(attempt: u32) -> Duration {
    let base = Duration::from_millis(200) * 2u32.saturating_pow(attempt.min(6));
    base + Duration::from_millis(rand::random::<u64>() % 100)
}

/// Reads InfluxDB's `{"code","message"}` error body and `Retry-After`.
async fn api_error(response: Response) -> Error {
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let text = response.text().await.unwrap_or_default();
    let (code, message) = match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(v) => (
            v["code"]
                .as_str()
                .unwrap_or_else(|| default_code(status))
                .to_string(),
            v["message"]
                .as_str()
                .map_or_else(|| text.clone(), str::to_string),
        ),
        Err(_) => (default_code(status).to_string(), text),
    };
    Error::Api {
        status: status.as_u16(),
        code,
        message,
        retry_after,
    }
}

fn default_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "invalid",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not found",
        413 => "request too large",
        422 => "unprocessable entity",
        429 => "too many requests",
        503 => "unavailable",
        _ => "internal error",
    }
}
