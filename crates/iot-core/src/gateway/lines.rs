//! A device's request body, line by line: each line parsed by InfluxData's parser, checked
//! against the device's identity and the measurements IoT Center keeps for itself, and
//! rewritten for InfluxDB — the device's id added where the line does not name it, the time
//! of receipt where the line has none (so a shared, later write changes no point's time).

use super::{Bounds, Precision, Refused};
use crate::layout::{DEVICE_TAGS, RESERVED_MEASUREMENTS, WRITTEN_DEVICE_TAG};
use influxdb_line_protocol::{parse_lines, split_lines, FieldValue};
use iot_models::DeviceId;
use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

/// The most tags one line may carry: a device's sensor tags fit several times over, and a
/// line of thousands of tags is one series too large to chart.
pub const MAX_TAGS_PER_LINE: usize = 32;

/// A body that passed every check, ready for InfluxDB.
#[derive(Debug, Default)]
pub struct Checked {
    /// The lines as InfluxDB gets them, each ending in a newline.
    pub body: Vec<u8>,
    pub lines: usize,
    /// The series the lines write to, as hashes of measurement and sorted tags.
    pub series: HashSet<u64>,
    /// The field names they use, as hashes of measurement and field name.
    pub fields: HashSet<u64>,
    /// The latest point's time, in nanoseconds.
    pub latest: i64,
}

pub fn too_large(max_bytes: usize) -> Refused {
    Refused::TooLarge(format!(
        "unable to read data: points batch is larger than the device limit of {max_bytes} bytes"
    ))
}

/// The precision of a body that does not say it (MQTT): by the digits of its largest
/// timestamp, as InfluxDB 3's `auto` reads them — up to 10 seconds, 11–13 milliseconds,
/// 14–16 microseconds, more nanoseconds (any time from 1973 to 2286 is read right). Without
/// timestamps it does not matter: nanoseconds.
pub fn inferred_precision(body: &str) -> Precision {
    let digits = split_lines(body)
        .filter_map(|line| line.trim().rsplit_once(' '))
        .map(|(_, last)| last.trim_start_matches('-'))
        .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
        .map(|t| t.trim_start_matches('0').len())
        .max();
    match digits {
        Some(0..=10) => Precision::S,
        Some(11..=13) => Precision::Ms,
        Some(14..=16) => Precision::Us,
        _ => Precision::Ns,
    }
}

/// Checks every line of `body` for device `id`; `now` (nanoseconds) stamps lines without a
/// time. The first line that fails refuses the whole body.
pub fn check(
    body: &str,
    id: &DeviceId,
    precision: Precision,
    now: i64,
    bounds: &Bounds,
) -> Result<Checked, Refused> {
    let unit = precision.nanos();
    let stamp = now / unit;
    let mut out = Checked {
        body: Vec::with_capacity(body.len() + body.len() / 8),
        latest: i64::MIN,
        ..Checked::default()
    };
    for line in split_lines(body) {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        out.lines += 1;
        if out.lines > bounds.max_lines {
            return Err(Refused::TooLarge(format!(
                "a device may send at most {} lines per request",
                bounds.max_lines
            )));
        }
        check_line(line, id, unit, stamp, &mut out).map_err(|refusal| refusal.of_line(line))?;
    }
    if out.lines == 0 {
        return Err(Refused::Invalid("writing requires points".into()));
    }
    Ok(out)
}

/// Why one line was refused, before the line is quoted.
enum LineRefusal {
    Bad(String),
    Forbidden(String),
}

impl LineRefusal {
    fn of_line(self, line: &str) -> Refused {
        match self {
            LineRefusal::Bad(reason) => {
                Refused::Invalid(format!("unable to parse '{}': {reason}", shortened(line)))
            }
            LineRefusal::Forbidden(reason) => {
                Refused::Forbidden(format!("line '{}' refused: {reason}", shortened(line)))
            }
        }
    }
}

