//! Reads a `/write` body into points with InfluxData's `influxdb-line-protocol` parser;
//! errors are reported as InfluxDB 2.7 does: `unable to parse '<line>': <reason>`.

use crate::series::FieldValue;
use crate::storage::Point;
use influxdb_line_protocol::{self as lp, parse_lines, split_lines};

mod reason;

/// How many bad lines an error names; the rest are counted. A batch of a million bad lines
/// must not come back as a message of a million lines.
pub const REPORTED_BAD_LINES: usize = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    Ns,
    Us,
    Ms,
    S,
}

impl Precision {
    pub fn parse(s: &str) -> Option<Precision> {
        Some(match s {
            "ns" | "n" => Precision::Ns,
            "us" | "u" => Precision::Us,
            "ms" => Precision::Ms,
            "s" => Precision::S,
            _ => return None,
        })
    }
    fn nanos(self) -> i64 {
        match self {
            Precision::Ns => 1,
            Precision::Us => 1_000,
            Precision::Ms => 1_000_000,
            Precision::S => 1_000_000_000,
        }
    }
}

/// Parses every line; any bad line rejects the batch. The message names the first
/// [`REPORTED_BAD_LINES`] bad lines, one per line, and counts the others.
pub fn parse(body: &str, precision: Precision, now: i64) -> Result<Vec<Point>, String> {
    let mut bad = BadLines::default();
    let points = parse_into(body, precision, now, &mut bad);
    bad.into_result(points)
}

/// Checks every line of `body` without keeping its points, a chunk at a time: a large batch
/// is checked whole before any of it is written, in the memory of one chunk.
pub fn validate(body: &str, precision: Precision, chunk_bytes: usize) -> Result<(), String> {
    let mut bad = BadLines::default();
    for chunk in chunks(body, chunk_bytes) {
        parse_into(chunk, precision, 0, &mut bad);
    }
    bad.into_result(())
}

/// `body` cut into runs of whole lines of about `chunk_bytes` each.
pub fn chunks(body: &str, chunk_bytes: usize) -> impl Iterator<Item = &str> {
    let mut lines = split_lines(body).peekable();
    std::iter::from_fn(move || {
        let first = lines.next()?;
        let start = offset(body, first);
        let mut end = start + first.len();
        while end - start < chunk_bytes {
            let Some(line) = lines.next() else { break };
            end = offset(body, line) + line.len();
        }
        Some(&body[start..end])
    })
}

/// Where `part`, a slice of `body`, starts in it.
fn offset(body: &str, part: &str) -> usize {
    part.as_ptr() as usize - body.as_ptr() as usize
}

/// The bad lines of a batch: the first few quoted, all counted.
#[derive(Default)]
struct BadLines {
    reported: Vec<String>,
    count: usize,
}

impl BadLines {
    fn add(&mut self, line: &str, reason: String) {
        self.count += 1;
        if self.reported.len() < REPORTED_BAD_LINES {
            self.reported
                .push(format!("unable to parse '{}': {reason}", shortened(line)));
        }
    }

    fn into_result<T>(mut self, ok: T) -> Result<T, String> {
        if self.count == 0 {
            return Ok(ok);
        }
        if self.count > self.reported.len() {
            let more = self.count - self.reported.len();
            self.reported.push(format!("… and {more} more bad lines"));
        }
        Err(self.reported.join("\n"))
    }
}

/// The points of the good lines; once a line is bad, only the bad ones are noted.
fn parse_into(body: &str, precision: Precision, now: i64, bad: &mut BadLines) -> Vec<Point> {
    let default_time = now - now.rem_euclid(precision.nanos());
    let mut points = Vec::new();
    for line in split_lines(body) {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        match parse_line(trimmed, precision, default_time) {
            Ok(p) if bad.count == 0 => points.push(p),
            Ok(_) => {}
            Err(reason) => {
                bad.add(trimmed, reason);
                points = Vec::new();
            }
        }
    }
    points
}

/// A bad line as quoted in an error: at most 1,000 characters of it.
fn shortened(line: &str) -> std::borrow::Cow<'_, str> {
    const MAX: usize = 1_000;
    match line.char_indices().nth(MAX) {
        None => line.into(),
        Some((cut, _)) => format!("{}…", &line[..cut]).into(),
    }
}

