//! Every operation of the client against a real `tsdb` on a loopback port.

use influx_client::{flux, Client, ClientConfig, Error, FluxValue, Permission, Point, Precision};
use std::sync::Arc;

struct Tsdb {
    url: String,
    org_id: String,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn tsdb() -> Tsdb {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(tsdb::storage::Store::open(dir.path()).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(tsdb::serve(
        listener,
        store,
        tsdb::Config::default(),
        async {
            let _ = rx.await;
        },
    ));
    let setup = serde_json::json!({"username": "u", "password": "password", "org": "my-org", "bucket": "iot", "token": "op-token"});
    let v: serde_json::Value = reqwest::Client::new()
        .post(format!("{url}/api/v2/setup"))
        .json(&setup)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Tsdb {
        url,
        org_id: v["org"]["id"].as_str().unwrap().into(),
        _dir: dir,
        _stop: tx,
    }
}

fn client(t: &Tsdb, token: &str, org: &str) -> Client {
    Client::new(ClientConfig::new(&t.url, token, org)).unwrap()
}

#[tokio::test]
async fn org_by_name_or_id() {
    let t = tsdb().await;
    assert_eq!(
        client(&t, "op-token", "my-org").org_id().await.unwrap(),
        t.org_id
    );
    assert_eq!(
        client(&t, "op-token", &t.org_id).org_id().await.unwrap(),
        t.org_id
    );
    assert!(client(&t, "op-token", "other-org")
        .org_id()
        .await
        .unwrap_err()
        .is_not_found());
    let debug = format!("{:?}", client(&t, "op-token", "my-org"));
    assert!(!debug.contains("op-token"), "{debug}");
}

#[tokio::test]
async fn write_points_and_read_them_back_typed() {
    let t = tsdb().await;
    let c = client(&t, "op-token", "my-org");
    let points = [
        Point::new("environment")
            .tag("clientId", "dev \"1\"")
            .field("Temperature", 21.5)
            .field("CO2", 400i64)
            .field("ok", true)
            .time(60),
        Point::new("environment")
            .tag("clientId", "dev \"1\"")
            .field("Temperature", 22.5)
            .field("CO2", 410i64)
            .field("ok", false)
            .time(120),
    ];
    c.write("iot", Precision::S, &points).await.unwrap();

    let q = format!(
        "from(bucket: \"iot\") |> range(start: 0) |> filter(fn: (r) => r.clientId == {}) |> last()",
        flux::string("dev \"1\"")
    );
    let records = c.query(&q).await.unwrap();
    let by_field: Vec<(&str, &FluxValue)> = records
        .iter()
        .map(|r| (r.field().unwrap(), r.value().unwrap()))
        .collect();
    assert_eq!(
        by_field,
        vec![
            ("CO2", &FluxValue::Long(410)),
            ("Temperature", &FluxValue::Double(22.5)),
            ("ok", &FluxValue::Boolean(false))
        ]
    );
    assert_eq!(records[0].time().unwrap().timestamp(), 120);

    #[derive(serde::Deserialize)]
    struct Row {
        #[serde(rename = "Temperature")]
        temperature: f64,
        #[serde(rename = "_time")]
        time: chrono::DateTime<chrono::Utc>,
    }
    let pivoted = format!(
        "from(bucket: \"iot\") |> range(start: 0) |> filter(fn: (r) => r.clientId == {}) \
         |> drop(columns: [\"clientId\"]) \
         |> pivot(rowKey: [\"_time\"], columnKey: [\"_field\"], valueColumn: \"_value\")",
        flux::string("dev \"1\"")
    );
    let rows: Vec<Row> = c.query_as(&pivoted).await.unwrap();
    assert_eq!(
        rows.iter()
            .map(|r| (r.time.timestamp(), r.temperature))
            .collect::<Vec<_>>(),
        vec![(60, 21.5), (120, 22.5)]
    );
}

#[tokio::test]
async fn large_writes_go_gzip() {
    let t = tsdb().await;
    let mut config = ClientConfig::new(&t.url, "op-token", "my-org");
    config.gzip_threshold = 100;
    let c = Client::new(config).unwrap();
    let points: Vec<Point> = (0..500)
        .map(|i| Point::new("m").tag("k", "v").field("v", i).time(i))
        .collect();
    c.write("iot", Precision::S, &points).await.unwrap();
    let n = c
        .query("from(bucket: \"iot\") |> range(start: 0) |> count()")
        .await
        .unwrap();
    assert_eq!(n[0].value(), Some(&FluxValue::Long(500)));
}

#[tokio::test]
async fn errors_say_what_went_wrong() {
    let t = tsdb().await;
    let c = client(&t, "op-token", "my-org");
    let e = client(&t, "wrong", "my-org")
        .query("buckets()")
        .await
        .unwrap_err();
    assert!(e.is_unauthorized(), "{e}");
    let e = c
        .write("nope", Precision::S, &[Point::new("m").field("v", 1.0)])
        .await
        .unwrap_err();
    assert!(e.is_not_found(), "{e}");
    let e = c
        .query("from(bucket: \"iot\") |> range(start: -1h) |> nonsense()")
        .await
        .unwrap_err();
    assert!(e.is_bad_query(), "{e}");
    let e = c
        .write_line_protocol("iot", Precision::S, b"m v=".to_vec())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Api { status: 400, message, .. } if message.starts_with("unable to parse")),
        "{e}"
    );
    // The error table after output is an error too, not silent data.
    c.write_line_protocol("iot", Precision::S, b"m v=1 1".to_vec())
        .await
        .unwrap();
    let e = c.query("from(bucket: \"iot\") |> range(start: 0) |> yield(name: \"a\")\nfrom(bucket: \"gone\") |> range(start: 0)").await.unwrap_err();
    assert!(
        matches!(&e, Error::Query(m) if m.contains("could not find bucket")),
        "{e}"
    );
    let unreachable = Client::new(ClientConfig {
        max_retries: 0,
        ..ClientConfig::new("http://127.0.0.1:1", "t", "o")
    })
    .unwrap();
    assert!(unreachable.health().await.unwrap_err().is_unreachable());
    assert_eq!(Client::new(ClientConfig::new("localhost:8086", "t", "o")).unwrap_err().to_string(), "invalid configuration: InfluxDB URL \"localhost:8086\" must start with http:// or https://");
}

