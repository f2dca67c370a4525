//! Organizations, buckets, authorizations, deletes, and the server's health.

use crate::client::{Client, Retry};
use crate::models::{Authorization, Bucket, Health, Org, Permission};
use crate::Error;
use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::Method;
use serde_json::json;

async fn json_of<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> Result<T, Error> {
    let text = response.text().await.map_err(Error::from_transport)?;
    serde_json::from_str(&text).map_err(|e| {
        Error::Decode(format!(
            "{e}: {}",
            text.chars().take(200).collect::<String>()
        ))
    })
}

impl Client {
    /// The organization named `name`.
    pub async fn find_org(&self, name: &str) -> Result<Org, Error> {
        #[derive(serde::Deserialize)]
        struct Orgs {
            orgs: Vec<Org>,
        }
        let r = self
            .send(Retry::Yes, || {
                self.request(Method::GET, "/api/v2/orgs")
                    .query(&[("org", name)])
            })
            .await?;
        json_of::<Orgs>(r)
            .await?
            .orgs
            .into_iter()
            .next()
            .ok_or_else(|| Error::Api {
                status: 404,
                code: "not found".into(),
                message: format!("organization name \"{name}\" not found"),
                retry_after: None,
            })
    }

    /// Every bucket of the organization the token may read.
    pub async fn buckets(&self) -> Result<Vec<Bucket>, Error> {
        #[derive(serde::Deserialize)]
        struct Page {
            buckets: Vec<Bucket>,
        }
        let org_id = self.org_id().await?;
        let mut all = Vec::new();
        loop {
            let offset = all.len().to_string();
            let query = [
                ("orgID", org_id.as_str()),
                ("limit", "100"),
                ("offset", offset.as_str()),
            ];
            let page: Page = json_of(
                self.send(Retry::Yes, || {
                    self.request(Method::GET, "/api/v2/buckets").query(&query)
                })
                .await?,
            )
            .await?;
            let n = page.buckets.len();
            all.extend(page.buckets);
            if n < 100 {
                return Ok(all);
            }
        }
    }

    /// The bucket named `name` in the organization, if it exists (and the token may see it).
    pub async fn find_bucket(&self, name: &str) -> Result<Option<Bucket>, Error> {
        #[derive(serde::Deserialize)]
        struct Page {
            buckets: Vec<Bucket>,
        }
        let org_id = self.org_id().await?;
        let query = [("orgID", org_id.as_str()), ("name", name)];
        match self
            .send(Retry::Yes, || {
                self.request(Method::GET, "/api/v2/buckets").query(&query)
            })
            .await
        {
            Ok(r) => Ok(json_of::<Page>(r)
                .await?
                .buckets
                .into_iter()
                .find(|b| b.name == name)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates a bucket keeping data `retention_seconds` (0 = forever).
    pub async fn create_bucket(&self, name: &str, retention_seconds: i64) -> Result<Bucket, Error> {
        let body = json!({
            "orgID": self.org_id().await?,
            "name": name,
            "retentionRules": if retention_seconds > 0 { json!([{"type": "expire", "everySeconds": retention_seconds}]) } else { json!([]) },
        });
        json_of(
            self.send(Retry::No, || {
                self.request(Method::POST, "/api/v2/buckets").json(&body)
            })
            .await?,
        )
        .await
    }

    pub async fn delete_bucket(&self, id: &str) -> Result<(), Error> {
        self.send(Retry::Yes, || {
            self.request(Method::DELETE, &format!("/api/v2/buckets/{id}"))
        })
        .await
        .map(drop)
    }

    /// Creates a token with `permissions`; the answer is the only place its token appears.
    pub async fn create_authorization(
        &self,
        description: &str,
        permissions: Vec<Permission>,
    ) -> Result<Authorization, Error> {
        let body = json!({ "orgID": self.org_id().await?, "description": description, "permissions": permissions, "status": "active" });
        json_of(
            self.send(Retry::No, || {
                self.request(Method::POST, "/api/v2/authorizations")
                    .json(&body)
            })
            .await?,
        )
        .await
    }

    /// The authorization `id`, or `None` when it does not exist.
    pub async fn authorization(&self, id: &str) -> Result<Option<Authorization>, Error> {
        match self
            .send(Retry::Yes, || {
                self.request(Method::GET, &format!("/api/v2/authorizations/{id}"))
            })
            .await
        {
            Ok(r) => json_of(r).await.map(Some),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The organization's authorizations (tokens hidden).
    pub async fn authorizations(&self) -> Result<Vec<Authorization>, Error> {
        #[derive(serde::Deserialize)]
        struct List {
            authorizations: Vec<Authorization>,
        }
        let org_id = self.org_id().await?;
        let r = self
            .send(Retry::Yes, || {
                self.request(Method::GET, "/api/v2/authorizations")
                    .query(&[("orgID", org_id.as_str())])
            })
            .await?;
        Ok(json_of::<List>(r).await?.authorizations)
    }

    pub async fn set_authorization_active(
        &self,
        id: &str,
        active: bool,
    ) -> Result<Authorization, Error> {
        let body = json!({ "status": if active { "active" } else { "inactive" } });
        json_of(
            self.send(Retry::Yes, || {
                self.request(Method::PATCH, &format!("/api/v2/authorizations/{id}"))
                    .json(&body)
            })
            .await?,
        )
        .await
    }

    pub async fn delete_authorization(&self, id: &str) -> Result<(), Error> {
        self.send(Retry::Yes, || {
            self.request(Method::DELETE, &format!("/api/v2/authorizations/{id}"))
        })
        .await
        .map(drop)
    }

    /// Deletes points with `start <= _time <= stop` matching `predicate` (`k="v" AND …`).
    pub async fn delete(
        &self,
        bucket: &str,
        start: DateTime<Utc>,
        stop: DateTime<Utc>,
        predicate: &str,
    ) -> Result<(), Error> {
        let body = json!({
            "start": start.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            "stop": stop.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            "predicate": predicate,
        });
        let query = [
            ("org", self.org_id().await?),
            ("bucket", bucket.to_string()),
        ];
        self.send(Retry::Yes, || {
            self.request(Method::POST, "/api/v2/delete")
                .query(&query)
                .json(&body)
        })
        .await
        .map(drop)
    }

    /// `GET /health`: does not need a valid token.
    pub async fn health(&self) -> Result<Health, Error> {
        json_of(
            self.send(Retry::No, || self.request(Method::GET, "/health"))
                .await?,
        )
        .await
    }

    /// `GET /ready`: whether the server is ready for queries and writes.
    pub async fn ready(&self) -> Result<bool, Error> {
        let r = self
            .send(Retry::No, || self.request(Method::GET, "/ready"))
            .await?;
        let v: serde_json::Value = json_of(r).await?;
        Ok(v["status"] == "ready")
    }

    /// `GET /ping`: the server's version (`X-Influxdb-Version`), empty when it gives none.
    pub async fn ping(&self) -> Result<String, Error> {
        let r = self
            .send(Retry::No, || self.request(Method::GET, "/ping"))
            .await?;
        Ok(r.headers()
            .get("x-influxdb-version")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string())
    }
}
