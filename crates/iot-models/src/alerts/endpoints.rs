//! Endpoints: where notifications go.

use super::text;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EndpointKind {
    /// A JSON POST of the alert, with a bearer token if one is given (or basic auth, by the
    /// URL's `user:password@`).
    Webhook,
    /// A Slack-compatible incoming webhook: `{"text": …}`.
    Slack,
    /// Mail over the server's SMTP relay to the addresses in `to`.
    Email,
}

impl EndpointKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointKind::Webhook => "webhook",
            EndpointKind::Slack => "slack",
            EndpointKind::Email => "email",
        }
    }
}

/// Where notifications go: `{"name", "kind": "webhook" | "slack" | "email", "url", "token",
/// "to"}`: a webhook or Slack endpoint has a `url`, an e-mail one the addresses in `to`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "EndpointParams", into = "EndpointParams")]
pub struct EndpointSpec {
    pub name: String,
    pub kind: EndpointKind,
    /// Empty for e-mail.
    pub url: String,
    /// Sent as `Authorization: Bearer …` to a webhook.
    pub token: Option<String>,
    /// E-mail recipients, 1–[`MAX_RECIPIENTS`] (none for the others).
    pub to: Vec<String>,
}

/// The token never shows in logs.
impl std::fmt::Debug for EndpointSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointSpec")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("url", &self.url)
            .field("to", &self.to)
            .finish_non_exhaustive()
    }
}

/// `to` as the JSON API takes it: `"a@example.com, b@example.com"` or a list.
#[derive(Clone, Serialize, Deserialize)]
#[serde(untagged)]
enum Recipients {
    List(Vec<String>),
    Text(String),
}

impl Recipients {
    fn addresses(self) -> Vec<String> {
        let list = match self {
            Recipients::List(list) => list,
            Recipients::Text(text) => text.split(',').map(String::from).collect(),
        };
        let list = list.into_iter().map(|a| a.trim().to_string());
        list.filter(|a| !a.is_empty()).collect()
    }
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EndpointParams {
    name: String,
    kind: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    to: Option<Recipients>,
}

/// The longest URL an endpoint may have.
const MAX_URL: usize = 2_048;
/// Addresses one e-mail endpoint sends to at most.
pub const MAX_RECIPIENTS: usize = 10;
/// The longest e-mail address (RFC 5321's path limit).
const MAX_ADDRESS: usize = 254;

/// Whether `a` looks like `local@domain`: a shape check only (the SMTP relay has the last
/// word), strict enough that no header or command can be smuggled in.
fn is_address(a: &str) -> bool {
    let Some((local, domain)) = a.split_once('@') else {
        return false;
    };
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && !"<>()[],;:\\\"@".contains(c))
    };
    a.len() <= MAX_ADDRESS
        && plain(local)
        && plain(domain)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
}

impl TryFrom<EndpointParams> for EndpointSpec {
    type Error = String;

    fn try_from(p: EndpointParams) -> Result<EndpointSpec, String> {
        let kind = match p.kind.as_str() {
            "webhook" => EndpointKind::Webhook,
            "slack" => EndpointKind::Slack,
            "email" => EndpointKind::Email,
            other => {
                return Err(format!(
                    "kind is \"webhook\", \"slack\" or \"email\", not {other:?}"
                ))
            }
        };
        let token = p
            .token
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        if token
            .as_ref()
            .is_some_and(|t| t.len() > 4_096 || t.contains(['\r', '\n']))
        {
            return Err("token is one line of at most 4,096 characters".into());
        }
        let to = p.to.map(Recipients::addresses).unwrap_or_default();
        let url = p.url.trim();
        if kind == EndpointKind::Email {
            if !url.is_empty() || token.is_some() {
                return Err("an e-mail endpoint has no url or token: it sends to \"to\" through the server's SMTP settings".into());
            }
            if to.is_empty() || to.len() > MAX_RECIPIENTS {
                return Err(format!(
                    "an e-mail endpoint sends to 1–{MAX_RECIPIENTS} addresses in \"to\", not {}",
                    to.len()
                ));
            }
            if let Some(bad) = to.iter().find(|a| !is_address(a)) {
                return Err(format!("{bad:?} is not an e-mail address"));
            }
        } else {
            let scheme_ok = url.starts_with("http://") || url.starts_with("https://");
            if !scheme_ok || url.len() > MAX_URL || url.chars().any(char::is_whitespace) {
                return Err(format!(
                    "url is an http:// or https:// address of at most {MAX_URL} characters"
                ));
            }
            if !to.is_empty() {
                return Err("\"to\" is for e-mail endpoints".into());
            }
            let authority = url.split('/').nth(2).unwrap_or_default();
            if token.is_some() && authority.contains('@') {
                return Err(
                    "give a token or the URL's user:password@ (basic auth), not both".into(),
                );
            }
        }
        Ok(EndpointSpec {
            name: text("name", &p.name)?,
            kind,
            url: url.to_string(),
            token,
            to,
        })
    }
}

