//! Binary operators on values: arithmetic, comparison, regular-expression matching.

use super::ast::BinaryOp;
use super::value::Value;
use super::FluxError;
use std::cmp::Ordering;

pub fn binary(op: BinaryOp, a: Value, b: Value) -> Result<Value, FluxError> {
    use BinaryOp::*;
    if a.is_null() || b.is_null() {
        return Ok(Value::Null);
    }
    Ok(match op {
        RegexMatch | RegexNotMatch => match (&a, &b) {
            (Value::Str(s), Value::Regex(re)) => Value::Bool(re.is_match(s) == (op == RegexMatch)),
            _ => return Err(mismatch(op, &a, &b)),
        },
        Eq | Ne | Lt | Le | Gt | Ge => {
            let ord = compare(&a, &b).ok_or_else(|| mismatch(op, &a, &b))?;
            Value::Bool(match op {
                Eq => ord == Ordering::Equal,
                Ne => ord != Ordering::Equal,
                Lt => ord == Ordering::Less,
                Le => ord != Ordering::Greater,
                Gt => ord == Ordering::Greater,
                _ => ord != Ordering::Less,
            })
        }
        Add | Sub | Mul | Div | Mod => arithmetic(op, &a, &b)?,
    })
}

fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Time(x), Value::Time(y)) => Some(x.cmp(y)),
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::UInt(x), Value::UInt(y)) => Some(x.cmp(y)),
        (Value::Duration(x), Value::Duration(y)) if x.months == y.months => {
            Some(x.nanos.cmp(&y.nanos))
        }
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

fn arithmetic(op: BinaryOp, a: &Value, b: &Value) -> Result<Value, FluxError> {
    use BinaryOp::*;
    let overflow = || FluxError::Invalid("integer overflow".into());
    Ok(match (a, b) {
        (Value::Int(x), Value::Int(y)) => Value::Int(match op {
            Add => x.checked_add(*y).ok_or_else(overflow)?,
            Sub => x.checked_sub(*y).ok_or_else(overflow)?,
            Mul => x.checked_mul(*y).ok_or_else(overflow)?,
            Div => x
                .checked_div(*y)
                .ok_or_else(|| FluxError::Invalid("cannot divide by zero".into()))?,
            _ => x
                .checked_rem(*y)
                .ok_or_else(|| FluxError::Invalid("cannot divide by zero".into()))?,
        }),
        (Value::UInt(x), Value::UInt(y)) => Value::UInt(match op {
            Add => x.checked_add(*y).ok_or_else(overflow)?,
            Sub => x.checked_sub(*y).ok_or_else(overflow)?,
            Mul => x.checked_mul(*y).ok_or_else(overflow)?,
            Div => x
                .checked_div(*y)
                .ok_or_else(|| FluxError::Invalid("cannot divide by zero".into()))?,
            _ => x
                .checked_rem(*y)
                .ok_or_else(|| FluxError::Invalid("cannot divide by zero".into()))?,
        }),
        (Value::Str(x), Value::Str(y)) if op == Add => Value::Str(format!("{x}{y}")),
        (Value::Time(t), Value::Duration(d)) if d.months == 0 && matches!(op, Add | Sub) => {
            let nanos = if op == Add { d.nanos } else { -d.nanos };
            Value::Time(t.checked_add(nanos).ok_or_else(overflow)?)
        }
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => Value::Float(match op {
                Add => x + y,
                Sub => x - y,
                Mul => x * y,
                Div => x / y,
                _ => x % y,
            }),
            _ => return Err(mismatch(op, a, b)),
        },
    })
}

fn mismatch(op: BinaryOp, a: &Value, b: &Value) -> FluxError {
    FluxError::Invalid(format!(
        "unsupported operand types for {op:?}: {} and {}",
        a.type_name(),
        b.type_name()
    ))
}
