//! Why a line is bad, in InfluxDB 2.7's words (`models/points.go`), which clients match on.
//! InfluxData's parser says *that* a line is bad; where its error is generic, the line's
//! parts are looked at again to say which part is wrong.

use influxdb_line_protocol::Error as LpError;

pub fn reason(line: &str, e: &LpError) -> &'static str {
    match e {
        LpError::DuplicateTag { .. } => "duplicate tags",
        LpError::MeasurementValueInvalid => "missing measurement",
        LpError::IntegerValueInvalid { .. }
        | LpError::UIntegerValueInvalid { .. }
        | LpError::FloatValueInvalid { .. } => "invalid number",
        LpError::TimestampValueInvalid { .. } => "bad timestamp",
        _ => from_parts(line),
    }
}

fn from_parts(line: &str) -> &'static str {
    let sections = split_unescaped(line, ' ');
    let mut key = split_unescaped(sections[0], ',').into_iter();
    if key.next().is_none_or(str::is_empty) {
        return "missing measurement";
    }
    for tag in key {
        match tag.split_once('=') {
            None => return "missing tag value",
            Some(("", _)) => return "missing tag key",
            Some((_, "")) => return "missing tag value",
            Some(_) => {}
        }
    }
    let Some(fields) = sections.get(1).filter(|f| !f.is_empty()) else {
        return "missing fields";
    };
    if fields.chars().filter(|c| *c == '"').count() % 2 == 1 {
        return "unbalanced quotes";
    }
    for field in split_unescaped(fields, ',') {
        let reason = match field.split_once('=') {
            None => "invalid field format",
            Some(("", _)) => "missing field key",
            Some((_, "")) => "missing field value",
            Some((_, value)) => match value.chars().next() {
                Some('"') => continue,
                Some(c) if c.is_ascii_digit() || c == '-' || c == '.' || c == '+' => {
                    "invalid number"
                }
                _ if is_bool(value) => continue,
                _ => "invalid boolean",
            },
        };
        if reason != "invalid number" || !is_number(field) {
            return reason;
        }
    }
    match sections.get(2) {
        Some(t) if t.parse::<i64>().is_err() => "bad timestamp",
        _ if sections.len() > 3 => "bad timestamp",
        _ => "invalid field format",
    }
}

fn is_bool(v: &str) -> bool {
    matches!(
        v,
        "t" | "T" | "true" | "True" | "TRUE" | "f" | "F" | "false" | "False" | "FALSE"
    )
}

/// A field whose value is a well-formed number (`1`, `-1.5e3`, `2i`, `3u`).
fn is_number(field: &str) -> bool {
    let value = field.split_once('=').map_or("", |(_, v)| v);
    let digits = value
        .strip_suffix('i')
        .or_else(|| value.strip_suffix('u'))
        .unwrap_or(value);
    digits.parse::<f64>().is_ok_and(f64::is_finite)
}

/// `s` split at every `sep` not escaped by a backslash and not inside double quotes.
fn split_unescaped(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::super::{parse, Precision};

    /// The first line's error, without `unable to parse '…': `.
    fn reason_of(line: &str) -> String {
        let err = parse(line, Precision::Ns, 0).unwrap_err();
        err.rsplit_once("': ").unwrap().1.to_string()
    }

    #[test]
    fn every_kind_of_bad_line_is_named_as_influxdb_names_it() {
        for (line, want) in [
            (",t=1 f=1", "missing measurement"),
            ("m", "missing fields"),
            ("m,t=1", "missing fields"),
            ("m,t f=1", "missing tag value"),
            ("m,t= f=1", "missing tag value"),
            ("m,=v f=1", "missing tag key"),
            ("m =1", "missing field key"),
            ("m f=", "missing field value"),
            ("m f=1,g=", "missing field value"),
            ("m f", "invalid field format"),
            (
                "h2o_feet,location=coyote_creek level\\",
                "invalid field format",
            ),
            ("m f=\"open", "unbalanced quotes"),
            ("m f=1x", "invalid number"),
            ("m f=12ii", "invalid number"),
            ("m f=tru", "invalid boolean"),
            ("m f=1 12a", "bad timestamp"),
            ("m f=1 99999999999999999999", "bad timestamp"),
            ("m,t=a,t=b f=1", "duplicate tags"),
        ] {
            assert_eq!(reason_of(line), want, "{line}");
        }
    }
}
