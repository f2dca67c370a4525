//! Dashboards kept in the state database, beside the accounts and alert rules: every save
//! is a new version, the last [`MAX_VERSIONS`] kept. A save names the version it was made
//! from, so two editors cannot overwrite each other unawares: the second is told who saved
//! in between.

use super::parse_spec;
use crate::state_db::StateDb;
use crate::Error;
use iot_models::{DashboardSpec, DashboardSummary, DashboardVersion, DeviceId, SavedDashboard};
use sqlx::any::AnyRow;
use sqlx::Row;

/// Versions kept of each dashboard; older ones are dropped as new ones are saved.
pub const MAX_VERSIONS: u32 = 20;
/// Dashboards kept at most.
pub const MAX_DASHBOARDS: usize = 500;

/// The store; cheap to clone.
#[derive(Clone)]
pub struct DashboardStore {
    pub(super) db: StateDb,
}

pub(super) fn not_found(id: &str) -> Error {
    Error::NotFound(format!("there is no dashboard {id:?}"))
}

/// A version number as stored (BIGINT).
fn version(row: &AnyRow, i: usize) -> Result<u32, Error> {
    let v: i64 = row.try_get(i)?;
    u32::try_from(v).map_err(|_| Error::Internal(format!("dashboards: a version {v}")))
}

impl DashboardStore {
    pub fn new(db: StateDb) -> DashboardStore {
        DashboardStore { db }
    }

    /// Every dashboard's latest version, by title.
    pub async fn list(&self) -> Result<Vec<DashboardSummary>, Error> {
        self.list_where(|_| true).await
    }

    /// The dashboards that are for device `id`, by title.
    pub async fn including(&self, id: &DeviceId) -> Result<Vec<DashboardSummary>, Error> {
        self.list_where(|spec| spec.devices.includes(id)).await
    }

    async fn list_where(
        &self,
        keep: impl Fn(&DashboardSpec) -> bool,
    ) -> Result<Vec<DashboardSummary>, Error> {
        let rows = sqlx::query(
            "SELECT v.dashboard, v.version, v.spec, v.saved_at, v.saved_by,
                    CASE WHEN p.dashboard IS NULL THEN 0 ELSE 1 END
             FROM versions v LEFT JOIN device_pages p ON p.dashboard = v.dashboard
             WHERE v.version = (SELECT max(version) FROM versions WHERE dashboard = v.dashboard)",
        )
        .fetch_all(self.db.pool())
        .await?;
        let mut list = Vec::new();
        for row in &rows {
            let spec = self.spec(&row.try_get::<String, _>(2)?)?;
            if keep(&spec) {
                list.push(DashboardSummary {
                    id: row.try_get(0)?,
                    title: spec.title,
                    version: version(row, 1)?,
                    saved_at: row.try_get(3)?,
                    saved_by: row.try_get(4)?,
                    cells: spec.cells.len(),
                    device_page: row.try_get::<i64, _>(5)? == 1,
                });
            }
        }
        list.sort_by_key(|d| d.title.to_lowercase());
        Ok(list)
    }

    /// A dashboard's latest version, or a given one.
    pub async fn get(
        &self,
        id: &str,
        version_wanted: Option<u32>,
    ) -> Result<SavedDashboard, Error> {
        let row = sqlx::query(
            "SELECT version, spec, saved_at, saved_by FROM versions WHERE dashboard = $1
             AND ($2 < 0 OR version = $2) ORDER BY version DESC LIMIT 1",
        )
        .bind(id)
        .bind(version_wanted.map_or(-1, i64::from))
        .fetch_optional(self.db.pool())
        .await?;
        let row = row.ok_or_else(|| match version_wanted {
            Some(v) => Error::NotFound(format!("dashboard {id:?} has no version {v} (any more)")),
            None => not_found(id),
        })?;
        Ok(SavedDashboard {
            id: id.to_string(),
            version: version(&row, 0)?,
            saved_at: row.try_get(2)?,
            saved_by: row.try_get(3)?,
            spec: self.spec(&row.try_get::<String, _>(1)?)?,
        })
    }

    /// A dashboard's versions, newest first.
    pub async fn versions(&self, id: &str) -> Result<Vec<DashboardVersion>, Error> {
        let rows = sqlx::query(
            "SELECT version, spec, saved_at, saved_by FROM versions WHERE dashboard = $1
             ORDER BY version DESC",
        )
        .bind(id)
        .fetch_all(self.db.pool())
        .await?;
        if rows.is_empty() {
            return Err(not_found(id));
        }
        rows.iter()
            .map(|row| {
                Ok(DashboardVersion {
                    version: version(row, 0)?,
                    title: self.spec(&row.try_get::<String, _>(1)?)?.title,
                    saved_at: row.try_get(2)?,
                    saved_by: row.try_get(3)?,
                })
            })
            .collect()
    }

    /// A new dashboard, as version 1.
    pub async fn create(&self, spec: &DashboardSpec, by: &str) -> Result<SavedDashboard, Error> {
        spec.check().map_err(Error::Invalid)?;
        let id = format!("{:016x}", rand::random::<u64>());
        let json = serde_json::to_string(spec).map_err(stored)?;
        let now = chrono::Utc::now().to_rfc3339();
        let mut tx = self
            .db
            .begin_bounded("dashboards", MAX_DASHBOARDS, "dashboards")
            .await?;
        sqlx::query("INSERT INTO dashboards (id, created_at) VALUES ($1, $2)")
            .bind(&id)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO versions VALUES ($1, 1, $2, $3, $4)")
            .bind(&id)
            .bind(json)
            .bind(now)
            .bind(by)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.get(&id, None).await
    }

