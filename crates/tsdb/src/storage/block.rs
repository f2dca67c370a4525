//! The encoding of a block: up to `BLOCK_POINTS` points of one series in time order, stored
//! as one SQLite blob. One row per block instead of one per value is what makes ingest and
//! long-range reads fast (BENCHMARKS.md); SQLite still does the durable part.
//!
//! Layout: varint count; times as zigzag varints of delta-of-delta (regular intervals cost a
//! byte); values by the series' type: floats as 8 little-endian bytes, integers as zigzag
//! varint deltas, booleans as a byte, strings as varint length and UTF-8 bytes.

use super::StorageError;
use crate::series::{ColType, FieldValue};

/// Points per block at most: large enough that a month of 1-minute data is ~40 rows per
/// series, small enough that appending to the newest block rewrites a few KB.
pub const BLOCK_POINTS: usize = 1024;

/// Encodes points of a series of type `ty`; a value of another type is refused.
pub fn encode(points: &[(i64, FieldValue)], ty: ColType) -> Result<Vec<u8>, StorageError> {
    let mut out = Vec::with_capacity(points.len() * 10 + 4);
    put_varint(&mut out, points.len() as u64);
    let (mut prev, mut prev_delta) = (0i64, 0i64);
    for (i, (t, _)) in points.iter().enumerate() {
        let delta = if i == 0 { *t } else { t.wrapping_sub(prev) };
        put_varint(&mut out, zigzag(delta.wrapping_sub(prev_delta)));
        (prev, prev_delta) = (*t, if i == 0 { 0 } else { delta });
    }
    let mut prev_int = 0i64;
    for (_, v) in points {
        match (ty, v) {
            (ColType::Double, FieldValue::Float(f)) => out.extend_from_slice(&f.to_le_bytes()),
            (ColType::Long | ColType::Time, FieldValue::Int(n) | FieldValue::Time(n)) => {
                put_varint(&mut out, zigzag(n.wrapping_sub(prev_int)));
                prev_int = *n;
            }
            (ColType::ULong, FieldValue::UInt(n)) => {
                let n = *n as i64;
                put_varint(&mut out, zigzag(n.wrapping_sub(prev_int)));
                prev_int = n;
            }
            (ColType::Bool, FieldValue::Bool(b)) => out.push(*b as u8),
            (ColType::String, FieldValue::Str(s)) => {
                put_varint(&mut out, s.len() as u64);
                out.extend_from_slice(s.as_bytes());
            }
            _ => {
                return Err(StorageError::Invalid(format!(
                    "storage: a {:?} value in a {ty:?} series",
                    v.col_type()
                )))
            }
        }
    }
    Ok(out)
}

/// Decodes a block; a damaged blob is an error, never a panic.
#[cfg(test)]
pub fn decode(bytes: &[u8], ty: ColType) -> Result<Vec<(i64, FieldValue)>, StorageError> {
    let mut points = Vec::new();
    decode_into(bytes, ty, |_| true, &mut points)?;
    Ok(points)
}

/// Decodes a block, appending the points whose time `keep` accepts to `out` (straight into
/// the caller's vector: long reads decode hundreds of blocks). A damaged blob is an error.
pub fn decode_into(
    bytes: &[u8],
    ty: ColType,
    keep: impl Fn(i64) -> bool,
    out: &mut Vec<(i64, FieldValue)>,
) -> Result<(), StorageError> {
    let mut r = Reader { bytes, at: 0 };
    let before = out.len();
    let decoded = r.points(ty, keep, out);
    if decoded.is_none() || r.at != bytes.len() {
        out.truncate(before);
        return Err(StorageError::Invalid(format!(
            "storage: damaged block at byte {}",
            r.at
        )));
    }
    Ok(())
}

fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

