//! Failed sign-ins, counted per account name and per client address in the state database,
//! so every instance counts every instance's failures: guessing one account's password
//! takes 5 tries per 15 minutes, and one address gets 20 tries per 15 minutes at whatever
//! names. Each count is bounded in size by forgetting its oldest entries, never by not
//! counting, so a flood of throw-away names cannot flush a real one.

use iot_core::state_db::StateDb;
use iot_core::Error;
use std::net::IpAddr;
use std::time::Duration;

/// Failed sign-ins allowed per name within [`WINDOW`] before it is refused unheard.
pub const NAME_ATTEMPTS: u32 = 5;
/// Failed sign-ins allowed per client address within [`WINDOW`].
pub const ADDRESS_ATTEMPTS: u32 = 20;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Entries kept per count; past it the oldest goes.
pub const TRACKED: usize = 10_000;

const NAME: &str = "name";
const ADDRESS: &str = "address";

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn window_start() -> i64 {
    now_ms() - WINDOW.as_millis() as i64
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

#[derive(Clone)]
pub struct Throttle(StateDb);

impl Throttle {
    pub fn new(db: StateDb) -> Throttle {
        Throttle(db)
    }

    /// Whether this name, or this address, has failed too often lately.
    pub async fn blocked(&self, name: &str, address: &str) -> Result<bool, Error> {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM sign_in_failures WHERE since > $1 AND (
                (kind = 'name' AND key = $2 AND failures >= $3)
                OR (kind = 'address' AND key = $4 AND failures >= $5))",
        )
        .bind(window_start())
        .bind(name)
        .bind(i64::from(NAME_ATTEMPTS))
        .bind(address)
        .bind(i64::from(ADDRESS_ATTEMPTS))
        .fetch_one(self.0.pool())
        .await?;
        Ok(n > 0)
    }

    /// A failed sign-in from `address`, for `name` if it could be an account's (names
    /// past the accounts' limit are counted against the address only).
    pub async fn failed(&self, name: Option<&str>, address: &str) -> Result<(), Error> {
        if let Some(name) = name {
            self.count(NAME, name).await?;
        }
        self.count(ADDRESS, address).await
    }

    /// One more failure of `key`; a count older than [`WINDOW`] starts again.
    async fn count(&self, kind: &str, key: &str) -> Result<(), Error> {
        let (now, start) = (now_ms(), window_start());
        sqlx::query(
            "INSERT INTO sign_in_failures (kind, key, failures, since) VALUES ($1, $2, 1, $3)
             ON CONFLICT (kind, key) DO UPDATE SET
                failures = CASE WHEN sign_in_failures.since <= $4 THEN 1
                                ELSE sign_in_failures.failures + 1 END,
                since = CASE WHEN sign_in_failures.since <= $4 THEN $3
                             ELSE sign_in_failures.since END",
        )
        .bind(kind)
        .bind(key)
        .bind(now)
        .bind(start)
        .execute(self.0.pool())
        .await?;
        self.bound(kind, start).await
    }

    /// Past [`TRACKED`] entries of a kind: the expired go, then the oldest.
    async fn bound(&self, kind: &str, start: i64) -> Result<(), Error> {
        let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM sign_in_failures WHERE kind = $1")
            .bind(kind)
            .fetch_one(self.0.pool())
            .await?;
        let over = kept - TRACKED as i64;
        if over > 0 {
            sqlx::query(
                "DELETE FROM sign_in_failures WHERE kind = $1 AND key IN (
                    SELECT key FROM sign_in_failures WHERE kind = $1
                    ORDER BY since <= $2 DESC, since LIMIT $3)",
            )
            .bind(kind)
            .bind(start)
            .bind(over)
            .execute(self.0.pool())
            .await?;
        }
        Ok(())
    }

    /// A name that signed in starts afresh; its address keeps its count.
    pub async fn succeeded(&self, name: &str) -> Result<(), Error> {
        sqlx::query("DELETE FROM sign_in_failures WHERE kind = 'name' AND key = $1")
            .bind(name)
            .execute(self.0.pool())
            .await?;
        Ok(())
    }

    #[cfg(test)]
    async fn kept(&self) -> (i64, i64) {
        let of = async |kind: &str| -> i64 {
            sqlx::query_scalar("SELECT count(*) FROM sign_in_failures WHERE kind = $1")
                .bind(kind)
                .fetch_one(self.0.pool())
                .await
                .unwrap()
        };
        (of(NAME).await, of(ADDRESS).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iot_core::state_db::StateLocation;

    /// A throttle on each backend, each with the directory its SQLite file is in.
    async fn throttles() -> Vec<(Throttle, tempfile::TempDir)> {
        let dir = tempfile::tempdir().unwrap();
        let sqlite = StateLocation::DataDir(dir.path().into());
        let postgres = StateLocation::Url(test_postgres::fresh_database());
        let open = async |at| Throttle::new(StateDb::open(at).await.unwrap());
        vec![
            (open(&sqlite).await, dir),
            (open(&postgres).await, tempfile::tempdir().unwrap()),
        ]
    }

    #[tokio::test]
    async fn five_failures_block_a_name_and_twenty_an_address() {
        for (t, _dir) in throttles().await {
            let blocked = async |name: &str, address: &str| t.blocked(name, address).await.unwrap();
            for _ in 0..NAME_ATTEMPTS - 1 {
                t.failed(Some("admin"), "10.0.0.1").await.unwrap();
            }
            assert!(!blocked("admin", "10.0.0.2").await);
            t.failed(Some("admin"), "10.0.0.1").await.unwrap();
            assert!(blocked("admin", "10.0.0.2").await);
            assert!(!blocked("other", "10.0.0.2").await);
            t.succeeded("admin").await.unwrap();
            assert!(!blocked("admin", "10.0.0.2").await);
            for n in NAME_ATTEMPTS..ADDRESS_ATTEMPTS {
                assert!(!blocked(&format!("name-{n}"), "10.0.0.1").await);
                t.failed(Some(&format!("name-{n}")), "10.0.0.1")
                    .await
                    .unwrap();
            }
            assert!(blocked("anyone", "10.0.0.1").await);
            assert!(!blocked("anyone", "10.0.0.3").await);
        }
    }

    #[tokio::test]
    async fn a_flood_of_names_evicts_the_oldest_and_keeps_counting_the_newest() {
        for (t, _dir) in throttles().await {
            for _ in 0..NAME_ATTEMPTS {
                t.failed(Some("victim"), "10.0.0.1").await.unwrap();
            }
            // Failures of other names from other addresses fill both counts (written at
            // once: the API's bound is what is tried, past it)...
            for kind in [NAME, ADDRESS] {
                sqlx::query(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
                     INSERT INTO sign_in_failures SELECT $2, 'junk-' || i, 1, $3 FROM n",
                )
                .bind(TRACKED as i64 - 1)
                .bind(kind)
                .bind(now_ms())
                .execute(t.0.pool())
                .await
                .unwrap();
            }
            // ...and 50 more through it: the oldest go, the latest failures stay counted.
            for n in 0..50 {
                let address = format!("10.1.0.{n}");
                t.failed(Some(&format!("more-{n}")), &address)
                    .await
                    .unwrap();
            }
            let tracked = TRACKED as i64;
            assert_eq!(t.kept().await, (tracked, tracked));
            for _ in 0..NAME_ATTEMPTS {
                t.failed(Some("victim"), "10.9.9.9").await.unwrap();
            }
            assert!(t.blocked("victim", "10.9.9.8").await.unwrap());
            // Names too long for an account are never kept.
            let before = t.kept().await.0;
            t.failed(None, "10.0.0.7").await.unwrap();
            assert_eq!(t.kept().await.0, before);
        }
    }

    #[test]
    fn ipv6_clients_count_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_eq!(client_key("::ffff:10.0.0.1".parse().unwrap()), "10.0.0.1");
    }
}
