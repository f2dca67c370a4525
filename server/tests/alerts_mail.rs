//! Alert e-mail against a running server and a local SMTP relay that offers STARTTLS with a
//! certificate of a test CA and AUTH PLAIN after it.

mod common;

use axum::http::StatusCode;
use common::alerts::{device, now, post};
use common::smtp::SmtpReceiver;
use common::test_ca::TestCa;
use serde_json::json;

// The relay runs on this test's runtime while the server process sends to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e_mail_reaches_an_smtp_relay_over_starttls() {
    let ca = TestCa::new();
    let relay = SmtpReceiver::start(&ca).await;
    let smtp_url = format!("smtp://alerts:s3cret@localhost:{}?tls=required", relay.port);
    let ca_path = ca.path("ca.pem");
    let s = common::start_with(&[
        ("ALERT_EVALUATE_EVERY", "1"),
        ("SMTP_URL", &smtp_url),
        ("SMTP_FROM", "IoT Center <alerts@iot.example>"),
        ("SMTP_CA_CERT", ca_path.to_str().unwrap()),
    ])
    .await;
    let (status, e) = post(
        &s,
        "/api/alert-endpoints",
        json!({"name": "on call", "kind": "email", "to": "ops@example.com, lead@example.com"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    assert_eq!(e["to"], json!(["ops@example.com", "lead@example.com"]));
    let endpoint = e["id"].as_str().unwrap().to_string();

    // The test button sends one mail now.
    let (status, tested) = post(
        &s,
        &format!("/api/alert-endpoints/{endpoint}/test"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{tested}");
    let mails = relay.wait_for(1, 20).await;
    let test = &mails[0];
    assert!(test.over_tls, "STARTTLS before the mail");
    // base64 of "\0alerts\0s3cret": the user and password of SMTP_URL, sent over TLS only.
    assert_eq!(test.auth.as_deref(), Some("AGFsZXJ0cwBzM2NyZXQ="));
    assert_eq!(test.from, "<alerts@iot.example>");
    assert_eq!(test.to, ["<ops@example.com>", "<lead@example.com>"]);
    assert!(test.data.contains("A test notification"), "{}", test.data);

    // A rule that fires sends one mail saying what fired where.
    let write = device(&s, "mail-1").await;
    let (status, rule) = post(
        &s,
        "/api/alert-rules",
        json!({"name": "CO2 high", "devices": ["mail-1"], "kind": "threshold", "field": "CO2",
               "op": ">", "value": 1000, "level": "crit", "endpoints": [endpoint]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    write(format!("environment,clientId=mail-1 CO2=1500i {}", now())).await;
    let mails = relay.wait_for(2, 20).await;
    let fired = &mails[1].data;
    assert!(
        fired.contains("Subject: [CRIT] firing") && fired.contains("CO2 high on mail-1"),
        "{fired}"
    );
    assert!(fired.contains("CO2 is 1500 (above 1000)"), "{fired}");
}
