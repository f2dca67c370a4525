//! The bridge to a broker a fleet already has (Mosquitto, EMQX, HiveMQ): IoT Center
//! subscribes to the devices' topic there and writes what they publish through the gateway,
//! as if they had published to it. `MQTT_URL`, `MQTT_TOPIC`, `MQTT_USERNAME` and
//! `MQTT_PASSWORD` as the reference IoT Center names them. A shared subscription
//! (`$share/iot-center/…`) lets several instances store each message once; a broker
//! without them gets a plain one. Lines are taken only for registered devices — the device
//! is the `devices/<id>/telemetry` topic's, or each line's `clientId` on the flat topic — each
//! device's within its bounds. A message is acknowledged (QoS 1) once stored or refused;
//! the connection is made again with backoff (1 s, doubling to 30 s), its state on the
//! Health page. `mqtts://` connects over TLS (rustls, ring), trusting `MQTT_CA_FILE`'s
//! certificates or else the platform's roots.

use iot_core::gateway::{lines, Refused};
use iot_core::Service;
use iot_models::{BridgeState, DeviceId};
use rumqttc::{
    AsyncClient, Event, MqttOptions, Packet, Publish, QoS, SubscribeReasonCode, TlsConfiguration,
    Transport,
};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio_rustls::rustls::{self, pki_types::pem::PemObject, pki_types::CertificateDer};

/// Messages written at once; the next waits (and the broker holds the rest).
const IN_FLIGHT: usize = 64;

/// Where the broker is, and as whom IoT Center subscribes.
#[derive(Clone, PartialEq)]
pub struct Bridge {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
    pub topic: String,
    /// Over TLS (`mqtts://`).
    pub tls: bool,
    /// The certificates (PEM) a TLS broker's is checked against, instead of the platform's.
    pub ca_file: Option<PathBuf>,
}

impl std::fmt::Debug for Bridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} topic {}", self.url(), self.topic)
    }
}

impl Bridge {
    /// `mqtt://host[:port]` (or `tcp://`; port 1883), `mqtts://host[:port]` (or `ssl://`;
    /// port 8883).
    pub fn parse(url: &str, topic: &str) -> Result<Bridge, String> {
        let schemes = [
            ("mqtt://", false),
            ("tcp://", false),
            ("mqtts://", true),
            ("ssl://", true),
        ];
        let (rest, tls) = schemes
            .iter()
            .find_map(|(scheme, tls)| url.strip_prefix(scheme).map(|rest| (rest, *tls)))
            .ok_or_else(|| {
                format!("MQTT_URL {url:?}: mqtt://host[:port] or mqtts://host[:port]")
            })?;
        let rest = rest.trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse()
                    .map_err(|_| format!("MQTT_URL {url:?}: the port is not a number"))?,
            ),
            None => (rest, if tls { 8883 } else { 1883 }),
        };
        if host.is_empty() {
            return Err(format!("MQTT_URL {url:?} names no host"));
        }
        Ok(Bridge {
            host: host.to_string(),
            port,
            username: None,
            password: None,
            topic: topic.to_string(),
            tls,
            ca_file: None,
        })
    }

    /// The broker's address as a URL (`mqtt://` or `mqtts://`).
    pub fn url(&self) -> String {
        let scheme = if self.tls { "mqtts" } else { "mqtt" };
        format!("{scheme}://{}:{}", self.host, self.port)
    }

    /// How the bridge reaches the broker: TCP, or TLS trusting the CA file's certificates
    /// (or the platform's roots). An error names the file and what is wrong with it.
    pub fn transport(&self) -> Result<Transport, String> {
        if !self.tls {
            return Ok(Transport::Tcp);
        }
        let mut roots = rustls::RootCertStore::empty();
        match &self.ca_file {
            Some(path) => {
                let certs = CertificateDer::pem_file_iter(path)
                    .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                    .map_err(|e| format!("MQTT_CA_FILE {}: {e}", path.display()))?;
                let (added, _) = roots.add_parsable_certificates(certs);
                if added == 0 {
                    return Err(format!(
                        "MQTT_CA_FILE {} holds no certificate",
                        path.display()
                    ));
                }
            }
            None => {
                roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Transport::tls_with_config(TlsConfiguration::Rustls(
            Arc::new(config),
        )))
    }

    /// The topic filters subscribed to, shared between instances or not.
    fn filters(&self, shared: bool) -> [String; 2] {
        let prefix = if shared { "$share/iot-center/" } else { "" };
        [
            format!("{prefix}{}", self.topic),
            format!("{prefix}devices/+/telemetry"),
        ]
    }
}

