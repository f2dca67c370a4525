//! The gateway's MQTT face: devices publish line protocol to IoT Center itself, as the
//! reference IoT Center's devices publish to its broker. MQTT 3.1.1 and receive-only: a
//! device connects with its id as client id and user name and its IoT Center token as
//! password, and publishes to the configured topic (`iot_center`) or to
//! `devices/<id>/telemetry`. Every message goes through the gateway's checks and bounds, as
//! an HTTP write does; a refused one is logged and counted (the Health page), never stored. QoS 0 and 1 (the
//! PUBACK comes once InfluxDB has the points; while InfluxDB is away the connection closes
//! unacknowledged, so the device sends again); QoS 2 and subscriptions are refused.
//!
//! Packets are read and written with rumqttc's codec (`mqttbytes`, the field's MQTT client):
//! a broker such as rumqttd would route messages between clients, which this face never does,
//! and bring its own authentication and configuration besides the gateway's.

use crate::shutdown::Stopping;
use axum::serve::Listener;
use bytes::BytesMut;
use iot_core::gateway::{lines, Refused};
use iot_core::Service;
use iot_models::DeviceId;
use rumqttc::mqttbytes::v4::{
    ConnAck, Connect, ConnectReturnCode, Packet, PingResp, PubAck, Publish, SubAck,
    SubscribeReasonCode, UnsubAck,
};
use rumqttc::mqttbytes::{Error as CodecError, QoS};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::Semaphore;
use tsdb::serve::{HEADER_TIMEOUT, MAX_CONNECTIONS};

/// A connection that stays silent this long is closed, whatever keep-alive it asked for.
const IDLE_MAX: Duration = Duration::from_secs(600);
/// A message the gateway keeps asking to wait for (its rate bound) is dropped after this many
/// waits.
const RATE_WAITS: usize = 10;

/// Serves MQTT on `listener` until a stop is asked for: at most [`MAX_CONNECTIONS`] at once,
/// each with [`HEADER_TIMEOUT`] to send its CONNECT.
pub async fn serve<L>(mut listener: L, service: Arc<Service>, options: Options, stopping: Stopping)
where
    L: Listener<Addr = std::net::SocketAddr>,
{
    let open = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let options = Arc::new(options);
    let stop = stopping.asked();
    tokio::pin!(stop);
    loop {
        let (io, client) = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut stop => return,
        };
        let Ok(slot) = open.clone().try_acquire_owned() else {
            tracing::debug!(
                "{MAX_CONNECTIONS} MQTT connections open: closing the one from {client}"
            );
            continue;
        };
        let session = Session {
            service: service.clone(),
            options: options.clone(),
        };
        tokio::spawn(async move {
            if let Err(end) = session.run(io).await {
                tracing::debug!("MQTT connection from {client}: {end}");
            }
            drop(slot);
        });
    }
}

/// Why a connection ended early.
#[derive(Debug, thiserror::Error)]
enum End {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("not MQTT 3.1.1: {0:?}")]
    Codec(CodecError),
    #[error("silent past its keep-alive")]
    Idle,
    #[error("{0}")]
    Refused(String),
}

/// What the listener accepts.
pub struct Options {
    /// The flat topic devices publish to (besides `devices/<id>/telemetry`).
    pub topic: String,
    /// The reference's Arduino firmware reconnects with its client id alone: take a
    /// registered device's id as enough (anyone who knows an id can then write as it).
    pub client_id_only: bool,
}

/// How a device proved who it is.
enum Credential {
    Token(String),
    /// Its id alone ([`Options::client_id_only`]).
    ClientId,
}

/// One device's connection.
struct Session {
    service: Arc<Service>,
    options: Arc<Options>,
}

impl Session {
    async fn run<S: AsyncRead + AsyncWrite + Unpin>(self, io: S) -> Result<(), End> {
        let b = self.service.backend().ok();
        let max_packet = b
            .as_ref()
            .map_or(64 << 10, |b| b.gateway.bounds.max_bytes + (64 << 10));
        let mut conn = Connection {
            io,
            input: BytesMut::with_capacity(4096),
            output: BytesMut::new(),
            max_packet,
        };
        let connect = match conn.next(HEADER_TIMEOUT).await? {
            Some(Packet::Connect(connect)) => connect,
            _ => return Err(End::Refused("the first packet was no CONNECT".into())),
        };
        let (b, id, credential) = match self.authenticate(&connect).await {
            Ok(device) => device,
            Err(code) => {
                conn.send(|out| ConnAck::new(code, false).write(out))
                    .await?;
                return Err(End::Refused(format!(
                    "{:?} refused: {code:?}",
                    connect.client_id
                )));
            }
        };
        conn.send(|out| ConnAck::new(ConnectReturnCode::Success, false).write(out))
            .await?;
        let idle = match connect.keep_alive {
            0 => IDLE_MAX,
            s => (Duration::from_secs(u64::from(s)) * 3 / 2).min(IDLE_MAX),
        };
        loop {
            let packet = match conn.next(idle).await? {
                Some(packet) => packet,
                None => return Ok(()),
            };
            match packet {
                Packet::Publish(publish) => {
                    // A removed device's token stops working at once, mid-connection too.
                    if !allowed(&b, &id, &credential).await {
                        return Err(End::Refused(format!("{id} may no longer write")));
                    }
                    let (qos, pkid) = (publish.qos, publish.pkid);
                    if qos == QoS::ExactlyOnce {
                        return Err(End::Refused("QoS 2 is not supported".into()));
                    }
                    match self.write(&b, &id, publish).await {
                        Ok(()) => {}
                        Err(Refused::Unavailable(e)) => return Err(End::Refused(e)),
                        // Counted by the gateway, on the Health page.
                        Err(refused) => tracing::info!("MQTT message from {id} refused: {refused}"),
                    }
                    if qos == QoS::AtLeastOnce {
                        conn.send(|out| PubAck::new(pkid).write(out)).await?;
                    }
                }
                Packet::PingReq => conn.send(|out| PingResp.write(out)).await?,
                // Receive-only: nothing to subscribe to.
                Packet::Subscribe(s) => {
                    let codes = vec![SubscribeReasonCode::Failure; s.filters.len()];
                    conn.send(|out| SubAck::new(s.pkid, codes).write(out))
                        .await?
                }
                Packet::Unsubscribe(u) => conn.send(|out| UnsubAck::new(u.pkid).write(out)).await?,
                Packet::Disconnect => return Ok(()),
                other => return Err(End::Refused(format!("unexpected {other:?}"))),
            }
        }
    }

