//! Users: a name and a password, hashed with Argon2 (`password-auth`).

use super::{new_id, one, unique_violation};
use crate::storage::{StorageError, Store};
use rusqlite::{params, Connection};

#[derive(Clone, Debug)]
pub struct User {
    pub id: String,
    pub name: String,
}

/// Inserts a user; an empty password is kept as no password at all (nothing verifies).
pub(super) fn insert(c: &Connection, name: &str, password: &str) -> Result<User, StorageError> {
    let user = User {
        id: new_id(),
        name: name.to_string(),
    };
    let hash = if password.is_empty() {
        String::new()
    } else {
        password_auth::generate_hash(password)
    };
    c.execute(
        "INSERT INTO users VALUES (?1, ?2, ?3)",
        params![user.id, user.name, hash],
    )
    .map_err(|e| unique_violation(e, format!("user with name {name} already exists")))?;
    Ok(user)
}

impl Store {
    pub fn create_user(&self, name: &str, password: &str) -> Result<User, StorageError> {
        insert(&self.write_conn(), name, password)
    }

    pub fn user(&self, id: &str) -> Result<Option<User>, StorageError> {
        self.read(|c| {
            one(c, "SELECT id, name FROM users WHERE id = ?1", [id], |r| {
                Ok(User {
                    id: r.get(0)?,
                    name: r.get(1)?,
                })
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::storage::meta::test_store;
    use crate::storage::StorageError;

    #[test]
    fn passwords_are_stored_as_argon2_hashes_and_verified() {
        let (_dir, store) = test_store::open();
        let user = store.create_user("ada", "correct horse").unwrap();
        assert_eq!(store.user(&user.id).unwrap().unwrap().name, "ada");
        let stored: String = store
            .read(|c| Ok(c.query_row("SELECT password_hash FROM users", [], |r| r.get(0))?))
            .unwrap();
        assert!(stored.starts_with("$argon2"), "{stored}");
        assert!(password_auth::verify_password("correct horse", &stored).is_ok());
        assert!(password_auth::verify_password("wrong", &stored).is_err());
        assert!(matches!(
            store.create_user("ada", "other password"),
            Err(StorageError::Conflict(m)) if m == "user with name ada already exists"
        ));
        assert!(store.user("0000000000000000").unwrap().is_none());
    }
}
