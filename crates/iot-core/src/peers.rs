//! What instances on one PostgreSQL tell each other, as notifications (`NOTIFY`) every
//! instance listens for: the live points of devices watched on another instance (each says
//! every [`EVERY`] which devices its pages watch, in `live_watches`, so only those cross),
//! and the fleet's news — registrations and removals made here (the others read the
//! registry again) and the last-seen times the gateway learnt (the others take them at
//! once, late-timestamped uploads too). On SQLite there are no others: nothing runs.

use crate::fleet::News;
use crate::live::Batch;
use crate::state_db::{Backend, StateDb};
use crate::{Error, Service};
use chrono::{DateTime, Utc};
use iot_models::LivePoint;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

const CHANNEL: &str = "iot_center_peers";
/// How often an instance says what it watches and what its fleet learnt.
pub const EVERY: Duration = Duration::from_secs(1);
/// A watch list not renewed for this long is forgotten (its instance is gone).
const KEPT_FOR_MS: i64 = 10_000;
/// PostgreSQL takes notifications below 8,000 bytes: a long message goes in parts.
const PART_BYTES: usize = 7_000;
/// Messages waiting to be sent at most; past it, new live points are dropped.
const QUEUE: usize = 1_000;

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Message {
    Live {
        device: String,
        points: Vec<LivePoint>,
    },
    /// Devices seen, with their last-seen times in ms.
    Seen {
        devices: Vec<(String, i64)>,
    },
    Registry,
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    from: String,
    #[serde(flatten)]
    message: Message,
}

