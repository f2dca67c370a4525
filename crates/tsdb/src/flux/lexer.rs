//! Splits Flux source into tokens, each with its line and column for error messages.

use super::ast::Duration;
use super::FluxError;

#[derive(Clone, Debug, PartialEq)]
pub enum Token {
    Ident(String),
    Str(Vec<RawStrPart>),
    Int(i64),
    Float(f64),
    Duration(Duration),
    Time(i64),
    Regex(String),
    /// Operators and punctuation, as written.
    Sym(&'static str),
    Eof,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RawStrPart {
    Text(String),
    /// The source of a `${…}` interpolation, parsed later.
    Expr(String),
}

#[derive(Clone, Debug)]
pub struct Spanned {
    pub token: Token,
    pub line: usize,
    pub col: usize,
}

const SYMBOLS: [&str; 29] = [
    "|>", "<-", "=>", "==", "!=", "<=", ">=", "=~", "!~", "(", ")", "[", "]", "{", "}", ",", ":",
    ".", "+", "-", "*", "/", "%", "<", ">", "=", "?", "^", "@",
];

pub fn tokenize(src: &str) -> Result<Vec<Spanned>, FluxError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line, mut line_start) = (0usize, 1usize, 0usize);
    let mut prev_allows_regex = true;
    while i < chars.len() {
        let c = chars[i];
        let col = i - line_start + 1;
        let err = |msg: String| FluxError::Invalid(format!("error @{line}:{col}: {msg}"));
        if c == '\n' {
            line += 1;
            line_start = i + 1;
            i += 1;
            continue;
        }
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        let token = if c == '"' {
            let (parts, next) = lex_string(&chars, i + 1).map_err(err)?;
            for ch in &chars[i..next] {
                if *ch == '\n' {
                    line += 1;
                }
            }
            i = next;
            Token::Str(parts)
        } else if c == '/' && prev_allows_regex {
            let mut j = i + 1;
            let mut re = String::new();
            while j < chars.len() && chars[j] != '/' {
                if chars[j] == '\\' && chars.get(j + 1) == Some(&'/') {
                    re.push('/');
                    j += 2;
                    continue;
                }
                if chars[j] == '\n' {
                    return Err(err("unterminated regex".into()));
                }
                re.push(chars[j]);
                j += 1;
            }
            if j >= chars.len() {
                return Err(err("unterminated regex".into()));
            }
            i = j + 1;
            Token::Regex(re)
        } else if c.is_ascii_digit() {
            let (token, next) = lex_number(&chars, i).map_err(err)?;
            i = next;
            token
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            Token::Ident(chars[start..i].iter().collect())
        } else {
            let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let sym = SYMBOLS
                .iter()
                .find(|s| rest.starts_with(**s))
                .ok_or_else(|| err(format!("invalid character {c:?}")))?;
            i += sym.chars().count();
            Token::Sym(sym)
        };
        // A `/` starts a regex only where an operand is expected.
        prev_allows_regex = match &token {
            Token::Sym(s) => !matches!(*s, ")" | "]" | "}"),
            _ => false,
        };
        out.push(Spanned { token, line, col });
    }
    out.push(Spanned {
        token: Token::Eof,
        line,
        col: chars.len() - line_start + 1,
    });
    Ok(out)
}

