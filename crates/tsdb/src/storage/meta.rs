//! Organizations, users, buckets and authorizations: one file per resource, each with its
//! rows' columns, its queries and its tests; `setup` makes the first of each at once.

mod authorizations;
mod buckets;
mod orgs;
mod setup;
mod users;

pub use authorizations::{Authorization, NewAuthorization, Permission, Resource};
pub use buckets::Bucket;
pub use orgs::Org;
pub use setup::{Onboarded, Onboarding};
pub use users::User;

use super::StorageError;
use rusqlite::{Connection, OptionalExtension, Params, Row};

/// A new 16-hex-digit id, as InfluxDB's.
pub fn new_id() -> String {
    loop {
        let id: u64 = rand::random();
        if id >> 60 != 0 {
            return format!("{id:016x}");
        }
    }
}

/// The row `sql` selects, if any, read by `from`.
fn one<T>(
    c: &Connection,
    sql: &str,
    params: impl Params,
    from: fn(&Row) -> rusqlite::Result<T>,
) -> Result<Option<T>, StorageError> {
    Ok(c.query_row(sql, params, from).optional()?)
}

/// Every row `sql` selects, read by `from`.
fn all<T>(
    c: &Connection,
    sql: &str,
    from: fn(&Row) -> rusqlite::Result<T>,
) -> Result<Vec<T>, StorageError> {
    Ok(c.prepare(sql)?
        .query_map([], from)?
        .collect::<Result<_, _>>()?)
}

/// A unique constraint broken by an insert or update is a conflict, with `message`.
fn unique_violation(e: rusqlite::Error, message: String) -> StorageError {
    match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            StorageError::Conflict(message)
        }
        e => StorageError::Sqlite(e),
    }
}

#[cfg(test)]
pub(crate) mod test_store {
    use crate::storage::Store;

    /// A fresh store; the directory lives as long as it.
    pub fn open() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        (dir, store)
    }
}
