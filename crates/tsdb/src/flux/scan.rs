//! Running storage reads: the series a read selects, their points read on several threads,
//! and the tables made of them as they arrive.

use super::args::truthy;
use super::limits::Budget;
use super::read;
use super::reduce::{aggregate_type, window_value};
use super::runtime::Runtime;
use super::value::table::Table;
use super::value::{ReadPlan, Stream, Value, Windowing};
use super::FluxError;
use crate::series::{FieldValue, Pick, SeriesMeta};
use std::ops::ControlFlow;
use std::sync::Arc;

/// Turns a stream into tables, reading storage if it is still a read.
pub fn materialize(it: &mut dyn Runtime, stream: Stream) -> Result<Vec<Table>, FluxError> {
    let (plan, windows) = match stream {
        Stream::Tables(t) => return Ok(t),
        Stream::Unbounded(bucket) => {
            return Err(FluxError::Invalid(format!(
                "cannot submit unbounded read to \"{bucket}\"; try bounding 'from' with a call to 'range'"
            )))
        }
        Stream::Read(plan) => (plan, None),
        Stream::Windows(plan, function, w) => (plan, Some((function, w))),
    };
    let mut out = Vec::new();
    read_tables(it, &plan, windows, |_, table| {
        out.push(table);
        Ok(())
    })?;
    Ok(out)
}

/// Series read at first in one go: as many as threads read at once, twice over.
const FIRST_BATCH_SERIES: usize = 4;
/// A batch that read fewer points than this is followed by one of twice as many series.
const SMALL_BATCH_POINTS: usize = 100_000;

/// The tables of a storage read, one per series with points left after the row filters
/// (or with the `windows` of a built-in aggregate), handed to `each` as they are read. A few
/// series are read at a time, more while they are small, so a large read holds a few
/// series' points at once, not all of them.
pub fn read_tables(
    it: &mut dyn Runtime,
    plan: &ReadPlan,
    windows: Option<(&'static str, Windowing)>,
    mut each: impl FnMut(&mut dyn Runtime, Table) -> Result<(), FluxError>,
) -> Result<(), FluxError> {
    let selection = select_series(it, plan)?;
    let mut rest = selection.series;
    // `first`/`last` read one point a series: all of them at once hold little.
    let mut batch = match plan.pick {
        Pick::All => FIRST_BATCH_SERIES,
        Pick::First | Pick::Last => rest.len(),
    };
    while !rest.is_empty() {
        let later = rest.split_off(batch.min(rest.len()));
        let now = std::mem::replace(&mut rest, later);
        let mut points_read = 0;
        if let Some((function, w)) = &windows {
            let read = |s: &SeriesMeta, points: Vec<(i64, Value)>, budget: &Budget| {
                let count = points.len();
                Ok((count, window_table(plan, s, points, function, w, budget)?))
            };
            for (_, (count, table)) in read_selected(it, plan, selection.start, now, read)? {
                points_read += count;
                if let Some(table) = table {
                    each(it, table)?;
                }
            }
        } else {
            for (series, points) in read_selected(it, plan, selection.start, now, |_, p, _| Ok(p))?
            {
                points_read += points.len();
                let mut table = read::series_table(plan, &series);
                'points: for (time, value) in points {
                    let row = read::series_row(&table, time, value);
                    for f in &plan.row_filters {
                        if !truthy(&it.call_row(f, table.record(&row))?) {
                            continue 'points;
                        }
                    }
                    table.rows.push(row);
                }
                if !table.rows.is_empty() {
                    each(it, table)?;
                }
            }
        }
        if points_read < SMALL_BATCH_POINTS {
            batch *= 2;
        }
    }
    Ok(())
}

/// Reads of only the first or last point of fewer series than this run on one thread.
const PARALLEL_PICKS: usize = 64;

/// The series a read selects, each with what `then` makes of its points, in series order.
/// `then` charges the budget for any rows it makes.
pub fn read_series_then<T: Send>(
    it: &mut dyn Runtime,
    plan: &ReadPlan,
    then: impl Fn(&SeriesMeta, Vec<(i64, Value)>, &Budget) -> Result<T, FluxError> + Sync,
) -> Result<Vec<(Arc<SeriesMeta>, T)>, FluxError> {
    let selection = select_series(it, plan)?;
    read_selected(it, plan, selection.start, selection.series, then)
}

/// The series of a read that its series filters keep, and where in time it starts.
struct Selection {
    /// The read's start, moved up to the bucket's retention.
    start: i64,
    series: Vec<Arc<SeriesMeta>>,
}

