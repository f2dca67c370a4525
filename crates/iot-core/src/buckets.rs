//! The organisation's buckets, as the Buckets page lists them.

use crate::{Backend, Error};
use iot_models::BucketRow;

/// Every bucket of the organisation: user buckets first, then system ones, each A→Z.
pub async fn list(b: &Backend) -> Result<Vec<BucketRow>, Error> {
    let mut rows: Vec<BucketRow> = b
        .client
        .buckets()
        .await?
        .into_iter()
        .map(|b| BucketRow {
            retention_seconds: b.retention_seconds(),
            name: b.name,
            id: b.id,
            kind: b.kind,
        })
        .collect();
    sort(&mut rows);
    Ok(rows)
}

/// User buckets before system ones (`_monitoring`, `_tasks`), names A→Z within each kind.
fn sort(rows: &mut [BucketRow]) {
    rows.sort_by(|a, b| {
        let system = |r: &BucketRow| r.kind == "system";
        (system(a), &a.name).cmp(&(system(b), &b.name))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, kind: &str) -> BucketRow {
        BucketRow {
            name: name.into(),
            id: format!("id-{name}"),
            retention_seconds: 0,
            kind: kind.into(),
        }
    }

    #[test]
    fn user_buckets_come_first_and_names_read_a_to_z() {
        let mut rows = vec![
            row("_tasks", "system"),
            row("zeta", "user"),
            row("_monitoring", "system"),
            row("alpha", "user"),
            row("iot_center", "user"),
        ];
        sort(&mut rows);
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            ["alpha", "iot_center", "zeta", "_monitoring", "_tasks"]
        );
    }
}
