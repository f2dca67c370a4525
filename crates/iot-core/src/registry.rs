//! The device registry, as the reference IoT Center keeps it (see [`crate::layout`]): one
//! row per change of a device's registration. Each device gets its own IoT Center token,
//! which only the gateway ([`crate::gateway`]) accepts: no device holds an InfluxDB token.

use crate::layout::{
    self, REGISTRY_CREATED_AT, REGISTRY_DEVICE_TAG, REGISTRY_KEY, REGISTRY_MEASUREMENT,
    REGISTRY_TOKEN,
};
use crate::Error;
use crate::{queries, Backend};
use chrono::{DateTime, SecondsFormat, Utc};
use influx_client::{flux, FluxValue, Point, Precision};
use iot_models::{DeviceId, DeviceStatus, DeviceSummary};
use rand::Rng;
use std::collections::BTreeMap;

mod bulk;
mod fields;
pub use bulk::{ids_from_csv, register_many};

/// A registered device with its token, for the device itself or its operator only.
#[derive(Clone, PartialEq)]
pub struct Registration {
    pub id: DeviceId,
    pub key: String,
    pub token: String,
    pub created_at: String,
    pub updated_at: String,
    pub newly_registered: bool,
}

/// A registry row: the device's authorization id and token (both empty once removed).
fn registry_row(id: &DeviceId, key: &str, token: &str, created_at: &str) -> Point {
    Point::new(REGISTRY_MEASUREMENT)
        .tag(REGISTRY_DEVICE_TAG, id.as_str())
        .field(REGISTRY_KEY, key)
        .field(REGISTRY_TOKEN, token)
        .field(REGISTRY_CREATED_AT, created_at)
}

/// A new device token: 256 random bits, marked as IoT Center's so secret scanners know it.
fn new_token() -> String {
    format!("iotc_{}", crate::secrets::random_secret())
}

/// A new registration key: the id of a device's token, shown in lists in its place.
fn new_key() -> String {
    let bytes: [u8; 8] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A device's latest registry row: field → (value, time).
pub(crate) use fields::Fields;
/// The latest registry row of each device.
pub(crate) type Rows = BTreeMap<String, Fields>;

/// The registry rows of one device or all, written since `since` (all time: `None`).
pub(crate) async fn registry_rows(
    b: &Backend,
    id: Option<&DeviceId>,
    with_tokens: bool,
    since: Option<DateTime<Utc>>,
) -> Result<Rows, Error> {
    let q = queries::registry(
        &b.settings.registry_bucket,
        id.map(DeviceId::as_str),
        with_tokens,
        since,
    );
    let mut rows: Rows = BTreeMap::new();
    b.client
        .query_each(&q, |r| {
            let (Some(device), Some(field), Some(time)) = (
                r.get(REGISTRY_DEVICE_TAG).and_then(FluxValue::as_str),
                r.field(),
                r.time(),
            ) else {
                return;
            };
            let value = r.value().and_then(FluxValue::as_str).unwrap_or_default();
            rows.entry(device.to_string())
                .or_default()
                .insert(field, value, time);
        })
        .await?;
    Ok(rows)
}

pub(crate) fn registration_from(id: &DeviceId, fields: &Fields) -> Registration {
    let get = |k: &str| {
        fields
            .get(k)
            .map(|(v, _)| v.to_string())
            .unwrap_or_default()
    };
    let updated = fields.updated().unwrap_or_else(Utc::now);
    Registration {
        id: id.clone(),
        key: get(REGISTRY_KEY),
        token: get(REGISTRY_TOKEN),
        created_at: get(REGISTRY_CREATED_AT),
        updated_at: updated.to_rfc3339_opts(SecondsFormat::Millis, true),
        newly_registered: false,
    }
}

/// The device's registration, if it is registered now (not removed), with its token.
pub async fn lookup(b: &Backend, id: &DeviceId) -> Result<Option<Registration>, Error> {
    let rows = registry_rows(b, Some(id), true, None).await?;
    Ok(working(id, rows.get(id.as_str())))
}

/// The registration in a device's registry row (with its token), unless it was removed.
fn working(id: &DeviceId, row: Option<&Fields>) -> Option<Registration> {
    row.map(|f| registration_from(id, f))
        .filter(|reg| !reg.key.is_empty() && !reg.token.is_empty())
}

/// The token never shows in logs or panics.
impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("id", &self.id)
            .field("key", &self.key)
            .field("token", &"••••••")
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// How many locks the ids of all devices share.
const LOCKS: usize = 64;

/// Registration and removal are single-flight per device: concurrent first registrations of
/// one id wait for the first, which mints the one token. Ids share a fixed set of locks by
/// hash, so the set never grows; two ids on one lock only take turns.
pub struct RegistrationLocks([tokio::sync::Mutex<()>; LOCKS]);

impl Default for RegistrationLocks {
    fn default() -> Self {
        RegistrationLocks(std::array::from_fn(|_| tokio::sync::Mutex::new(())))
    }
}

impl RegistrationLocks {
    async fn hold(&self, id: &DeviceId) -> tokio::sync::MutexGuard<'_, ()> {
        use std::hash::{BuildHasher, RandomState};
        static HASHER: std::sync::OnceLock<RandomState> = std::sync::OnceLock::new();
        let hash = HASHER.get_or_init(RandomState::new).hash_one(id);
        self.0[(hash % LOCKS as u64) as usize].lock().await
    }

    /// Every lock, taken in order (so two callers never wait on each other's).
    async fn hold_all(&self) -> Vec<tokio::sync::MutexGuard<'_, ()>> {
        let mut all = Vec::with_capacity(LOCKS);
        for lock in &self.0 {
            all.push(lock.lock().await);
        }
        all
    }
}

