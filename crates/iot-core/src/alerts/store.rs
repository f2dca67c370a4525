//! Alert rules and endpoints, kept in the state database (endpoints hold their tokens),
//! beside the accounts.

use crate::state_db::StateDb;
use crate::Error;
use iot_models::{Acknowledgement, AlertEndpoint, AlertRule, EndpointSpec, RuleSpec};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Acknowledgements by (rule, device), with the start (ms) of the firing each is for.
pub type Acknowledgements = HashMap<(String, String), (i64, Acknowledgement)>;
use sqlx::{AssertSqlSafe, Row};

/// Rules kept at most, and endpoints: bounds on what one evaluation and one list cost.
pub const MAX_RULES: usize = 1_000;
pub const MAX_ENDPOINTS: usize = 100;

/// How long the rules as last read serve: every device page draws their thresholds, and
/// every look at alerts needs their names. This instance's own changes are seen at once,
/// another instance's within this.
const RULES_FRESH: Duration = Duration::from_secs(1);

/// The store; cheap to clone.
#[derive(Clone)]
pub struct AlertStore {
    db: StateDb,
    rules_read: Arc<Mutex<RulesRead>>,
}

/// The rules as last read, and how many changes this instance made to them: a read begun
/// before a change is not kept after it.
#[derive(Default)]
struct RulesRead {
    changes: u64,
    read: Option<(Instant, Vec<AlertRule>)>,
}

/// A new id: 16 hex digits, like InfluxDB's.
fn new_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

fn stored(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("alert rules: {e}"))
}

impl AlertStore {
    pub fn new(db: StateDb) -> AlertStore {
        AlertStore {
            db,
            rules_read: Arc::default(),
        }
    }

