//! The bridge to a fleet's own broker, against Debian's Mosquitto run by the test: what
//! registered devices publish there is stored, nothing else is, and the bridge comes back
//! after the broker restarts.

mod common;

use common::{device_env, free_port, Server};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Mosquitto on `port` (loopback, anonymous: its defaults without a configuration file).
async fn broker(port: u16) -> Child {
    broker_with(&["-p", &port.to_string()], port).await
}

/// Mosquitto started with `args`, once it accepts connections on `port`.
async fn broker_with(args: &[&str], port: u16) -> Child {
    let mut child = Command::new("mosquitto")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("mosquitto (Debian's mosquitto; make test installs it)");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("mosquitto did not start");
}

/// Publishes `message` to the broker on `port`, as a device with no credentials.
fn publish(port: u16, topic: &str, message: &str) {
    let out = common::mosquitto_pub(port, &["-q", "1", "-t", topic, "-m", message]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The bridge's state in `/health`, once `connected` is as wanted (within 40 s).
async fn bridge_state(s: &Server, connected: bool) -> serde_json::Value {
    for _ in 0..400 {
        let (_, health) = common::get_as(&format!("{}/health", s.url), &s.token).await;
        if health["mqtt_bridge"]["connected"] == connected {
            return health["mqtt_bridge"].clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the bridge never became connected = {connected}");
}

/// How many values of `id` the store holds, once it holds `want` (within 5 s).
async fn values(s: &Server, id: &str, want: usize) -> usize {
    let mut n = 0;
    for _ in 0..50 {
        n = s.values_of(id).await;
        if n == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registered_devices_publishing_to_the_fleets_broker_are_stored() {
    let port = free_port();
    let mut mosquitto = broker(port).await;
    let url = format!("mqtt://127.0.0.1:{port}");
    let s = common::start_with(&[("MQTT_URL", &url), ("MQTT_LISTEN", "off")]).await;
    let state = bridge_state(&s, true).await;
    assert_eq!(state["broker"], url.as_str());
    // Devices are told the fleet's broker and topic, never the bridge's own credentials
    // (nor their IoT Center token as an MQTT password: the broker has its own).
    let env = device_env(&s, "br-1").await;
    assert_eq!(env["mqtt_url"], url.as_str(), "{env}");
    assert_eq!(env["mqtt_topic"], "iot_center");
    assert_eq!(env["write_endpoint"], "/mqtt");
    assert!(
        env["mqtt_user"].is_null() && env["mqtt_password"].is_null(),
        "{env}"
    );
    let t = chrono::Utc::now().timestamp();

    // The flat topic, by each line's clientId; and a device's own topic.
    publish(
        port,
        "iot_center",
        &format!("environment,clientId=br-1 Temperature=21.5 {t}"),
    );
    assert_eq!(values(&s, "br-1", 1).await, 1);
    let own = format!("environment Temperature=22.5 {}", t + 1);
    publish(port, "devices/br-1/telemetry", &own);
    assert_eq!(values(&s, "br-1", 2).await, 2);

    // An unregistered device, a line naming no device, another device's topic for br-1's
    // lines: refused, nothing stored.
    publish(
        port,
        "iot_center",
        &format!("environment,clientId=stranger-1 Temperature=1 {t}"),
    );
    publish(
        port,
        "iot_center",
        &format!("environment Temperature=2 {t}"),
    );
    let other = format!("environment,clientId=br-1 Temperature=3 {}", t + 2);
    publish(port, "devices/br-2/telemetry", &other);
    // Then one that is stored: everything before it has been handled.
    publish(
        port,
        "iot_center",
        &format!("environment,clientId=br-1 Temperature=4 {}", t + 3),
    );
    assert_eq!(values(&s, "br-1", 3).await, 3);
    assert_eq!(s.telemetry_values().await, 3);

    // The broker goes away and comes back: so does the bridge.
    mosquitto.kill().unwrap();
    mosquitto.wait().unwrap();
    let down = bridge_state(&s, false).await;
    assert!(
        down["message"].as_str().unwrap().contains("trying again"),
        "{down}"
    );
    let mut mosquitto = broker(port).await;
    bridge_state(&s, true).await;
    publish(
        port,
        "iot_center",
        &format!("environment,clientId=br-1 Temperature=5 {}", t + 4),
    );
    assert_eq!(values(&s, "br-1", 4).await, 4);
    mosquitto.kill().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_over_tls_is_bridged_when_its_certificate_is_trusted() {
    let ca = common::test_ca::TestCa::new();
    let (plain, tls) = (free_port(), free_port());
    let conf = ca.path("mosquitto.conf");
    std::fs::write(
        &conf,
        format!(
            "per_listener_settings false\nallow_anonymous true\n\
             listener {plain} 127.0.0.1\n\
             listener {tls} 127.0.0.1\ncertfile {}\nkeyfile {}\n",
            ca.path("cert.pem").display(),
            ca.path("key.pem").display()
        ),
    )
    .unwrap();
    let mut mosquitto = broker_with(&["-c", conf.to_str().unwrap()], tls).await;
    let url = format!("mqtts://localhost:{tls}");
    let ca_file = ca.path("ca.pem");
    let s = common::start_with(&[
        ("MQTT_URL", &url),
        ("MQTT_CA_FILE", ca_file.to_str().unwrap()),
        ("MQTT_LISTEN", "off"),
    ])
    .await;
    assert_eq!(bridge_state(&s, true).await["broker"], url.as_str());
    let env = device_env(&s, "tls-1").await;
    assert_eq!(env["mqtt_url"], url.as_str(), "{env}");
    let t = chrono::Utc::now().timestamp();
    publish(
        plain,
        "iot_center",
        &format!("environment,clientId=tls-1 Temperature=21.5 {t}"),
    );
    assert_eq!(values(&s, "tls-1", 1).await, 1);

    // Trusting only the platform's roots, the test CA's certificate is refused: the bridge
    // stays down and says why.
    let untrusting = common::start_with(&[("MQTT_URL", &url), ("MQTT_LISTEN", "off")]).await;
    let mut down = serde_json::Value::Null;
    for _ in 0..100 {
        let (_, health) =
            common::get_as(&format!("{}/health", untrusting.url), &untrusting.token).await;
        down = health["mqtt_bridge"].clone();
        if down["message"]
            .as_str()
            .is_some_and(|m| m.contains("trying again"))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(down["connected"], false, "{down}");
    assert!(
        down["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("certificate"),
        "{down}"
    );
    mosquitto.kill().unwrap();
}
