//! A real `tsdb` on a loopback port, onboarded, with the app's two buckets, and a backend
//! over it: what the server builds at start, without the server.
// Each test binary uses part of it.
#![allow(dead_code)]

use influx_client::onboarding::{setup, Onboarding};
use influx_client::Tls;
use influx_client::{Client, ClientConfig, Precision};
use iot_core::{Backend, Settings};
use std::sync::Arc;

/// A device id the tests know to be valid.
pub fn id(raw: &str) -> iot_models::DeviceId {
    iot_models::DeviceId::parse(raw).unwrap()
}

pub struct Fixture {
    pub backend: Arc<Backend>,
    /// The operator's token.
    token: String,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

pub async fn start() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(tsdb::storage::Store::open(dir.path()).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(tsdb::serve(
        listener,
        store,
        tsdb::Config::default(),
        async {
            let _ = stopped.await;
        },
    ));
    let token = setup(
        &url,
        &Tls::default(),
        &Onboarding {
            username: "test".into(),
            password: "test-password".into(),
            org: "o".into(),
            bucket: "iot_center".into(),
            token: None,
        },
    )
    .await
    .unwrap();
    let client = Client::new(ClientConfig::new(&url, token.clone(), "o")).unwrap();
    let registry = client.create_bucket("iot_center_devices", 0).await.unwrap();
    let telemetry = client.find_bucket("iot_center").await.unwrap().unwrap();
    let settings = Settings {
        influx_url: url,
        org: "o".into(),
        org_id: client.org_id().await.unwrap(),
        telemetry_bucket: telemetry.name,
        telemetry_bucket_id: telemetry.id,
        registry_bucket: registry.name,
        default_lat: 50.0,
        default_lon: 14.4,
        measurement_interval: 60,
        status_thresholds: Default::default(),
        configuration_refresh: 3_600,
        mqtt: None,
    };
    Fixture {
        backend: Arc::new(Backend::new(client, settings)),
        token,
        _dir: dir,
        _stop: stop,
    }
}

impl Fixture {
    /// Another backend on the same store, with other settings.
    pub fn backend_with(&self, settings: Settings) -> Backend {
        let config = ClientConfig::new(&settings.influx_url, self.token.clone(), "o");
        Backend::new(Client::new(config).unwrap(), settings)
    }

    /// Writes line protocol to the telemetry bucket as the operator.
    pub async fn write(&self, lp: &str) {
        self.backend
            .client
            .write_line_protocol("iot_center", Precision::S, lp.as_bytes().to_vec())
            .await
            .unwrap();
    }

    /// How many telemetry values the bucket holds.
    pub async fn telemetry_values(&self) -> usize {
        self.backend
            .client
            .query("from(bucket: \"iot_center\") |> range(start: 0) |> filter(fn: (r) => r._measurement == \"environment\")")
            .await
            .unwrap()
            .len()
    }
}
