//! The fleet index: every registered device's registry row and when it last wrote, held in
//! memory. Loaded once, kept current by this server's own registrations and removals, by
//! every write the gateway accepts (at once), and by cheap incremental looks (only registry
//! rows and points newer than the last look, every [`REFRESH_EVERY`]) for writes that bypass
//! this server, so a fleet page costs no query, and several servers on one InfluxDB agree
//! within seconds. It also knows each device's IoT Center token (by its SHA-256 only), so
//! the gateway finds a request's device without a query.
//!
//! Last seen is the time of a device's newest point, never later than when it arrived: a
//! point stamped in the future (the device's clock is ahead) counts as seen when the gateway
//! received it, and the device's clock skew is kept to show. A look at InfluxDB sees no
//! future points at all (a range ends now). Points written around this server with old
//! timestamps are found by the full look every [`RELOAD_EVERY`], which reads each series'
//! newest point over all time: a device seen once stays seen, however long ago.

use crate::layout::{REGISTRY_CREATED_AT, REGISTRY_KEY, REGISTRY_TOKEN};
use crate::registry::{self, Fields, Registration};
use crate::{Backend, Error};
use chrono::{DateTime, TimeDelta, Utc};
use iot_models::{
    DeviceId, DeviceStatus, DeviceSummary, FleetOverview, FleetPage, FleetQuery, FLEET_PAGE_SIZE,
    RECENTLY_LATE,
};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// How often the index looks for what changed.
pub const REFRESH_EVERY: Duration = Duration::from_secs(5);
/// How often it reloads everything, for changes behind the application's back (registry
/// rows deleted from the bucket).
const RELOAD_EVERY: Duration = Duration::from_secs(600);
/// Points arrive late, with older times: each look reaches back this far before the last.
const OVERLAP: TimeDelta = TimeDelta::minutes(2);
/// Registry rows are stamped by InfluxDB as they arrive: a look reaches back only as far as
/// the clocks of InfluxDB and this server may differ. (Re-reading two minutes of rows after
/// a bulk registration of 100,000 devices made every look read them all.)
const REGISTRY_OVERLAP: TimeDelta = TimeDelta::seconds(10);
/// A device clock this far ahead of the gateway's is shown as skewed.
const CLOCK_TOLERANCE: TimeDelta = TimeDelta::minutes(1);
/// How long an overview is shown again unless the index changes: making one classifies the
/// whole fleet (milliseconds at 10,000 devices), and a status moves in seconds at the least.
const OVERVIEW_FOR: Duration = Duration::from_secs(1);

/// A device's registration as the index knows it.
pub struct Known {
    /// It has a token that works (it was not removed).
    pub working: bool,
    /// When it was first registered.
    pub created_at: Option<String>,
}

#[derive(Default)]
pub struct FleetIndex {
    state: RwLock<State>,
    /// What this instance learnt that others on its state database should hear (`peers`).
    told: std::sync::Mutex<Told>,
    /// One look at a time: a second caller waits for the first and finds it done.
    looking: tokio::sync::Mutex<()>,
    /// The last overview and when it was made; any change to the index drops it.
    overview: std::sync::Mutex<Option<(Instant, FleetOverview)>>,
}

#[derive(Default)]
struct State {
    devices: BTreeMap<String, Device>,
    /// The device of each working token, by the token's SHA-256.
    tokens: HashMap<TokenHash, String>,
    /// When the last look started; `None` until the first load.
    looked: Option<DateTime<Utc>>,
    loaded: Option<Instant>,
}

/// Registrations and last-seen times learnt here since the others were last told; kept only
/// with other instances to tell, one entry per device at most.
#[derive(Default)]
struct Told {
    kept: bool,
    registry: bool,
    seen: HashMap<String, DateTime<Utc>>,
}

/// What [`FleetIndex::take_told`] hands over.
pub struct News {
    /// Registrations or removals were made here: the others read the registry again.
    pub registry: bool,
    /// Devices seen here, with their new last-seen times.
    pub seen: Vec<(String, DateTime<Utc>)>,
}

type TokenHash = [u8; 32];

