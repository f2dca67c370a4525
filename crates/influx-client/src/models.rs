//! The InfluxDB resources the client reads and creates, as InfluxDB's JSON has them.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Org {
    pub id: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RetentionRule {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(rename = "everySeconds")]
    pub every_seconds: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub id: String,
    pub name: String,
    #[serde(rename = "orgID")]
    pub org_id: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(rename = "retentionRules", default)]
    pub retention_rules: Vec<RetentionRule>,
}

impl Bucket {
    /// Seconds data is kept; 0 is forever.
    pub fn retention_seconds(&self) -> i64 {
        self.retention_rules.first().map_or(0, |r| r.every_seconds)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "orgID", default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Permission {
    pub action: String,
    pub resource: Resource,
}

impl Permission {
    /// Write on one bucket, by id: what a device needs and nothing more.
    pub fn write_bucket(org_id: &str, bucket_id: &str) -> Permission {
        Permission {
            action: "write".into(),
            resource: Resource {
                kind: "buckets".into(),
                id: Some(bucket_id.into()),
                org_id: Some(org_id.into()),
            },
        }
    }
}

#[derive(Clone, Deserialize, Serialize, PartialEq)]
pub struct Authorization {
    pub id: String,
    /// Only filled in the answer to a create (InfluxDB 2.9 and Cloud hide it afterwards).
    #[serde(default)]
    pub token: String,
    pub status: String,
    #[serde(default)]
    pub description: String,
    #[serde(rename = "orgID")]
    pub org_id: String,
    pub permissions: Vec<Permission>,
}

impl std::fmt::Debug for Authorization {
    /// Never prints the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorization")
            .field("id", &self.id)
            .field("status", &self.status)
            .field("description", &self.description)
            .field("permissions", &self.permissions)
            .finish_non_exhaustive()
    }
}

impl Authorization {
    pub fn is_active(&self) -> bool {
        self.status == "active"
    }
}

/// `GET /health`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub version: String,
}