    fn rules_read(&self) -> MutexGuard<'_, RulesRead> {
        self.rules_read.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `(id, spec)` of a table, oldest first.
    async fn specs<T: serde::de::DeserializeOwned>(
        &self,
        table: &str,
    ) -> Result<Vec<(String, T)>, Error> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT id, spec FROM {table} ORDER BY created_at, id"
        )))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let spec: String = r.try_get(1)?;
                Ok((r.try_get(0)?, serde_json::from_str(&spec).map_err(stored)?))
            })
            .collect()
    }

    /// Adds a row unless the table holds `max` already; its new id.
    async fn insert(
        &self,
        table: &str,
        spec: String,
        max: usize,
        what: &str,
    ) -> Result<String, Error> {
        let id = new_id();
        let mut tx = self.db.begin_bounded(table, max, what).await?;
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO {table} (id, spec, created_at) VALUES ($1, $2, $3)"
        )))
        .bind(&id)
        .bind(spec)
        .bind(chrono::Utc::now().to_rfc3339())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn delete(&self, table: &str, id: &str) -> Result<bool, Error> {
        let deleted = sqlx::query(AssertSqlSafe(format!("DELETE FROM {table} WHERE id = $1")))
            .bind(id)
            .execute(self.db.pool())
            .await?;
        Ok(deleted.rows_affected() > 0)
    }

    /// The rules, oldest first, as read within [`RULES_FRESH`].
    pub async fn rules(&self) -> Result<Vec<AlertRule>, Error> {
        let changes = {
            let cached = self.rules_read();
            match &cached.read {
                Some((at, rules)) if at.elapsed() < RULES_FRESH => return Ok(rules.clone()),
                _ => cached.changes,
            }
        };
        let rules = self.read_rules().await?;
        let mut cached = self.rules_read();
        if cached.changes == changes {
            cached.read = Some((Instant::now(), rules.clone()));
        }
        Ok(rules)
    }

    /// The rules as the database holds them now.
    async fn read_rules(&self) -> Result<Vec<AlertRule>, Error> {
        let rules = self.specs::<RuleSpec>("rules").await?.into_iter();
        Ok(rules.map(|(id, spec)| AlertRule { id, spec }).collect())
    }

    fn rules_changed(&self) {
        let mut cached = self.rules_read();
        cached.changes += 1;
        cached.read = None;
    }

    /// Adds a rule whose endpoints all exist.
    pub async fn add_rule(&self, spec: RuleSpec) -> Result<AlertRule, Error> {
        let known: Vec<String> = self
            .endpoint_specs()
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        if let Some(unknown) = spec.endpoints.iter().find(|e| !known.contains(e)) {
            return Err(Error::Invalid(format!("there is no endpoint {unknown:?}")));
        }
        let json = serde_json::to_string(&spec).map_err(stored)?;
        let id = self.insert("rules", json, MAX_RULES, "rules").await?;
        self.rules_changed();
        Ok(AlertRule { id, spec })
    }

    pub async fn remove_rule(&self, id: &str) -> Result<bool, Error> {
        let removed = self.delete("rules", id).await?;
        self.rules_changed();
        Ok(removed)
    }

    /// Endpoints with their tokens, for sending.
    pub async fn endpoint_specs(&self) -> Result<Vec<(String, EndpointSpec)>, Error> {
        self.specs("endpoints").await
    }

    /// Endpoints as they are listed: without their tokens.
    pub async fn endpoints(&self) -> Result<Vec<AlertEndpoint>, Error> {
        let all = self.endpoint_specs().await?.into_iter();
        Ok(all.map(|(id, e)| AlertEndpoint::of(id, &e)).collect())
    }

    pub async fn add_endpoint(&self, spec: EndpointSpec) -> Result<AlertEndpoint, Error> {
        let json = serde_json::to_string(&spec).map_err(stored)?;
        let id = self
            .insert("endpoints", json, MAX_ENDPOINTS, "endpoints")
            .await?;
        Ok(AlertEndpoint::of(id, &spec))
    }

    /// Removes an endpoint no rule uses (a rule would lose its notifications unawares).
    pub async fn remove_endpoint(&self, id: &str) -> Result<bool, Error> {
        if let Some(rule) = self
            .read_rules()
            .await?
            .into_iter()
            .find(|r| r.spec.endpoints.iter().any(|e| e == id))
        {
            return Err(Error::Invalid(format!(
                "rule {:?} ({}) notifies this endpoint: remove the rule first",
                rule.spec.name, rule.id
            )));
        }
        self.delete("endpoints", id).await
    }

    /// Keeps `ack` for the firing of `rule` on `device` that started at `since` (ms).
    pub async fn acknowledge(
        &self,
        rule: &str,
        device: &str,
        since: i64,
        ack: &Acknowledgement,
    ) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO alert_acks (rule, device, since, by_name, note, at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (rule, device) DO UPDATE SET since = $3, by_name = $4, note = $5, at = $6",
        )
        .bind(rule)
        .bind(device)
        .bind(since)
        .bind(&ack.by)
        .bind(&ack.note)
        .bind(&ack.at)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    pub async fn acknowledgements(&self) -> Result<Acknowledgements, Error> {
        let rows = sqlx::query("SELECT rule, device, since, by_name, note, at FROM alert_acks")
            .fetch_all(self.db.pool())
            .await?;
        rows.iter()
            .map(|r| {
                let ack = Acknowledgement {
                    by: r.try_get(3)?,
                    note: r.try_get(4)?,
                    at: r.try_get(5)?,
                };
                Ok(((r.try_get(0)?, r.try_get(1)?), (r.try_get(2)?, ack)))
            })
            .collect()
    }

    /// The alert of `rule` on `device` resolved: its acknowledgement goes.
    pub async fn forget_acknowledgement(&self, rule: &str, device: &str) -> Result<(), Error> {
        sqlx::query("DELETE FROM alert_acks WHERE rule = $1 AND device = $2")
            .bind(rule)
            .bind(device)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state_db::each_backend;

    fn spec(name: &str) -> RuleSpec {
        let json =
            format!(r#"{{"name":"{name}","devices":"*","kind":"silent","silent_seconds":600}}"#);
        serde_json::from_str(&json).unwrap()
    }

    fn names(rules: &[AlertRule]) -> Vec<&str> {
        rules.iter().map(|r| r.spec.name.as_str()).collect()
    }

    #[tokio::test]
    async fn rules_read_serve_a_second_and_this_stores_changes_show_at_once() {
        for (db, _, _dir) in each_backend().await {
            // Two instances on one database: each has its own rules as last read.
            let (here, there) = (AlertStore::new(db.clone()), AlertStore::new(db));
            assert!(here.rules().await.unwrap().is_empty());
            assert!(there.rules().await.unwrap().is_empty());
            let added = here.add_rule(spec("quiet")).await.unwrap();
            assert_eq!(names(&here.rules().await.unwrap()), ["quiet"]);
            tokio::time::sleep(RULES_FRESH).await;
            assert_eq!(names(&there.rules().await.unwrap()), ["quiet"]);
            assert!(here.remove_rule(&added.id).await.unwrap());
            assert!(here.rules().await.unwrap().is_empty());
        }
    }
}