/// Tells the other instances on `db`, when it is PostgreSQL, what this one (`me`) learns,
/// and hears what they learn, for as long as the server runs.
pub fn spawn(service: Arc<Service>, db: StateDb, me: String) {
    if db.backend() != Backend::Postgres {
        return;
    }
    let (outgoing, sending) = mpsc::channel::<Message>(QUEUE);
    let (live, mut relayed) = mpsc::channel::<(String, Batch)>(QUEUE);
    let forwarding = outgoing.clone();
    tokio::spawn(async move {
        while let Some((device, batch)) = relayed.recv().await {
            let points = batch.to_vec();
            // Sending that cannot keep up drops live points, as a slow watcher does.
            let _ = forwarding.try_send(Message::Live { device, points });
        }
    });
    tokio::spawn(tell(
        service.clone(),
        db.clone(),
        me.clone(),
        outgoing,
        live,
    ));
    tokio::spawn(send(db.clone(), me.clone(), sending));
    tokio::spawn(async move {
        loop {
            if let Err(e) = hear(&db, &service, &me).await {
                tracing::warn!("news from other instances: {e}; listening again in 1 s");
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

/// Every [`EVERY`]: says what this instance watches and learns what the others do, and
/// sends the fleet's news.
async fn tell(
    service: Arc<Service>,
    db: StateDb,
    me: String,
    outgoing: mpsc::Sender<Message>,
    live: mpsc::Sender<(String, Batch)>,
) {
    let mut every = tokio::time::interval(EVERY);
    let mut relaying = false;
    loop {
        every.tick().await;
        let Some(b) = service.get() else { continue };
        if !relaying {
            b.live.relay_to(live.clone());
            relaying = true;
        }
        match exchange_watches(&db, &me, b.live.watched_here()).await {
            Ok(elsewhere) => b.live.watched_elsewhere(elsewhere),
            Err(e) => tracing::warn!("live watches: {e}"),
        }
        let News { registry, seen } = b.fleet.take_told();
        if registry {
            let _ = outgoing.send(Message::Registry).await;
        }
        if !seen.is_empty() {
            let devices = seen
                .into_iter()
                .map(|(id, t)| (id, t.timestamp_millis()))
                .collect();
            let _ = outgoing.send(Message::Seen { devices }).await;
        }
    }
}

async fn exchange_watches(
    db: &StateDb,
    me: &str,
    here: Vec<String>,
) -> Result<HashSet<String>, Error> {
    let now = db.now_ms().await?;
    sqlx::query(
        "INSERT INTO live_watches (instance, devices, expires) VALUES ($1, $2, $3)
         ON CONFLICT (instance) DO UPDATE SET devices = $2, expires = $3",
    )
    .bind(me)
    .bind(here.join(","))
    .bind(now + KEPT_FOR_MS)
    .execute(db.pool())
    .await?;
    let lists: Vec<String> = sqlx::query_scalar(
        "SELECT devices FROM live_watches WHERE instance != $1 AND expires > $2",
    )
    .bind(me)
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    Ok(lists
        .iter()
        .flat_map(|l| l.split(','))
        .filter(|d| !d.is_empty())
        .map(str::to_string)
        .collect())
}

/// Sends each message, in parts PostgreSQL takes.
async fn send(db: StateDb, me: String, mut sending: mpsc::Receiver<Message>) {
    while let Some(message) = sending.recv().await {
        for part in parts(&me, message) {
            let sent = sqlx::query("SELECT count(*) FROM (SELECT pg_notify($1, $2)) AS notified")
                .bind(CHANNEL)
                .bind(part)
                .fetch_one(db.pool())
                .await;
            if let Err(e) = sent {
                tracing::warn!("telling the other instances: {e}");
            }
        }
    }
}

fn encode(me: &str, message: Message) -> String {
    let envelope = Envelope {
        from: me.to_string(),
        message,
    };
    serde_json::to_string(&envelope).unwrap_or_default()
}

/// A message as notifications of at most [`PART_BYTES`] each: its list split.
fn parts(me: &str, message: Message) -> Vec<String> {
    match message {
        Message::Live { device, points } => split(points, |points| {
            encode(
                me,
                Message::Live {
                    device: device.clone(),
                    points,
                },
            )
        }),
        Message::Seen { devices } => {
            split(devices, |devices| encode(me, Message::Seen { devices }))
        }
        Message::Registry => vec![encode(me, Message::Registry)],
    }
}

/// `items` in runs whose `encode`d form fits [`PART_BYTES`].
fn split<T: Serialize>(items: Vec<T>, encode: impl Fn(Vec<T>) -> String) -> Vec<String> {
    let overhead = encode(Vec::new()).len();
    let (mut parts, mut run, mut bytes) = (Vec::new(), Vec::new(), overhead);
    for item in items {
        let size = serde_json::to_string(&item).map_or(0, |s| s.len() + 1);
        if bytes + size > PART_BYTES && !run.is_empty() {
            parts.push(encode(std::mem::take(&mut run)));
            bytes = overhead;
        }
        bytes += size;
        run.push(item);
    }
    if !run.is_empty() {
        parts.push(encode(run));
    }
    parts
}

/// Takes the other instances' news, until the connection fails.
async fn hear(db: &StateDb, service: &Service, me: &str) -> Result<(), Error> {
    let Some(mut listener) = db.listen(CHANNEL).await? else {
        return Ok(());
    };
    loop {
        let notification = listener.recv().await?;
        let Ok(envelope) = serde_json::from_str::<Envelope>(notification.payload()) else {
            continue;
        };
        let Some(b) = service.get().filter(|_| envelope.from != me) else {
            continue;
        };
        match envelope.message {
            Message::Live { device, points } => b.live.deliver(&device, Arc::new(points)),
            Message::Seen { devices } => {
                for (id, ms) in devices {
                    if let Some(t) = DateTime::<Utc>::from_timestamp_millis(ms) {
                        b.fleet.seen_elsewhere(&id, t);
                    }
                }
            }
            Message::Registry => {
                let b = b.clone();
                tokio::spawn(async move {
                    if let Err(e) = b.fleet.refresh(&b).await {
                        tracing::warn!("reading the registry another instance changed: {e}");
                    }
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_message_goes_in_parts_postgresql_takes() {
        let points = (0..500)
            .map(|i| LivePoint {
                field: "Temperature".into(),
                time_ms: 1_700_000_000_000 + i,
                value: 21.5,
            })
            .collect();
        let device = "dev-1".to_string();
        let parts = parts("a", Message::Live { device, points });
        assert!(parts.len() > 1);
        assert!(parts.iter().all(|p| p.len() <= PART_BYTES));
        let mut points = 0;
        for part in &parts {
            let envelope: Envelope = serde_json::from_str(part).unwrap();
            match envelope.message {
                Message::Live { points: p, .. } => points += p.len(),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(points, 500);
        let seen = (0..1_000).map(|i| (format!("dev-{i}"), i)).collect();
        let seen = super::parts("a", Message::Seen { devices: seen });
        assert!(seen.len() > 1 && seen.iter().all(|p| p.len() <= PART_BYTES));
    }
}
