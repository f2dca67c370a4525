//! Where webhooks may be sent: public addresses only, unless a host is on the allow-list.
//! An operator's endpoint must not make the server a way into its own network (cloud
//! metadata at 169.254.169.254, the store on loopback, a router's admin page), so every
//! send resolves the host and refuses private, loopback and link-local addresses — at each
//! send, not once: a name may resolve elsewhere later.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The hosts (names or addresses, as written in endpoint URLs) that may be private.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AllowedTargets(Arc<Vec<String>>);

impl AllowedTargets {
    pub fn new(hosts: impl IntoIterator<Item = String>) -> AllowedTargets {
        AllowedTargets(Arc::new(
            hosts
                .into_iter()
                .map(|h| h.trim().trim_matches(['[', ']']).to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect(),
        ))
    }

    fn allows(&self, host: &str) -> bool {
        let host = host.trim_matches(['[', ']']).to_ascii_lowercase();
        self.0.contains(&host)
    }

    /// Why `url` may not be sent to, if its host is an address that is not public (names
    /// are checked as they are resolved, by [`Resolve`]).
    pub fn refuses_url(&self, url: &str) -> Option<String> {
        let host = reqwest::Url::parse(url).ok()?.host_str()?.to_string();
        let ip: IpAddr = host.trim_matches(['[', ']']).parse().ok()?;
        (!self.allows(&host) && !public(ip)).then(|| refusal(&host))
    }

    /// Why `url` may not be sent to, its host name resolved now: for a clear answer when an
    /// endpoint is added.
    pub async fn check(&self, url: &str) -> Result<(), String> {
        if let Some(refused) = self.refuses_url(url) {
            return Err(refused);
        }
        let Some(host) = reqwest::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
        else {
            return Ok(());
        };
        if self.allows(&host) || host.trim_matches(['[', ']']).parse::<IpAddr>().is_ok() {
            return Ok(());
        }
        // A name that does not resolve now is not refused: it may when it is sent to.
        let resolved: Vec<SocketAddr> = match tokio::net::lookup_host((host.as_str(), 0)).await {
            Ok(addrs) => addrs.collect(),
            Err(_) => return Ok(()),
        };
        match resolved.iter().all(|a| !public(a.ip())) {
            true => Err(refusal(&host)),
            false => Ok(()),
        }
    }
}

fn refusal(host: &str) -> String {
    format!(
        "{host} is a private, loopback or link-local address: alerts go to public addresses only, unless the host is in ALERT_ALLOWED_HOSTS"
    )
}

/// Whether `ip` is on the public internet.
pub fn public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => public(IpAddr::V4(v4)),
            None => {
                let first = v6.segments()[0];
                !(v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || (first & 0xfe00) == 0xfc00
                    || (first & 0xffc0) == 0xfe80)
            }
        },
    }
}

/// Resolves names for the webhook client, keeping public addresses only (all, for a host
/// on the allow-list); a name with none left fails to resolve.
impl Resolve for AllowedTargets {
    fn resolve(&self, name: Name) -> Resolving {
        let allowed = self.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| allowed.allows(&host) || public(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(refusal(&host).into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_loopback_and_link_local_addresses_are_refused_unless_allowed() {
        let none = AllowedTargets::default();
        for url in [
            "http://169.254.169.254/latest/meta-data",
            "http://127.0.0.1:8086/api/v2/write",
            "http://10.0.0.1/",
            "http://192.168.1.1/",
            "http://172.16.0.1/",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://[::1]/",
            "http://[fe80::1]/",
            "http://[fd00::1]/",
            "http://[::ffff:127.0.0.1]/",
        ] {
            assert!(none.refuses_url(url).is_some(), "{url}");
        }
        assert_eq!(none.refuses_url("https://93.184.215.14/hook"), None);
        assert_eq!(none.refuses_url("https://hooks.example.com/x"), None);
        let local = AllowedTargets::new(["127.0.0.1".to_string(), "[::1]".to_string()]);
        assert_eq!(local.refuses_url("http://127.0.0.1:9/hook"), None);
        assert_eq!(local.refuses_url("http://[::1]:9/hook"), None);
        assert!(local.refuses_url("http://127.0.0.2/").is_some());
    }

    #[tokio::test]
    async fn names_are_resolved_and_refused_when_they_point_inside() {
        let none = AllowedTargets::default();
        assert!(none
            .check("http://localhost:9/hook")
            .await
            .unwrap_err()
            .contains("ALERT_ALLOWED_HOSTS"));
        let allowed = AllowedTargets::new(["localhost".to_string()]);
        assert!(allowed.check("http://localhost:9/hook").await.is_ok());
    }
}
