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
/// key. Columns are the union of the inputs'; a column with two types is an error.
pub fn regroup(tables: Vec<Table>, key_columns: &[String]) -> Result<Vec<Table>, FluxError> {
    let mut columns: Vec<Column> = Vec::new();
    for t in &tables {
        for c in &t.columns {
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
    }
    let key_idx: Vec<usize> = columns
        .iter()
        .enumerate()
        .filter(|(_, c)| key_columns.contains(&c.name))
        .map(|(i, _)| i)
        .collect();
    let mut groups: Vec<(Vec<Value>, Vec<Vec<Value>>)> = Vec::new();
    for t in tables {
        let map: Vec<Option<usize>> = columns.iter().map(|c| t.index(&c.name)).collect();
        if t.rows.is_empty() {
            // An empty input table still yields its group, as Flux keeps empty groups.
            let key: Vec<Value> = key_idx
                .iter()
                .map(|&i| {
                    t.key_value(&columns[i].name)
                        .cloned()
                        .unwrap_or(Value::Null)
                })
                .collect();
            if !groups.iter().any(|(k, _)| same_key(k, &key)) {
                groups.push((key, Vec::new()));
            }
            continue;
        }
        for mut row in t.rows {
            let full: Vec<Value> = map
                .iter()
                .map(|m| m.map_or(Value::Null, |i| std::mem::replace(&mut row[i], Value::Null)))
                .collect();
            let key: Vec<Value> = key_idx.iter().map(|&i| full[i].clone()).collect();
            match groups.iter_mut().find(|(k, _)| same_key(k, &key)) {
                Some((_, rows)) => rows.push(full),
                None => groups.push((key, vec![full])),
            }
        }
    }
    groups.sort_by(|(a, _), (b, _)| {
        a.iter()
            .zip(b)
            .map(|(x, y)| x.cmp_for_sort(y))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    Ok(groups
        .into_iter()
        .map(|(key, rows)| Table {
            key: key_idx
                .iter()
                .zip(key)
                .map(|(&i, v)| (columns[i].name.clone(), v))
                .collect(),
            columns: columns.clone(),
            rows,
        })
        .collect())
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
