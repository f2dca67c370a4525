//! Flux tables: typed columns, a group key, and rows.

use super::Value;
use crate::flux::FluxError;
use crate::series::ColType;

#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub name: String,
    pub ty: ColType,
}

impl Column {
    pub fn new(name: &str, ty: ColType) -> Column {
        Column {
            name: name.to_string(),
            ty,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Table {
    pub columns: Vec<Column>,
    /// The group key: column names with their values, in column order.
    pub key: Vec<(String, Value)>,
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    pub fn index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    pub fn column(&self, name: &str) -> Result<usize, FluxError> {
        self.index(name)
            .ok_or_else(|| FluxError::Invalid(format!("column \"{name}\" does not exist")))
    }

    pub fn is_key(&self, name: &str) -> bool {
        self.key.iter().any(|(k, _)| k == name)
    }

    pub fn key_value(&self, name: &str) -> Option<&Value> {
        self.key.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// A table with the same columns and key, and no rows.
    pub fn empty_like(&self) -> Table {
        Table {
            columns: self.columns.clone(),
            key: self.key.clone(),
            rows: Vec::new(),
        }
    }

    /// Keeps only the columns `keep` says yes to (the key shrinks with them).
    pub fn retain_columns(&mut self, keep: impl Fn(&str) -> bool) {
        let kept: Vec<usize> = (0..self.columns.len())
            .filter(|&i| keep(&self.columns[i].name))
            .collect();
        self.columns = kept.iter().map(|&i| self.columns[i].clone()).collect();
        self.key.retain(|(k, _)| keep(k));
        for row in &mut self.rows {
            *row = kept
                .iter()
                .map(|&i| std::mem::replace(&mut row[i], Value::Null))
                .collect();
        }
    }
}

/// Orders key columns as the columns of the table they belong to.
pub fn key_in_column_order(columns: &[Column], key: Vec<(String, Value)>) -> Vec<(String, Value)> {
    let mut key = key;
    key.sort_by_key(|(k, _)| {
        columns
            .iter()
            .position(|c| &c.name == k)
            .unwrap_or(usize::MAX)
    });
    key
}

/// Regroups rows by the values of `key_columns` (those present); tables come out ordered by
/// key. Each table's columns are the union of its inputs' (and every key column); a column
/// with two types within one table is an error — as in Flux, fields of different types
/// grouped apart (`group(columns: ["_field"])`) are not.
pub fn regroup(tables: Vec<Table>, key_columns: &[String]) -> Result<Vec<Table>, FluxError> {
    // The key columns present, in the order the inputs first have them, with a type each.
    let mut key_cols: Vec<Column> = Vec::new();
    for c in tables.iter().flat_map(|t| &t.columns) {
        if key_columns.contains(&c.name) && !key_cols.iter().any(|k| k.name == c.name) {
            key_cols.push(c.clone());
        }
    }
    let mut sources: Vec<Vec<Column>> = Vec::new();
    let mut groups: Vec<Group> = Vec::new();
    for t in tables {
        let key_of = |row: Option<&Vec<Value>>| -> Vec<Value> {
            key_cols
                .iter()
                .map(|k| match (t.index(&k.name), row) {
                    (Some(i), Some(row)) => row[i].clone(),
                    _ => t.key_value(&k.name).cloned().unwrap_or(Value::Null),
                })
                .collect()
        };
        // An empty input table still yields its group, as Flux keeps empty groups.
        let keys: Vec<Vec<Value>> = match t.rows.is_empty() {
            true => vec![key_of(None)],
            false => t.rows.iter().map(|row| key_of(Some(row))).collect(),
        };
        let source = sources.len();
        let mut joined: Vec<usize> = Vec::new();
        let mut rows = t.rows.into_iter();
        for key in keys {
            let g = group_of(&mut groups, key);
            if !joined.contains(&g) {
                union_into(&mut groups[g].columns, &t.columns)?;
                joined.push(g);
            }
            if let Some(row) = rows.next() {
                groups[g].rows.push((source, row));
            }
        }
        sources.push(t.columns);
    }
    groups.sort_by(|a, b| {
        a.key
            .iter()
            .zip(&b.key)
            .map(|(x, y)| x.cmp_for_sort(y))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    groups
        .into_iter()
        .map(|mut g| {
            union_into(&mut g.columns, &key_cols)?;
            let rows = g
                .rows
                .into_iter()
                .map(|(source, mut row)| {
                    let from = &sources[source];
                    g.columns
                        .iter()
                        .map(|c| match from.iter().position(|f| f.name == c.name) {
                            Some(i) => std::mem::replace(&mut row[i], Value::Null),
                            None => Value::Null,
                        })
                        .collect()
                })
                .collect();
            let key = key_cols.iter().map(|k| k.name.clone()).zip(g.key).collect();
            Ok(Table {
                key: key_in_column_order(&g.columns, key),
                columns: g.columns,
                rows,
            })
        })
        .collect()
}

/// Rows regrouped: their key, the union of their tables' columns, and each row with the
/// index of the columns it came with.
struct Group {
    key: Vec<Value>,
    columns: Vec<Column>,
    rows: Vec<(usize, Vec<Value>)>,
}

/// The index of the group of `key`, made if there is none yet.
fn group_of(groups: &mut Vec<Group>, key: Vec<Value>) -> usize {
    match groups.iter().position(|g| same_key(&g.key, &key)) {
        Some(i) => i,
        None => {
            groups.push(Group {
                key,
                columns: Vec::new(),
                rows: Vec::new(),
            });
            groups.len() - 1
        }
    }
}

/// Adds `more`'s columns to `columns` (those it lacks, in order); a column already there
/// with another type is a schema collision.
fn union_into(columns: &mut Vec<Column>, more: &[Column]) -> Result<(), FluxError> {
    for c in more {
        match columns.iter().find(|x| x.name == c.name) {
            Some(x) if x.ty != c.ty => {
                return Err(FluxError::Invalid(format!(
                    "schema collision detected: column \"{}\" is both of type {} and {}",
                    c.name,
                    x.ty.flux_name(),
                    c.ty.flux_name()
                )))
            }
            Some(_) => {}
            None => columns.push(c.clone()),
        }
    }
    Ok(())
}

fn same_key(a: &[Value], b: &[Value]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.same(y))
}

impl Table {
    /// The record a row function (`fn: (r) => …`) sees for one row.
    pub fn record(&self, row: &[Value]) -> super::Record {
        super::Record(
            self.columns
                .iter()
                .zip(row)
                .map(|(c, v)| (c.name.clone(), v.clone()))
                .collect(),
        )
    }
}
