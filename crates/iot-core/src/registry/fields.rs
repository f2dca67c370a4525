//! A registry row's fields — a key, a token, when it was first registered — and when each
//! was written. A short vector, not a map: the fleet index holds one per device, and a map
//! node holds room for eleven.

use chrono::{DateTime, Utc};

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Fields(Vec<(Box<str>, Box<str>, DateTime<Utc>)>);

impl Fields {
    /// Field `name`'s value and when it was written.
    pub fn get(&self, name: &str) -> Option<(&str, DateTime<Utc>)> {
        self.0
            .iter()
            .find(|(n, ..)| &**n == name)
            .map(|(_, v, t)| (&**v, *t))
    }

    pub fn insert(&mut self, name: &str, value: &str, at: DateTime<Utc>) {
        match self.0.iter_mut().find(|(n, ..)| &**n == name) {
            Some(field) => (field.1, field.2) = (value.into(), at),
            None => {
                self.0.push((name.into(), value.into(), at));
                self.0.shrink_to_fit();
            }
        }
    }

    pub fn remove(&mut self, name: &str) -> Option<(String, DateTime<Utc>)> {
        let at = self.0.iter().position(|(n, ..)| &**n == name)?;
        let (_, value, time) = self.0.swap_remove(at);
        Some((value.into(), time))
    }

    /// `other`'s fields over these.
    pub fn extend(&mut self, other: Fields) {
        for (name, value, at) in other.0 {
            self.insert(&name, &value, at);
        }
    }

    /// When the row last changed: its newest field.
    pub fn updated(&self) -> Option<DateTime<Utc>> {
        self.0.iter().map(|(.., t)| *t).max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_set_replaced_and_removed() {
        let (t1, t2) = (DateTime::UNIX_EPOCH, Utc::now());
        let mut f = Fields::default();
        f.insert("key", "a", t1);
        f.insert("token", "x", t1);
        let mut newer = Fields::default();
        newer.insert("key", "b", t2);
        f.extend(newer);
        assert_eq!(f.get("key"), Some(("b", t2)));
        assert_eq!(f.updated(), Some(t2));
        assert_eq!(f.remove("token"), Some(("x".to_string(), t1)));
        assert_eq!(f.get("token"), None);
    }
}
