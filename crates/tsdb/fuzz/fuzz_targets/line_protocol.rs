//! Any `/write` body goes through the write path: parsed (whole, and checked a chunk at a
//! time, which must agree), and when it parses, written to a store and read back. Nothing
//! may panic, and a store that took a batch still reads its newest series back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tsdb::line_protocol::{self, Precision};
use tsdb::storage::{Onboarding, Store};

/// A store on tmpfs (fsync is cheap there), onboarded once; its bucket id.
fn store() -> &'static (tempfile::TempDir, Store, String) {
    static STORE: OnceLock<(tempfile::TempDir, Store, String)> = OnceLock::new();
    STORE.get_or_init(|| {
        let dir = tempfile::tempdir_in("/dev/shm").unwrap_or_else(|_| tempfile::tempdir().unwrap());
        let store = Store::open(dir.path()).unwrap();
        let done = store
            .onboard(Onboarding {
                username: "fuzz".into(),
                password: String::new(),
                org: "o".into(),
                bucket: "b".into(),
                retention_secs: 0,
                token: None,
                permissions: Vec::new(),
            })
            .unwrap();
        (dir, store, done.bucket.id)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else { return };
    let parsed = line_protocol::parse(body, Precision::Ns, 1_000);
    let checked = line_protocol::validate(body, Precision::Ns, 64);
    assert_eq!(parsed.as_ref().err(), checked.as_ref().err(), "chunked checking must agree");
    let Ok(points) = parsed else { return };
    let (_, store, bucket) = store();
    store.write(bucket, &points).unwrap();
    for series in store.series_of(bucket).iter().rev().take(16) {
        store
            .read_points(std::slice::from_ref(series), i64::MIN, i64::MAX, tsdb::series::Pick::All, |_| {
                std::ops::ControlFlow::Continue(())
            })
            .unwrap();
    }
});
