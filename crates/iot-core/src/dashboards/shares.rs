//! Share links: a read-only link to one dashboard with an expiry, kept beside the
//! dashboards as the SHA-256 of its token. The token is checked, with its expiry, on every
//! read, so a revoked or expired link stops at the next request.

use super::store::{not_found, DashboardStore};
use crate::secrets::{random_secret, sha256_hex};
use crate::Error;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use iot_models::{NewShareLink, SavedDashboard, ShareLink, MAX_SHARE_LINKS, MAX_SHARE_SECONDS};
use sqlx::Row;

/// What a link's token starts with, so secret scanners (and people) know it.
const TOKEN_PREFIX: &str = "share_";

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl DashboardStore {
    /// A new link to dashboard `id`, working for `seconds` (at most a year).
    pub async fn share(&self, id: &str, seconds: u64, by: &str) -> Result<NewShareLink, Error> {
        if !(1..=MAX_SHARE_SECONDS).contains(&seconds) {
            return Err(Error::Invalid(format!(
                "a link works for 1 to {MAX_SHARE_SECONDS} seconds (a year), not {seconds}"
            )));
        }
        let title = self.get(id, None).await?.spec.title;
        let token = format!("{TOKEN_PREFIX}{}", random_secret());
        let now = Utc::now();
        let link = ShareLink {
            id: format!("{:016x}", rand::random::<u64>()),
            dashboard: id.to_string(),
            title,
            created_by: by.to_string(),
            created_at: rfc3339(now),
            expires_at: rfc3339(now + Duration::seconds(seconds as i64)),
            expired: false,
        };
        let mut tx = self
            .db
            .begin_bounded("shares", MAX_SHARE_LINKS, "share links")
            .await?;
        sqlx::query("INSERT INTO shares VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&link.id)
            .bind(id)
            .bind(sha256_hex(&token))
            .bind(by)
            .bind(&link.created_at)
            .bind(&link.expires_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(NewShareLink {
            link,
            path: format!("/share/{token}"),
        })
    }

    /// Every link, newest first, with its dashboard's title.
    pub async fn share_links(&self) -> Result<Vec<ShareLink>, Error> {
        let rows = sqlx::query(
            "SELECT s.id, s.dashboard, s.created_by, s.created_at, s.expires_at, v.spec
             FROM shares s JOIN versions v ON v.dashboard = s.dashboard AND v.version =
                (SELECT max(version) FROM versions WHERE dashboard = s.dashboard)
             ORDER BY s.created_at DESC, s.id",
        )
        .fetch_all(self.db.pool())
        .await?;
        let now = rfc3339(Utc::now());
        rows.iter()
            .map(|r| {
                let expires_at: String = r.try_get(4)?;
                Ok(ShareLink {
                    title: self.spec(&r.try_get::<String, _>(5)?)?.title,
                    expired: expires_at <= now,
                    id: r.try_get(0)?,
                    dashboard: r.try_get(1)?,
                    created_by: r.try_get(2)?,
                    created_at: r.try_get(3)?,
                    expires_at,
                })
            })
            .collect()
    }

    /// Ends a link at once; `false` when there was none.
    pub async fn revoke(&self, link: &str) -> Result<bool, Error> {
        let revoked = sqlx::query("DELETE FROM shares WHERE id = $1")
            .bind(link)
            .execute(self.db.pool())
            .await?;
        Ok(revoked.rows_affected() > 0)
    }

    /// The dashboard a link's token opens, if the link exists and has not expired. Every
    /// other case is the same "not found": a stranger learns nothing from the answer.
    pub async fn shared(&self, token: &str) -> Result<SavedDashboard, Error> {
        let gone = || {
            Error::NotFound("this link does not work (any more): it expired or was revoked".into())
        };
        if !token.starts_with(TOKEN_PREFIX) {
            return Err(gone());
        }
        let now = rfc3339(Utc::now());
        let dashboard: Option<String> = sqlx::query_scalar(
            "SELECT dashboard FROM shares WHERE token_sha256 = $1 AND expires_at > $2",
        )
        .bind(sha256_hex(token))
        .bind(now)
        .fetch_optional(self.db.pool())
        .await?;
        let id = dashboard.ok_or_else(gone)?;
        self.get(&id, None).await.map_err(|e| match e {
            Error::NotFound(_) => not_found(&id),
            e => e,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboards::parse_spec;
    use crate::state_db::each_backend;

    /// A dashboard "Wall" of device d-1, with no cells.
    async fn wall(store: &DashboardStore) -> SavedDashboard {
        let spec =
            parse_spec(r#"{"title": "Wall", "devices": {"device": "d-1"}, "cells": []}"#).unwrap();
        store.create(&spec, "alice").await.unwrap()
    }

    #[tokio::test]
    async fn a_link_opens_its_dashboard_until_revoked_or_gone_with_it() {
        for (db, ..) in each_backend().await {
            let store = DashboardStore::new(db);
            let d = wall(&store).await;
            let made = store.share(&d.id, 86_400, "alice").await.unwrap();
            let token = made.path.strip_prefix("/share/").unwrap();
            assert!(token.starts_with("share_") && token.len() > 40);
            assert_eq!(store.shared(token).await.unwrap().id, d.id);
            let listed = store.share_links().await.unwrap();
            assert_eq!(
                (listed.len(), listed[0].title.as_str(), listed[0].expired),
                (1, "Wall", false)
            );
            // A token that is close is nothing.
            let mut other = token.to_string();
            other.pop();
            assert!(matches!(
                store.shared(&other).await,
                Err(Error::NotFound(_))
            ));
            assert!(store.shared("").await.is_err());
            assert!(store.revoke(&made.link.id).await.unwrap());
            assert!(matches!(store.shared(token).await, Err(Error::NotFound(_))));
            assert!(!store.revoke(&made.link.id).await.unwrap());
            // Removing the dashboard ends its links.
            let again = store.share(&d.id, 1, "alice").await.unwrap();
            store.remove(&d.id).await.unwrap();
            assert!(store
                .shared(again.path.strip_prefix("/share/").unwrap())
                .await
                .is_err());
            assert!(store.share_links().await.unwrap().is_empty());
        }
    }

    #[tokio::test]
    async fn a_links_lifetime_is_bounded() {
        for (db, ..) in each_backend().await {
            let store = DashboardStore::new(db);
            let d = wall(&store).await;
            assert!(store.share(&d.id, MAX_SHARE_SECONDS, "alice").await.is_ok());
            for seconds in [0, MAX_SHARE_SECONDS + 1] {
                let e = store.share(&d.id, seconds, "alice").await.unwrap_err();
                assert!(
                    e.to_string()
                        .starts_with("a link works for 1 to 31536000 seconds"),
                    "{e}"
                );
            }
            assert!(matches!(
                store.share("nope", 1, "alice").await,
                Err(Error::NotFound(_))
            ));
        }
    }
}
