//! The application's own small SQLite files under the data directory (accounts, alert
//! rules): readable by their owner only, waiting up to 5 s for another process's write
//! (the `user add` command beside a running server), one connection behind a mutex.

use crate::Error;
use rusqlite::Connection;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// One file; cheap to clone.
#[derive(Clone)]
pub(crate) struct LocalDb {
    conn: Arc<Mutex<Connection>>,
    /// What it holds, for error messages: "accounts".
    what: &'static str,
}

impl LocalDb {
    /// Opens (or creates) `file` in `data_dir` with `schema`.
    pub fn open(
        data_dir: &Path,
        file: &str,
        schema: &str,
        what: &'static str,
    ) -> Result<LocalDb, Error> {
        let fail = |e: &dyn std::fmt::Display| Error::Internal(format!("{what}: {e}"));
        let path = data_dir.join(file);
        let conn = Connection::open(&path).map_err(|e| fail(&e))?;
        owner_only(&path).map_err(|e| fail(&e))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| fail(&e))?;
        conn.execute_batch(schema).map_err(|e| fail(&e))?;
        Ok(LocalDb {
            conn: Arc::new(Mutex::new(conn)),
            what,
        })
    }

    pub fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, Error> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        f(&conn).map_err(|e| self.error(e))
    }

    /// Runs `insert` in a transaction unless `table` holds `max` rows already: a bound on
    /// what one list costs, refused with what to do (`there are 500 dashboards already`).
    pub fn insert_within(
        &self,
        table: &str,
        max: usize,
        what: &str,
        insert: impl FnOnce(&rusqlite::Transaction) -> rusqlite::Result<()>,
    ) -> Result<(), Error> {
        let full = self.with(|db| {
            let tx = db.unchecked_transaction()?;
            let count: usize =
                tx.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
            if count >= max {
                return Ok(true);
            }
            insert(&tx)?;
            tx.commit()?;
            Ok(false)
        })?;
        match full {
            true => Err(Error::Invalid(format!(
                "there are {max} {what} already: remove one first"
            ))),
            false => Ok(()),
        }
    }

    /// A failure of this file, named.
    pub fn error(&self, e: impl std::fmt::Display) -> Error {
        Error::Internal(format!("{}: {e}", self.what))
    }
}

/// Makes a file of secrets (hashes, sessions, tokens) its owner's only, however it was
/// created: 0600 on Unix.
pub fn owner_only(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}
