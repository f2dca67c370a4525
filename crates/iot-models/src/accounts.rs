//! Who may use IoT Center, and how far: roles, and the names and passwords of users.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What a signed-in user or an API token may do; each role includes the ones before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads everything but tokens.
    Viewer,
    /// Also manages devices, writers and alerts.
    Operator,
    /// Also manages users and API tokens.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Operator, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == raw.trim())
            .ok_or_else(|| format!("unknown role {raw:?}: use viewer, operator or admin"))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who is calling: a signed-in user, or an API token by its name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    pub name: String,
    pub role: Role,
}

impl Caller {
    /// Whether the caller's role includes `role`.
    pub fn may(&self, role: Role) -> bool {
        self.role >= role
    }
}

crate::name::name_type!(
    /// A user's (or an API token's) name, by the rule of device ids.
    AccountName,
    "a name"
);

/// The shortest password accepted.
pub const MIN_PASSWORD: usize = 10;
/// The longest: hashing is slow by design, and its input must not be unbounded.
pub const MAX_PASSWORD: usize = 256;

/// A new password: 10–256 characters. Never printed (`Debug` hides it).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Password, String> {
        let n = raw.chars().count();
        if n < MIN_PASSWORD {
            return Err(format!("a password has at least {MIN_PASSWORD} characters"));
        }
        if n > MAX_PASSWORD {
            return Err(format!("a password has at most {MAX_PASSWORD} characters"));
        }
        Ok(Password(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(••••••)")
    }
}

impl TryFrom<String> for Password {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Password::parse(&s)
    }
}

impl From<Password> for String {
    fn from(p: Password) -> String {
        p.0
    }
}

/// A user or an API token as the Users page lists them (never a password or a token).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRow {
    pub name: String,
    pub role: Role,
    /// RFC 3339.
    pub created_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_include_the_ones_before() {
        let caller = |role| Caller {
            name: "x".into(),
            role,
        };
        assert!(caller(Role::Admin).may(Role::Operator));
        assert!(caller(Role::Operator).may(Role::Viewer));
        assert!(!caller(Role::Viewer).may(Role::Operator));
        assert!(!caller(Role::Operator).may(Role::Admin));
        assert_eq!(Role::parse("operator"), Ok(Role::Operator));
        assert_eq!(
            Role::parse("root").unwrap_err(),
            "unknown role \"root\": use viewer, operator or admin"
        );
    }

    #[test]
    fn passwords_are_bounded_and_never_printed() {
        assert_eq!(
            Password::parse("short").unwrap_err(),
            "a password has at least 10 characters"
        );
        assert_eq!(
            Password::parse(&"x".repeat(257)).unwrap_err(),
            "a password has at most 256 characters"
        );
        let p = Password::parse("correct horse battery").unwrap();
        assert_eq!(format!("{p:?}"), "Password(••••••)");
        assert_eq!(
            AccountName::parse("a b").unwrap_err(),
            "' ' is not allowed in a name: use letters, digits, '.', '_' and '-'"
        );
    }
}
