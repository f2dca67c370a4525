//! Reads a `/write` body into points with InfluxData's `influxdb-line-protocol` parser;
//! errors are reported as InfluxDB 2.7 does: `unable to parse '<line>': <reason>`.

use crate::flux::Value;
use crate::storage::Point;
use influxdb_line_protocol::{parse_lines, split_lines, Error as LpError, FieldValue};

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

/// Parses every line; any bad line rejects the batch, with every bad line in the message.
pub fn parse(body: &str, precision: Precision, now: i64) -> Result<Vec<Point>, String> {
    let default_time = now - now.rem_euclid(precision.nanos());
    let mut points = Vec::new();
    let mut errors = Vec::new();
    for line in split_lines(body) {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        match parse_line(trimmed, precision, default_time) {
            Ok(p) => points.push(p),
            Err(reason) => errors.push(format!("unable to parse '{trimmed}': {reason}")),
        }
    }
    if errors.is_empty() {
        Ok(points)
    } else {
        Err(errors.join("\n"))
    }
}

fn parse_line(line: &str, precision: Precision, default_time: i64) -> Result<Point, String> {
    let parsed = parse_lines(line)
        .next()
        .ok_or("missing fields")?
        .map_err(|e| reason(&e))?;
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
    let mut fields: Vec<(String, Value)> = Vec::new();
    for (key, value) in parsed.field_set.iter() {
        let value = match value {
            FieldValue::F64(f) if !f.is_finite() => return Err("invalid number".into()),
            FieldValue::F64(f) => Value::Float(*f),
            FieldValue::I64(n) => Value::Int(*n),
            FieldValue::U64(n) => Value::UInt(*n),
            FieldValue::Boolean(b) => Value::Bool(*b),
            FieldValue::String(s) => Value::Str(s.to_string()),
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

fn reason(e: &LpError) -> String {
    match e {
        LpError::DuplicateTag { .. } => "duplicate tags".into(),
        LpError::MeasurementValueInvalid => "missing measurement".into(),
        LpError::FieldSetMissing => "missing fields".into(),
        LpError::IntegerValueInvalid { .. }
        | LpError::UIntegerValueInvalid { .. }
        | LpError::FloatValueInvalid { .. } => "invalid number".into(),
        LpError::TimestampValueInvalid { .. } => "bad timestamp".into(),
        LpError::TagSetMalformed => "missing tag value".into(),
        _ => "invalid field format".into(),
    }
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
        assert!(matches!(p[0].fields[3].1, Value::Str(ref s) if s == "x y"));
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
        assert!(parse("m,_field=x f=1", Precision::Ns, 0)
            .unwrap_err()
            .contains("reserved tag key"));
        assert!(parse("m f=1 99999999999999999999", Precision::Ns, 0)
            .unwrap_err()
            .contains("bad timestamp"));
    }
}