/// Registers a device, or returns its registration when it already has a working token:
/// registering twice, even at once, never mints a second token.
pub async fn register(b: &Backend, id: &DeviceId) -> Result<Registration, Error> {
    let _turn = b.registrations.hold(id).await;
    let rows = registry_rows(b, Some(id), true, None).await?;
    let previous = rows.get(id.as_str());
    if let Some(existing) = working(id, previous) {
        return Ok(existing);
    }
    let created_at = previous
        .and_then(|f| f.get(REGISTRY_CREATED_AT))
        .map(|(v, _)| v.to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(now);
    let (key, token) = (new_key(), new_token());
    let row = registry_row(id, &key, &token, &created_at);
    b.client
        .write(&b.settings.registry_bucket, Precision::Ms, &[row])
        .await?;
    b.fleet.note(id, &key, &token, &created_at);
    let stamp = now();
    Ok(Registration {
        id: id.clone(),
        key,
        token,
        created_at,
        updated_at: stamp,
        newly_registered: true,
    })
}

/// Every registered device (tokens never read), with when it last wrote telemetry, from the
/// fleet index: no query once it is loaded.
pub async fn list(b: &Backend) -> Result<Vec<DeviceSummary>, Error> {
    b.fleet.summaries(b).await
}

/// One device as the list shows it, or `None` when it was never registered: read now, not
/// from the index.
pub async fn summary(b: &Backend, id: &DeviceId) -> Result<Option<DeviceSummary>, Error> {
    Ok(read(b, id).await?.map(|(_, summary)| summary))
}

/// One device read now: its registration (with its token) and its summary, or `None` when
/// it was never registered. Its registry row and its last point, read at once.
pub async fn read(
    b: &Backend,
    id: &DeviceId,
) -> Result<Option<(Registration, DeviceSummary)>, Error> {
    let (rows, seen) = tokio::try_join!(
        registry_rows(b, Some(id), true, None),
        last_seen(b, Some(id), None)
    )?;
    Ok(rows.get(id.as_str()).map(|fields| {
        let seen = seen.get(id.as_str()).copied();
        (
            registration_from(id, fields),
            summary_of(b, id.as_str(), fields, seen, Utc::now()),
        )
    }))
}

/// When each device (or one) last wrote telemetry: since `since`, or ever (each series'
/// newest point: a pushed-down `last()`, one block a series). Points stamped after now are
/// not counted (the range ends now).
pub(crate) async fn last_seen(
    b: &Backend,
    id: Option<&DeviceId>,
    since: Option<DateTime<Utc>>,
) -> Result<BTreeMap<String, DateTime<Utc>>, Error> {
    let range = match since {
        Some(t) => flux::TimeRange::since(t),
        None => flux::TimeRange::since(DateTime::UNIX_EPOCH),
    };
    let bucket = &b.settings.telemetry_bucket;
    let seen_query = match id {
        Some(id) => queries::device_last_values(bucket, id.as_str(), &range),
        None => queries::fleet_last_seen(bucket, &range),
    };
    let mut last_seen: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
    b.client
        .query_each(&seen_query, |r| {
            let device = layout::device_of(&r).or(id.map(DeviceId::as_str));
            if let (Some(device), Some(t)) = (device, r.time()) {
                let latest = last_seen.entry(device.to_string()).or_insert(t);
                *latest = (*latest).max(t);
            }
        })
        .await?;
    Ok(last_seen)
}

/// A device's status at `now`: removed (its row has no key), or by when it last wrote.
pub(crate) fn status_of(
    b: &Backend,
    fields: &Fields,
    seen: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> DeviceStatus {
    let removed = fields
        .get(REGISTRY_KEY)
        .is_none_or(|(key, _)| key.is_empty());
    DeviceStatus::classify(
        removed,
        seen.map(|t| (now - t).num_seconds()),
        b.settings.measurement_interval as i64,
        b.settings.status_thresholds,
    )
}

/// A device as the list shows it: its registry row and when it last wrote, at `now`.
pub(crate) fn summary_of(
    b: &Backend,
    id: &str,
    fields: &Fields,
    seen: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> DeviceSummary {
    let get = |k: &str| {
        fields
            .get(k)
            .map(|(v, _)| v.to_string())
            .filter(|v| !v.is_empty())
    };
    let updated = fields
        .updated()
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true));
    let removed = get(REGISTRY_KEY).is_none();
    let age = seen.map(|t| (now - t).num_seconds());
    DeviceSummary {
        status: status_of(b, fields, seen, now),
        last_seen: seen.map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true)),
        seen_ago_seconds: age.map(|a| a.max(0)),
        created_at: get(REGISTRY_CREATED_AT),
        updated_at: updated,
        removed,
        key: get(REGISTRY_KEY),
        id: id.to_string(),
        clock_ahead_seconds: None,
    }
}

