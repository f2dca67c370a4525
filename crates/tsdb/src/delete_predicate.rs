//! The delete API's predicate language: `k="v" AND k2!="v2"`, parentheses allowed.

use crate::storage::DeletePredicate;

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum PredicateError {
    #[error("{0}")]
    Invalid(String),
    #[error("delete by field is not supported")]
    FieldNotSupported,
}

pub fn parse(src: &str) -> Result<DeletePredicate, PredicateError> {
    let chars: Vec<char> = src.chars().collect();
    let mut i = 0;
    let mut conditions = Vec::new();
    let invalid = |m: String| PredicateError::Invalid(m);
    let skip_ws = |i: &mut usize| {
        while *i < chars.len()
            && (chars[*i].is_whitespace() || chars[*i] == '(' || chars[*i] == ')')
        {
            *i += 1;
        }
    };
    skip_ws(&mut i);
    if i == chars.len() {
        return Ok(DeletePredicate::default());
    }
    loop {
        skip_ws(&mut i);
        let key = word(&chars, &mut i).map_err(invalid)?;
        skip_ws(&mut i);
        let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
        let equal = if rest.starts_with("!=") {
            i += 2;
            false
        } else if rest.starts_with("=~") || rest.starts_with("!~") {
            return Err(invalid(format!(
                "the comparison operator {rest} is not supported at position {i}"
            )));
        } else if rest.starts_with('=') {
            i += 1;
            true
        } else {
            return Err(invalid(format!(
                "invalid delete predicate: expected = or != at position {i}"
            )));
        };
        skip_ws(&mut i);
        let value = match chars.get(i) {
            Some('\'') => return Err(invalid("bad tag value".into())),
            _ => word(&chars, &mut i).map_err(invalid)?,
        };
        let key = if key == "_measurement" || key == "measurement" {
            "_measurement".to_string()
        } else {
            key
        };
        if key == "_field" {
            return Err(PredicateError::FieldNotSupported);
        }
        if key == "_time" || key == "_value" {
            return Err(invalid(format!("delete by {key} is not supported")));
        }
        conditions.push((key, equal, value));
        skip_ws(&mut i);
        if i == chars.len() {
            return Ok(DeletePredicate { conditions });
        }
        let op = word(&chars, &mut i).map_err(invalid)?;
        match op.to_ascii_lowercase().as_str() {
            "and" => {}
            "or" => {
                return Err(invalid(format!(
                    "the logical operator OR is not supported yet at position {}",
                    i - op.len()
                )))
            }
            _ => {
                return Err(invalid(format!(
                    "invalid delete predicate: unexpected {op:?} at position {}",
                    i - op.len()
                )))
            }
        }
    }
}

/// A bare word or a double-quoted string (with `\"` escapes).
fn word(chars: &[char], i: &mut usize) -> Result<String, String> {
    if chars.get(*i) == Some(&'"') {
        let mut out = String::new();
        *i += 1;
        while let Some(&c) = chars.get(*i) {
            *i += 1;
            match c {
                '"' => return Ok(out),
                '\\' if chars.get(*i).is_some() => {
                    out.push(chars[*i]);
                    *i += 1;
                }
                c => out.push(c),
            }
        }
        return Err("invalid delete predicate: unterminated string".into());
    }
    let start = *i;
    while *i < chars.len()
        && (chars[*i].is_alphanumeric() || matches!(chars[*i], '_' | '-' | '.' | ':'))
    {
        *i += 1;
    }
    if start == *i {
        return Err(format!("invalid delete predicate at position {start}"));
    }
    Ok(chars[start..*i].iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conjunctions_of_tag_comparisons() {
        let p =
            parse(r#"_measurement="environment" AND (clientId != "ESP32-1") and host=a"#).unwrap();
        assert_eq!(
            p.conditions,
            vec![
                ("_measurement".into(), true, "environment".into()),
                ("clientId".into(), false, "ESP32-1".into()),
                ("host".into(), true, "a".into())
            ]
        );
        assert_eq!(parse("  ").unwrap(), DeletePredicate::default());
    }

    #[test]
    fn rejects_what_influxdb_rejects() {
        assert!(
            matches!(parse(r#"a="1" OR b="2""#), Err(PredicateError::Invalid(m)) if m.contains("OR is not supported"))
        );
        assert_eq!(
            parse(r#"_field="x""#),
            Err(PredicateError::FieldNotSupported)
        );
        assert!(parse("a=~/x/").is_err());
        assert!(matches!(parse("a='x'"), Err(PredicateError::Invalid(m)) if m == "bad tag value"));
        assert!(parse(r#"a="unterminated"#).is_err());
    }
}