/// Runs the bridge for as long as the server does (its transport was checked at start).
pub async fn run(bridge: Bridge, transport: Transport, service: Arc<Service>) {
    let id: u32 = rand::random();
    let mut options = MqttOptions::new(format!("iot-center-{id:08x}"), &bridge.host, bridge.port);
    options
        .set_transport(transport)
        .set_keep_alive(Duration::from_secs(30))
        .set_manual_acks(true)
        .set_max_packet_size(16 << 20, 64 << 10);
    if let Some(user) = &bridge.username {
        options.set_credentials(user, bridge.password.clone().unwrap_or_default());
    }
    let (client, mut events) = AsyncClient::new(options, IN_FLIGHT);
    let writers = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    let mut backoff = Duration::from_secs(1);
    let mut shared = true;
    loop {
        match events.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                backoff = Duration::from_secs(1);
                service.set_bridge(BridgeState::connected(&bridge.url()));
                tracing::info!("MQTT bridge connected to {bridge:?}");
                for filter in bridge.filters(shared) {
                    if let Err(e) = client.subscribe(filter, QoS::AtLeastOnce).await {
                        tracing::warn!("MQTT bridge: subscribing: {e}");
                    }
                }
            }
            Ok(Event::Incoming(Packet::SubAck(ack))) => {
                let refused = ack.return_codes.contains(&SubscribeReasonCode::Failure);
                if refused && shared {
                    tracing::warn!("MQTT bridge: the broker refused a shared subscription: subscribing plainly (each instance then stores each message)");
                    shared = false;
                    for filter in bridge.filters(false) {
                        let _ = client.subscribe(filter, QoS::AtLeastOnce).await;
                    }
                }
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                let Ok(slot) = writers.clone().acquire_owned().await else {
                    return;
                };
                let (service, client, topic) =
                    (service.clone(), client.clone(), bridge.topic.clone());
                tokio::spawn(async move {
                    store(&service, &topic, &publish).await;
                    if let Err(e) = client.ack(&publish).await {
                        tracing::debug!("MQTT bridge: acknowledging: {e}");
                    }
                    drop(slot);
                });
            }
            Ok(_) => {}
            Err(e) => {
                service.set_bridge(BridgeState::down(
                    &bridge.url(),
                    &format!("{e}; trying again in {} s", backoff.as_secs()),
                ));
                tracing::warn!(
                    "MQTT bridge to {bridge:?}: {e}; again in {} s",
                    backoff.as_secs()
                );
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(30));
            }
        }
    }
}

/// One message's lines, each registered device's through the gateway; what is refused is
/// logged and counted, never stored.
async fn store(service: &Service, topic: &str, publish: &Publish) {
    let Some(b) = service.get() else { return };
    let Ok(body) = std::str::from_utf8(&publish.payload) else {
        b.gateway.refuse(Refused::Invalid("not UTF-8".into()));
        return;
    };
    for (id, lines) in by_device(topic, &publish.topic, body) {
        let refused = match id {
            None => Err(b.gateway.refuse(Refused::Forbidden(
                "a line without clientId on the shared topic".into(),
            ))),
            Some(id) => match b.fleet.device(b, &id).await {
                Ok(Some((_, summary))) if !summary.removed => {
                    let precision = lines::inferred_precision(&lines);
                    b.gateway.write_in(b, &id, precision, lines).await
                }
                Ok(_) => Err(b.gateway.refuse(Refused::Unauthorized)),
                Err(e) => Err(Refused::Unavailable(e.to_string())),
            },
        };
        if let Err(refused) = refused {
            tracing::info!(
                "MQTT bridge: message on {:?} refused: {refused}",
                publish.topic
            );
        }
    }
}

