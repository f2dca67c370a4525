//! Device pages: an operator makes a dashboard the page of its devices (a device type, as
//! its id prefix names it), in place of the standard charts. None is, until one is picked;
//! when two are for one device, the narrower selector wins (one device, then a list, then
//! the longer prefix), then the one picked last.

use super::store::DashboardStore;
use crate::Error;
use iot_models::DeviceId;
use sqlx::Row;

impl DashboardStore {
    /// Makes dashboard `id` the page of its devices (`on`), or not.
    pub async fn set_device_page(&self, id: &str, on: bool, by: &str) -> Result<(), Error> {
        self.get(id, None).await?;
        let now = chrono::Utc::now().to_rfc3339();
        let change = match on {
            true => sqlx::query(
                "INSERT INTO device_pages VALUES ($1, $2, $3)
                 ON CONFLICT (dashboard) DO UPDATE SET set_by = $2, set_at = $3",
            )
            .bind(id)
            .bind(by)
            .bind(now),
            false => sqlx::query("DELETE FROM device_pages WHERE dashboard = $1").bind(id),
        };
        change.execute(self.db.pool()).await?;
        Ok(())
    }

    /// Whether dashboard `id` is the page of its devices.
    pub async fn is_device_page(&self, id: &str) -> Result<bool, Error> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM device_pages WHERE dashboard = $1")
            .bind(id)
            .fetch_one(self.db.pool())
            .await?;
        Ok(n > 0)
    }

    /// The id of the dashboard that is device `device`'s page, if an operator picked one.
    pub async fn device_page_of(&self, device: &DeviceId) -> Result<Option<String>, Error> {
        let picked = sqlx::query(
            "SELECT p.dashboard, p.set_at, v.spec FROM device_pages p JOIN versions v
             ON v.dashboard = p.dashboard AND v.version =
                (SELECT max(version) FROM versions WHERE dashboard = p.dashboard)",
        )
        .fetch_all(self.db.pool())
        .await?;
        let mut best = None;
        for row in &picked {
            let devices = self.spec(&row.try_get::<String, _>(2)?)?.devices;
            if devices.includes(device) {
                let key = (devices.narrowness(), row.try_get::<String, _>(1)?);
                if best.as_ref().is_none_or(|(k, _)| key > *k) {
                    best = Some((key, row.try_get::<String, _>(0)?));
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
    use crate::state_db::each_backend;

    async fn board(store: &DashboardStore, devices: &str) -> String {
        let spec = parse_spec(&format!(
            r#"{{"title": "t", "devices": {devices}, "cells": [
                {{"x": 0, "y": 0, "w": 4, "h": 2, "type": "value", "field": "Temperature"}}]}}"#
        ))
        .unwrap();
        store.create(&spec, "alice").await.unwrap().id
    }

    #[tokio::test]
    async fn a_device_page_is_picked_and_the_narrowest_wins() {
        for (db, ..) in each_backend().await {
            let store = DashboardStore::new(db);
            let id = |s: &str| DeviceId::parse(s).unwrap();
            let (all, gh, north, one) = (
                board(&store, r#"{"prefix": ""}"#).await,
                board(&store, r#"{"prefix": "gh-"}"#).await,
                board(&store, r#"{"prefix": "gh-n"}"#).await,
                board(&store, r#"{"device": "gh-n1"}"#).await,
            );
            assert_eq!(
                store.device_page_of(&id("gh-n1")).await.unwrap(),
                None,
                "none until one is picked"
            );
            for d in [&all, &gh, &north, &one] {
                store.set_device_page(d, true, "alice").await.unwrap();
            }
            assert!(store.is_device_page(&gh).await.unwrap());
            let page = async |d: &str| store.device_page_of(&id(d)).await.unwrap();
            assert_eq!(page("gh-n1").await, Some(one.clone()));
            assert_eq!(page("gh-n2").await, Some(north.clone()));
            assert_eq!(page("gh-s1").await, Some(gh.clone()));
            assert_eq!(page("car-1").await, Some(all.clone()));
            store.set_device_page(&north, false, "alice").await.unwrap();
            assert_eq!(page("gh-n2").await, Some(gh.clone()));
            assert!(store.remove(&gh).await.unwrap());
            assert_eq!(
                page("gh-n2").await,
                Some(all),
                "a removed dashboard is no one's page"
            );
            assert!(matches!(
                store.set_device_page(&gh, true, "alice").await,
                Err(Error::NotFound(_))
            ));
            assert!(
                store
                    .list()
                    .await
                    .unwrap()
                    .iter()
                    .filter(|d| d.device_page)
                    .count()
                    == 2
            );
        }
    }
}