/// One device's registry data, token included, or `None` when it was never registered.
pub async fn get(b: &Backend, id: &DeviceId) -> Result<Option<Registration>, Error> {
    let rows = registry_rows(b, Some(id), true, None).await?;
    Ok(rows.get(id.as_str()).map(|f| registration_from(id, f)))
}

/// Upgrades a registry from the time devices held InfluxDB tokens: the InfluxDB
/// authorizations the registry names are deleted, so nothing a device holds opens InfluxDB.
/// The tokens stay in the registry and work on at the gateway as the devices' own.
/// Returns how many were deleted.
pub async fn retire_influx_authorizations(b: &Backend) -> Result<usize, Error> {
    let keys: std::collections::HashSet<String> = registry_rows(b, None, false, None)
        .await?
        .into_values()
        .filter_map(|mut f| f.remove(REGISTRY_KEY).map(|(key, _)| key))
        .filter(|key| !key.is_empty())
        .collect();
    let mut retired = 0;
    for auth in b.client.authorizations().await? {
        if keys.contains(&auth.id) {
            b.client.delete_authorization(&auth.id).await?;
            retired += 1;
        }
    }
    Ok(retired)
}

/// Removes a device: its token stops working, its registry row is emptied (history kept),
/// and with `delete_telemetry` its data goes too. `false` when the device is unknown.
pub async fn remove(b: &Backend, id: &DeviceId, delete_telemetry: bool) -> Result<bool, Error> {
    let _turn = b.registrations.hold(id).await;
    let Some(reg) = get(b, id).await? else {
        return Ok(false);
    };
    let row = registry_row(id, "", "", &reg.created_at);
    b.client
        .write(&b.settings.registry_bucket, Precision::Ms, &[row])
        .await?;
    b.fleet.note(id, "", "", &reg.created_at);
    b.gateway.forget(id);
    if delete_telemetry {
        // To the last time InfluxDB can hold: points stamped in the future go too.
        let (epoch, end) = (
            DateTime::UNIX_EPOCH,
            DateTime::from_timestamp_nanos(i64::MAX),
        );
        for predicate in layout::delete_predicates(id) {
            b.client
                .delete(&b.settings.telemetry_bucket, epoch, end, &predicate)
                .await?;
        }
        b.fleet.forget_seen(id);
        b.forget_reads_of(id.as_str());
    }
    Ok(true)
}