    /// The device a CONNECT is from, with the backend and how it proved it; else why not,
    /// as MQTT says it.
    async fn authenticate(
        &self,
        connect: &Connect,
    ) -> Result<(Arc<iot_core::Backend>, DeviceId, Credential), ConnectReturnCode> {
        let b = self
            .service
            .backend()
            .map_err(|_| ConnectReturnCode::ServiceUnavailable)?;
        let id = DeviceId::parse(&connect.client_id).map_err(|_| ConnectReturnCode::BadClientId)?;
        let credential = match &connect.login {
            None if self.options.client_id_only => Credential::ClientId,
            Some(login) if login.username == connect.client_id => {
                Credential::Token(login.password.clone())
            }
            _ => return Err(ConnectReturnCode::BadUserNamePassword),
        };
        if let Credential::Token(token) = &credential {
            match b.gateway.device_of_token(&b, token).await {
                Ok(device) if device == id => {}
                Ok(_) => return Err(ConnectReturnCode::NotAuthorized),
                Err(Refused::Unavailable(_)) => return Err(ConnectReturnCode::ServiceUnavailable),
                Err(_) => return Err(ConnectReturnCode::BadUserNamePassword),
            }
        }
        match allowed(&b, &id, &credential).await {
            true => Ok((b, id, credential)),
            false => Err(ConnectReturnCode::NotAuthorized),
        }
    }

    /// One message through the gateway, waiting out its rate bound (which holds the
    /// connection back, as TCP does a fast sender).
    async fn write(
        &self,
        b: &iot_core::Backend,
        id: &DeviceId,
        publish: Publish,
    ) -> Result<(), Refused> {
        let own = format!("devices/{id}/telemetry");
        if publish.topic != self.options.topic && publish.topic != own {
            return Err(b.gateway.refuse(Refused::Forbidden(format!(
                "topic {:?}: devices publish to {:?} or {own:?}",
                publish.topic, self.options.topic
            ))));
        }
        let body = String::from_utf8(publish.payload.to_vec()).map_err(|_| {
            b.gateway.refuse(Refused::Invalid(
                "the message is not UTF-8 line protocol".into(),
            ))
        })?;
        let precision = lines::inferred_precision(&body);
        for _ in 0..RATE_WAITS {
            match b.gateway.write_in(b, id, precision, body.clone()).await {
                Err(Refused::TooMany { retry_after, .. }) => tokio::time::sleep(retry_after).await,
                written => return written,
            }
        }
        Err(Refused::TooMany {
            message: format!("{id} kept past its rate bound"),
            retry_after: Duration::ZERO,
        })
    }
}

/// Whether device `id` may write now: its token is still its own, or (by its id alone) it
/// is still registered.
async fn allowed(b: &iot_core::Backend, id: &DeviceId, credential: &Credential) -> bool {
    match credential {
        Credential::Token(token) => {
            b.gateway.device_of_token(b, token).await.ok().as_ref() == Some(id)
        }
        Credential::ClientId => {
            matches!(b.fleet.device(b, id).await, Ok(Some((_, d))) if !d.removed)
        }
    }
}

/// The packets of one connection, read and written with rumqttc's codec.
struct Connection<S> {
    io: S,
    input: BytesMut,
    output: BytesMut,
    /// The largest packet read; a larger one ends the connection.
    max_packet: usize,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
    /// The next packet, `None` once the device closed the connection.
    async fn next(&mut self, idle: Duration) -> Result<Option<Packet>, End> {
        loop {
            match Packet::read(&mut self.input, self.max_packet) {
                Ok(packet) => return Ok(Some(packet)),
                Err(CodecError::InsufficientBytes(_)) => {}
                Err(e) => return Err(End::Codec(e)),
            }
            let read = tokio::time::timeout(idle, self.io.read_buf(&mut self.input));
            match read.await.map_err(|_| End::Idle)?? {
                0 => return Ok(None),
                _ => continue,
            }
        }
    }

    async fn send(
        &mut self,
        write: impl FnOnce(&mut BytesMut) -> Result<usize, CodecError>,
    ) -> Result<(), End> {
        self.output.clear();
        write(&mut self.output).map_err(End::Codec)?;
        self.io.write_all(&self.output).await?;
        Ok(())
    }
}