fn token_hash(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

#[derive(Default)]
struct Device {
    /// The registry row, without its token.
    fields: Fields,
    token: Option<TokenHash>,
    last_seen: Option<DateTime<Utc>>,
    /// How far ahead of the gateway's clock its newest request's points were, if past
    /// [`CLOCK_TOLERANCE`].
    clock_ahead: Option<TimeDelta>,
    /// When this server last registered or removed it: a look that started before then read
    /// an older registry row, and leaves this one as it is.
    noted: Option<DateTime<Utc>>,
}

impl State {
    /// Device `id`'s token is now `token` (none once it is removed).
    fn set_token(&mut self, id: &str, token: Option<&str>) {
        let device = self.devices.entry(id.to_string()).or_default();
        if let Some(old) = device.token.take() {
            self.tokens.remove(&old);
        }
        if let Some(token) = token.filter(|t| !t.is_empty()) {
            let hash = token_hash(token);
            device.token = Some(hash);
            self.tokens.insert(hash, id.to_string());
        }
    }
}

impl Device {
    fn status(&self, b: &Backend, now: DateTime<Utc>) -> DeviceStatus {
        registry::status_of(b, &self.fields, self.last_seen, now)
    }

    fn summary(&self, b: &Backend, id: &str, now: DateTime<Utc>) -> DeviceSummary {
        DeviceSummary {
            clock_ahead_seconds: self.clock_ahead.map(|d| d.num_seconds()),
            ..registry::summary_of(b, id, &self.fields, self.last_seen, now)
        }
    }
}

impl FleetIndex {
    /// Loads the index if it never was.
    pub async fn loaded(&self, b: &Backend) -> Result<(), Error> {
        if self.read().looked.is_none() {
            self.refresh(b).await?;
        }
        Ok(())
    }

    /// Every registered device, by id.
    pub async fn summaries(&self, b: &Backend) -> Result<Vec<DeviceSummary>, Error> {
        self.after(b, None, usize::MAX).await
    }

    /// Up to `limit` devices by id, the first after `after` (from the first without it):
    /// the list in pages, as InfluxDB's list APIs page.
    pub async fn after(
        &self,
        b: &Backend,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<DeviceSummary>, Error> {
        use std::ops::Bound::{Excluded, Unbounded};
        self.loaded(b).await?;
        let now = Utc::now();
        let state = self.read();
        let from = after.map_or(Unbounded, |id| Excluded(id.to_string()));
        Ok(state
            .devices
            .range((from, Unbounded))
            .take(limit)
            .map(|(id, d)| d.summary(b, id, now))
            .collect())
    }

    /// One device as the index holds it: its registration (without its token) and its
    /// summary, or `None` when the index does not know it.
    pub async fn device(
        &self,
        b: &Backend,
        id: &DeviceId,
    ) -> Result<Option<(Registration, DeviceSummary)>, Error> {
        self.loaded(b).await?;
        let now = Utc::now();
        let state = self.read();
        Ok(state.devices.get(id.as_str()).map(|d| {
            let registration = registry::registration_from(id, &d.fields);
            (registration, d.summary(b, id.as_str(), now))
        }))
    }

    /// What the index knows of device `id`'s registration, if anything (loaded or not).
    pub fn known(&self, id: &DeviceId) -> Option<Known> {
        let state = self.read();
        let d = state.devices.get(id.as_str())?;
        let value = |k: &str| {
            d.fields
                .get(k)
                .map(|(v, _)| v.to_string())
                .filter(|v| !v.is_empty())
        };
        Some(Known {
            working: d.token.is_some() && value(REGISTRY_KEY).is_some(),
            created_at: value(REGISTRY_CREATED_AT),
        })
    }

    /// The registered device whose token this is.
    pub async fn device_of_token(
        &self,
        b: &Backend,
        token: &str,
    ) -> Result<Option<DeviceId>, Error> {
        self.loaded(b).await?;
        let state = self.read();
        Ok(state
            .tokens
            .get(&token_hash(token))
            .and_then(|id| DeviceId::parse(id).ok()))
    }

    /// One page of the devices a query matches, by id: ids found by prefix in the ordered
    /// index, only the page's devices summarised. Without a status, counting and skipping
    /// walk the index's nodes only (reading 100,000 ids to compare them cost milliseconds).
    pub async fn page(&self, b: &Backend, q: &FleetQuery) -> Result<FleetPage, Error> {
        self.loaded(b).await?;
        let now = Utc::now();
        let state = self.read();
        let first = q.page as usize * FLEET_PAGE_SIZE;
        use std::ops::Bound::{Excluded, Included, Unbounded};
        let end = past_prefix(&q.prefix);
        let bounds = (
            Included(q.prefix.as_str()),
            end.as_deref().map_or(Unbounded, Excluded),
        );
        let by_prefix = || state.devices.range::<str, _>(bounds);
        let (matching, devices) = match q.status {
            None => (
                match q.prefix.is_empty() {
                    true => state.devices.len(),
                    false => by_prefix().count(),
                },
                by_prefix()
                    .skip(first)
                    .take(FLEET_PAGE_SIZE)
                    .map(|(id, d)| d.summary(b, id, now))
                    .collect(),
            ),
            Some(status) => {
                let mut matching = 0;
                let mut devices = Vec::with_capacity(FLEET_PAGE_SIZE);
                for (id, d) in by_prefix().filter(|(_, d)| d.status(b, now) == status) {
                    if (first..first + FLEET_PAGE_SIZE).contains(&matching) {
                        devices.push(d.summary(b, id, now));
                    }
                    matching += 1;
                }
                (matching, devices)
            }
        };
        Ok(FleetPage {
            devices,
            matching,
            total: state.devices.len(),
            page: q.page,
            firing: vec![],
        })
    }

    /// How many devices are in each status, and the stale or offline ones seen most
    /// recently: the ones that just went quiet.
    pub async fn overview(&self, b: &Backend) -> Result<FleetOverview, Error> {
        self.loaded(b).await?;
        let mut memo = self.overview.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, overview)) = memo.as_ref().filter(|(t, _)| t.elapsed() < OVERVIEW_FOR) {
            return Ok(overview.clone());
        }
        let overview = self.make_overview(b);
        *memo = Some((Instant::now(), overview.clone()));
        Ok(overview)
    }

    fn make_overview(&self, b: &Backend) -> FleetOverview {
        let now = Utc::now();
        let state = self.read();
        let mut counts = DeviceStatus::ALL.map(|s| (s, 0));
        let mut late: Vec<(&String, &Device)> = Vec::new();
        for (id, d) in &state.devices {
            let status = d.status(b, now);
            if let Some(count) = counts.iter_mut().find(|(s, _)| *s == status) {
                count.1 += 1;
            }
            if matches!(status, DeviceStatus::Stale | DeviceStatus::Offline) {
                late.push((id, d));
            }
        }
        late.sort_by_key(|(_, d)| std::cmp::Reverse(d.last_seen));
        FleetOverview {
            counts: counts.to_vec(),
            recently_late: late
                .into_iter()
                .take(RECENTLY_LATE)
                .map(|(id, d)| d.summary(b, id, now))
                .collect(),
        }
    }

    /// Brings the index up to date: everything on the first look and every
    /// [`RELOAD_EVERY`], else what was written since the last look.
    pub async fn refresh(&self, b: &Backend) -> Result<(), Error> {
        let _turn = self.looking.lock().await;
        let since = {
            let state = self.read();
            match (state.looked, state.loaded) {
                (Some(t), Some(at)) if at.elapsed() < RELOAD_EVERY => Some(t),
                _ => None,
            }
        };
        let started = Utc::now();
        let rows = registry::registry_rows(b, None, true, since.map(|t| t - REGISTRY_OVERLAP));
        let seen = registry::last_seen(b, None, since.map(|t| t - OVERLAP));
        let (rows, seen) = tokio::try_join!(rows, seen)?;
        let mut state = self.write();
        let noted_meanwhile = |d: &Device| d.noted.is_some_and(|t| t >= started);
        if since.is_none() {
            // Registrations are read anew, but for those this server made during the look;
            // what the gateway saw stays (a look does not see points stamped in the future),
            // unless a removal deleted the device's telemetry.
            let before = std::mem::take(&mut state.devices);
            state.tokens.clear();
            state.loaded = Some(Instant::now());
            for (id, old) in before {
                if noted_meanwhile(&old) {
                    if let Some(token) = old.token {
                        state.tokens.insert(token, id.clone());
                    }
                    state.devices.insert(id, old);
                } else if rows.contains_key(&id) {
                    let device = state.devices.entry(id).or_default();
                    (device.last_seen, device.clock_ahead) = (old.last_seen, old.clock_ahead);
                }
            }
        }
        for (id, mut fields) in rows {
            if state.devices.get(&id).is_some_and(noted_meanwhile) {
                continue;
            }
            let token = fields.remove(REGISTRY_TOKEN);
            let device = state.devices.entry(id.clone()).or_default();
            device.fields.extend(fields);
            let removed = device
                .fields
                .get(REGISTRY_KEY)
                .is_none_or(|(key, _)| key.is_empty());
            if let Some((token, _)) = token {
                state.set_token(&id, (!removed).then_some(token.as_str()));
            }
        }
        for (id, t) in seen {
            if let Some(device) = state.devices.get_mut(&id) {
                device.last_seen = device.last_seen.max(Some(t));
            }
        }
        state.looked = Some(started);
        Ok(())
    }

    /// This server registered a device (`key` and `token` its own) or removed it (both
    /// empty): its token works, or stops working, from now on.
    pub fn note(&self, id: &DeviceId, key: &str, token: &str, created_at: &str) {
        let now = Utc::now();
        let mut state = self.write();
        let device = state.devices.entry(id.to_string()).or_default();
        device.noted = Some(now);
        let fields = &mut device.fields;
        fields.insert(REGISTRY_KEY, key, now);
        fields.insert(REGISTRY_CREATED_AT, created_at, now);
        state.set_token(id.as_str(), (!key.is_empty()).then_some(token));
        self.tell(|told| told.registry = true);
    }

    fn tell(&self, change: impl FnOnce(&mut Told)) {
        let mut told = self.told.lock().unwrap_or_else(|e| e.into_inner());
        if told.kept {
            change(&mut told);
        }
    }

    /// An index that keeps what it learns for other instances (`take_told`).
    pub fn telling_peers() -> FleetIndex {
        let index = FleetIndex::default();
        index.told.lock().unwrap_or_else(|e| e.into_inner()).kept = true;
        index
    }

    /// What was learnt here since the last call, for the other instances.
    pub fn take_told(&self) -> News {
        let mut told = self.told.lock().unwrap_or_else(|e| e.into_inner());
        News {
            registry: std::mem::take(&mut told.registry),
            seen: told.seen.drain().collect(),
        }
    }

    /// Another instance's gateway saw device `id` at `seen`.
    pub fn seen_elsewhere(&self, id: &str, seen: DateTime<Utc>) {
        if let Some(device) = self.write().devices.get_mut(id) {
            device.last_seen = device.last_seen.max(Some(seen));
        }
    }

    /// The gateway wrote points for a device, the newest stamped `newest`, received at
    /// `received`: seen then, or at `received` if its clock is ahead.
    pub fn note_seen(&self, id: &DeviceId, newest: DateTime<Utc>, received: DateTime<Utc>) {
        let seen = newest.min(received);
        if let Some(device) = self.write().devices.get_mut(id.as_str()) {
            device.last_seen = device.last_seen.max(Some(seen));
            device.clock_ahead = Some(newest - received).filter(|d| *d > CLOCK_TOLERANCE);
        }
        self.tell(|told| {
            let at = told.seen.entry(id.to_string()).or_insert(seen);
            *at = (*at).max(seen);
        });
    }

    /// A removal deleted the device's telemetry: it was never seen.
    pub fn forget_seen(&self, id: &DeviceId) {
        if let Some(device) = self.write().devices.get_mut(id.as_str()) {
            (device.last_seen, device.clock_ahead) = (None, None);
        }
        self.tell(|told| told.registry = true);
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The state, to change it: the overview made from it goes.
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        *self.overview.lock().unwrap_or_else(|e| e.into_inner()) = None;
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// The first id past those that start with `prefix`: the prefix with its last character's
/// successor (ids are ASCII); none past an empty prefix.
fn past_prefix(prefix: &str) -> Option<String> {
    let mut end = prefix.to_string();
    let last = end.pop()?;
    end.push(char::from_u32(last as u32 + 1)?);
    Some(end)
}

/// Looks for what changed every [`REFRESH_EVERY`], for as long as the server runs; while
/// InfluxDB is away the index keeps what it had.
pub fn spawn_refresher(b: Arc<Backend>) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(REFRESH_EVERY);
        loop {
            every.tick().await;
            if let Err(e) = b.fleet.refresh(&b).await {
                tracing::debug!("fleet index: {e}");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::past_prefix;

    #[test]
    fn a_prefix_ends_before_the_next_one() {
        assert_eq!(past_prefix(""), None);
        assert_eq!(past_prefix("ESP32-"), Some("ESP32.".to_string()));
        let end = past_prefix("dev-1").unwrap();
        for inside in ["dev-1", "dev-1-a", "dev-10", "dev-1zzz"] {
            assert!(inside < end.as_str(), "{inside}");
        }
        assert!("dev-2" >= end.as_str());
    }
}
