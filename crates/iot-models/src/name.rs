//! The rule for names that reach Flux, line protocol, URLs and CSV cells: device ids and
//! field names. Starting with a letter or digit, no name can open a spreadsheet formula.

/// The longest name.
pub const MAX_LEN: usize = 64;

/// `raw` trimmed, if it is 1–[`MAX_LEN`] characters of `A–Z a–z 0–9 . _ -` starting with a
/// letter or digit; else why not, naming it as `what` ("a device id").
pub fn checked<'a>(what: &str, raw: &'a str) -> Result<&'a str, String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(format!("{what} is required"));
    }
    if name.len() > MAX_LEN {
        return Err(format!(
            "{what} has at most {MAX_LEN} characters, this one has {}",
            name.chars().count()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(format!(
            "{c:?} is not allowed in {what}: use letters, digits, '.', '_' and '-'"
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(format!("{what} starts with a letter or a digit"));
    }
    Ok(name)
}

/// A newtype of a string that follows [`checked`], validated wherever it is deserialised:
/// `name_type!(/// doc, DeviceId, "a device id")`.
macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(
            Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
        )]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(raw: &str) -> Result<$name, String> {
                $crate::name::checked($what, raw).map(|n| $name(n.to_string()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                $name::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(n: $name) -> String {
                n.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
pub(crate) use name_type;