impl From<EndpointSpec> for EndpointParams {
    fn from(e: EndpointSpec) -> EndpointParams {
        EndpointParams {
            name: e.name,
            kind: e.kind.as_str().into(),
            url: e.url,
            token: e.token,
            to: (!e.to.is_empty()).then_some(Recipients::List(e.to)),
        }
    }
}

/// An endpoint as the Alerts page's form holds it, checked on the server into an
/// [`EndpointSpec`] as the JSON API checks one (a blank token is none; `to` is addresses
/// separated by commas).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EndpointForm {
    pub name: String,
    pub kind: String,
    pub url: String,
    pub token: String,
    pub to: String,
}

impl EndpointForm {
    pub fn check(&self) -> Result<EndpointSpec, String> {
        EndpointSpec::try_from(EndpointParams {
            name: self.name.clone(),
            kind: self.kind.clone(),
            url: self.url.clone(),
            token: Some(self.token.clone()),
            to: Some(Recipients::Text(self.to.clone())),
        })
    }
}

/// A stored endpoint as it is listed, to viewers too: no token, no password of the URL's,
/// and of a Slack URL (the secret is its path) only the host.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertEndpoint {
    pub id: String,
    pub name: String,
    pub kind: EndpointKind,
    pub url: String,
    pub has_token: bool,
    pub to: Vec<String>,
}

impl AlertEndpoint {
    pub fn of(id: String, e: &EndpointSpec) -> AlertEndpoint {
        AlertEndpoint {
            id,
            name: e.name.clone(),
            kind: e.kind,
            url: shown_url(&e.url),
            has_token: e.token.is_some(),
            to: e.to.clone(),
        }
    }

    /// Where it sends: the URL, or the addresses.
    pub fn target(&self) -> String {
        match self.kind {
            EndpointKind::Email => self.to.join(", "),
            _ => self.url.clone(),
        }
    }
}

