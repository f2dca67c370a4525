//! Alerts: rules over devices' telemetry (a threshold on a field, or a device gone silent,
//! `rules.rs`), the endpoints notifications go to (`endpoints.rs`), and the state of each rule
//! for each device with its history (`states.rs`). Rules and endpoints travel in the flat JSON
//! shape of the issue that asked for them and are checked where they are deserialised: a bad
//! one never reaches the server's logic.

mod endpoints;
mod rules;
mod states;

pub use endpoints::*;
pub use rules::*;
pub use states::*;

/// The longest rule or endpoint name, and the longest note on an acknowledgement.
pub const MAX_ALERT_TEXT: usize = 200;

/// `text` trimmed, 1–[`MAX_ALERT_TEXT`] characters, or why not.
fn text(what: &str, text: &str) -> Result<String, String> {
    let text = text.trim();
    match text.chars().count() {
        0 => Err(format!("{what} is required")),
        n if n > MAX_ALERT_TEXT => Err(format!(
            "{what} has at most {MAX_ALERT_TEXT} characters, this one has {n}"
        )),
        _ => Ok(text.to_string()),
    }
}
