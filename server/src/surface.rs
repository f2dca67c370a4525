//! What a request must be before anything else looks at it: addressed to one of our host
//! names (a page of a rebound DNS name cannot reach us), and, when it changes something, sent
//! by our own pages (a form on another site cannot post here). Every answer carries the
//! browser's security headers.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::net::IpAddr;
use std::sync::Arc;

/// The host names requests may be addressed to.
#[derive(Clone, Debug)]
pub struct AllowedHosts {
    /// Names besides `localhost` (configured, and the machine's own name).
    names: Vec<String>,
    /// The address the server listens on; unspecified (0.0.0.0) allows any address, as an
    /// address cannot be rebound the way a name can.
    listen: IpAddr,
}

impl AllowedHosts {
    pub fn new(listen: IpAddr, configured: &[String]) -> AllowedHosts {
        let mut names: Vec<String> = configured.iter().map(|n| n.to_ascii_lowercase()).collect();
        names.push("localhost".into());
        if let Some(own) = hostname() {
            names.push(own.to_ascii_lowercase());
        }
        AllowedHosts { names, listen }
    }

    /// Whether a `Host` header (with or without its port) names us.
    pub fn allows(&self, host: &str) -> bool {
        let name = strip_port(host).to_ascii_lowercase();
        match name.trim_matches(['[', ']']).parse::<IpAddr>() {
            Ok(ip) => ip.is_loopback() || self.listen.is_unspecified() || ip == self.listen,
            Err(_) => self.names.contains(&name),
        }
    }
}

fn strip_port(host: &str) -> &str {
    match host.rsplit_once(':') {
        // `[::1]:5000`, `name:5000`; a bare IPv6 address has more than one colon.
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) && !h.ends_with(':') => h,
        _ => host,
    }
}

/// The machine's name, from the kernel (Linux) or the environment.
pub fn hostname() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
}

/// Whether a request that changes something comes from a page of this site: the browser's
/// `Sec-Fetch-Site`, else its `Origin` against `Host`. Scripts send neither, and are
/// authenticated by their API token.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = get("sec-fetch-site") {
        return matches!(site, "same-origin" | "none");
    }
    match (get("origin"), get("host")) {
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(host)),
        (Some(_), None) => false,
        (None, _) => true,
    }
}

/// Scripts, styles and data only from this site (uPlot and the hydration data are inline;
/// the wasm needs `wasm-unsafe-eval`; `ws:` is cargo-leptos' reload in development); never
/// in a frame.
const CSP: &str = "default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws:; \
     object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

pub async fn guard(State(hosts): State<Arc<AllowedHosts>>, req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mut response = if !hosts.allows(host) {
        refuse(
            StatusCode::MISDIRECTED_REQUEST,
            &format!("this server does not answer for {host:?}: add it to ALLOWED_HOSTS"),
        )
    } else if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        && !same_origin(req.headers())
    {
        refuse(StatusCode::FORBIDDEN, "cross-site requests are refused")
    } else {
        next.run(req).await
    };
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

fn refuse(status: StatusCode, reason: &str) -> Response {
    (status, Json(json!({ "error": reason }))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_ours_addresses_may_be_any_when_listening_on_all() {
        let on_all = AllowedHosts::new("0.0.0.0".parse().unwrap(), &["iot.example".into()]);
        for host in [
            "localhost:5000",
            "iot.example",
            "IOT.example:80",
            "192.168.1.20:5000",
            "[::1]:5000",
        ] {
            assert!(on_all.allows(host), "{host}");
        }
        assert!(!on_all.allows("evil.example"));
        assert!(!on_all.allows("evil.example:5000"));
        let on_loopback = AllowedHosts::new("127.0.0.1".parse().unwrap(), &[]);
        assert!(on_loopback.allows("127.0.0.1:5000"));
        assert!(!on_loopback.allows("192.168.1.20:5000"));
        assert!(!on_loopback.allows(""));
    }

    #[test]
    fn changes_come_from_our_own_pages() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, HeaderValue::from_static(v));
            }
            h
        };
        assert!(same_origin(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(!same_origin(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(!same_origin(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(same_origin(&headers(&[
            ("origin", "http://127.0.0.1:5000"),
            ("host", "127.0.0.1:5000")
        ])));
        assert!(!same_origin(&headers(&[
            ("origin", "https://evil.example"),
            ("host", "127.0.0.1:5000")
        ])));
        // Scripts send neither: their API token authenticates them.
        assert!(same_origin(&headers(&[("host", "127.0.0.1:5000")])));
    }
}

/// How requests reach the server: whether the site is always HTTPS (behind a TLS proxy),
/// and whether the proxy in front is trusted to say so per request (`X-Forwarded-Proto`)
/// and to name the client (`X-Forwarded-For`). Session cookies say `Secure` by it, and
/// sign-ins are counted by the client it names.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Proxy {
    pub always: bool,
    pub trust_proxy: bool,
}

impl Proxy {
    /// The client of a request: the proxy's last `X-Forwarded-For` entry when it is
    /// trusted, else the connection's peer.
    pub fn client(&self, headers: &HeaderMap, peer: IpAddr) -> IpAddr {
        let forwarded = || {
            headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .last()?
                .trim()
                .parse()
                .ok()
        };
        match self.trust_proxy {
            true => forwarded().unwrap_or(peer),
            false => peer,
        }
    }

    fn applies(&self, headers: &HeaderMap) -> bool {
        let forwarded_https = || {
            headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
        };
        self.always || (self.trust_proxy && forwarded_https())
    }
}

/// Adds `Secure` to the cookies of a response to a request that came over HTTPS.
pub async fn secure_cookies(State(policy): State<Proxy>, request: Request, next: Next) -> Response {
    let https = policy.applies(request.headers());
    let mut response = next.run(request).await;
    if https {
        let headers = response.headers_mut();
        let cookies: Vec<HeaderValue> = headers
            .get_all(header::SET_COOKIE)
            .iter()
            .cloned()
            .collect();
        headers.remove(header::SET_COOKIE);
        for cookie in cookies {
            let text = cookie.to_str().unwrap_or_default();
            let secure = match text.to_ascii_lowercase().contains("; secure") {
                true => cookie,
                false => HeaderValue::from_str(&format!("{text}; Secure")).unwrap_or(cookie),
            };
            headers.append(header::SET_COOKIE, secure);
        }
    }
    response
}