fn select_series(it: &mut dyn Runtime, plan: &ReadPlan) -> Result<Selection, FluxError> {
    let bucket = it.source().bucket(&plan.bucket)?;
    let start = plan.start.max(bucket.expired_before.unwrap_or(i64::MIN));
    let filters: Vec<_> = plan
        .series_filters
        .iter()
        .map(|f| (f, read::KeyMatch::of(f)))
        .collect();
    let having: Vec<(&str, &str)> = filters
        .iter()
        .filter_map(|(_, m)| m.as_ref())
        .flat_map(|m| m.required_tags())
        .collect();
    let mut selected = Vec::new();
    'series: for s in it.source().series(&bucket, &having)?.iter() {
        if !s.span.overlaps(start, plan.stop) {
            continue;
        }
        for (f, key_match) in &filters {
            let keep = match key_match {
                Some(m) => m.matches(s),
                None => truthy(&it.call_row(f, read::series_record(plan, s))?),
            };
            if !keep {
                continue 'series;
            }
        }
        selected.push(s.clone());
    }
    Ok(Selection {
        start,
        series: selected,
    })
}

/// `then` of the points of each of `selected`. Reading points is most of a query's time, so
/// the series are read on as many threads as there are cores, each with its own connection,
/// and `then` runs there too, right after the read.
fn read_selected<T: Send>(
    it: &mut dyn Runtime,
    plan: &ReadPlan,
    start: i64,
    selected: Vec<Arc<SeriesMeta>>,
    then: impl Fn(&SeriesMeta, Vec<(i64, Value)>, &Budget) -> Result<T, FluxError> + Sync,
) -> Result<Vec<(Arc<SeriesMeta>, T)>, FluxError> {
    let (source, budget) = (it.source(), it.budget());
    // A chunk of series per thread, read in one transaction; `then` runs on each series as
    // soon as it is read, while its points are fresh in the cache. Every series' points count
    // against the query's row limit, and reading stops at the first that is past it.
    let read = |chunk: &[Arc<SeriesMeta>]| -> Vec<Result<T, FluxError>> {
        let mut done = Vec::with_capacity(chunk.len());
        let mut series = chunk.iter();
        let mut each = |points: Vec<(i64, FieldValue)>| {
            let points: Vec<(i64, Value)> =
                points.into_iter().map(|(t, v)| (t, v.into())).collect();
            let result = budget.charge(points.len()).and_then(|()| {
                series
                    .next()
                    .map_or(Ok(None), |s| then(s, points, budget).map(Some))
            });
            match result {
                Ok(Some(t)) => done.push(Ok(t)),
                Ok(None) => {}
                Err(e) => {
                    done.push(Err(e));
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        };
        let read = if start < plan.stop {
            source.points(chunk, start, plan.stop, plan.pick, &mut each)
        } else {
            for _ in chunk {
                let _ = each(Vec::new());
            }
            Ok(())
        };
        if let Err(e) = read {
            done.push(Err(e));
        }
        // A stop leaves the chunk's other series without a result: they share its error.
        if let Some(Err(e)) = done.last() {
            let e = e.clone();
            done.resize_with(chunk.len(), || Err(e.clone()));
        }
        done
    };
    // Starting a thread costs more than reading a few series' first or last points.
    let threads = if plan.pick != Pick::All && selected.len() < PARALLEL_PICKS {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    };
    let chunk = selected.len().div_ceil(threads).max(1);
    let results: Vec<Result<T, FluxError>> = std::thread::scope(|scope| {
        let mut chunks = selected.chunks(chunk);
        let first = chunks.next().unwrap_or_default();
        let read = &read;
        let others: Vec<_> = chunks.map(|c| scope.spawn(move || read(c))).collect();
        let mut all = read(first);
        for handle in others {
            match handle.join() {
                Ok(results) => all.extend(results),
                Err(_) => all.push(Err(FluxError::Internal("a storage read failed".into()))),
            }
        }
        all
    });
    selected
        .into_iter()
        .zip(results)
        .map(|(s, result)| Ok((s, result?)))
        .collect()
}

/// The table of `function` over the windows of one series' points, straight from a read: no
/// rows are built for the points, only for the windows, on the thread that read them.
pub fn window_table(
    plan: &ReadPlan,
    series: &SeriesMeta,
    points: Vec<(i64, Value)>,
    function: &str,
    w: &Windowing,
    budget: &Budget,
) -> Result<Option<Table>, FluxError> {
    if points.is_empty() {
        return Ok(None);
    }
    let times: Vec<i64> = points.iter().map(|(t, _)| *t).collect();
    let mut table = read::series_table(plan, series);
    table.columns[3].ty = aggregate_type(function, series.ty);
    let mut rows = Vec::new();
    w.each(&times, plan.start, plan.stop, |stamp, range| {
        let values = points[range].iter().map(|(_, v)| v);
        if let Some(value) = window_value(function, series.ty, values, w.create_empty)? {
            rows.push(read::series_row(&table, stamp, value));
        }
        Ok(())
    })?;
    budget.charge(rows.len())?;
    table.rows = rows;
    Ok(Some(table))
}