fn lex_string(chars: &[char], mut i: usize) -> Result<(Vec<RawStrPart>, usize), String> {
    let mut parts = Vec::new();
    let mut text = String::new();
    loop {
        let Some(&c) = chars.get(i) else {
            return Err("unterminated string".into());
        };
        match c {
            '"' => break,
            '\\' => {
                let esc = chars.get(i + 1).ok_or("unterminated string")?;
                text.push(match esc {
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    '"' | '\\' | '$' => *esc,
                    other => return Err(format!("invalid escape sequence \\{other}")),
                });
                i += 2;
            }
            '$' if chars.get(i + 1) == Some(&'{') => {
                if !text.is_empty() {
                    parts.push(RawStrPart::Text(std::mem::take(&mut text)));
                }
                let start = i + 2;
                let mut depth = 1;
                let mut j = start;
                while depth > 0 {
                    match chars.get(j) {
                        Some('{') => depth += 1,
                        Some('}') => depth -= 1,
                        Some(_) => {}
                        None => return Err("unterminated string interpolation".into()),
                    }
                    j += 1;
                }
                parts.push(RawStrPart::Expr(chars[start..j - 1].iter().collect()));
                i = j;
            }
            _ => {
                text.push(c);
                i += 1;
            }
        }
    }
    if !text.is_empty() || parts.is_empty() {
        parts.push(RawStrPart::Text(text));
    }
    Ok((parts, i + 1))
}

/// Numbers, durations (`1h30m`) and RFC 3339 times (`2026-01-02T03:04:05Z`).
fn lex_number(chars: &[char], start: usize) -> Result<(Token, usize), String> {
    let mut i = start;
    while i < chars.len() && chars[i].is_ascii_digit() {
        i += 1;
    }
    // A date: dddd-dd-dd
    if i - start == 4 && chars.get(i) == Some(&'-') {
        let mut j = i;
        while j < chars.len()
            && (chars[j].is_ascii_alphanumeric() || matches!(chars[j], '-' | ':' | '.' | '+'))
        {
            j += 1;
        }
        let text: String = chars[start..j].iter().collect();
        let parsed = if text.contains('T') {
            chrono::DateTime::parse_from_rfc3339(&text).map(|t| t.timestamp_nanos_opt())
        } else {
            chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d").map(|d| {
                d.and_hms_opt(0, 0, 0)
                    .and_then(|t| t.and_utc().timestamp_nanos_opt())
            })
        };
        return match parsed {
            Ok(Some(ns)) => Ok((Token::Time(ns), j)),
            _ => Err(format!("invalid date time literal {text:?}")),
        };
    }
    let unit_start = |i: usize| chars.get(i).is_some_and(|c| c.is_alphabetic() || *c == 'µ');
    if unit_start(i) {
        let mut duration = Duration::default();
        let mut num_start = start;
        loop {
            let magnitude: i64 = chars[num_start..i]
                .iter()
                .collect::<String>()
                .parse()
                .map_err(|_| "duration magnitude out of range".to_string())?;
            let u_start = i;
            while unit_start(i) {
                i += 1;
            }
            let unit: String = chars[u_start..i].iter().collect();
            let nanos = match unit.as_str() {
                "y" => {
                    duration.months += magnitude * 12;
                    0
                }
                "mo" => {
                    duration.months += magnitude;
                    0
                }
                "w" => 7 * 86_400_000_000_000,
                "d" => 86_400_000_000_000,
                "h" => 3_600_000_000_000,
                "m" => 60_000_000_000,
                "s" => 1_000_000_000,
                "ms" => 1_000_000,
                "us" | "µs" => 1_000,
                "ns" => 1,
                other => return Err(format!("invalid duration unit {other:?}")),
            };
            duration.nanos = magnitude
                .checked_mul(nanos)
                .and_then(|n| duration.nanos.checked_add(n))
                .ok_or("duration out of range")?;
            if !chars.get(i).is_some_and(|c| c.is_ascii_digit()) {
                break;
            }
            num_start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            if !unit_start(i) {
                return Err("duration magnitude without unit".into());
            }
        }
        return Ok((Token::Duration(duration), i));
    }
    if chars.get(i) == Some(&'.') && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit()) {
        i += 1;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let text: String = chars[start..i].iter().collect();
        return text
            .parse()
            .map(|f| (Token::Float(f), i))
            .map_err(|_| format!("invalid float {text}"));
    }
    let text: String = chars[start..i].iter().collect();
    text.parse()
        .map(|n| (Token::Int(n), i))
        .map_err(|_| format!("integer literal {text} out of range"))
}
