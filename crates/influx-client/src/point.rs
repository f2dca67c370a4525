//! Points and their line protocol, escaped by InfluxData's `LineProtocolBuilder`.

use crate::Error;
use influxdb_line_protocol::{builder, LineProtocolBuilder};

/// A typed field value.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldValue {
    Float(f64),
    Integer(i64),
    Unsigned(u64),
    String(String),
    Boolean(bool),
}

impl From<f64> for FieldValue {
    fn from(v: f64) -> Self {
        FieldValue::Float(v)
    }
}
impl From<i64> for FieldValue {
    fn from(v: i64) -> Self {
        FieldValue::Integer(v)
    }
}
impl From<u64> for FieldValue {
    fn from(v: u64) -> Self {
        FieldValue::Unsigned(v)
    }
}
impl From<bool> for FieldValue {
    fn from(v: bool) -> Self {
        FieldValue::Boolean(v)
    }
}
impl From<&str> for FieldValue {
    fn from(v: &str) -> Self {
        FieldValue::String(v.to_string())
    }
}
impl From<String> for FieldValue {
    fn from(v: String) -> Self {
        FieldValue::String(v)
    }
}

/// One point: `Point::new("environment").tag("clientId", id).field("Temperature", 21.5)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    measurement: String,
    tags: Vec<(String, String)>,
    fields: Vec<(String, FieldValue)>,
    /// In the precision of the write; `None` lets the server stamp it.
    time: Option<i64>,
}

impl Point {
    pub fn new(measurement: impl Into<String>) -> Point {
        Point {
            measurement: measurement.into(),
            tags: Vec::new(),
            fields: Vec::new(),
            time: None,
        }
    }
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Point {
        self.tags.push((key.into(), value.into()));
        self
    }
    pub fn field(mut self, key: impl Into<String>, value: impl Into<FieldValue>) -> Point {
        self.fields.push((key.into(), value.into()));
        self
    }
    pub fn time(mut self, time: i64) -> Point {
        self.time = Some(time);
        self
    }

    /// Checks what line protocol cannot carry, before anything is sent.
    fn validate(&self) -> Result<(), Error> {
        let bad = |what: &str, s: &str| {
            if s.is_empty() {
                Some(format!("empty {what}"))
            } else if s.contains(['\n', '\r']) || s.ends_with('\\') {
                Some(format!(
                    "{what} {s:?} contains a line break or ends with a backslash"
                ))
            } else {
                None
            }
        };
        let problem = bad("measurement", &self.measurement)
            .or_else(|| {
                self.tags
                    .iter()
                    .find_map(|(k, v)| bad("tag key", k).or_else(|| bad("tag value", v)))
            })
            .or_else(|| self.fields.iter().find_map(|(k, _)| bad("field key", k)))
            .or_else(|| {
                self.fields
                    .is_empty()
                    .then(|| format!("point {:?} has no fields", self.measurement))
            })
            .or_else(|| {
                self.fields.iter().find_map(|(k, v)| match v {
                    FieldValue::Float(f) if !f.is_finite() => {
                        Some(format!("field {k:?} is {f}, which InfluxDB cannot store"))
                    }
                    _ => None,
                })
            });
        problem.map_or(Ok(()), |p| Err(Error::InvalidPoint(p)))
    }
}

/// Line protocol for `points`, one line each.
pub fn to_line_protocol(points: &[Point]) -> Result<Vec<u8>, Error> {
    let mut buf = Vec::new();
    for point in points {
        point.validate()?;
        let mut tags = point.tags.clone();
        tags.sort();
        let mut line = LineProtocolBuilder::new_with(buf).measurement(&point.measurement);
        for (k, v) in &tags {
            line = line.tag(k, v);
        }
        let (first_key, first_value) = &point.fields[0];
        let mut line = add_field(line, first_key, first_value);
        for (k, v) in &point.fields[1..] {
            line = add_field(line, k, v);
        }
        buf = match point.time {
            Some(t) => line.timestamp(t).close_line().build(),
            None => line.close_line().build(),
        };
    }
    Ok(buf)
}

type AfterField = LineProtocolBuilder<Vec<u8>, builder::AfterField>;

/// Adds one typed field, in either builder state that accepts fields.
fn add_field(line: impl FieldTarget, key: &str, value: &FieldValue) -> AfterField {
    match value {
        FieldValue::Float(v) => line.add(key, *v),
        FieldValue::Integer(v) => line.add(key, *v),
        FieldValue::Unsigned(v) => line.add(key, *v),
        FieldValue::String(v) => line.add(key, v.as_str()),
        FieldValue::Boolean(v) => line.add(key, *v),
    }
}

/// The two builder states that take a field, behind one method.
trait FieldTarget {
    fn add<F: builder::FieldValue>(self, key: &str, value: F) -> AfterField;
}

impl FieldTarget for LineProtocolBuilder<Vec<u8>, builder::AfterMeasurement> {
    fn add<F: builder::FieldValue>(self, key: &str, value: F) -> AfterField {
        self.field(key, value)
    }
}

impl FieldTarget for AfterField {
    fn add<F: builder::FieldValue>(self, key: &str, value: F) -> AfterField {
        self.field(key, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_element() {
        let p = Point::new("my meas,x")
            .tag("tag key", "a=b,c d")
            .field("f key", "say \"hi\" \\ there")
            .field("n", 3i64)
            .field("u", 4u64)
            .field("b", true)
            .field("x", 1.5)
            .time(7);
        let lp = String::from_utf8(to_line_protocol(&[p]).unwrap()).unwrap();
        assert_eq!(lp, "my\\ meas\\,x,tag\\ key=a\\=b\\,c\\ d f\\ key=\"say \\\"hi\\\" \\\\ there\",n=3i,u=4u,b=true,x=1.5 7\n");
        let parsed: Vec<_> = influxdb_line_protocol::parse_lines(lp.trim_end())
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(parsed[0].series.measurement.as_str(), "my meas,x");
    }

    #[test]
    fn refuses_what_line_protocol_cannot_carry() {
        assert_eq!(
            to_line_protocol(&[Point::new("m")])
                .unwrap_err()
                .to_string(),
            "invalid point: point \"m\" has no fields"
        );
        assert_eq!(
            to_line_protocol(&[Point::new("m").tag("k", "a\nb").field("v", 1.0)])
                .unwrap_err()
                .to_string(),
            "invalid point: tag value \"a\\nb\" contains a line break or ends with a backslash"
        );
        assert_eq!(
            to_line_protocol(&[Point::new("").field("v", 1.0)])
                .unwrap_err()
                .to_string(),
            "invalid point: empty measurement"
        );
        assert_eq!(
            to_line_protocol(&[Point::new("m").field("v", f64::NAN)])
                .unwrap_err()
                .to_string(),
            "invalid point: field \"v\" is NaN, which InfluxDB cannot store"
        );
    }
}