fn check_line(
    line: &str,
    id: &DeviceId,
    unit: i64,
    stamp: i64,
    out: &mut Checked,
) -> Result<(), LineRefusal> {
    let parsed = parse_lines(line)
        .next()
        .ok_or_else(|| LineRefusal::Bad("missing fields".into()))?
        .map_err(|e| LineRefusal::Bad(e.to_string()))?;
    let measurement = parsed.series.measurement.as_str();
    if RESERVED_MEASUREMENTS.contains(&measurement) {
        return Err(LineRefusal::Forbidden(format!(
            "measurement {measurement:?} is IoT Center's own"
        )));
    }
    let mut tags: Vec<(&str, &str)> = parsed
        .series
        .tag_set
        .iter()
        .flatten()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    if tags.len() > MAX_TAGS_PER_LINE {
        return Err(LineRefusal::Bad(format!(
            "{} tags; a line may have at most {MAX_TAGS_PER_LINE}",
            tags.len()
        )));
    }
    let mut named = false;
    for (key, value) in &tags {
        if DEVICE_TAGS.contains(key) {
            if *value != id.as_str() {
                return Err(LineRefusal::Forbidden(format!(
                    "tag {key}={value} names another device; this token writes for {id} only"
                )));
            }
            named |= *key == WRITTEN_DEVICE_TAG;
        }
    }
    if !named {
        tags.push((WRITTEN_DEVICE_TAG, id.as_str()));
    }
    tags.sort_unstable();
    let mut series = DefaultHasher::new();
    (measurement, &tags).hash(&mut series);
    out.series.insert(series.finish());
    for (name, value) in parsed.field_set.iter() {
        if matches!(value, FieldValue::F64(f) if !f.is_finite()) {
            return Err(LineRefusal::Bad("invalid number".into()));
        }
        let mut field = DefaultHasher::new();
        (measurement, name.as_str()).hash(&mut field);
        out.fields.insert(field.finish());
    }
    let time = parsed.timestamp.unwrap_or(stamp);
    let nanos = time
        .checked_mul(unit)
        .ok_or_else(|| LineRefusal::Bad("bad timestamp".into()))?;
    out.latest = out.latest.max(nanos);

    let series_end = series_end(line);
    out.body.extend_from_slice(&line.as_bytes()[..series_end]);
    if !named {
        out.body.push(b',');
        out.body.extend_from_slice(WRITTEN_DEVICE_TAG.as_bytes());
        out.body.push(b'=');
        out.body.extend_from_slice(id.as_str().as_bytes());
    }
    out.body.extend_from_slice(&line.as_bytes()[series_end..]);
    if parsed.timestamp.is_none() {
        out.body.extend_from_slice(format!(" {stamp}").as_bytes());
    }
    out.body.push(b'\n');
    Ok(())
}

