//! A local SMTP server for the alert e-mail tests: it offers STARTTLS with a certificate of
//! the test CA, then AUTH PLAIN, and keeps every mail it took.

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio_rustls::TlsAcceptor;

/// One mail as the server took it.
#[derive(Clone, Debug, Default)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body, as sent after `DATA`.
    pub data: String,
    /// Whether the session had switched to TLS before the mail was sent.
    pub over_tls: bool,
    /// The base64 of `AUTH PLAIN`, if the client signed in.
    pub auth: Option<String>,
}

pub struct SmtpReceiver {
    pub port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpReceiver {
    /// Listens on a free loopback port; TLS with `cert.pem` and `key.pem` of `ca`.
    pub async fn start(ca: &super::test_ca::TestCa) -> SmtpReceiver {
        let tls = tsdb::tls::server_config(&ca.path("cert.pem"), &ca.path("key.pem")).unwrap();
        let acceptor = TlsAcceptor::from(tls);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let kept = mails.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (acceptor, kept) = (acceptor.clone(), kept.clone());
                tokio::spawn(async move { session(stream, acceptor, kept).await });
            }
        });
        SmtpReceiver { port, mails }
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }

    /// Waits (at most `secs`) until `n` mails came.
    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<Mail> {
        for _ in 0..secs * 10 {
            if self.mails().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mails = self.mails();
        assert_eq!(mails.len(), n, "mails: {mails:?}");
        mails
    }
}

/// Where a conversation goes next.
#[derive(PartialEq)]
enum Next {
    StartTls,
    Done,
}

async fn session(
    stream: tokio::net::TcpStream,
    acceptor: TlsAcceptor,
    mails: Arc<Mutex<Vec<Mail>>>,
) -> std::io::Result<()> {
    let mut plain = BufReader::new(stream);
    plain.write_all(b"220 localhost ESMTP test\r\n").await?;
    let mut mail = Mail::default();
    if converse(&mut plain, &mut mail, &mails).await? == Next::StartTls {
        let tls = acceptor.accept(plain.into_inner()).await?;
        mail.over_tls = true;
        converse(&mut BufReader::new(tls), &mut mail, &mails).await?;
    }
    Ok(())
}

/// Answers commands until QUIT, STARTTLS (before TLS only) or the end of the stream.
async fn converse<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut BufReader<S>,
    mail: &mut Mail,
    mails: &Mutex<Vec<Mail>>,
) -> std::io::Result<Next> {
    loop {
        let mut line = String::new();
        if s.read_line(&mut line).await? == 0 {
            return Ok(Next::Done);
        }
        let command = line.trim_end();
        let upper = command.to_ascii_uppercase();
        let reply = match upper.split(' ').next().unwrap_or_default() {
            "EHLO" if mail.over_tls => "250-localhost\r\n250-8BITMIME\r\n250 AUTH PLAIN\r\n",
            "EHLO" => "250-localhost\r\n250-8BITMIME\r\n250 STARTTLS\r\n",
            "STARTTLS" if !mail.over_tls => {
                s.write_all(b"220 go ahead\r\n").await?;
                return Ok(Next::StartTls);
            }
            "AUTH" if mail.over_tls => {
                mail.auth = command.split(' ').nth(2).map(String::from);
                "235 signed in\r\n"
            }
            "MAIL" => {
                mail.from = command["MAIL FROM:".len()..].to_string();
                "250 ok\r\n"
            }
            "RCPT" => {
                mail.to.push(command["RCPT TO:".len()..].to_string());
                "250 ok\r\n"
            }
            "DATA" => {
                s.write_all(b"354 go ahead\r\n").await?;
                loop {
                    let mut line = String::new();
                    if s.read_line(&mut line).await? == 0 || line == ".\r\n" {
                        break;
                    }
                    mail.data.push_str(&line);
                }
                mails.lock().unwrap().push(mail.clone());
                (mail.from, mail.to, mail.data) = Default::default();
                "250 queued\r\n"
            }
            "RSET" | "NOOP" => "250 ok\r\n",
            "QUIT" => {
                s.write_all(b"221 bye\r\n").await?;
                return Ok(Next::Done);
            }
            _ => "502 not here\r\n",
        };
        s.write_all(reply.as_bytes()).await?;
    }
}