fn unzigzag(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

/// Reading stops at the first byte that does not fit (`None`); `decode_into` reports where.
impl Reader<'_> {
    fn points(
        &mut self,
        ty: ColType,
        keep: impl Fn(i64) -> bool,
        out: &mut Vec<(i64, FieldValue)>,
    ) -> Option<()> {
        let count = self.varint()? as usize;
        // Every point takes at least a byte: a larger count is damage, not a reason to allocate.
        if count > self.bytes.len() {
            return None;
        }
        let mut times = Vec::with_capacity(count);
        let (mut prev, mut prev_delta) = (0i64, 0i64);
        for i in 0..count {
            let delta = unzigzag(self.varint()?).wrapping_add(prev_delta);
            let t = if i == 0 {
                delta
            } else {
                prev.wrapping_add(delta)
            };
            (prev, prev_delta) = (t, if i == 0 { 0 } else { delta });
            times.push(t);
        }
        out.reserve(count);
        let mut push = |t: i64, value: FieldValue| {
            if keep(t) {
                out.push((t, value));
            }
        };
        // A loop per type: one `match` per point made the decoder several times slower.
        match ty {
            ColType::Double => {
                let floats = self.take(count.checked_mul(8)?)?;
                for (t, bytes) in times.into_iter().zip(floats.chunks_exact(8)) {
                    let bits = u64::from_le_bytes(<[u8; 8]>::try_from(bytes).ok()?);
                    push(t, FieldValue::Float(f64::from_bits(bits)));
                }
            }
            ColType::Long | ColType::ULong | ColType::Time => {
                let mut n = 0i64;
                for t in times {
                    n = n.wrapping_add(unzigzag(self.varint()?));
                    push(
                        t,
                        match ty {
                            ColType::Long => FieldValue::Int(n),
                            ColType::ULong => FieldValue::UInt(n as u64),
                            _ => FieldValue::Time(n),
                        },
                    );
                }
            }
            ColType::Bool => {
                for (t, byte) in times.into_iter().zip(self.take(count)?) {
                    push(t, FieldValue::Bool(*byte != 0));
                }
            }
            ColType::String => {
                for t in times {
                    let len = self.varint()? as usize;
                    push(
                        t,
                        FieldValue::Str(String::from_utf8(self.take(len)?.to_vec()).ok()?),
                    );
                }
            }
        }
        Some(())
    }

    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Some(slice)
    }

    fn varint(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.bytes.get(self.at)?;
            self.at += 1;
            n |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Some(n);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn same(a: &[(i64, FieldValue)], b: &[(i64, FieldValue)]) -> bool {
        a.len() == b.len()
            && a.iter().zip(b).all(|((ta, va), (tb, vb))| {
                ta == tb
                    && match (va, vb) {
                        (FieldValue::Float(x), FieldValue::Float(y)) => x.to_bits() == y.to_bits(),
                        (FieldValue::Int(x), FieldValue::Int(y)) => x == y,
                        (FieldValue::UInt(x), FieldValue::UInt(y)) => x == y,
                        (FieldValue::Bool(x), FieldValue::Bool(y)) => x == y,
                        (FieldValue::Str(x), FieldValue::Str(y)) => x == y,
                        _ => false,
                    }
            })
    }

    #[test]
    fn regular_minute_data_costs_about_nine_bytes_a_float() {
        let points: Vec<_> = (0..1000)
            .map(|i| {
                (
                    1_700_000_000_000_000_000 + i * 60_000_000_000,
                    FieldValue::Float(i as f64 / 3.0),
                )
            })
            .collect();
        let bytes = encode(&points, ColType::Double).unwrap();
        assert!(bytes.len() < 1000 * 9 + 32, "{} bytes", bytes.len());
        assert!(same(&decode(&bytes, ColType::Double).unwrap(), &points));
    }

    #[test]
    fn damaged_blocks_are_errors() {
        let points = vec![
            (1, FieldValue::Str("héllo".into())),
            (2, FieldValue::Str("x".into())),
        ];
        let bytes = encode(&points, ColType::String).unwrap();
        for cut in 0..bytes.len() {
            assert!(
                decode(&bytes[..cut], ColType::String).is_err(),
                "cut at {cut}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(&longer, ColType::String).is_err());
        assert!(decode(&[0xff; 12], ColType::Double).is_err());
    }

    fn value(ty: ColType) -> BoxedStrategy<FieldValue> {
        match ty {
            ColType::Double => any::<f64>().prop_map(FieldValue::Float).boxed(),
            ColType::Long => any::<i64>().prop_map(FieldValue::Int).boxed(),
            ColType::ULong => any::<u64>().prop_map(FieldValue::UInt).boxed(),
            ColType::Bool => any::<bool>().prop_map(FieldValue::Bool).boxed(),
            _ => ".{0,12}".prop_map(FieldValue::Str).boxed(),
        }
    }

    fn block() -> impl Strategy<Value = (ColType, Vec<(i64, FieldValue)>)> {
        prop_oneof![
            Just(ColType::Double),
            Just(ColType::Long),
            Just(ColType::ULong),
            Just(ColType::Bool),
            Just(ColType::String)
        ]
        .prop_flat_map(|ty| {
            let points = proptest::collection::btree_map(any::<i64>(), value(ty), 0..64)
                .prop_map(|m| m.into_iter().collect::<Vec<_>>());
            (Just(ty), points)
        })
    }

    proptest! {
        #[test]
        fn blocks_decode_to_what_was_encoded((ty, points) in block()) {
            let decoded = decode(&encode(&points, ty).unwrap(), ty).unwrap();
            prop_assert!(same(&decoded, &points));
        }
    }
}
