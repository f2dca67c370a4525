//! Registering devices by the thousand, for fleets that arrive that way: the fleet index
//! says which are known, and one registry write registers the rest. No query per device.

use super::{new_key, new_token, now, registry_row};
use crate::{Backend, Error};
use influx_client::Precision;
use iot_models::{BulkRegistration, DeviceId, IssuedToken, MAX_BULK_CSV_BYTES, MAX_BULK_DEVICES};
use std::collections::HashSet;

/// Registry rows per write: a body of about a megabyte.
const ROWS_PER_WRITE: usize = 5_000;

/// Registers every device in `ids` that has no working token (a removed device keeps the
/// time it was first registered); the rest are left as they are. Repeated ids count once.
/// Up to [`MAX_BULK_DEVICES`] at a time.
pub async fn register_many(b: &Backend, ids: Vec<DeviceId>) -> Result<BulkRegistration, Error> {
    if ids.len() > MAX_BULK_DEVICES {
        return Err(Error::Invalid(format!(
            "{} devices at once is more than the {MAX_BULK_DEVICES} a bulk registration takes: \
             split the list",
            ids.len()
        )));
    }
    // No single registration or removal runs meanwhile, so the index is exact for this
    // server's; another server's show in it within a look (`fleet::REFRESH_EVERY`).
    let _all = b.registrations.hold_all().await;
    b.fleet.loaded(b).await?;
    let mut unique = HashSet::new();
    let mut outcome = BulkRegistration::default();
    let mut new = Vec::new();
    for id in ids {
        if !unique.insert(id.clone()) {
            continue;
        }
        match b.fleet.known(&id) {
            Some(known) if known.working => outcome.existing.push(id.to_string()),
            known => {
                let created_at = known.and_then(|k| k.created_at).unwrap_or_else(now);
                new.push((id, new_key(), new_token(), created_at));
            }
        }
    }
    for chunk in new.chunks(ROWS_PER_WRITE) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(id, key, token, created_at)| registry_row(id, key, token, created_at))
            .collect();
        b.client
            .write(&b.settings.registry_bucket, Precision::Ms, &rows)
            .await?;
        for (id, key, token, created_at) in chunk {
            b.fleet.note(id, key, token, created_at);
            outcome.registered.push(IssuedToken {
                id: id.to_string(),
                token: token.clone(),
            });
        }
    }
    Ok(outcome)
}

/// The device ids in a CSV file: the first column of each row; a header row (`id`,
/// `deviceId`, `device_id` or `device`) and blank rows are skipped. Every bad row is an
/// error naming its line, so a file registers whole or not at all.
pub fn ids_from_csv(text: &str) -> Result<Vec<DeviceId>, Error> {
    if text.len() > MAX_BULK_CSV_BYTES {
        return Err(Error::Invalid(format!(
            "the file is {} KiB, more than the {} KiB a bulk registration reads",
            text.len() / 1024,
            MAX_BULK_CSV_BYTES / 1024
        )));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut ids = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let line = n + 1;
        let record = record.map_err(|e| Error::Invalid(format!("line {line}: {e}")))?;
        let first = record.get(0).unwrap_or_default();
        let header = line == 1
            && ["id", "deviceid", "device_id", "device"].contains(&first.to_lowercase().as_str());
        if first.is_empty() || header {
            continue;
        }
        let id = DeviceId::parse(first).map_err(|e| {
            Error::Invalid(format!("line {line}: {first:?} is not a device id: {e}"))
        })?;
        ids.push(id);
        if ids.len() > MAX_BULK_DEVICES {
            return Err(Error::Invalid(format!(
                "the file names more than the {MAX_BULK_DEVICES} devices a bulk registration \
                 takes: split it"
            )));
        }
    }
    if ids.is_empty() {
        return Err(Error::Invalid("the file names no device".into()));
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_column_is_read_and_a_header_skipped() {
        let ids = ids_from_csv("deviceId,type\nESP-1,esp32\n\n  ESP-2 , x\nESP-3\n").unwrap();
        let ids: Vec<_> = ids.iter().map(DeviceId::as_str).collect();
        assert_eq!(ids, ["ESP-1", "ESP-2", "ESP-3"]);
    }

    #[test]
    fn a_bad_row_names_its_line() {
        let e = ids_from_csv("a\nb c\n").unwrap_err().to_string();
        assert!(e.starts_with("line 2: \"b c\" is not a device id"), "{e}");
        assert!(ids_from_csv("\n\n")
            .unwrap_err()
            .to_string()
            .contains("no device"));
    }

    #[test]
    fn the_bounds_hold_at_and_past_them() {
        let at: String = (0..MAX_BULK_DEVICES).map(|i| format!("d{i}\n")).collect();
        assert_eq!(ids_from_csv(&at).unwrap().len(), MAX_BULK_DEVICES);
        let past = format!("{at}one-more\n");
        assert!(ids_from_csv(&past)
            .unwrap_err()
            .to_string()
            .contains("split it"));
        let big = "x".repeat(MAX_BULK_CSV_BYTES + 1);
        assert!(ids_from_csv(&big).unwrap_err().to_string().contains("KiB"));
    }
}
