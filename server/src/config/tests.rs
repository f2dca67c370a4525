//! The settings' precedence and checks.

use super::*;
use clap::Parser;

fn file(pairs: &[(&str, &str)]) -> FileSettings {
    FileSettings(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

#[test]
fn nothing_configured_means_the_embedded_store_and_defaults() {
    let c = Config::resolve(Cli::default(), &FileSettings::default()).unwrap();
    assert_eq!(
        c.influx,
        Influx::Embedded {
            listen: addr("127.0.0.1:8086"),
            store: tsdb::Config::default(),
            tls: None,
        }
    );
    assert_eq!(c.listen, None);
    assert_eq!(
        (c.telemetry_bucket.as_str(), c.registry_bucket.as_str()),
        ("iot_center", "iot_center_devices")
    );
    assert_eq!(c.data_dir, PathBuf::from("data"));
}

#[test]
fn flags_win_over_the_file_and_the_file_over_defaults() {
    let f = file(&[
        ("INFLUX_URL", "http://file:8086"),
        ("INFLUX_TOKEN", "file-token"),
        ("INFLUX_ORG", "0123456789abcdef"),
        ("INFLUX_BUCKET", "file_bucket"),
    ]);
    let cli = Cli::try_parse_from([
        "iot-center",
        "--influx-url",
        "http://flag:8086",
        "--influx-bucket-auth",
        "flag_registry",
    ])
    .unwrap();
    let c = Config::resolve(cli, &f).unwrap();
    assert_eq!(
        c.influx,
        Influx::Remote {
            url: "http://flag:8086".into(),
            token: "file-token".into(),
            org: "0123456789abcdef".into(),
            tls: influx_client::Tls::PlatformRoots,
        }
    );
    assert_eq!(
        (c.telemetry_bucket.as_str(), c.registry_bucket.as_str()),
        ("file_bucket", "flag_registry")
    );
}

#[test]
fn the_embedded_stores_limits_come_from_flags_and_are_checked() {
    let cli = Cli::try_parse_from([
        "iot-center",
        "--query-timeout",
        "5",
        "--query-max-depth",
        "64",
        "--query-max-rows",
        "1000",
        "--query-max-bytes",
        "4096",
        "--max-write-bytes",
        "2048",
        "--request-timeout",
        "7",
    ])
    .unwrap();
    let config = Config::resolve(cli, &FileSettings::default()).unwrap();
    assert_eq!(config.request_timeout, std::time::Duration::from_secs(7));
    let Influx::Embedded { store, .. } = config.influx else {
        panic!("no INFLUX_URL: embedded")
    };
    assert_eq!(store.max_write_bytes, 2048);
    assert_eq!(
        store.query_limits,
        tsdb::flux::Limits {
            max_depth: 64,
            timeout: std::time::Duration::from_secs(5),
            max_rows: 1000,
            max_bytes: 4096,
        }
    );
    assert_eq!(store.request_timeout, std::time::Duration::from_secs(7));
    for zero in [
        "--query-timeout",
        "--query-max-depth",
        "--query-max-rows",
        "--query-max-bytes",
        "--request-timeout",
        "--max-write-bytes",
    ] {
        let err = Cli::try_parse_from(["iot-center", zero, "0"]).unwrap_err();
        assert!(err.to_string().contains("0 is not in 1.."), "{zero}: {err}");
    }
}

#[test]
fn device_status_thresholds_come_from_flags_or_the_file_and_are_checked() {
    let c = Config::resolve(Cli::default(), &FileSettings::default()).unwrap();
    assert_eq!(c.status_thresholds, StatusThresholds::default());
    let f = file(&[("STALE_AFTER", "3"), ("OFFLINE_AFTER", "6")]);
    let cli = Cli::try_parse_from(["iot-center", "--offline-after", "20"]).unwrap();
    assert_eq!(
        Config::resolve(cli, &f).unwrap().status_thresholds,
        StatusThresholds::new(3, 20).unwrap()
    );
    let bad = Config::resolve(Cli::default(), &file(&[("STALE_AFTER", "soon")])).unwrap_err();
    assert!(bad.to_string().contains("STALE_AFTER"), "{bad}");
    let cli = Cli::try_parse_from(["iot-center", "--stale-after", "10"]).unwrap();
    let inverted = Config::resolve(cli, &FileSettings::default()).unwrap_err();
    assert!(
        inverted
            .to_string()
            .contains("stale after (10) < offline after (10)"),
        "{inverted}"
    );
}

#[test]
fn alert_mail_needs_a_relay_and_a_sender_and_hides_the_password() {
    let c = Config::resolve(Cli::default(), &FileSettings::default()).unwrap();
    assert_eq!(c.smtp, None);
    let url = "smtp://alerts:s3cret@smtp.example.com:587?tls=required";
    let only_url = file(&[("SMTP_URL", url)]);
    let e = Config::resolve(Cli::default(), &only_url).unwrap_err();
    assert!(e.to_string().contains("SMTP_FROM"), "{e}");
    let cli = Cli::try_parse_from(["iot-center", "--smtp-from", "alerts@example.com"]).unwrap();
    let c = Config::resolve(cli, &only_url).unwrap();
    let smtp = c.smtp.clone().unwrap();
    assert_eq!(
        (smtp.url.as_str(), smtp.from.as_str()),
        (url, "alerts@example.com")
    );
    assert!(!format!("{c:?}").contains("s3cret"), "{c:?}");
    let missing_ca = file(&[
        ("SMTP_URL", url),
        ("SMTP_FROM", "a@example.com"),
        ("SMTP_CA_CERT", "/nonexistent/ca.pem"),
    ]);
    let e = Config::resolve(Cli::default(), &missing_ca).unwrap_err();
    assert!(e.to_string().contains("/nonexistent/ca.pem"), "{e}");
}

#[test]
fn device_registration_defaults_to_approval_and_is_checked() {
    let c = Config::resolve(Cli::default(), &FileSettings::default()).unwrap();
    assert_eq!(c.device_registration, Policy::Approve);
    assert_eq!(c.provisioning_secret, None);
    let f = file(&[
        ("DEVICE_REGISTRATION", "closed"),
        ("DEVICE_PROVISIONING_SECRET", "s3cret"),
    ]);
    let c = Config::resolve(Cli::default(), &f).unwrap();
    assert_eq!(c.device_registration, Policy::Closed);
    assert!(!format!("{c:?}").contains("s3cret"));
    let cli = Cli::try_parse_from(["iot-center", "--device-registration", "open"]).unwrap();
    assert_eq!(
        Config::resolve(cli, &f).unwrap().device_registration,
        Policy::Open
    );
    let bad =
        Config::resolve(Cli::default(), &file(&[("DEVICE_REGISTRATION", "anyone")])).unwrap_err();
    assert!(bad.to_string().contains("open, approve or closed"), "{bad}");
}

#[test]
fn the_embedded_stores_tls_takes_a_certificate_and_its_key() {
    let f = file(&[
        ("TSDB_TLS_CERT", "/etc/c.pem"),
        ("TSDB_TLS_KEY", "/etc/k.pem"),
    ]);
    let Influx::Embedded { tls, .. } = Config::resolve(Cli::default(), &f).unwrap().influx else {
        panic!("no INFLUX_URL: embedded")
    };
    assert_eq!(tls, Some(("/etc/c.pem".into(), "/etc/k.pem".into())));
    let half = Config::resolve(Cli::default(), &file(&[("TSDB_TLS_CERT", "/etc/c.pem")]));
    assert!(half
        .unwrap_err()
        .to_string()
        .contains("both a certificate and its key"));
}

#[test]
fn whom_to_trust_at_a_remote_influxdb() {
    let remote = [
        "iot-center",
        "--influx-url",
        "https://x",
        "--influx-token",
        "t",
        "--influx-org",
        "o",
    ];
    let tls = |extra: &[&str]| -> Result<influx_client::Tls, ConfigError> {
        let cli = Cli::try_parse_from(remote.iter().chain(extra)).unwrap();
        match Config::resolve(cli, &FileSettings::default())?.influx {
            Influx::Remote { tls, .. } => Ok(tls),
            Influx::Embedded { .. } => panic!("INFLUX_URL is set: remote"),
        }
    };
    assert_eq!(tls(&[]).unwrap(), influx_client::Tls::PlatformRoots);
    assert_eq!(
        tls(&["--influx-insecure-skip-verify"]).unwrap(),
        influx_client::Tls::InsecureSkipVerify
    );
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, "PEM").unwrap();
    let ca = ca.to_str().unwrap();
    assert_eq!(
        tls(&["--influx-ca-cert", ca]).unwrap(),
        influx_client::Tls::ExtraRoots(b"PEM".to_vec())
    );
    let missing = tls(&["--influx-ca-cert", "/nonexistent/ca.pem"]).unwrap_err();
    assert!(
        missing.to_string().contains("/nonexistent/ca.pem"),
        "{missing}"
    );
    let both = tls(&["--influx-ca-cert", ca, "--influx-insecure-skip-verify"]).unwrap_err();
    assert!(both.to_string().contains("exclude each other"), "{both}");
}

#[test]
fn a_remote_influxdb_needs_a_token_and_an_org() {
    let e = Config::resolve(
        Cli {
            influx_url: Some("http://x".into()),
            ..Cli::default()
        },
        &FileSettings::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("INFLUX_TOKEN"), "{e}");
}

#[test]
fn the_environment_sits_between_flags_and_the_file() {
    // The one test that touches the process environment, with a variable no other test reads.
    std::env::set_var("INFLUX_BUCKET_AUTH", "env_registry");
    let from_env = Cli::try_parse_from(["iot-center"]).unwrap();
    let from_flag =
        Cli::try_parse_from(["iot-center", "--influx-bucket-auth", "flag_registry"]).unwrap();
    std::env::remove_var("INFLUX_BUCKET_AUTH");
    let f = file(&[("INFLUX_BUCKET_AUTH", "file_registry")]);
    assert_eq!(
        Config::resolve(from_env, &f).unwrap().registry_bucket,
        "env_registry"
    );
    assert_eq!(
        Config::resolve(from_flag, &f).unwrap().registry_bucket,
        "flag_registry"
    );
}

#[test]
fn config_ini_is_read_from_its_app_section() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.ini");
    std::fs::write(&path, "[APP]\nINFLUX_URL = http://localhost:8086\nINFLUX_TOKEN = t\nINFLUX_ORG = my-org\n[OTHER]\nINFLUX_BUCKET = no\n").unwrap();
    let f = FileSettings::load(&path).unwrap();
    assert_eq!(f.get("INFLUX_ORG").as_deref(), Some("my-org"));
    assert_eq!(f.get("INFLUX_BUCKET"), None);
    assert_eq!(
        FileSettings::load(&dir.path().join("missing.ini")).unwrap(),
        FileSettings::default()
    );
}

