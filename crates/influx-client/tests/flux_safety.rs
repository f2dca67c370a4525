//! No string can change a query's structure: whatever `flux::string` is given, Flux parses
//! the literal back as exactly that string (checked with tsdb's Flux parser).

use influx_client::flux;
use proptest::prelude::*;
use tsdb::flux::ast::{Expr, Statement};

fn round_trips(s: &str) {
    let program =
        tsdb::flux::parse(&format!("x = {}", flux::string(s)), 10).expect("the literal parses");
    assert_eq!(
        program,
        vec![Statement::Var("x".into(), Expr::Str(s.to_string()))]
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn any_string_stays_one_literal(s in "\\PC*") {
        round_trips(&s);
    }

    #[test]
    fn strings_made_of_flux_syntax_stay_literal(s in r#"[\\"${}()|>a-z =\n]*"#) {
        round_trips(&s);
    }
}

#[test]
fn known_injections() {
    for s in [
        r#"" or true or ""#,
        r#"\"#,
        "${now()}",
        "$${x}",
        "\\${",
        "\"}) |> drop(columns: [\"a\"])",
    ] {
        round_trips(s);
    }
}
