//! Alert rules and endpoints, kept in SQLite under the data directory (`alerts.sqlite3`,
//! readable by its owner only: endpoints hold their tokens), beside the accounts.

use crate::local_db::LocalDb;
use crate::Error;
use iot_models::{AlertEndpoint, AlertRule, EndpointSpec, RuleSpec};
use rusqlite::{params, Connection};
use std::path::Path;

/// The file, in the data directory.
pub const FILE: &str = "alerts.sqlite3";
/// Rules kept at most, and endpoints: bounds on what one evaluation and one list cost.
pub const MAX_RULES: usize = 1_000;
pub const MAX_ENDPOINTS: usize = 100;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS rules (id TEXT PRIMARY KEY, spec TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS endpoints (id TEXT PRIMARY KEY, spec TEXT NOT NULL, created_at TEXT NOT NULL);";

/// The store; cheap to clone.
#[derive(Clone)]
pub struct AlertStore {
    db: LocalDb,
}

/// A new id: 16 hex digits, like InfluxDB's.
fn new_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

impl AlertStore {
    /// Opens (or creates) the store in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<AlertStore, Error> {
        Ok(AlertStore {
            db: LocalDb::open(data_dir, FILE, SCHEMA, "alert rules")?,
        })
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, Error> {
        self.db.with(f)
    }

    /// `(id, spec)` of a table, oldest first.
    fn specs<T: serde::de::DeserializeOwned>(
        &self,
        table: &str,
    ) -> Result<Vec<(String, T)>, Error> {
        let rows: Vec<(String, String)> = self.with(|db| {
            let mut q = db.prepare(&format!(
                "SELECT id, spec FROM {table} ORDER BY created_at, id"
            ))?;
            let rows = q.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })?;
        rows.into_iter()
            .map(|(id, spec)| {
                Ok((
                    id,
                    serde_json::from_str(&spec).map_err(|e| self.db.error(e))?,
                ))
            })
            .collect()
    }

    /// Adds a row unless the table holds `max` already; its new id.
    fn insert(&self, table: &str, spec: String, max: usize, what: &str) -> Result<String, Error> {
        let id = new_id();
        self.db.insert_within(table, max, what, |tx| {
            tx.execute(
                &format!("INSERT INTO {table} (id, spec, created_at) VALUES (?1, ?2, ?3)"),
                params![id, spec, chrono::Utc::now().to_rfc3339()],
            )
            .map(drop)
        })?;
        Ok(id)
    }

    fn delete(&self, table: &str, id: &str) -> Result<bool, Error> {
        self.with(|db| db.execute(&format!("DELETE FROM {table} WHERE id = ?1"), [id]))
            .map(|n| n > 0)
    }

    pub fn rules(&self) -> Result<Vec<AlertRule>, Error> {
        let rules = self.specs::<RuleSpec>("rules")?.into_iter();
        Ok(rules.map(|(id, spec)| AlertRule { id, spec }).collect())
    }

    /// Adds a rule whose endpoints all exist.
    pub fn add_rule(&self, spec: RuleSpec) -> Result<AlertRule, Error> {
        let known: Vec<String> = self
            .endpoint_specs()?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        if let Some(unknown) = spec.endpoints.iter().find(|e| !known.contains(e)) {
            return Err(Error::Invalid(format!("there is no endpoint {unknown:?}")));
        }
        let json = serde_json::to_string(&spec).map_err(|e| self.db.error(e))?;
        let id = self.insert("rules", json, MAX_RULES, "rules")?;
        Ok(AlertRule { id, spec })
    }

    pub fn remove_rule(&self, id: &str) -> Result<bool, Error> {
        self.delete("rules", id)
    }

    /// Endpoints with their tokens, for sending.
    pub fn endpoint_specs(&self) -> Result<Vec<(String, EndpointSpec)>, Error> {
        self.specs("endpoints")
    }

    /// Endpoints as they are listed: without their tokens.
    pub fn endpoints(&self) -> Result<Vec<AlertEndpoint>, Error> {
        let all = self.endpoint_specs()?.into_iter();
        Ok(all.map(|(id, e)| AlertEndpoint::of(id, &e)).collect())
    }

    pub fn add_endpoint(&self, spec: EndpointSpec) -> Result<AlertEndpoint, Error> {
        let json = serde_json::to_string(&spec).map_err(|e| self.db.error(e))?;
        let id = self.insert("endpoints", json, MAX_ENDPOINTS, "endpoints")?;
        Ok(AlertEndpoint::of(id, &spec))
    }

    /// Removes an endpoint no rule uses (a rule would lose its notifications unawares).
    pub fn remove_endpoint(&self, id: &str) -> Result<bool, Error> {
        if let Some(rule) = self
            .rules()?
            .into_iter()
            .find(|r| r.spec.endpoints.iter().any(|e| e == id))
        {
            return Err(Error::Invalid(format!(
                "rule {:?} ({}) notifies this endpoint: remove the rule first",
                rule.spec.name, rule.id
            )));
        }
        self.delete("endpoints", id)
    }
}