#[tokio::test]
async fn buckets_authorizations_delete_and_health() {
    let t = tsdb().await;
    let c = client(&t, "op-token", "my-org");
    let b = c.create_bucket("registry", 7 * 86_400).await.unwrap();
    assert_eq!(b.retention_seconds(), 604_800);
    assert_eq!(c.find_bucket("registry").await.unwrap().unwrap().id, b.id);
    assert!(c.find_bucket("missing").await.unwrap().is_none());
    assert!(c.buckets().await.unwrap().iter().any(|x| x.name == "iot"));

    let iot = c.find_bucket("iot").await.unwrap().unwrap();
    let auth = c
        .create_authorization(
            "IoTCenterDevice: dev-1",
            vec![Permission::write_bucket(&t.org_id, &iot.id)],
        )
        .await
        .unwrap();
    assert!(!auth.token.is_empty());
    assert!(!format!("{auth:?}").contains(&auth.token));
    let device = client(&t, &auth.token, "my-org");
    device
        .write(
            "iot",
            Precision::S,
            &[Point::new("m").field("v", 1.0).time(5)],
        )
        .await
        .unwrap();
    assert!(device
        .write("registry", Precision::S, &[Point::new("m").field("v", 1.0)])
        .await
        .unwrap_err()
        .is_unauthorized());
    assert!(device
        .query("from(bucket: \"iot\") |> range(start: 0)")
        .await
        .unwrap_err()
        .is_unauthorized());

    assert!(!c
        .set_authorization_active(&auth.id, false)
        .await
        .unwrap()
        .is_active());
    assert!(device
        .write("iot", Precision::S, &[Point::new("m").field("v", 2.0)])
        .await
        .unwrap_err()
        .is_unauthorized());
    assert_eq!(
        c.authorization(&auth.id)
            .await
            .unwrap()
            .unwrap()
            .description,
        "IoTCenterDevice: dev-1"
    );
    assert_eq!(c.authorizations().await.unwrap().len(), 2);
    c.delete_authorization(&auth.id).await.unwrap();
    assert!(c.authorization(&auth.id).await.unwrap().is_none());

    let epoch = chrono::DateTime::from_timestamp(0, 0).unwrap();
    c.delete(
        "iot",
        epoch,
        epoch + chrono::Duration::seconds(10),
        "_measurement=\"m\"",
    )
    .await
    .unwrap();
    assert!(c
        .query("from(bucket: \"iot\") |> range(start: 0)")
        .await
        .unwrap()
        .is_empty());
    c.delete_bucket(&b.id).await.unwrap();

    assert_eq!(c.health().await.unwrap().status, "pass");
    assert!(c.ready().await.unwrap());
    assert!(c.ping().await.unwrap().starts_with("v2"));
}
