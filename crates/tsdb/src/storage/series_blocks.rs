//! The blocks of a series in SQLite (`blocks`, keyed by series and the block's last time):
//! reading a range, merging a write in, cutting a delete out, and moving a store of the
//! layout before blocks into them. The blocks of a series never overlap in time.

use super::block::{self, BLOCK_POINTS};
use super::StorageError;
use crate::series::{ColType, FieldValue, Pick, SeriesMeta};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

/// A value of the layout before blocks (a `points` row), read once when the store migrates.
fn from_sql(ty: ColType, row: &rusqlite::Row, i: usize) -> rusqlite::Result<FieldValue> {
    Ok(match ty {
        ColType::Double => FieldValue::Float(row.get(i)?),
        ColType::Long => FieldValue::Int(row.get(i)?),
        ColType::ULong => FieldValue::UInt(row.get::<_, i64>(i)? as u64),
        ColType::Bool => FieldValue::Bool(row.get::<_, i64>(i)? != 0),
        ColType::String => FieldValue::Str(row.get(i)?),
        ColType::Time => FieldValue::Time(row.get(i)?),
    })
}

/// Points of one series with `start <= time < stop`, in time order.
pub(super) fn points_of(
    c: &Connection,
    series: &SeriesMeta,
    start: i64,
    stop: i64,
    pick: Pick,
) -> Result<Vec<(i64, FieldValue)>, StorageError> {
    let in_range = |t: i64| (start..stop).contains(&t);
    let sql = if pick == Pick::Last {
        "SELECT min_time, data FROM blocks WHERE series_id = ?1 AND max_time >= ?2 ORDER BY max_time DESC"
    } else {
        "SELECT min_time, data FROM blocks WHERE series_id = ?1 AND max_time >= ?2 ORDER BY max_time"
    };
    let mut stmt = c.prepare_cached(sql)?;
    let mut rows = stmt.query(params![series.id, start])?;
    let mut points = Vec::new();
    while let Some(row) = rows.next()? {
        let min_time: i64 = row.get(0)?;
        if min_time >= stop {
            match pick {
                Pick::Last => continue,
                _ => break,
            }
        }
        let data = row.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
        block::decode_into(data, series.ty, in_range, &mut points)?;
        match pick {
            Pick::All => {}
            // Blocks come in time order (newest first for `Last`): the first block
            // with a point in range has the answer.
            Pick::First if !points.is_empty() => {
                points.truncate(1);
                return Ok(points);
            }
            Pick::Last if !points.is_empty() => {
                return Ok(points.split_off(points.len() - 1));
            }
            Pick::First | Pick::Last => {}
        }
    }
    Ok(points)
}

/// Sorts a series' new points by time, the last written winning at equal times.
fn sorted_last_wins(mut points: Vec<(i64, FieldValue)>) -> Vec<(i64, FieldValue)> {
    points.reverse();
    points.sort_by_key(|(t, _)| *t); // stable: of equal times, the last written comes first
    points.dedup_by_key(|(t, _)| *t);
    points
}

/// Merges `new` into the sorted `old`; at equal times `new` wins.
fn merge(old: Vec<(i64, FieldValue)>, new: Vec<(i64, FieldValue)>) -> Vec<(i64, FieldValue)> {
    let mut merged = Vec::with_capacity(old.len() + new.len());
    let mut old = old.into_iter().peekable();
    for (t, v) in new {
        while let Some(o) = old.next_if(|(ot, _)| *ot <= t) {
            if o.0 < t {
                merged.push(o);
            }
        }
        merged.push((t, v));
    }
    merged.extend(old);
    merged
}

/// A stored block's key and size.
struct BlockRow {
    max_time: i64,
    min_time: i64,
    count: usize,
}

/// The blocks of a series overlapping `[lo, hi]`, in time order.
fn overlapping_blocks(
    tx: &Transaction,
    series_id: i64,
    lo: i64,
    hi: i64,
) -> Result<Vec<BlockRow>, StorageError> {
    let mut stmt = tx.prepare_cached(
        "SELECT max_time, min_time, count FROM blocks WHERE series_id = ?1 AND max_time >= ?2 ORDER BY max_time",
    )?;
    let mut rows = stmt.query(params![series_id, lo])?;
    let mut blocks = Vec::new();
    while let Some(row) = rows.next()? {
        let block = BlockRow {
            max_time: row.get(0)?,
            min_time: row.get(1)?,
            count: row.get::<_, i64>(2)? as usize,
        };
        if block.min_time > hi {
            break;
        }
        blocks.push(block);
    }
    Ok(blocks)
}