#[test]
fn mqtt_options_are_a_json_object_within_4_kib() {
    let c = Config::resolve(Cli::default(), &FileSettings::default()).unwrap();
    assert_eq!(c.mqtt_options, None);
    let f = file(&[("MQTT_OPTIONS", " {\"connectTimeout\":10000} ")]);
    let c = Config::resolve(Cli::default(), &f).unwrap();
    assert_eq!(
        c.mqtt_options.as_deref(),
        Some("{\"connectTimeout\":10000}")
    );
    let at = format!("{{\"k\":\"{}\"}}", "x".repeat(4096 - 8));
    assert_eq!(at.len(), 4096);
    assert!(Config::resolve(Cli::default(), &file(&[("MQTT_OPTIONS", &at)])).is_ok());
    let past = format!("{{\"k\":\"{}\"}}", "x".repeat(4096 - 7));
    for (bad, why) in [
        (past.as_str(), "more than 4096"),
        ("[1, 2]", "is not an object"),
        ("connectTimeout=10", "expected value"),
    ] {
        let e = Config::resolve(Cli::default(), &file(&[("MQTT_OPTIONS", bad)])).unwrap_err();
        assert!(e.to_string().contains(why), "{bad}: {e}");
    }
}

#[test]
fn a_bridged_broker_over_tls_takes_a_ca_file_only_for_mqtts() {
    let f = file(&[
        ("MQTT_URL", "mqtts://broker.example"),
        ("MQTT_CA_FILE", "/etc/fleet/ca.pem"),
    ]);
    let bridge = Config::resolve(Cli::default(), &f)
        .unwrap()
        .mqtt_bridge
        .unwrap();
    assert_eq!(bridge.url(), "mqtts://broker.example:8883");
    assert_eq!(bridge.ca_file, Some(PathBuf::from("/etc/fleet/ca.pem")));
    for (pairs, why) in [
        (vec![("MQTT_CA_FILE", "/ca.pem")], "MQTT_URL is not"),
        (
            vec![
                ("MQTT_URL", "mqtt://broker.example"),
                ("MQTT_CA_FILE", "/ca.pem"),
            ],
            "is not mqtts://",
        ),
        (
            vec![("MQTT_URL", "http://broker.example")],
            "mqtts://host[:port]",
        ),
    ] {
        let e = Config::resolve(Cli::default(), &file(&pairs)).unwrap_err();
        assert!(e.to_string().contains(why), "{pairs:?}: {e}");
    }
}
