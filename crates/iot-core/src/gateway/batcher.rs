//! Group commit: device requests that arrive while InfluxDB is busy with earlier ones share
//! one write, and each is answered only once InfluxDB has acknowledged the write that holds
//! its points. An idle gateway writes a request at once; a busy one writes fewer, larger
//! batches. If InfluxDB refuses a shared write, each request in it is written alone, so
//! every device gets its own answer.

use super::{Precision, Refused};
use influx_client::Client;
use std::sync::{Arc, OnceLock};
use tokio::sync::{mpsc, oneshot, Semaphore};

/// Requests waiting for a write; past this, devices wait to be queued.
const QUEUE: usize = 4_096;
/// InfluxDB writes under way at once; requests that arrive meanwhile form the next batch.
const IN_FLIGHT: usize = 4;
/// The most line protocol one shared write carries.
const BATCH_BYTES: usize = 4 << 20;

struct Job {
    precision: Precision,
    body: Vec<u8>,
    done: oneshot::Sender<Result<(), Refused>>,
}

#[derive(Default)]
pub struct Batcher {
    queue: OnceLock<mpsc::Sender<Job>>,
}

impl Batcher {
    /// Writes `body` (whole lines) to `bucket`; returns once InfluxDB has acknowledged it.
    pub async fn write(
        &self,
        client: &Client,
        bucket: &str,
        precision: Precision,
        body: Vec<u8>,
    ) -> Result<(), Refused> {
        let queue = self.queue.get_or_init(|| {
            let (queue, jobs) = mpsc::channel(QUEUE);
            tokio::spawn(run(client.clone(), bucket.to_string(), jobs));
            queue
        });
        let (done, answer) = oneshot::channel();
        let stopped = || Refused::Unavailable("the gateway's writer has stopped".into());
        queue
            .send(Job {
                precision,
                body,
                done,
            })
            .await
            .map_err(|_| stopped())?;
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }
}

async fn run(client: Client, bucket: String, mut jobs: mpsc::Receiver<Job>) {
    let client = Arc::new(client);
    let bucket: Arc<str> = bucket.into();
    let in_flight = Arc::new(Semaphore::new(IN_FLIGHT));
    while let Some(first) = jobs.recv().await {
        // While every write is under way, what arrives waits here and joins this batch.
        let Ok(permit) = in_flight.clone().acquire_owned().await else {
            return;
        };
        let mut bytes = first.body.len();
        let mut batch = vec![first];
        while bytes < BATCH_BYTES {
            match jobs.try_recv() {
                Ok(job) => {
                    bytes += job.body.len();
                    batch.push(job);
                }
                Err(_) => break,
            }
        }
        let (client, bucket) = (client.clone(), bucket.clone());
        tokio::spawn(async move {
            commit(&client, &bucket, batch).await;
            drop(permit);
        });
    }
}

/// Writes a batch, one write per precision, and answers each of its requests.
async fn commit(client: &Client, bucket: &str, mut batch: Vec<Job>) {
    while let Some(precision) = batch.first().map(|j| j.precision) {
        let (group, rest): (Vec<Job>, Vec<Job>) =
            batch.into_iter().partition(|j| j.precision == precision);
        batch = rest;
        let mut body = Vec::with_capacity(group.iter().map(|j| j.body.len()).sum());
        group.iter().for_each(|j| body.extend_from_slice(&j.body));
        match client.write_line_protocol(bucket, precision, body).await {
            Ok(()) => group.into_iter().for_each(|j| {
                let _ = j.done.send(Ok(()));
            }),
            Err(e) => {
                let refused = Refused::from_influx(e);
                if group.len() > 1 && matches!(refused, Refused::Rejected { .. }) {
                    for job in group {
                        let result = client
                            .write_line_protocol(bucket, precision, job.body)
                            .await
                            .map_err(Refused::from_influx);
                        let _ = job.done.send(result);
                    }
                } else {
                    for job in group {
                        let _ = job.done.send(Err(refused.clone()));
                    }
                }
            }
        }
    }
}
