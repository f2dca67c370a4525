//! E-mail notifications through the server's SMTP relay: lettre over rustls, STARTTLS or TLS
//! from the first byte as the relay's URL says.

use crate::Error;
use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// How long one delivery to the relay may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The server's SMTP relay. `url` as lettre reads it:
/// `smtp://user:password@host:587?tls=required` (STARTTLS), `smtps://…:465` (TLS from the
/// start), `smtp://host:25` (no TLS: a relay on this machine only).
#[derive(Clone, PartialEq)]
pub struct SmtpSettings {
    pub url: String,
    /// The sender: `alerts@example.com` or `IoT Center <alerts@example.com>`.
    pub from: String,
    /// CA certificates (PEM) to trust for the relay besides the platform's roots.
    pub ca_cert: Option<Vec<u8>>,
}

/// The password in the URL never shows in logs.
impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut url = reqwest::Url::parse(&self.url).map_err(|_| std::fmt::Error)?;
        if url.password().is_some() {
            url.set_password(Some("••••••"))
                .map_err(|_| std::fmt::Error)?;
        }
        f.debug_struct("SmtpSettings")
            .field("url", &url.as_str())
            .field("from", &self.from)
            .field("ca_cert", &self.ca_cert.is_some())
            .finish()
    }
}

/// Sends mail through the relay; cheap to clone.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// Why the settings cannot work, said with the setting's name.
fn invalid(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Invalid(format!("{what}: {e}"))
}

impl Mailer {
    pub fn new(s: &SmtpSettings) -> Result<Mailer, Error> {
        let from: Mailbox = s.from.parse().map_err(|e| invalid("SMTP_FROM", e))?;
        let url = reqwest::Url::parse(&s.url).map_err(|e| invalid("SMTP_URL", e))?;
        let mut relay = AsyncSmtpTransport::<Tokio1Executor>::from_url(&s.url)
            .map_err(|e| invalid("SMTP_URL", e))?
            .timeout(Some(TIMEOUT));
        let tls_query = url.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v);
        let tls = match (url.scheme(), tls_query.as_deref()) {
            ("smtps", _) => Some(Tls::Wrapper as fn(TlsParameters) -> Tls),
            (_, Some("required")) => Some(Tls::Required as fn(TlsParameters) -> Tls),
            (_, Some("opportunistic")) => Some(Tls::Opportunistic as fn(TlsParameters) -> Tls),
            _ => None,
        };
        match (&s.ca_cert, tls) {
            (Some(pem), Some(tls)) => {
                let host = url.host_str().unwrap_or_default().to_string();
                let ca = Certificate::from_pem(pem).map_err(|e| invalid("SMTP_CA_CERT", e))?;
                let params = TlsParameters::builder(host)
                    .add_root_certificate(ca)
                    .build_rustls()
                    .map_err(|e| invalid("SMTP_CA_CERT", e))?;
                relay = relay.tls(tls(params));
            }
            (Some(_), None) => {
                return Err(Error::Invalid(
                    "SMTP_CA_CERT is for a relay reached over TLS: SMTP_URL is smtps://… or has ?tls=required".into(),
                ))
            }
            (None, None) => tracing::warn!(
                "SMTP_URL has no TLS: alert e-mail (and any SMTP password) crosses the network in the clear; use ?tls=required or smtps:// unless the relay is on this machine"
            ),
            (None, Some(_)) => {}
        }
        Ok(Mailer {
            transport: relay.build(),
            from,
        })
    }

    /// Sends one plain-text mail to `to`: the reason it did not go, if it did not.
    pub async fn send(&self, to: &[String], subject: &str, body: String) -> Result<(), String> {
        let mut message = Message::builder()
            .from(self.from.clone())
            .subject(subject)
            .header(ContentType::TEXT_PLAIN);
        for address in to {
            let mailbox: Mailbox = address
                .parse()
                .map_err(|e| format!("cannot send to {address:?}: {e}"))?;
            message = message.to(mailbox);
        }
        let message = message
            .body(body)
            .map_err(|e| format!("cannot build the mail: {e}"))?;
        self.transport
            .send(message)
            .await
            .map(drop)
            .map_err(|e| format!("the SMTP relay refused it: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str, from: &str, ca_cert: Option<&[u8]>) -> SmtpSettings {
        SmtpSettings {
            url: url.into(),
            from: from.into(),
            ca_cert: ca_cert.map(<[u8]>::to_vec),
        }
    }

    fn refusal(s: SmtpSettings) -> String {
        Mailer::new(&s).err().expect("refused").to_string()
    }

    #[tokio::test]
    async fn settings_that_cannot_work_are_refused_with_the_setting_named() {
        let starttls = "smtp://u:p@smtp.example.com:587?tls=required";
        assert!(Mailer::new(&settings(starttls, "IoT <a@example.com>", None)).is_ok());
        assert!(refusal(settings(starttls, "not an address", None)).contains("SMTP_FROM"));
        assert!(
            refusal(settings("http://smtp.example.com", "a@example.com", None))
                .contains("SMTP_URL")
        );
        assert!(
            refusal(settings("smtp://h?tls=sometimes", "a@example.com", None)).contains("SMTP_URL")
        );
        let plain_with_ca = settings("smtp://localhost:25", "a@example.com", Some(b""));
        assert!(refusal(plain_with_ca).contains("SMTP_CA_CERT is for a relay reached over TLS"));
        let garbage_ca = settings(
            starttls,
            "a@example.com",
            Some(b"-----BEGIN CERTIFICATE-----\nxx"),
        );
        assert!(refusal(garbage_ca).contains("SMTP_CA_CERT"));
        let shown = format!("{:?}", settings(starttls, "a@example.com", None));
        assert!(
            !shown.contains(":p@") && shown.contains("smtp.example.com"),
            "{shown}"
        );
    }
}
