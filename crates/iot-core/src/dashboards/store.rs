//! Dashboards kept in SQLite under the data directory (`dashboards.sqlite3`), beside the
//! accounts and alert rules: every save is a new version, the last [`MAX_VERSIONS`] kept.
//! A save names the version it was made from, so two editors cannot overwrite each other
//! unawares: the second is told who saved in between.

use super::parse_spec;
use crate::local_db::LocalDb;
use crate::Error;
use iot_models::{DashboardSpec, DashboardSummary, DashboardVersion, DeviceId, SavedDashboard};
use rusqlite::{params, OptionalExtension};
use std::path::Path;

pub const FILE: &str = "dashboards.sqlite3";
/// Versions kept of each dashboard; older ones are dropped as new ones are saved.
pub const MAX_VERSIONS: u32 = 20;
/// Dashboards kept at most.
pub const MAX_DASHBOARDS: usize = 500;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS dashboards (id TEXT PRIMARY KEY, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS versions (
    dashboard TEXT NOT NULL REFERENCES dashboards(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    spec TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    saved_by TEXT NOT NULL,
    PRIMARY KEY (dashboard, version)
);
CREATE TABLE IF NOT EXISTS shares (
    id TEXT PRIMARY KEY,
    dashboard TEXT NOT NULL REFERENCES dashboards(id) ON DELETE CASCADE,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS device_pages (
    dashboard TEXT PRIMARY KEY REFERENCES dashboards(id) ON DELETE CASCADE,
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL
);
PRAGMA foreign_keys = ON;";

/// The store; cheap to clone.
#[derive(Clone)]
pub struct DashboardStore {
    pub(super) db: LocalDb,
}

pub(super) fn not_found(id: &str) -> Error {
    Error::NotFound(format!("there is no dashboard {id:?}"))
}

impl DashboardStore {
    pub fn open(data_dir: &Path) -> Result<DashboardStore, Error> {
        Ok(DashboardStore {
            db: LocalDb::open(data_dir, FILE, SCHEMA, "dashboards")?,
        })
    }

    /// Every dashboard's latest version, by title.
    pub fn list(&self) -> Result<Vec<DashboardSummary>, Error> {
        self.list_where(|_| true)
    }

    /// The dashboards that are for device `id`, by title.
    pub fn including(&self, id: &DeviceId) -> Result<Vec<DashboardSummary>, Error> {
        self.list_where(|spec| spec.devices.includes(id))
    }

    fn list_where(
        &self,
        keep: impl Fn(&DashboardSpec) -> bool,
    ) -> Result<Vec<DashboardSummary>, Error> {
        type Row = (String, u32, String, String, String, bool);
        let rows: Vec<Row> = self.db.with(|db| {
            let mut q = db.prepare(
                "SELECT v.dashboard, v.version, v.spec, v.saved_at, v.saved_by,
                        p.dashboard IS NOT NULL
                 FROM versions v LEFT JOIN device_pages p ON p.dashboard = v.dashboard
                 WHERE v.version = (SELECT max(version) FROM versions WHERE dashboard = v.dashboard)",
            )?;
            let rows = q.query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
            })?;
            rows.collect()
        })?;
        let mut list = Vec::new();
        for (id, version, spec, saved_at, saved_by, device_page) in rows {
            let spec = self.spec(&spec)?;
            if keep(&spec) {
                list.push(DashboardSummary {
                    id,
                    title: spec.title,
                    version,
                    saved_at,
                    saved_by,
                    cells: spec.cells.len(),
                    device_page,
                });
            }
        }
        list.sort_by_key(|d| d.title.to_lowercase());
        Ok(list)
    }

    /// A dashboard's latest version, or a given one.
    pub fn get(&self, id: &str, version: Option<u32>) -> Result<SavedDashboard, Error> {
        let row: Option<(u32, String, String, String)> = self.db.with(|db| {
            db.query_row(
                "SELECT version, spec, saved_at, saved_by FROM versions WHERE dashboard = ?1
                 AND (?2 IS NULL OR version = ?2) ORDER BY version DESC LIMIT 1",
                params![id, version],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
        })?;
        let (version, spec, saved_at, saved_by) = row.ok_or_else(|| match version {
            Some(v) => Error::NotFound(format!("dashboard {id:?} has no version {v} (any more)")),
            None => not_found(id),
        })?;
        Ok(SavedDashboard {
            id: id.to_string(),
            version,
            saved_at,
            saved_by,
            spec: self.spec(&spec)?,
        })
    }

    /// A dashboard's versions, newest first.
    pub fn versions(&self, id: &str) -> Result<Vec<DashboardVersion>, Error> {
        let rows: Vec<(u32, String, String, String)> = self.db.with(|db| {
            let mut q = db.prepare(
                "SELECT version, spec, saved_at, saved_by FROM versions WHERE dashboard = ?1
                 ORDER BY version DESC",
            )?;
            let rows = q.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
            rows.collect()
        })?;
        if rows.is_empty() {
            return Err(not_found(id));
        }
        rows.into_iter()
            .map(|(version, spec, saved_at, saved_by)| {
                Ok(DashboardVersion {
                    version,
                    title: self.spec(&spec)?.title,
                    saved_at,
                    saved_by,
                })
            })
            .collect()
    }

    /// A new dashboard, as version 1.
    pub fn create(&self, spec: &DashboardSpec, by: &str) -> Result<SavedDashboard, Error> {
        spec.check().map_err(Error::Invalid)?;
        let id = format!("{:016x}", rand::random::<u64>());
        let json = serde_json::to_string(spec).map_err(|e| self.db.error(e))?;
        let now = chrono::Utc::now().to_rfc3339();
        self.db
            .insert_within("dashboards", MAX_DASHBOARDS, "dashboards", |tx| {
                tx.execute(
                    "INSERT INTO dashboards (id, created_at) VALUES (?1, ?2)",
                    params![id, now],
                )?;
                tx.execute(
                    "INSERT INTO versions VALUES (?1, 1, ?2, ?3, ?4)",
                    params![id, json, now, by],
                )
                .map(drop)
            })?;
        self.get(&id, None)
    }

    /// Saves a new version made from version `base`; refused when another was saved since.
    pub fn save(
        &self,
        id: &str,
        base: u32,
        spec: &DashboardSpec,
        by: &str,
    ) -> Result<SavedDashboard, Error> {
        spec.check().map_err(Error::Invalid)?;
        let json = serde_json::to_string(spec).map_err(|e| self.db.error(e))?;
        let now = chrono::Utc::now().to_rfc3339();
        let latest = self.db.with(|db| {
            let tx = db.unchecked_transaction()?;
            let latest: Option<(u32, String, String)> = tx
                .query_row(
                    "SELECT version, saved_at, saved_by FROM versions WHERE dashboard = ?1
                     ORDER BY version DESC LIMIT 1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            if let Some((version, ..)) = &latest {
                if *version == base {
                    tx.execute(
                        "INSERT INTO versions VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![id, version + 1, json, now, by],
                    )?;
                    tx.execute(
                        "DELETE FROM versions WHERE dashboard = ?1 AND version <= ?2",
                        params![id, i64::from(*version) + 1 - i64::from(MAX_VERSIONS)],
                    )?;
                    tx.commit()?;
                }
            }
            Ok(latest)
        })?;
        match latest {
            None => Err(not_found(id)),
            Some((version, saved_at, saved_by)) if version != base => {
                Err(Error::Conflict(format!(
                    "{saved_by} saved this dashboard (version {version}, {saved_at}) after the \
                 version {base} you changed: reload it and make your change again"
                )))
            }
            Some(_) => self.get(id, None),
        }
    }

    /// Saves an old version's content as the newest.
    pub fn restore(&self, id: &str, version: u32, by: &str) -> Result<SavedDashboard, Error> {
        let old = self.get(id, Some(version))?;
        let latest = self.get(id, None)?;
        self.save(id, latest.version, &old.spec, by)
    }

    /// Removes a dashboard and its versions; `false` when there was none.
    pub fn remove(&self, id: &str) -> Result<bool, Error> {
        self.db
            .with(|db| db.execute("DELETE FROM dashboards WHERE id = ?1", [id]))
            .map(|n| n > 0)
    }

    pub(super) fn spec(&self, json: &str) -> Result<DashboardSpec, Error> {
        parse_spec(json).map_err(|e| self.db.error(format!("a stored dashboard: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(title: &str) -> DashboardSpec {
        parse_spec(&format!(
            r#"{{"title": "{title}", "devices": {{"device": "d-1"}}, "cells": [
                {{"x": 0, "y": 0, "w": 4, "h": 2, "type": "value", "field": "Temperature"}}]}}"#
        ))
        .unwrap()
    }

    #[test]
    fn saves_are_versions_and_a_stale_save_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = DashboardStore::open(dir.path()).unwrap();
        let d = store.create(&spec("One"), "alice").unwrap();
        assert_eq!((d.version, d.saved_by.as_str()), (1, "alice"));
        let two = store.save(&d.id, 1, &spec("Two"), "bob").unwrap();
        assert_eq!(two.version, 2);
        // Carol changed version 1 too: told who saved since, nothing lost.
        let e = store.save(&d.id, 1, &spec("Carol's"), "carol").unwrap_err();
        assert!(
            matches!(&e, Error::Conflict(m) if m.starts_with("bob saved this dashboard (version 2")),
            "{e:?}"
        );
        assert_eq!(store.get(&d.id, None).unwrap().spec.title, "Two");
        let restored = store.restore(&d.id, 1, "alice").unwrap();
        assert_eq!((restored.version, restored.spec.title.as_str()), (3, "One"));
        let titles: Vec<_> = store
            .versions(&d.id)
            .unwrap()
            .into_iter()
            .map(|v| (v.version, v.title))
            .collect();
        assert_eq!(
            titles,
            [(3, "One".into()), (2, "Two".into()), (1, "One".into())]
        );
        assert_eq!(store.list().unwrap()[0].title, "One");
        let d1 = DeviceId::parse("d-1").unwrap();
        assert_eq!(store.including(&d1).unwrap().len(), 1);
        assert!(store
            .including(&DeviceId::parse("d-2").unwrap())
            .unwrap()
            .is_empty());
        assert!(store.remove(&d.id).unwrap());
        assert!(matches!(store.get(&d.id, None), Err(Error::NotFound(_))));
        assert!(matches!(store.versions(&d.id), Err(Error::NotFound(_))));
        assert!(!store.remove(&d.id).unwrap());
    }

    #[test]
    fn the_last_20_versions_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = DashboardStore::open(dir.path()).unwrap();
        let d = store.create(&spec("v1"), "alice").unwrap();
        for v in 1..25 {
            store
                .save(&d.id, v, &spec(&format!("v{}", v + 1)), "alice")
                .unwrap();
        }
        let versions = store.versions(&d.id).unwrap();
        assert_eq!(versions.len(), MAX_VERSIONS as usize);
        assert_eq!((versions[0].version, versions[19].version), (25, 6));
        let e = store.get(&d.id, Some(5)).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("dashboard {:?} has no version 5 (any more)", d.id)
        );
        assert!(store.save("nope", 1, &spec("x"), "alice").is_err());
    }
}
