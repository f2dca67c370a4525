//! Device pages: an operator makes a dashboard the page of its devices (a device type, as
//! its id prefix names it), in place of the standard charts. None is, until one is picked;
//! when two are for one device, the narrower selector wins (one device, then a list, then
//! the longer prefix), then the one picked last.

use super::store::DashboardStore;
use crate::Error;
use iot_models::DeviceId;
use rusqlite::params;

impl DashboardStore {
    /// Makes dashboard `id` the page of its devices (`on`), or not.
    pub fn set_device_page(&self, id: &str, on: bool, by: &str) -> Result<(), Error> {
        self.get(id, None)?;
        let now = chrono::Utc::now().to_rfc3339();
        self.db
            .with(|db| match on {
                true => db.execute(
                    "INSERT INTO device_pages VALUES (?1, ?2, ?3)
                     ON CONFLICT (dashboard) DO UPDATE SET set_by = ?2, set_at = ?3",
                    params![id, by, now],
                ),
                false => db.execute("DELETE FROM device_pages WHERE dashboard = ?1", [id]),
            })
            .map(drop)
    }

    /// Whether dashboard `id` is the page of its devices.
    pub fn is_device_page(&self, id: &str) -> Result<bool, Error> {
        self.db
            .with(|db| {
                db.query_row(
                    "SELECT count(*) FROM device_pages WHERE dashboard = ?1",
                    [id],
                    |r| r.get::<_, i64>(0),
                )
            })
            .map(|n| n > 0)
    }

    /// The id of the dashboard that is device `device`'s page, if an operator picked one.
    pub fn device_page_of(&self, device: &DeviceId) -> Result<Option<String>, Error> {
        let picked: Vec<(String, String, String)> = self.db.with(|db| {
            let mut q = db.prepare(
                "SELECT p.dashboard, p.set_at, v.spec FROM device_pages p JOIN versions v
                 ON v.dashboard = p.dashboard AND v.version =
                    (SELECT max(version) FROM versions WHERE dashboard = p.dashboard)",
            )?;
            let rows = q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect()
        })?;
        let mut best = None;
        for (id, set_at, spec) in picked {
            let devices = self.spec(&spec)?.devices;
            if devices.includes(device) {
                let key = (devices.narrowness(), set_at);
                if best.as_ref().is_none_or(|(k, _)| key > *k) {
                    best = Some((key, id));
                }
            }
        }
        Ok(best.map(|(_, id)| id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboards::parse_spec;

    fn board(store: &DashboardStore, devices: &str) -> String {
        let spec = parse_spec(&format!(
            r#"{{"title": "t", "devices": {devices}, "cells": [
                {{"x": 0, "y": 0, "w": 4, "h": 2, "type": "value", "field": "Temperature"}}]}}"#
        ))
        .unwrap();
        store.create(&spec, "alice").unwrap().id
    }

    #[test]
    fn a_device_page_is_picked_and_the_narrowest_wins() {
        let dir = tempfile::tempdir().unwrap();
        let store = DashboardStore::open(dir.path()).unwrap();
        let id = |s: &str| DeviceId::parse(s).unwrap();
        let (all, gh, north, one) = (
            board(&store, r#"{"prefix": ""}"#),
            board(&store, r#"{"prefix": "gh-"}"#),
            board(&store, r#"{"prefix": "gh-n"}"#),
            board(&store, r#"{"device": "gh-n1"}"#),
        );
        assert_eq!(
            store.device_page_of(&id("gh-n1")).unwrap(),
            None,
            "none until one is picked"
        );
        for d in [&all, &gh, &north, &one] {
            store.set_device_page(d, true, "alice").unwrap();
        }
        assert!(store.is_device_page(&gh).unwrap());
        let page = |d: &str| store.device_page_of(&id(d)).unwrap();
        assert_eq!(page("gh-n1"), Some(one.clone()));
        assert_eq!(page("gh-n2"), Some(north.clone()));
        assert_eq!(page("gh-s1"), Some(gh.clone()));
        assert_eq!(page("car-1"), Some(all.clone()));
        store.set_device_page(&north, false, "alice").unwrap();
        assert_eq!(page("gh-n2"), Some(gh.clone()));
        assert!(store.remove(&gh).unwrap());
        assert_eq!(
            page("gh-n2"),
            Some(all),
            "a removed dashboard is no one's page"
        );
        assert!(matches!(
            store.set_device_page(&gh, true, "alice"),
            Err(Error::NotFound(_))
        ));
        assert!(
            store
                .list()
                .unwrap()
                .iter()
                .filter(|d| d.device_page)
                .count()
                == 2
        );
    }
}
