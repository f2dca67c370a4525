//! Every fleet view tells one truth about when a device was last seen — the device list, the
//! device page, its tiles and the Overview — right after the gateway takes the points:
//! buffered uploads, late data, a clock ahead, a device last seen long ago (and after a
//! restart), a device removed and registered again.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::gateway::Device;
use common::Server;
use reqwest::StatusCode;
use serde_json::Value;

fn time(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str()
        .map(|t| DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc))
}

/// What each view says of device `id`: last seen and status.
#[derive(Debug)]
struct Views {
    list: (Option<DateTime<Utc>>, Value),
    page: (Option<DateTime<Utc>>, Value),
    /// The newest time among the device page's tiles (its last values over 30 days).
    tiles: Option<DateTime<Utc>>,
    /// Its entry among the Overview's devices that went quiet, if listed.
    overview: Option<Option<DateTime<Utc>>>,
    clock_ahead: Value,
}

async fn views(s: &Server, id: &str) -> Views {
    let query = format!("query[prefix]={id}&query[page]=0");
    let page = s.call_json("find_devices", &query).await;
    let listed = page["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == id)
        .unwrap_or_else(|| panic!("{id} not listed: {page}"))
        .clone();
    let detail = s.call_json("get_device", &format!("id={id}")).await;
    let summary = &detail["summary"];
    let dashboard = s
        .call_json("device_dashboard", &format!("id={id}&window[range]=30d"))
        .await;
    let tiles = dashboard["last_values"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| time(&v["time"]))
        .max();
    let overview = s.call_json("get_fleet_overview", "").await;
    let late = overview["recently_late"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == id)
        .map(|d| time(&d["last_seen"]));
    Views {
        list: (time(&listed["last_seen"]), listed["status"].clone()),
        page: (time(&summary["last_seen"]), summary["status"].clone()),
        tiles,
        overview: late,
        clock_ahead: summary["clock_ahead_seconds"].clone(),
    }
}

/// Lines of device `id` at these times (precision s).
fn lines(id: &str, times: impl IntoIterator<Item = DateTime<Utc>>) -> String {
    times
        .into_iter()
        .map(|t| {
            format!(
                "environment,clientId={id} Temperature=21.5 {}\n",
                t.timestamp()
            )
        })
        .collect()
}

fn whole_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buffered_upload_and_late_data_are_seen_alike_in_every_view_at_once() {
    let s = common::start().await;
    let device = Device::new(&s, "buffered-1").await;
    let before = views(&s, "buffered-1").await;
    assert_eq!(
        (before.list.0, before.page.0, before.tiles),
        (None, None, None)
    );

    // An hour of readings kept through an outage, sent at once when it ends.
    let newest = whole_seconds(Utc::now() - Duration::hours(1));
    let times = (0..60).map(|m| newest - Duration::minutes(59 - m));
    assert_eq!(
        device.write(lines("buffered-1", times)).await.0,
        StatusCode::NO_CONTENT
    );
    let v = views(&s, "buffered-1").await;
    assert_eq!(v.list.0, Some(newest), "{v:?}");
    assert_eq!(v.page.0, Some(newest), "{v:?}");
    assert_eq!(v.tiles, Some(newest), "{v:?}");
    assert_eq!(v.list.1, v.page.1);
    assert_eq!(
        v.list.1, "Offline",
        "an hour quiet at a 1-min interval: {v:?}"
    );
    assert_eq!(v.overview, Some(Some(newest)), "{v:?}");
    assert!(v.clock_ahead.is_null());

    // Older points arriving later move nothing back.
    let older = [newest - Duration::hours(3)];
    assert_eq!(
        device.write(lines("buffered-1", older)).await.0,
        StatusCode::NO_CONTENT
    );
    let v = views(&s, "buffered-1").await;
    assert_eq!(
        (v.list.0, v.page.0, v.tiles),
        (Some(newest), Some(newest), Some(newest))
    );

    // A reading now: online everywhere, and off the Overview's quiet list.
    let now = whole_seconds(Utc::now());
    assert_eq!(
        device.write(lines("buffered-1", [now])).await.0,
        StatusCode::NO_CONTENT
    );
    let v = views(&s, "buffered-1").await;
    assert_eq!(
        (v.list.0, v.page.0, v.tiles),
        (Some(now), Some(now), Some(now))
    );
    assert_eq!(
        (&v.list.1, &v.page.1),
        (&Value::from("Online"), &Value::from("Online"))
    );
    assert_eq!(v.overview, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_ahead_counts_as_seen_on_arrival_and_shows_its_skew() {
    let s = common::start().await;
    let device = Device::new(&s, "ahead-1").await;
    let sent = Utc::now();
    let ahead = whole_seconds(sent + Duration::hours(3));
    assert_eq!(
        device.write(lines("ahead-1", [ahead])).await.0,
        StatusCode::NO_CONTENT
    );
    let v = views(&s, "ahead-1").await;
    let seen = v.list.0.expect("seen");
    assert!(
        seen <= Utc::now() && seen >= sent - Duration::seconds(1),
        "{v:?}"
    );
    assert_eq!(v.page.0, v.list.0);
    assert_eq!(v.list.1, "Online");
    let skew = v.clock_ahead.as_i64().expect("a clock skew");
    assert!((3 * 3_600 - 60..=3 * 3_600).contains(&skew), "{skew}");
    // Silent from now on: it is not online for the three hours its stamps claim.
    // (Its status follows the time of arrival, checked by `seen` above.)

    // Its clock fixed: no skew shown any more.
    let now = whole_seconds(Utc::now());
    assert_eq!(
        device.write(lines("ahead-1", [now])).await.0,
        StatusCode::NO_CONTENT
    );
    assert!(views(&s, "ahead-1").await.clock_ahead.is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_seen_long_ago_says_when_even_after_a_restart() {
    let s = common::start().await;
    let device = Device::new(&s, "old-1").await;
    let long_ago = whole_seconds(Utc::now() - Duration::days(45));
    assert_eq!(
        device.write(lines("old-1", [long_ago])).await.0,
        StatusCode::NO_CONTENT
    );
    let v = views(&s, "old-1").await;
    assert_eq!(
        (v.list.0, v.page.0),
        (Some(long_ago), Some(long_ago)),
        "{v:?}"
    );
    assert_eq!(v.list.1, "Offline");

    // A new server loads the index from InfluxDB: the point is older than any window.
    let s = common::start_in(s.stop()).await;
    let v = views(&s, "old-1").await;
    assert_eq!(
        (v.list.0, v.page.0),
        (Some(long_ago), Some(long_ago)),
        "{v:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_removed_and_registered_again_is_seen_as_its_data_says() {
    let s = common::start().await;
    let now = whole_seconds(Utc::now());
    for id in ["kept-1", "erased-1"] {
        let device = Device::new(&s, id).await;
        assert_eq!(
            device.write(lines(id, [now])).await.0,
            StatusCode::NO_CONTENT
        );
    }
    for (id, delete) in [("kept-1", false), ("erased-1", true)] {
        let form = format!("id={id}&delete_telemetry={delete}");
        assert_eq!(
            s.call("remove_device", &form).await.status(),
            StatusCode::OK
        );
        let v = views(&s, id).await;
        assert_eq!(v.list.1, "Removed", "{v:?}");
    }
    // Registered again: its history kept, or erased with its data.
    let (kept, erased) = (
        Device::new(&s, "kept-1").await,
        Device::new(&s, "erased-1").await,
    );
    let v = views(&s, "kept-1").await;
    assert_eq!(
        (v.list.0, v.page.0, v.tiles),
        (Some(now), Some(now), Some(now)),
        "{v:?}"
    );
    let v = views(&s, "erased-1").await;
    assert_eq!((v.list.0, v.page.0, v.tiles), (None, None, None), "{v:?}");
    assert_eq!(v.list.1, v.page.1);
    // Both write again as new devices.
    for (device, id) in [(kept, "kept-1"), (erased, "erased-1")] {
        let later = whole_seconds(Utc::now());
        assert_eq!(
            device.write(lines(id, [later])).await.0,
            StatusCode::NO_CONTENT
        );
        assert_eq!(views(&s, id).await.list.0, Some(later));
    }
}
