//! A virtual device's point over MQTT, as a real device sends it: to IoT Center's own
//! listener, signed in with its id and token, QoS 1, done when the PUBACK comes (the
//! listener acknowledges once InfluxDB has the point).

use crate::{Backend, Error};
use iot_models::DeviceId;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use std::time::Duration;

/// How long a publish may take, connection included.
const PUBLISH_WITHIN: Duration = Duration::from_secs(10);

/// Publishes `line` (line protocol) as device `id`, whose token is `token`.
pub async fn publish(b: &Backend, id: &DeviceId, token: &str, line: String) -> Result<(), Error> {
    let advert = b
        .settings
        .mqtt
        .as_ref()
        .filter(|m| m.device_tokens)
        .ok_or_else(|| {
            Error::Invalid("IoT Center's MQTT listener is off: write over HTTP".into())
        })?;
    let address = advert.url.strip_prefix("mqtt://").ok_or_else(|| {
        Error::Invalid("the virtual devices publish over plain MQTT only, not mqtts://".into())
    })?;
    let (host, port) = address
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.trim_matches(['[', ']']), p.parse().ok()?)))
        .ok_or_else(|| Error::Internal(format!("MQTT listener address {address:?}")))?;
    let mut options = MqttOptions::new(id.as_str(), host, port);
    options.set_credentials(id.as_str(), token);
    options.set_keep_alive(Duration::from_secs(30));
    let (client, mut events) = AsyncClient::new(options, 4);
    let acknowledged = async {
        client
            .publish(&advert.topic, QoS::AtLeastOnce, false, line)
            .await
            .map_err(|e| Error::Internal(e.to_string()))?;
        loop {
            match events.poll().await {
                Ok(Event::Incoming(Packet::PubAck(_))) => return Ok(()),
                Ok(_) => {}
                Err(e) => {
                    return Err(Error::Unavailable(format!(
                        "MQTT listener at {address}: {e}"
                    )))
                }
            }
        }
    };
    let outcome = tokio::time::timeout(PUBLISH_WITHIN, acknowledged)
        .await
        .unwrap_or_else(|_| {
            Err(Error::Unavailable(format!(
                "MQTT listener at {address}: no PUBACK"
            )))
        });
    let _ = client.try_disconnect();
    outcome
}