/// `url` without what would let a reader post to it in the endpoint's name: the scheme,
/// the host and the user's name only. A path or query is often the secret itself (Slack's,
/// Discord's, a `?token=`), so neither is shown.
fn shown_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) => {
            let user = user.split(':').next().unwrap_or_default();
            format!("{user}:•••@{host}")
        }
        None => authority.to_string(),
    };
    match path {
        "" | "/" => format!("{scheme}://{authority}{path}"),
        _ => format!("{scheme}://{authority}/…"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(json: &str) -> Result<EndpointSpec, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn endpoints_are_checked_and_keep_their_token_to_themselves() {
        let e = endpoint(
            r#"{"name":"ops","kind":"webhook","url":"https://hooks.example.com/a","token":"s3cret"}"#,
        )
        .unwrap();
        assert_eq!(e.token.as_deref(), Some("s3cret"));
        assert!(!format!("{e:?}").contains("s3cret"));
        for (json, expected) in [
            (
                r#"{"name":"x","kind":"webhook","url":"ftp://x"}"#,
                "http://",
            ),
            (r#"{"name":"x","kind":"pager","url":"http://x"}"#, "kind is"),
            (r#"{"name":"x","kind":"webhook"}"#, "http://"),
            (
                r#"{"name":"x","kind":"webhook","url":"http://x","to":"a@b.c"}"#,
                "for e-mail endpoints",
            ),
            (
                r#"{"name":"x","kind":"webhook","url":"http://x","token":"a\nb"}"#,
                "one line",
            ),
            (
                r#"{"name":"x","kind":"webhook","url":"http://u:p@x/in","token":"t"}"#,
                "not both",
            ),
        ] {
            let got = endpoint(json).unwrap_err();
            assert!(got.contains(expected), "{json}: {got}");
        }
        let form = EndpointForm {
            name: "ops".into(),
            kind: "slack".into(),
            url: "https://h.example/x".into(),
            token: " ".into(),
            to: " ".into(),
        };
        assert_eq!(form.check().unwrap().token, None);
    }

    #[test]
    fn an_email_endpoint_sends_to_checked_addresses() {
        let e =
            endpoint(r#"{"name":"ops","kind":"email","to":" a@example.com, b@x.io ,"}"#).unwrap();
        assert_eq!(e.to, ["a@example.com", "b@x.io"]);
        let back = serde_json::to_value(&e).unwrap();
        assert_eq!(back["to"], serde_json::json!(["a@example.com", "b@x.io"]));
        assert_eq!(endpoint(&back.to_string()).unwrap(), e);
        let list = endpoint(r#"{"name":"ops","kind":"email","to":["a@example.com"]}"#).unwrap();
        assert_eq!(list.to, ["a@example.com"]);
        let ten: Vec<String> = (0..MAX_RECIPIENTS).map(|n| format!("a{n}@x.io")).collect();
        let at_most = format!(r#"{{"name":"n","kind":"email","to":"{}"}}"#, ten.join(","));
        assert_eq!(endpoint(&at_most).unwrap().to.len(), MAX_RECIPIENTS);
        let past = format!(
            r#"{{"name":"n","kind":"email","to":"{},b@x.io"}}"#,
            ten.join(",")
        );
        assert!(endpoint(&past).unwrap_err().contains("1–10 addresses"));
        for (to, expected) in [
            ("", "1–10 addresses"),
            ("nobody", "not an e-mail address"),
            ("a@localhost", "not an e-mail address"),
            ("a@b.c\r\nBcc: x@y.z", "not an e-mail address"),
            ("<a@b.c>", "not an e-mail address"),
            ("a@@b.c", "not an e-mail address"),
        ] {
            let json = serde_json::json!({"name": "n", "kind": "email", "to": to}).to_string();
            let got = endpoint(&json).unwrap_err();
            assert!(got.contains(expected), "{to:?}: {got}");
        }
        let long = format!("{}@x.io", "a".repeat(250));
        let json = serde_json::json!({"name": "n", "kind": "email", "to": long}).to_string();
        assert!(endpoint(&json)
            .unwrap_err()
            .contains("not an e-mail address"));
        let with_url =
            endpoint(r#"{"name":"n","kind":"email","to":"a@b.co","url":"http://x"}"#).unwrap_err();
        assert!(with_url.contains("no url or token"));
    }

    #[test]
    fn a_listed_endpoint_shows_no_secret() {
        let listed = |json: &str| AlertEndpoint::of("e1".into(), &endpoint(json).unwrap());
        let hook =
            listed(r#"{"name":"h","kind":"webhook","url":"https://ci:pa55@h.example/in?x=1"}"#);
        assert_eq!(hook.url, "https://ci:•••@h.example/…");
        let discord = listed(
            r#"{"name":"d","kind":"webhook","url":"https://hooks.example.com/api/webhooks/123/SECRET?token=SECRET2"}"#,
        );
        assert_eq!(discord.url, "https://hooks.example.com/…");
        let query =
            listed(r#"{"name":"q","kind":"webhook","url":"https://h.example?token=SECRET"}"#);
        assert_eq!(query.url, "https://h.example/…");
        let bare = listed(r#"{"name":"b","kind":"webhook","url":"https://h.example/"}"#);
        assert_eq!(bare.url, "https://h.example/");
        assert!(!hook.has_token);
        let slack = listed(
            r#"{"name":"s","kind":"slack","url":"https://hooks.slack.com/services/T0/B0/secret"}"#,
        );
        assert_eq!(slack.url, "https://hooks.slack.com/…");
        let mail = listed(r#"{"name":"m","kind":"email","to":"a@b.co"}"#);
        assert_eq!((mail.target(), mail.has_token), ("a@b.co".into(), false));
    }
}
