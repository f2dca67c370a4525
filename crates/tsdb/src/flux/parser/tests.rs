//! The parser on dashboard queries, strings, errors and the depth limit.

use super::*;

const DEPTH: usize = 100;

#[test]
fn parses_a_dashboard_query() {
    let q = r#"import "influxdata/influxdb/schema"
        from(bucket: "iot") |> range(start: -1h, stop: now())
          |> filter(fn: (r) => r._measurement == "environment" and r["clientId"] =~ /^ESP/)
          |> aggregateWindow(every: 1m, fn: mean, createEmpty: false)
          |> yield(name: "mean")"#;
    let statements = parse(q, DEPTH).unwrap();
    assert_eq!(statements.len(), 2);
    assert!(matches!(&statements[1], Statement::Expr(Expr::Pipe(..))));
}

#[test]
fn interpolation_and_escapes() {
    let s = parse(r#"x = "a\"b${1 + 2}c""#, DEPTH).unwrap();
    let Statement::Var(_, Expr::Interpolated(parts)) = &s[0] else {
        panic!("{s:?}")
    };
    assert_eq!(parts[0], StrPart::Text("a\"b".into()));
    assert_eq!(parts.len(), 3);
}

#[test]
fn errors_have_positions() {
    let err = parse("from(bucket: \"x\") |> ", DEPTH)
        .unwrap_err()
        .to_string();
    assert!(err.contains("error @1:"), "{err}");
    assert!(parse("range(start: 5x)", DEPTH).is_err());
    assert!(parse("\"unterminated", DEPTH).is_err());
}

#[test]
fn record_bodies_and_blocks() {
    assert!(parse("map(fn: (r) => ({r with v: r._value * 2.0}))", DEPTH).is_ok());
    assert!(parse("map(fn: (r) => {x = 1\n return {a: x}})", DEPTH).is_ok());
    assert!(parse("f = (tables=<-, n=1) => tables |> limit(n: n)", DEPTH).is_ok());
}

#[test]
fn depth_is_bounded_at_the_limit_and_refused_past_it() {
    let chain = |n: usize| vec!["x"; n].join(" or ");
    // `x or x …` with n terms is n deep: n - 1 logical nodes over a leaf.
    assert!(parse(&chain(DEPTH), DEPTH).is_ok());
    let err = parse(&chain(DEPTH + 1), DEPTH).unwrap_err().to_string();
    assert!(err.contains("nested deeper than the limit of 100"), "{err}");
    let parens = |n: usize| format!("{}1{}", "(".repeat(n), ")".repeat(n));
    assert!(parse(&parens(DEPTH - 1), DEPTH).is_ok());
    assert!(parse(&parens(DEPTH), DEPTH).is_err());
    let negations = |n: usize| format!("{}1", "-".repeat(n));
    assert!(parse(&negations(DEPTH - 1), DEPTH).is_ok());
    assert!(parse(&negations(DEPTH + 1), DEPTH).is_err());
    // Nested parentheses around chains add up: the tree's depth counts, not the recursion.
    let nested = (0..20).fold("x".to_string(), |inner, _| {
        format!("({inner}) or x or x or x or x or x")
    });
    assert!(parse(&nested, DEPTH).is_err());
    let pipes = format!("x{}", " |> f()".repeat(DEPTH));
    assert!(parse(&pipes, DEPTH).is_err());
    let strings = (0..DEPTH).fold("x".to_string(), |inner, _| format!("\"${{{inner}}}\""));
    assert!(parse(&strings, DEPTH).is_err());
}