fn parse_line(line: &str, precision: Precision, default_time: i64) -> Result<Point, String> {
    let parsed = parse_lines(line)
        .next()
        .ok_or("missing fields")?
        .map_err(|e| reason::reason(line, &e))?;
    let mut tags: Vec<(String, String)> = parsed
        .series
        .tag_set
        .iter()
        .flatten()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if let Some((k, _)) = tags
        .iter()
        .find(|(k, _)| k == "_field" || k == "_measurement" || k == "time")
    {
        return Err(format!("cannot use reserved tag key \"{k}\""));
    }
    tags.sort();
    if tags.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err("duplicate tags".into());
    }
    let mut fields: Vec<(String, FieldValue)> = Vec::new();
    for (key, value) in parsed.field_set.iter() {
        let value = match value {
            lp::FieldValue::F64(f) if !f.is_finite() => return Err("invalid number".into()),
            lp::FieldValue::F64(f) => FieldValue::Float(*f),
            lp::FieldValue::I64(n) => FieldValue::Int(*n),
            lp::FieldValue::U64(n) => FieldValue::UInt(*n),
            lp::FieldValue::Boolean(b) => FieldValue::Bool(*b),
            lp::FieldValue::String(s) => FieldValue::Str(s.to_string()),
        };
        // A repeated field key: the last value wins, as in InfluxDB.
        match fields.iter_mut().find(|(k, _)| k.as_str() == key.as_str()) {
            Some(slot) => slot.1 = value,
            None => fields.push((key.to_string(), value)),
        }
    }
    let time = match parsed.timestamp {
        Some(t) => t.checked_mul(precision.nanos()).ok_or("bad timestamp")?,
        None => default_time,
    };
    Ok(Point {
        measurement: parsed.series.measurement.to_string(),
        tags,
        fields,
        time,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tags_fields_and_precision() {
        let p = parse(
            "m,b=2,a=1 f=1.5,i=2i,u=3u,s=\"x y\",t=true 10\n\n# comment\n",
            Precision::S,
            0,
        )
        .unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(
            p[0].tags,
            vec![("a".into(), "1".into()), ("b".into(), "2".into())]
        );
        assert_eq!(p[0].time, 10_000_000_000);
        assert!(matches!(p[0].fields[3].1, FieldValue::Str(ref s) if s == "x y"));
    }

    #[test]
    fn missing_time_is_now_truncated_to_the_precision() {
        let p = parse("m f=1", Precision::S, 1_700_000_000_123_456_789).unwrap();
        assert_eq!(p[0].time, 1_700_000_000_000_000_000);
    }

    #[test]
    fn errors_name_the_line_and_reason() {
        let err = parse("h2o_feet,location=coyote_creek level\\", Precision::Ns, 0).unwrap_err();
        assert_eq!(
            err,
            "unable to parse 'h2o_feet,location=coyote_creek level\\': invalid field format"
        );
        let err = parse("m f=1\nm\nm g=", Precision::Ns, 0).unwrap_err();
        assert_eq!(err.lines().count(), 2, "{err}");
        let many = "m\n".repeat(REPORTED_BAD_LINES);
        assert_eq!(
            parse(&many, Precision::Ns, 0).unwrap_err().lines().count(),
            5
        );
        let err = parse(&format!("{many}m\nm\n"), Precision::Ns, 0).unwrap_err();
        assert_eq!(err.lines().count(), REPORTED_BAD_LINES + 1, "{err}");
        assert!(err.ends_with("… and 2 more bad lines"), "{err}");
    }

    #[test]
    fn chunks_are_whole_lines_and_cover_the_body() {
        let body = "m f=1\nm s=\"a\nb\"\nm f=3\nm f=4";
        let eight: Vec<&str> = chunks(body, 8).collect();
        assert_eq!(eight, ["m f=1\nm s=\"a\nb\"", "m f=3\nm f=4"]);
        assert_eq!(chunks(body, 1).count(), 4);
        assert!(validate(body, Precision::Ns, 8).is_ok());
        let bad = "m f=1\nm\nm f=2\nm g=";
        assert_eq!(
            validate(bad, Precision::Ns, 6).unwrap_err(),
            parse(bad, Precision::Ns, 0).unwrap_err()
        );
        assert!(parse("m,_field=x f=1", Precision::Ns, 0)
            .unwrap_err()
            .contains("reserved tag key"));
        assert!(parse("m f=1 99999999999999999999", Precision::Ns, 0)
            .unwrap_err()
            .contains("bad timestamp"));
    }
}
