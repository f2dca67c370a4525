//! The `extern` of a query and AST-valued `params`, written back as Flux source that the
//! query is prefixed with. The official clients send their query parameters (and the
//! profiler option) this way: literals, negated durations, arrays, calls such as `now()`.

use super::error::ApiError;
use serde_json::Value;

/// The source of an `extern` File: its imports, then its statements.
pub fn file(ext: &Value) -> Result<String, ApiError> {
    let mut out = String::new();
    for import in list(ext, "imports") {
        let path = import["path"]["value"]
            .as_str()
            .ok_or_else(|| invalid("an import without a path"))?;
        match import["as"]["name"].as_str() {
            Some(alias) => out.push_str(&format!("import {alias} {}\n", string(path))),
            None => out.push_str(&format!("import {}\n", string(path))),
        }
    }
    for statement in list(ext, "body") {
        let (keyword, assignment) = match statement["type"].as_str() {
            Some("OptionStatement") => ("option ", &statement["assignment"]),
            Some("VariableAssignment") => ("", statement),
            other => return Err(invalid(format!("unsupported statement {}", name(other)))),
        };
        let target = match assignment["type"].as_str() {
            Some("MemberAssignment") => expression(&assignment["member"])?,
            _ => identifier(&assignment["id"])?,
        };
        let init = expression(&assignment["init"])?;
        out.push_str(&format!("{keyword}{target} = {init}\n"));
    }
    Ok(out)
}

/// A Flux expression from its AST node.
pub fn expression(node: &Value) -> Result<String, ApiError> {
    let value = &node["value"];
    Ok(match node["type"].as_str() {
        Some("StringLiteral") => string(value.as_str().unwrap_or_default()),
        Some("IntegerLiteral" | "UnsignedIntegerLiteral") => number(value)?,
        Some("FloatLiteral") => {
            let f = value
                .as_f64()
                .ok_or_else(|| invalid("a float literal without a value"))?;
            // Flux needs the point to read a float as a float.
            if f.fract() == 0.0 && f.is_finite() {
                format!("{f:.1}")
            } else {
                f.to_string()
            }
        }
        Some("BooleanLiteral") => value.as_bool().unwrap_or(false).to_string(),
        Some("DateTimeLiteral") => value
            .as_str()
            .filter(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok())
            .ok_or_else(|| invalid(format!("bad time literal {value}")))?
            .to_string(),
        Some("DurationLiteral") => {
            let mut text = String::new();
            for d in list(node, "values") {
                let unit = d["unit"].as_str().unwrap_or_default();
                if !unit.chars().all(|c| c.is_ascii_alphabetic()) || unit.is_empty() {
                    return Err(invalid(format!("bad duration unit {unit:?}")));
                }
                text.push_str(&format!("{}{unit}", number(&d["magnitude"])?));
            }
            text
        }
        Some("Identifier") => identifier(node)?,
        Some("MemberExpression") => {
            let property = &node["property"];
            match property["type"].as_str() {
                Some("StringLiteral") => format!(
                    "{}[{}]",
                    expression(&node["object"])?,
                    expression(property)?
                ),
                _ => format!("{}.{}", expression(&node["object"])?, identifier(property)?),
            }
        }
        Some("UnaryExpression") => {
            let operator = match node["operator"].as_str() {
                Some("-") => "-",
                Some("not") => "not ",
                Some("exists") => "exists ",
                other => return Err(invalid(format!("unsupported operator {}", name(other)))),
            };
            format!("{operator}({})", expression(&node["argument"])?)
        }
        Some("ArrayExpression") => {
            let items = list(node, "elements")
                .map(expression)
                .collect::<Result<Vec<_>, _>>()?;
            format!("[{}]", items.join(", "))
        }
        Some("ObjectExpression") => format!("{{{}}}", properties(node)?),
        Some("CallExpression") => {
            let arguments = match list(node, "arguments").next() {
                Some(object) => properties(object)?,
                None => String::new(),
            };
            format!("{}({arguments})", expression(&node["callee"])?)
        }
        other => return Err(invalid(format!("unsupported expression {}", name(other)))),
    })
}