/// Where a line's series key (measurement and tags) ends: its first space not escaped.
fn series_end(line: &str) -> usize {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b' ' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// A bad line as quoted in an error: at most 200 characters of it.
fn shortened(line: &str) -> std::borrow::Cow<'_, str> {
    const MAX: usize = 200;
    match line.char_indices().nth(MAX) {
        None => line.into(),
        Some((cut, _)) => format!("{}…", &line[..cut]).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> DeviceId {
        DeviceId::parse("dev-1").unwrap()
    }

    fn run(body: &str) -> Result<Checked, Refused> {
        check(
            body,
            &id(),
            Precision::S,
            1_700_000_000_123_456_789,
            &Bounds::default(),
        )
    }

    fn text(c: &Checked) -> &str {
        std::str::from_utf8(&c.body).unwrap()
    }

    #[test]
    fn lines_get_the_device_id_and_a_time_when_they_lack_them() {
        let c =
            run("environment,Sensor=a Temperature=21.5 1700000000\n\n# note\nenvironment T=1i\n")
                .unwrap();
        assert_eq!(
            text(&c),
            "environment,Sensor=a,clientId=dev-1 Temperature=21.5 1700000000\n\
             environment,clientId=dev-1 T=1i 1700000000\n"
        );
        assert_eq!((c.lines, c.series.len(), c.fields.len()), (2, 2, 2));
        assert_eq!(c.latest, 1_700_000_000_000_000_000);
        // A line that names the device already is forwarded as it came.
        let own = "environment,clientId=dev-1,x\\ y=a\\,b f=\"a b\" 5";
        assert_eq!(text(&run(own).unwrap()), format!("{own}\n"));
        // The tutorial's tag counts as the device's too.
        let tutorial = run("environment,device=dev-1 f=1 5").unwrap();
        assert_eq!(
            text(&tutorial),
            "environment,device=dev-1,clientId=dev-1 f=1 5\n"
        );
    }

    #[test]
    fn another_devices_id_and_the_apps_measurements_are_refused() {
        for line in [
            "environment,clientId=dev-2 f=1",
            "environment,device=dev-2 f=1",
            "environment,clientId=dev-1,device=dev-2 f=1",
        ] {
            let e = run(&format!("environment f=1\n{line}")).unwrap_err();
            assert!(
                matches!(&e, Refused::Forbidden(m) if m.contains("another device")),
                "{e:?}"
            );
        }
        for m in ["deviceauth", "alerts", "iot_center_app"] {
            let e = run(&format!("{m},rule=r state=\"firing\"")).unwrap_err();
            assert!(
                matches!(&e, Refused::Forbidden(msg) if msg.contains("IoT Center's own")),
                "{e:?}"
            );
        }
    }

    #[test]
    fn bad_lines_are_quoted_and_bounds_hold_at_and_past_them() {
        let e = run("environment f=1\nenvironment f=\n").unwrap_err();
        assert!(
            matches!(&e, Refused::Invalid(m) if m.starts_with("unable to parse 'environment f='")),
            "{e:?}"
        );
        assert!(
            matches!(run("").unwrap_err(), Refused::Invalid(m) if m == "writing requires points")
        );
        assert!(matches!(run("m f=NaN").unwrap_err(), Refused::Invalid(_)));
        assert!(
            matches!(run("m f=1 99999999999999999").unwrap_err(), Refused::Invalid(m) if m.contains("bad timestamp"))
        );
        let tags = |n: usize| (0..n).map(|i| format!(",t{i}=v")).collect::<String>();
        assert!(run(&format!("m{} f=1", tags(MAX_TAGS_PER_LINE - 1))).is_ok());
        assert!(matches!(
            run(&format!("m{} f=1", tags(MAX_TAGS_PER_LINE + 1))).unwrap_err(),
            Refused::Invalid(_)
        ));
        let bounds = Bounds {
            max_lines: 3,
            ..Bounds::default()
        };
        let lines = |n: usize| "m f=1\n".repeat(n);
        assert!(check(&lines(3), &id(), Precision::Ns, 0, &bounds).is_ok());
        assert!(matches!(
            check(&lines(4), &id(), Precision::Ns, 0, &bounds),
            Err(Refused::TooLarge(_))
        ));
    }

    #[test]
    fn a_precision_not_given_is_read_from_the_timestamps() {
        for (body, precision) in [
            ("m v=1 1765000000", Precision::S),
            ("m v=1 1765000000123", Precision::Ms),
            ("m v=1 1765000000123456", Precision::Us),
            ("m v=1 1765000000123456789", Precision::Ns),
            ("m v=1 100000000", Precision::S),
            ("m v=1", Precision::Ns),
            ("m s=\"at 1765000000123\"", Precision::Ns),
            ("m v=1 1765000000\nm v=2 1765000000123456789", Precision::Ns),
        ] {
            assert_eq!(inferred_precision(body), precision, "{body:?}");
        }
    }
}