/// Takes a block out of the store and returns its points.
fn take_block(
    tx: &Transaction,
    series_id: i64,
    ty: ColType,
    max_time: i64,
) -> Result<Vec<(i64, FieldValue)>, StorageError> {
    let data: Vec<u8> = tx
        .prepare_cached("SELECT data FROM blocks WHERE series_id = ?1 AND max_time = ?2")?
        .query_row(params![series_id, max_time], |r| r.get(0))?;
    drop_block(tx, series_id, max_time)?;
    let mut points = Vec::new();
    block::decode_into(&data, ty, |_| true, &mut points)?;
    Ok(points)
}

/// Removes a block, unread.
fn drop_block(tx: &Transaction, series_id: i64, max_time: i64) -> Result<(), StorageError> {
    tx.prepare_cached("DELETE FROM blocks WHERE series_id = ?1 AND max_time = ?2")?
        .execute(params![series_id, max_time])?;
    Ok(())
}

/// Stores sorted points as blocks of at most `BLOCK_POINTS`.
fn put_blocks(
    tx: &Transaction,
    series_id: i64,
    ty: ColType,
    points: &[(i64, FieldValue)],
) -> Result<(), StorageError> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO blocks(series_id, max_time, min_time, count, data) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for chunk in points.chunks(BLOCK_POINTS) {
        let (first, last) = (chunk[0].0, chunk[chunk.len() - 1].0);
        let data = block::encode(chunk, ty)?;
        insert.execute(params![series_id, last, first, chunk.len() as i64, data])?;
    }
    Ok(())
}

/// Writes a series' new points: the blocks they overlap, and the block just before them if
/// it has room (a device appending a point at a time), are merged with them and rewritten.
pub(super) fn merge_into_blocks(
    tx: &Transaction,
    series_id: i64,
    ty: ColType,
    points: Vec<(i64, FieldValue)>,
) -> Result<(), StorageError> {
    let new = sorted_last_wins(points);
    let (Some((lo, _)), Some((hi, _))) = (new.first(), new.last()) else {
        return Ok(());
    };
    let mut rewritten: Vec<i64> = overlapping_blocks(tx, series_id, *lo, *hi)?
        .iter()
        .map(|b| b.max_time)
        .collect();
    let before: Option<(i64, i64)> = tx
        .prepare_cached(
            "SELECT max_time, count FROM blocks WHERE series_id = ?1 AND max_time < ?2 ORDER BY max_time DESC LIMIT 1",
        )?
        .query_row(params![series_id, lo], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if let Some((max_time, _)) = before.filter(|(_, count)| (*count as usize) < BLOCK_POINTS) {
        rewritten.insert(0, max_time);
    }
    let mut old = Vec::new();
    for max_time in rewritten {
        old.extend(take_block(tx, series_id, ty, max_time)?);
    }
    put_blocks(tx, series_id, ty, &merge(old, new))
}

/// Removes a series' points with `start <= time <= stop`; returns how many went. Blocks
/// wholly inside the range go without being read.
pub(super) fn delete_from_blocks(
    tx: &Transaction,
    series: &SeriesMeta,
    start: i64,
    stop: i64,
) -> Result<usize, StorageError> {
    let mut deleted = 0;
    for b in overlapping_blocks(tx, series.id, start, stop)? {
        if start <= b.min_time && b.max_time <= stop {
            drop_block(tx, series.id, b.max_time)?;
            deleted += b.count;
        } else {
            let mut points = take_block(tx, series.id, series.ty, b.max_time)?;
            points.retain(|(t, _)| !(start..=stop).contains(t));
            deleted += b.count - points.len();
            put_blocks(tx, series.id, series.ty, &points)?;
        }
    }
    Ok(deleted)
}

/// Moves the points of the layout before blocks (one `points` row per value) into blocks,
/// in one transaction, and drops the old table.
pub(super) fn migrate_point_rows<'s>(
    conn: &mut Connection,
    all_series: impl Iterator<Item = &'s SeriesMeta>,
) -> Result<(), StorageError> {
    let exists: bool = conn.query_row(
        "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'points'",
        [],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(());
    }
    let tx = conn.transaction()?;
    {
        let mut select =
            tx.prepare("SELECT time, value FROM points WHERE series_id = ?1 ORDER BY time")?;
        // A block's worth at a time: memory stays bounded whatever a series holds.
        let mut block = Vec::with_capacity(BLOCK_POINTS);
        for series in all_series {
            let mut rows = select.query([series.id])?;
            while let Some(row) = rows.next()? {
                block.push((row.get(0)?, from_sql(series.ty, row, 1)?));
                if block.len() == BLOCK_POINTS {
                    put_blocks(&tx, series.id, series.ty, &block)?;
                    block.clear();
                }
            }
            put_blocks(&tx, series.id, series.ty, &block)?;
            block.clear();
        }
    }
    tx.execute_batch("DROP TABLE points")?;
    tx.commit()?;
    Ok(())
}
