//! Share links: a read-only link to one dashboard with an expiry, kept beside the
//! dashboards as the SHA-256 of its token. The token is checked, with its expiry, on every
//! read, so a revoked or expired link stops at the next request.

use super::store::{not_found, DashboardStore};
use crate::secrets::{random_secret, sha256_hex};
use crate::Error;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use iot_models::{NewShareLink, SavedDashboard, ShareLink, MAX_SHARE_LINKS, MAX_SHARE_SECONDS};
use rusqlite::{params, OptionalExtension};

/// What a link's token starts with, so secret scanners (and people) know it.
const TOKEN_PREFIX: &str = "share_";

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl DashboardStore {
    /// A new link to dashboard `id`, working for `seconds` (at most a year).
    pub fn share(&self, id: &str, seconds: u64, by: &str) -> Result<NewShareLink, Error> {
        if !(1..=MAX_SHARE_SECONDS).contains(&seconds) {
            return Err(Error::Invalid(format!(
                "a link works for 1 to {MAX_SHARE_SECONDS} seconds (a year), not {seconds}"
            )));
        }
        let title = self.get(id, None)?.spec.title;
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
        self.db
            .insert_within("shares", MAX_SHARE_LINKS, "share links", |tx| {
                tx.execute(
                    "INSERT INTO shares VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        link.id,
                        id,
                        sha256_hex(&token),
                        by,
                        link.created_at,
                        link.expires_at
                    ],
                )
                .map(drop)
            })?;
        Ok(NewShareLink {
            link,
            path: format!("/share/{token}"),
        })
    }

    /// Every link, newest first, with its dashboard's title.
    pub fn share_links(&self) -> Result<Vec<ShareLink>, Error> {
        let rows: Vec<(String, String, String, String, String)> = self.db.with(|db| {
            let mut q = db.prepare(
                "SELECT id, dashboard, created_by, created_at, expires_at FROM shares
                 ORDER BY created_at DESC, id",
            )?;
            let rows = q.query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?;
            rows.collect()
        })?;
        let now = rfc3339(Utc::now());
        rows.into_iter()
            .map(|(id, dashboard, created_by, created_at, expires_at)| {
                Ok(ShareLink {
                    title: self.get(&dashboard, None)?.spec.title,
                    expired: expires_at <= now,
                    id,
                    dashboard,
                    created_by,
                    created_at,
                    expires_at,
                })
            })
            .collect()
    }

    /// Ends a link at once; `false` when there was none.
    pub fn revoke(&self, link: &str) -> Result<bool, Error> {
        self.db
            .with(|db| db.execute("DELETE FROM shares WHERE id = ?1", [link]))
            .map(|n| n > 0)
    }

    /// The dashboard a link's token opens, if the link exists and has not expired. Every
    /// other case is the same "not found": a stranger learns nothing from the answer.
    pub fn shared(&self, token: &str) -> Result<SavedDashboard, Error> {
        let gone = || {
            Error::NotFound("this link does not work (any more): it expired or was revoked".into())
        };
        if !token.starts_with(TOKEN_PREFIX) {
            return Err(gone());
        }
        let now = rfc3339(Utc::now());
        let dashboard: Option<String> = self.db.with(|db| {
            db.query_row(
                "SELECT dashboard FROM shares WHERE token_sha256 = ?1 AND expires_at > ?2",
                params![sha256_hex(token), now],
                |r| r.get(0),
            )
            .optional()
        })?;
        let id = dashboard.ok_or_else(gone)?;
        self.get(&id, None).map_err(|e| match e {
            Error::NotFound(_) => not_found(&id),
            e => e,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboards::parse_spec;

    #[test]
    fn a_link_opens_its_dashboard_until_revoked_or_gone_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = DashboardStore::open(dir.path()).unwrap();
        let spec =
            parse_spec(r#"{"title": "Wall", "devices": {"device": "d-1"}, "cells": []}"#).unwrap();
        let d = store.create(&spec, "alice").unwrap();
        let made = store.share(&d.id, 86_400, "alice").unwrap();
        let token = made.path.strip_prefix("/share/").unwrap();
        assert!(token.starts_with("share_") && token.len() > 40);
        assert_eq!(store.shared(token).unwrap().id, d.id);
        let listed = store.share_links().unwrap();
        assert_eq!(
            (listed.len(), listed[0].title.as_str(), listed[0].expired),
            (1, "Wall", false)
        );
        // A token that is close is nothing.
        let mut other = token.to_string();
        other.pop();
        assert!(matches!(store.shared(&other), Err(Error::NotFound(_))));
        assert!(store.shared("").is_err());
        assert!(store.revoke(&made.link.id).unwrap());
        assert!(matches!(store.shared(token), Err(Error::NotFound(_))));
        assert!(!store.revoke(&made.link.id).unwrap());
        // Removing the dashboard ends its links.
        let again = store.share(&d.id, 1, "alice").unwrap();
        store.remove(&d.id).unwrap();
        assert!(store
            .shared(again.path.strip_prefix("/share/").unwrap())
            .is_err());
        assert!(store.share_links().unwrap().is_empty());
    }

    #[test]
    fn a_links_lifetime_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let store = DashboardStore::open(dir.path()).unwrap();
        let spec =
            parse_spec(r#"{"title": "Wall", "devices": {"device": "d-1"}, "cells": []}"#).unwrap();
        let d = store.create(&spec, "alice").unwrap();
        assert!(store.share(&d.id, MAX_SHARE_SECONDS, "alice").is_ok());
        for seconds in [0, MAX_SHARE_SECONDS + 1] {
            let e = store.share(&d.id, seconds, "alice").unwrap_err();
            assert!(
                e.to_string()
                    .starts_with("a link works for 1 to 31536000 seconds"),
                "{e}"
            );
        }
        assert!(matches!(
            store.share("nope", 1, "alice"),
            Err(Error::NotFound(_))
        ));
    }
}
