//! Devices publishing over MQTT to IoT Center's own listener, with Debian's `mosquitto_pub`
//! and with the `rumqttc` client: what a device's configuration says, what is stored, and
//! what is refused with nothing stored.

mod common;

use common::{device_env, free_port, mosquitto_pub, Server};
use std::process::{Command, Output};
use std::time::Duration;

/// A server with its MQTT listener on a port of its own, devices at most `max_bytes` a write.
async fn server(max_bytes: usize) -> (Server, u16) {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let max = max_bytes.to_string();
    let s = common::start_with(&[("MQTT_LISTEN", &listen), ("DEVICE_MAX_BYTES", &max)]).await;
    (s, port)
}

/// `mosquitto_pub` as device `id` with `password`, to `topic` at QoS `qos`.
fn publish(port: u16, id: &str, password: &str, topic: &str, qos: u8, message: &str) -> Output {
    let qos = qos.to_string();
    let login = ["-i", id, "-u", id, "-P", password];
    mosquitto_pub(
        port,
        &[&login[..], &["-t", topic, "-q", &qos, "-m", message]].concat(),
    )
}

fn now_s() -> i64 {
    chrono::Utc::now().timestamp()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_publishes_with_its_configuration_and_its_points_are_stored() {
    let (s, port) = server(8 << 20).await;
    let env = device_env(&s, "mqtt-1").await;
    assert_eq!(env["mqtt_url"], format!("mqtt://127.0.0.1:{port}"), "{env}");
    assert_eq!(env["mqtt_topic"], "iot_center");
    assert_eq!(env["mqtt_user"], "mqtt-1");
    assert_eq!(env["mqtt_password"], env["influx_token"]);
    // The reference's firmware reconnects with its client id alone, which this listener
    // refuses: devices are told to keep writing over HTTP.
    assert_eq!(env["write_endpoint"], "/influx");
    let token = env["mqtt_password"].as_str().unwrap();

    // QoS 1: mosquitto_pub ends once the PUBACK came, which is after InfluxDB has the point.
    // Seconds, as the reference's Arduino firmware sends them: read as seconds.
    let t = now_s();
    let line = format!("environment,clientId=mqtt-1 Temperature=21.5 {t}");
    let out = publish(port, "mqtt-1", token, "iot_center", 1, &line);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(s.values_of("mqtt-1").await, 1);
    let rows = s
        .query_store("from(bucket: \"iot_center\") |> range(start: 0) |> filter(fn: (r) => r.clientId == \"mqtt-1\")")
        .await;
    let stamp = chrono::DateTime::from_timestamp(t, 0).unwrap();
    assert!(
        rows[0].contains(&stamp.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
        "{rows:?}"
    );

    // Its own topic, nanoseconds (as the reference's server publishes), a line without
    // clientId (the gateway adds it); and QoS 0, which nothing acknowledges.
    let ns = format!("environment Temperature=22.5 {}", t * 1_000_000_000 + 1);
    let out = publish(port, "mqtt-1", token, "devices/mqtt-1/telemetry", 1, &ns);
    assert!(out.status.success());
    assert_eq!(s.values_of("mqtt-1").await, 2);
    let qos0 = format!("environment,clientId=mqtt-1 Temperature=23.5 {}", t + 1);
    assert!(publish(port, "mqtt-1", token, "iot_center", 0, &qos0)
        .status
        .success());
    let mut stored = 0;
    for _ in 0..50 {
        stored = s.values_of("mqtt-1").await;
        if stored == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(stored, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_other_devices_reserved_names_and_oversized_messages_store_nothing() {
    let (s, port) = server(1_000).await;
    let token = device_env(&s, "mqtt-2").await["mqtt_password"]
        .as_str()
        .unwrap()
        .to_string();
    let other = device_env(&s, "mqtt-3").await["mqtt_password"]
        .as_str()
        .unwrap()
        .to_string();
    let line = |id: &str| format!("environment,clientId={id} Temperature=21.5 {}", now_s());

    // Refused at CONNECT: a wrong token, another device's token, no user name.
    for (id, password) in [("mqtt-2", "iotc_wrong"), ("mqtt-2", other.as_str())] {
        let out = publish(port, id, password, "iot_center", 1, &line("mqtt-2"));
        assert!(!out.status.success(), "{id} with {password} was let in");
    }
    let message = line("mqtt-2");
    let anonymous = mosquitto_pub(
        port,
        &[
            "-i",
            "mqtt-2",
            "-t",
            "iot_center",
            "-q",
            "1",
            "-m",
            &message,
        ],
    );
    assert!(!anonymous.status.success());

    // Let in, but the message is refused (and acknowledged: sending it again would not help).
    let long_field = format!(
        "environment,clientId=mqtt-2 Note=\"{}\" {}",
        "x".repeat(1_200),
        now_s()
    );
    for (topic, message) in [
        ("iot_center", line("mqtt-3")),
        (
            "iot_center",
            format!("deviceauth,clientId=mqtt-2 key=\"k\" {}", now_s()),
        ),
        ("iot_center", "not line protocol".to_string()),
        ("elsewhere", line("mqtt-2")),
        ("devices/mqtt-3/telemetry", line("mqtt-2")),
        ("iot_center", long_field),
    ] {
        let out = publish(port, "mqtt-2", &token, topic, 1, &message);
        assert!(
            out.status.success(),
            "{topic}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Past the largest packet (the write bound and 64 KiB): the connection ends.
    let huge = format!(
        "environment,clientId=mqtt-2 Note=\"{}\"",
        "x".repeat(70 << 10)
    );
    let out = publish(port, "mqtt-2", &token, "iot_center", 1, &huge);
    assert!(!out.status.success());
    assert_eq!(s.telemetry_values().await, 0);
    // The six refusals after CONNECT are counted, for the Health page.
    let (_, health) = common::get_as(&format!("{}/health", s.url), &s.token).await;
    assert_eq!(health["gateway"]["refused"], 6, "{health}");
    assert_eq!(health["gateway"]["accepted"], 0, "{health}");

    // Removed: its token no longer connects.
    let form = "id=mqtt-2&delete_telemetry=false";
    assert_eq!(s.call("remove_device", form).await.status(), 200);
    let out = publish(port, "mqtt-2", &token, "iot_center", 1, &line("mqtt-2"));
    assert!(!out.status.success());
    assert_eq!(s.telemetry_values().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rumqttc_client_publishes_at_least_once() {
    use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
    let (s, port) = server(8 << 20).await;
    let token = device_env(&s, "mqtt-4").await["mqtt_password"]
        .as_str()
        .unwrap()
        .to_string();
    let mut options = MqttOptions::new("mqtt-4", "127.0.0.1", port);
    options.set_credentials("mqtt-4", token);
    let (client, mut events) = AsyncClient::new(options, 10);
    let t = now_s() * 1_000; // milliseconds
    for n in 0..3 {
        let line = format!("environment,clientId=mqtt-4 Temperature={n} {}", t + n);
        client
            .publish("iot_center", QoS::AtLeastOnce, false, line)
            .await
            .unwrap();
    }
    let mut acked = 0;
    while acked < 3 {
        let event = tokio::time::timeout(Duration::from_secs(10), events.poll())
            .await
            .expect("an event")
            .expect("the connection holds");
        if let Event::Incoming(Packet::PubAck(_)) = event {
            acked += 1;
        }
    }
    assert_eq!(s.values_of("mqtt-4").await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_a_device_publishes_to_mqtts_and_plain_mqtt_is_refused() {
    let ca = common::test_ca::TestCa::new();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let (cert, key) = (ca.path("cert.pem"), ca.path("key.pem"));
    let s = common::start_with(&[
        ("MQTT_LISTEN", &listen),
        ("MQTT_TLS_CERT", cert.to_str().unwrap()),
        ("MQTT_TLS_KEY", key.to_str().unwrap()),
        ("MQTT_OPTIONS", r#"{"connectTimeout":10000}"#),
    ])
    .await;
    let env = device_env(&s, "mqtts-1").await;
    // Certificates name hosts: loopback is told as localhost.
    assert_eq!(env["mqtt_url"], format!("mqtts://localhost:{port}"));
    // The client options, as the reference hands them on.
    assert_eq!(env["mqtt_options"], r#"{"connectTimeout":10000}"#);
    let token = env["mqtt_password"].as_str().unwrap();
    let line = format!("environment,clientId=mqtts-1 Temperature=21.5 {}", now_s());
    let ca_file = ca.path("ca.pem");
    let tls = Command::new("mosquitto_pub")
        .args(["-h", "localhost", "-p", &port.to_string(), "-V", "mqttv311"])
        .args(["--cafile", ca_file.to_str().unwrap()])
        .args(["-i", "mqtts-1", "-u", "mqtts-1", "-P", token])
        .args(["-t", "iot_center", "-q", "1", "-m", &line])
        .output()
        .unwrap();
    assert!(
        tls.status.success(),
        "{}",
        String::from_utf8_lossy(&tls.stderr)
    );
    assert_eq!(s.values_of("mqtts-1").await, 1);
    // Plain MQTT to the TLS port: no session, nothing stored.
    let plain = publish(port, "mqtts-1", token, "iot_center", 1, &line);
    assert!(!plain.status.success());
    assert_eq!(s.values_of("mqtts-1").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_client_id_only_a_registered_device_connects_without_credentials() {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let s = common::start_with(&[("MQTT_LISTEN", &listen), ("MQTT_CLIENT_ID_ONLY", "true")]).await;
    let env = device_env(&s, "arduino-1").await;
    assert_eq!(env["write_endpoint"], "/mqtt", "{env}");
    let anonymous = |id: &str, message: &str| {
        mosquitto_pub(
            port,
            &["-i", id, "-t", "iot_center", "-q", "1", "-m", message],
        )
    };
    let line = |id: &str| format!("environment,clientId={id} Temperature=21.5 {}", now_s());
    let out = anonymous("arduino-1", &line("arduino-1"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(s.values_of("arduino-1").await, 1);
    // Still only registered devices, and only their own lines.
    assert!(!anonymous("unknown-1", &line("unknown-1")).status.success());
    assert!(anonymous("arduino-1", &line("other-1")).status.success());
    assert_eq!(s.telemetry_values().await, 1);
    // A wrong token is still wrong.
    let wrong = publish(
        port,
        "arduino-1",
        "iotc_wrong",
        "iot_center",
        1,
        &line("arduino-1"),
    );
    assert!(!wrong.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_write_pages_virtual_device_publishes_over_mqtt_as_a_device_does() {
    let (s, _) = server(8 << 20).await;
    device_env(&s, "mqtt-writer").await;
    let start = s
        .call(
            "start_writer",
            "devices[0]=mqtt-writer&interval_seconds=1&over=Mqtt",
        )
        .await;
    assert!(
        start.status().is_success(),
        "{}",
        start.text().await.unwrap()
    );
    // Its points reach the store through the listener, counted as the gateway's.
    let mut stored = 0;
    for _ in 0..100 {
        stored = s.values_of("mqtt-writer").await;
        if stored >= 7 * 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        stored >= 14,
        "two points of seven fields, got {stored} values"
    );
    let status = s.call_json("get_writer_status", "").await;
    assert_eq!(status["over"], "Mqtt", "{status}");
    assert_eq!(status["last_error"], serde_json::Value::Null, "{status}");
    assert!(s.call("stop_writer", "").await.status().is_success());

    // With the listener off it says so at once, and writes nothing.
    let off = common::start_with(&[("MQTT_LISTEN", "off")]).await;
    device_env(&off, "mqtt-writer").await;
    let refused = off
        .call(
            "start_writer",
            "devices[0]=mqtt-writer&interval_seconds=1&over=Mqtt",
        )
        .await;
    assert_eq!(refused.status(), 400);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("MQTT listener is off"));
    assert_eq!(
        off.call_json("get_writer_status", "").await["continuous_devices"],
        serde_json::json!([])
    );
}
