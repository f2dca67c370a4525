//! The annotated-CSV reader must never panic, whatever bytes a server sends.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for record in influx_client::AnnotatedCsvReader::new(data) {
        if let Ok(r) = record {
            let _ = (r.time(), r.value(), r.table(), r.result());
            let _ = r.deserialize::<serde_json_value::Any>();
        }
    }
});

mod serde_json_value {
    /// Accepts any row, so deserialization paths run too.
    #[derive(serde::Deserialize)]
    pub struct Any {}
}
