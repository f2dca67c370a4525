//! The rule for names that reach Flux, line protocol, URLs and CSV cells: device ids and
//! field names. Starting with a letter or digit, no name can open a spreadsheet formula.

/// The longest name.
pub const MAX_LEN: usize = 64;

/// `raw` trimmed, if it is 1–[`MAX_LEN`] characters of `A–Z a–z 0–9 . _ -` starting with a
/// letter or digit; else why not, naming it as `what` ("a device id").
pub fn checked<'a>(what: &str, raw: &'a str) -> Result<&'a str, String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(format!("{what} is required"));
    }
    if name.len() > MAX_LEN {
        return Err(format!(
            "{what} has at most {MAX_LEN} characters, this one has {}",
            name.chars().count()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(format!(
            "{c:?} is not allowed in {what}: use letters, digits, '.', '_' and '-'"
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(format!("{what} starts with a letter or a digit"));
    }
    Ok(name)
}