/// A message's lines by the device they are for: the topic's device, or on the flat topic
/// each line's `clientId` tag (`None`: a line that names none).
fn by_device(flat: &str, topic: &str, body: &str) -> BTreeMap<Option<DeviceId>, String> {
    let mut out: BTreeMap<Option<DeviceId>, String> = BTreeMap::new();
    if let Some(id) = topic
        .strip_prefix("devices/")
        .and_then(|t| t.strip_suffix("/telemetry"))
    {
        if let Ok(id) = DeviceId::parse(id) {
            out.insert(Some(id), body.to_string());
        }
        return out;
    }
    if topic != flat {
        return out;
    }
    for line in body.lines().filter(|l| !l.trim().is_empty()) {
        let id = client_id(line).and_then(|id| DeviceId::parse(id).ok());
        let lines = out.entry(id).or_default();
        lines.push_str(line);
        lines.push('\n');
    }
    out
}

/// The `clientId` tag of a line of line protocol, if it has one.
fn client_id(line: &str) -> Option<&str> {
    let series = line.split(' ').next()?;
    series
        .split(',')
        .skip(1)
        .find_map(|tag| tag.strip_prefix("clientId="))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_the_lines_of_each_device() {
        let b = Bridge::parse("mqtt://broker.example:1884", "iot_center").unwrap();
        assert_eq!((b.host.as_str(), b.port), ("broker.example", 1884));
        assert_eq!(Bridge::parse("tcp://10.0.0.1", "t").unwrap().port, 1883);
        let tls = Bridge::parse("mqtts://broker.example", "t").unwrap();
        assert_eq!(
            (tls.tls, tls.port, tls.url()),
            (true, 8883, "mqtts://broker.example:8883".into())
        );
        assert!(Bridge::parse("ssl://broker.example:8884", "t").unwrap().tls);
        assert!(Bridge::parse("http://broker.example", "t").is_err());
        assert!(Bridge::parse("mqtt://:1883", "t").is_err());

        let body = "m,clientId=a v=1 1\nm,clientId=b v=2 2\nm v=3 3\nm,clientId=a v=4 4\n";
        let split = by_device("iot_center", "iot_center", body);
        let a = DeviceId::parse("a").unwrap();
        assert_eq!(split[&Some(a)], "m,clientId=a v=1 1\nm,clientId=a v=4 4\n");
        assert_eq!(split[&None], "m v=3 3\n");
        let own = by_device("iot_center", "devices/c/telemetry", "m v=1 1");
        assert_eq!(own.len(), 1);
        assert!(by_device("iot_center", "elsewhere", body).is_empty());
    }

    #[test]
    fn a_ca_file_that_is_missing_or_holds_no_certificate_is_named() {
        let mut b = Bridge::parse("mqtts://broker.example", "t").unwrap();
        assert!(b.transport().is_ok(), "the platform's roots");
        b.ca_file = Some("/nonexistent/ca.pem".into());
        let e = b.transport().err().unwrap();
        assert!(e.starts_with("MQTT_CA_FILE /nonexistent/ca.pem:"), "{e}");
        let empty = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(empty.path(), "not a certificate\n").unwrap();
        b.ca_file = Some(empty.path().to_path_buf());
        let e = b.transport().err().unwrap();
        assert!(e.ends_with("holds no certificate"), "{e}");
    }
}