/// `key: value, …` of an ObjectExpression.
fn properties(object: &Value) -> Result<String, ApiError> {
    let fields = list(object, "properties")
        .map(|p| {
            Ok(format!(
                "{}: {}",
                identifier(&p["key"])?,
                expression(&p["value"])?
            ))
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(fields.join(", "))
}

fn list<'v>(node: &'v Value, key: &str) -> impl Iterator<Item = &'v Value> {
    node.get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// An identifier, checked to be one (it is pasted into the query as it is).
fn identifier(node: &Value) -> Result<String, ApiError> {
    let name = node["name"].as_str().unwrap_or_default();
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_');
    if !valid {
        return Err(invalid(format!("bad identifier {name:?}")));
    }
    Ok(name.to_string())
}

/// An integer, sent as a JSON number or as a string of digits.
fn number(value: &Value) -> Result<String, ApiError> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    if text.is_empty() || !text.chars().all(|c| c.is_ascii_digit()) {
        return Err(invalid(format!("bad integer {value}")));
    }
    Ok(text)
}

/// A Flux string literal of `s`.
pub fn string(s: &str) -> String {
    format!(
        "\"{}\"",
        s.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace("${", "\\${")
    )
}

fn name(kind: Option<&str>) -> &str {
    kind.unwrap_or("without a type")
}

fn invalid(message: impl std::fmt::Display) -> ApiError {
    ApiError::invalid(format!("failed to decode request body: extern: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_python_clients_params_and_profiler_option_become_flux() {
        let ext = json!({
            "imports": [{"type": "ImportDeclaration", "path": {"type": "StringLiteral", "value": "profiler"}}],
            "body": [
                {"type": "OptionStatement", "assignment": {"type": "MemberAssignment",
                    "member": {"type": "MemberExpression", "object": {"type": "Identifier", "name": "profiler"},
                               "property": {"type": "Identifier", "name": "enabledProfilers"}},
                    "init": {"type": "ArrayExpression", "elements": [{"type": "StringLiteral", "value": "query"}]}}},
                {"type": "OptionStatement", "assignment": {"type": "VariableAssignment",
                    "id": {"type": "Identifier", "name": "start"},
                    "init": {"type": "UnaryExpression", "operator": "-",
                             "argument": {"type": "DurationLiteral", "values": [{"magnitude": 3600000000u64, "unit": "us"}]}}}},
                {"type": "OptionStatement", "assignment": {"type": "VariableAssignment",
                    "id": {"type": "Identifier", "name": "stop"},
                    "init": {"type": "CallExpression", "callee": {"type": "Identifier", "name": "now"}}}},
                {"type": "OptionStatement", "assignment": {"type": "VariableAssignment",
                    "id": {"type": "Identifier", "name": "n"},
                    "init": {"type": "IntegerLiteral", "value": "5"}}},
                {"type": "OptionStatement", "assignment": {"type": "VariableAssignment",
                    "id": {"type": "Identifier", "name": "f"},
                    "init": {"type": "FloatLiteral", "value": 2.0}}},
            ]
        });
        assert_eq!(
            file(&ext).unwrap(),
            "import \"profiler\"\noption profiler.enabledProfilers = [\"query\"]\n\
             option start = -(3600000000us)\noption stop = now()\noption n = 5\noption f = 2.0\n"
        );
    }

    #[test]
    fn nothing_but_an_ast_is_pasted_into_the_query() {
        let bad_name = json!({"type": "Identifier", "name": "x) |> drop(columns: [\"a\"]"});
        assert!(expression(&bad_name).is_err());
        let bad_number = json!({"type": "IntegerLiteral", "value": "1 or true"});
        assert!(expression(&bad_number).is_err());
        let bad_unit =
            json!({"type": "DurationLiteral", "values": [{"magnitude": 1, "unit": "h)"}]});
        assert!(expression(&bad_unit).is_err());
        let bad_time = json!({"type": "DateTimeLiteral", "value": "2020-01-01T00:00:00Z) or (x"});
        assert!(expression(&bad_time).is_err());
        assert_eq!(
            expression(&json!({"type": "StringLiteral", "value": "a\"${b}"})).unwrap(),
            r#""a\"\${b}""#
        );
        assert!(expression(&json!({"type": "FunctionExpression"})).is_err());
    }
}
