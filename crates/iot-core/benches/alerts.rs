//! One evaluation of the alert rules (issue #17's budget: 1,000 devices × 5 rules in under
//! a second): 1,000 registered devices with a point of five fields each, five rules for
//! every device, against an in-process `tsdb` over HTTP on loopback.
//! `cargo bench -p iot-core --bench alerts`.

// The tests' fixture: a real `tsdb`, onboarded, and a backend over it.
#[path = "../tests/common/mod.rs"]
mod common;

use iot_core::alerts::Alerts;
use iot_core::instances::Instances;
use iot_core::registry;
use iot_core::state_db::{StateDb, StateLocation};
use std::time::{Duration, Instant};

const DEVICES: usize = 1_000;

#[tokio::main]
async fn main() {
    let f = common::start().await;
    let b = &f.backend;
    let started = Instant::now();
    for n in 0..DEVICES {
        registry::register(b, &common::id(&format!("dev-{n:04}")))
            .await
            .unwrap();
    }
    println!("{DEVICES} devices registered in {:?}", started.elapsed());
    let now = chrono::Utc::now().timestamp() - 60;
    let lines: Vec<String> = (0..DEVICES)
        .map(|n| {
            format!(
                "environment,clientId=dev-{n:04} Temperature={},Humidity={},Pressure=1000,CO2={},TVOC={} {now}",
                15 + n % 15,
                20 + n % 40,
                400 + n % 1_200,
                n % 700
            )
        })
        .collect();
    f.write(&lines.join("\n")).await;

    let dir = tempfile::tempdir().unwrap();
    let state = StateDb::open(&StateLocation::DataDir(dir.path().into()))
        .await
        .unwrap();
    let instances = Instances::new(state.clone(), "bench".into(), "bench".into());
    let alerts = Alerts::new(state, instances.into(), None, Default::default());
    for rule in [
        r#"{"name":"CO2","devices":"*","kind":"threshold","field":"CO2","op":">","value":1000}"#,
        r#"{"name":"Temperature","devices":"*","kind":"threshold","field":"Temperature","op":"outside","value":18,"value2":26}"#,
        r#"{"name":"Dry","devices":"*","kind":"threshold","field":"Humidity","op":"<","value":30,"for_seconds":60}"#,
        r#"{"name":"TVOC","devices":"*","kind":"threshold","field":"TVOC","op":">","value":500,"level":"crit"}"#,
        r#"{"name":"Quiet","devices":"*","kind":"silent","silent_seconds":300}"#,
    ] {
        alerts
            .store
            .add_rule(serde_json::from_str(rule).unwrap())
            .await
            .unwrap();
    }
    // The first evaluation reads back the last states and writes every change it finds.
    let t = Instant::now();
    let first = alerts.evaluate(b).await.unwrap();
    println!(
        "first evaluation: {} rules, {} (rule, device) pairs, {} changes written, {:?}",
        first.rules,
        first.checked,
        first.changes,
        t.elapsed()
    );
    let mut samples: Vec<Duration> = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        alerts.evaluate(b).await.unwrap();
        samples.push(t.elapsed());
    }
    samples.sort();
    println!(
        "evaluation of {} devices × 5 rules: p50 {:?}, p90 {:?}, max {:?} (20 cycles)",
        DEVICES, samples[10], samples[18], samples[19]
    );
}
