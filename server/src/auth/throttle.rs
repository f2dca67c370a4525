//! Failed sign-ins, counted per account name and per client address: guessing one
//! account's password takes 5 tries per 15 minutes, and one address gets 20 tries per 15
//! minutes at whatever names. Each count is bounded in size by forgetting its oldest entries,
//! never by not counting, so a flood of throw-away names cannot flush a real one.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed sign-ins allowed per name within [`WINDOW`] before it is refused unheard.
pub const NAME_ATTEMPTS: u32 = 5;
/// Failed sign-ins allowed per client address within [`WINDOW`].
pub const ADDRESS_ATTEMPTS: u32 = 20;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Entries kept per count; past it the oldest goes.
pub const TRACKED: usize = 10_000;

/// Failures per key, the oldest forgotten first once [`TRACKED`] are kept.
#[derive(Default)]
struct Failures(HashMap<String, (u32, Instant)>);

impl Failures {
    fn blocked(&self, key: &str, attempts: u32, now: Instant) -> bool {
        self.0
            .get(key)
            .is_some_and(|(n, since)| *n >= attempts && now.duration_since(*since) < WINDOW)
    }

    fn failed(&mut self, key: &str, now: Instant) {
        if !self.0.contains_key(key) && self.0.len() >= TRACKED {
            self.0
                .retain(|_, (_, since)| now.duration_since(*since) < WINDOW);
            if self.0.len() >= TRACKED {
                let oldest = self.0.iter().min_by_key(|(_, (_, since))| *since);
                if let Some(oldest) = oldest.map(|(k, _)| k.clone()) {
                    self.0.remove(&oldest);
                }
            }
        }
        let entry = self.0.entry(key.to_string()).or_insert((0, now));
        if now.duration_since(entry.1) >= WINDOW {
            *entry = (0, now);
        }
        entry.0 += 1;
    }
}

/// Where a sign-in comes from, as counted: an IPv6 client by its /64, which one machine
/// usually holds whole.
pub fn client_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[derive(Default)]
pub struct Throttle {
    names: Mutex<Failures>,
    addresses: Mutex<Failures>,
}

impl Throttle {
    /// Whether this name, or this address, has failed too often lately.
    pub fn blocked(&self, name: &str, address: &str) -> bool {
        let now = Instant::now();
        lock(&self.names).blocked(name, NAME_ATTEMPTS, now)
            || lock(&self.addresses).blocked(address, ADDRESS_ATTEMPTS, now)
    }

    /// A failed sign-in from `address`, for `name` if it could be an account's (names
    /// past the accounts' limit are counted against the address only).
    pub fn failed(&self, name: Option<&str>, address: &str) {
        let now = Instant::now();
        if let Some(name) = name {
            lock(&self.names).failed(name, now);
        }
        lock(&self.addresses).failed(address, now);
    }

    /// A name that signed in starts afresh; its address keeps its count.
    pub fn succeeded(&self, name: &str) {
        lock(&self.names).0.remove(name);
    }

    #[cfg(test)]
    fn kept(&self) -> (usize, usize) {
        (lock(&self.names).0.len(), lock(&self.addresses).0.len())
    }
}

fn lock(m: &Mutex<Failures>) -> std::sync::MutexGuard<'_, Failures> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_block_a_name_and_twenty_an_address() {
        let t = Throttle::default();
        for _ in 0..NAME_ATTEMPTS - 1 {
            t.failed(Some("admin"), "10.0.0.1");
        }
        assert!(!t.blocked("admin", "10.0.0.2"));
        t.failed(Some("admin"), "10.0.0.1");
        assert!(t.blocked("admin", "10.0.0.2"));
        assert!(!t.blocked("other", "10.0.0.2"));
        t.succeeded("admin");
        assert!(!t.blocked("admin", "10.0.0.2"));
        for n in NAME_ATTEMPTS..ADDRESS_ATTEMPTS {
            assert!(!t.blocked(&format!("name-{n}"), "10.0.0.1"));
            t.failed(Some(&format!("name-{n}")), "10.0.0.1");
        }
        assert!(t.blocked("anyone", "10.0.0.1"));
        assert!(!t.blocked("anyone", "10.0.0.3"));
    }

    #[test]
    fn a_flood_of_names_evicts_the_oldest_and_keeps_counting_the_newest() {
        let t = Throttle::default();
        for _ in 0..NAME_ATTEMPTS {
            t.failed(Some("victim"), "10.0.0.1");
        }
        // Names from other addresses fill the count; the latest failures stay counted.
        for n in 0..TRACKED + 50 {
            t.failed(
                Some(&format!("junk-{n}")),
                &format!("10.1.{}.{}", n / 250, n % 250),
            );
        }
        assert_eq!(t.kept(), (TRACKED, TRACKED));
        for _ in 0..NAME_ATTEMPTS {
            t.failed(Some("victim"), "10.9.9.9");
        }
        assert!(t.blocked("victim", "10.9.9.8"));
        // Names too long for an account are never kept.
        let before = t.kept().0;
        t.failed(None, "10.0.0.7");
        assert_eq!(t.kept().0, before);
    }

    #[test]
    fn ipv6_clients_count_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_eq!(client_key("::ffff:10.0.0.1".parse().unwrap()), "10.0.0.1");
    }
}
