//! A typed InfluxDB v2 client: the application's only way to InfluxDB, embedded or remote.
//!
//! # Layout
//! - [`Client`] (`client.rs`): config, transport, retries, writes and queries.
//! - `resources.rs`: organizations, buckets, authorizations, deletes, health.
//! - [`Point`] (`point.rs`): typed points and their line protocol.
//! - [`AnnotatedCsvReader`] (`annotated_csv.rs`): query results, record by record.
//! - [`flux`]: safe Flux literals and the queries the application runs.
//! - [`onboarding`]: setting up a fresh InfluxDB.
//!
//! # Example
//! ```no_run
//! use influx_client::{Client, ClientConfig, Point, Precision, flux};
//! # async fn run() -> Result<(), influx_client::Error> {
//! let client = Client::new(ClientConfig::new("http://127.0.0.1:8086", "my-token", "my-org"))?;
//! client.write("iot_center", Precision::S, &[Point::new("environment").tag("clientId", "dev-1").field("Temperature", 21.5)]).await?;
//! let q = format!("from(bucket: {}) |> range(start: -1h) |> last()", flux::string("iot_center"));
//! for record in client.query(&q).await? {
//!     println!("{:?} = {:?}", record.field(), record.value());
//! }
//! # Ok(()) }
//! ```

mod annotated_csv;
mod client;
mod error;
pub mod flux;
mod models;
pub mod onboarding;
mod point;
mod resources;

pub use annotated_csv::{AnnotatedCsvReader, FluxValue, Record};
pub use client::{Client, ClientConfig, Precision, Tls};
pub use error::Error;
pub use models::{Authorization, Bucket, Health, Org, Permission, Resource, RetentionRule};
pub use point::{to_line_protocol, FieldValue, Point};