    /// Saves a new version made from version `base`; refused when another was saved since.
    pub async fn save(
        &self,
        id: &str,
        base: u32,
        spec: &DashboardSpec,
        by: &str,
    ) -> Result<SavedDashboard, Error> {
        spec.check().map_err(Error::Invalid)?;
        let json = serde_json::to_string(spec).map_err(stored)?;
        let now = chrono::Utc::now().to_rfc3339();
        let mut tx = self.db.begin_serialised(&format!("dashboard {id}")).await?;
        let latest = sqlx::query(
            "SELECT version, saved_at, saved_by FROM versions WHERE dashboard = $1
             ORDER BY version DESC LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(latest) = latest else {
            return Err(not_found(id));
        };
        let latest_version = version(&latest, 0)?;
        if latest_version != base {
            let (saved_at, saved_by): (String, String) = (latest.try_get(1)?, latest.try_get(2)?);
            return Err(Error::Conflict(format!(
                "{saved_by} saved this dashboard (version {latest_version}, {saved_at}) after \
                 the version {base} you changed: reload it and make your change again"
            )));
        }
        let next = i64::from(latest_version) + 1;
        sqlx::query("INSERT INTO versions VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(next)
            .bind(json)
            .bind(now)
            .bind(by)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM versions WHERE dashboard = $1 AND version <= $2")
            .bind(id)
            .bind(next - i64::from(MAX_VERSIONS))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.get(id, None).await
    }

    /// Saves an old version's content as the newest.
    pub async fn restore(&self, id: &str, version: u32, by: &str) -> Result<SavedDashboard, Error> {
        let old = self.get(id, Some(version)).await?;
        let latest = self.get(id, None).await?;
        self.save(id, latest.version, &old.spec, by).await
    }

    /// Removes a dashboard and its versions; `false` when there was none.
    pub async fn remove(&self, id: &str) -> Result<bool, Error> {
        let removed = sqlx::query("DELETE FROM dashboards WHERE id = $1")
            .bind(id)
            .execute(self.db.pool())
            .await?;
        Ok(removed.rows_affected() > 0)
    }

    pub(super) fn spec(&self, json: &str) -> Result<DashboardSpec, Error> {
        parse_spec(json).map_err(|e| stored(format!("a stored dashboard: {e}")))
    }
}

pub(super) fn stored(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("dashboards: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state_db::each_backend;

    fn spec(title: &str) -> DashboardSpec {
        parse_spec(&format!(
            r#"{{"title": "{title}", "devices": {{"device": "d-1"}}, "cells": [
                {{"x": 0, "y": 0, "w": 4, "h": 2, "type": "value", "field": "Temperature"}}]}}"#
        ))
        .unwrap()
    }

    #[tokio::test]
    async fn saves_are_versions_and_a_stale_save_is_refused() {
        for (db, ..) in each_backend().await {
            let store = DashboardStore::new(db);
            let d = store.create(&spec("One"), "alice").await.unwrap();
            assert_eq!((d.version, d.saved_by.as_str()), (1, "alice"));
            let two = store.save(&d.id, 1, &spec("Two"), "bob").await.unwrap();
            assert_eq!(two.version, 2);
            // Carol changed version 1 too: told who saved since, nothing lost.
            let e = store
                .save(&d.id, 1, &spec("Carol's"), "carol")
                .await
                .unwrap_err();
            assert!(
                matches!(&e, Error::Conflict(m) if m.starts_with("bob saved this dashboard (version 2")),
                "{e:?}"
            );
            assert_eq!(store.get(&d.id, None).await.unwrap().spec.title, "Two");
            let restored = store.restore(&d.id, 1, "alice").await.unwrap();
            assert_eq!((restored.version, restored.spec.title.as_str()), (3, "One"));
            let titles: Vec<_> = store
                .versions(&d.id)
                .await
                .unwrap()
                .into_iter()
                .map(|v| (v.version, v.title))
                .collect();
            assert_eq!(
                titles,
                [(3, "One".into()), (2, "Two".into()), (1, "One".into())]
            );
            assert_eq!(store.list().await.unwrap()[0].title, "One");
            let d1 = DeviceId::parse("d-1").unwrap();
            assert_eq!(store.including(&d1).await.unwrap().len(), 1);
            assert!(store
                .including(&DeviceId::parse("d-2").unwrap())
                .await
                .unwrap()
                .is_empty());
            assert!(store.remove(&d.id).await.unwrap());
            assert!(matches!(
                store.get(&d.id, None).await,
                Err(Error::NotFound(_))
            ));
            assert!(matches!(
                store.versions(&d.id).await,
                Err(Error::NotFound(_))
            ));
            assert!(!store.remove(&d.id).await.unwrap());
        }
    }

    #[tokio::test]
    async fn the_last_20_versions_are_kept() {
        for (db, ..) in each_backend().await {
            let store = DashboardStore::new(db);
            let d = store.create(&spec("v1"), "alice").await.unwrap();
            for v in 1..25 {
                store
                    .save(&d.id, v, &spec(&format!("v{}", v + 1)), "alice")
                    .await
                    .unwrap();
            }
            let versions = store.versions(&d.id).await.unwrap();
            assert_eq!(versions.len(), MAX_VERSIONS as usize);
            assert_eq!((versions[0].version, versions[19].version), (25, 6));
            let e = store.get(&d.id, Some(5)).await.unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("dashboard {:?} has no version 5 (any more)", d.id)
            );
            assert!(store.save("nope", 1, &spec("x"), "alice").await.is_err());
        }
    }
}
