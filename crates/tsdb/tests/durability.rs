//! `kill -9` in the middle of writing: after a restart every acknowledged point is there, and
//! no batch is there in part.

use std::process::{Child, Command};
use std::time::Duration;

const BATCH: usize = 100;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start(dir: &std::path::Path, port: u16) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tsdb"))
        .args([
            "--http-bind-address",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(dir)
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client
            .get(format!("http://127.0.0.1:{port}/ping"))
            .send()
            .await
            .is_ok()
        {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("tsdb did not start");
}

fn batch(n: usize) -> String {
    (0..BATCH)
        .map(|i| format!("m,batch=b{n} v={i}i {}\n", n * BATCH + i))
        .collect()
}

#[tokio::test]
async fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut server = start(dir.path(), port).await;
    let setup = serde_json::json!({"username": "u", "password": "password", "org": "o", "bucket": "b", "token": "t"});
    assert_eq!(
        client
            .post(format!("{url}/api/v2/setup"))
            .json(&setup)
            .send()
            .await
            .unwrap()
            .status(),
        201
    );

    // Writers run flat out; the process is killed while requests are in flight.
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (client, url) = (client.clone(), url.clone());
            tokio::spawn(async move {
                let mut acked = Vec::new();
                for n in (w..).step_by(4) {
                    let sent = client
                        .post(format!("{url}/api/v2/write?org=o&bucket=b&precision=ns"))
                        .header("Authorization", "Token t")
                        .body(batch(n))
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status() == 204 => acked.push(n),
                        _ => return acked,
                    }
                }
                acked
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(700)).await;
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    let mut acked = Vec::new();
    for w in writers {
        acked.extend(w.await.unwrap());
    }
    assert!(
        acked.len() > 5,
        "the test should see writes acknowledged before the kill"
    );

    let mut server = start(dir.path(), port).await;
    let query = "from(bucket: \"b\") |> range(start: 0, stop: 1000000000) |> group(columns: [\"batch\"]) |> count() |> keep(columns: [\"batch\", \"_value\"])";
    let csv = client
        .post(format!("{url}/api/v2/query?org=o"))
        .header("Authorization", "Token t")
        .header("Content-Type", "application/vnd.flux")
        .body(query)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    server.kill().unwrap();
    server.wait().unwrap();

    let counts: std::collections::HashMap<String, usize> = csv
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[4].to_string(), cells[3].parse().unwrap())
        })
        .collect();
    for n in &acked {
        assert_eq!(
            counts.get(&format!("b{n}")),
            Some(&BATCH),
            "acknowledged batch {n} must be complete"
        );
    }
    for (batch, count) in &counts {
        assert_eq!(*count, BATCH, "batch {batch} was stored in part");
    }
}
