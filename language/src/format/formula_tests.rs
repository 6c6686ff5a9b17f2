//! Zapier's "Spreadsheet-Style Formula" (Numbers transforms,
//! Zapier help center, "Use spreadsheet-style formulas in
//! Zaps": "Formatter supports most spreadsheet functions", written as in Google Sheets or
//! Excel, fields mapped into the formula). The expected values are what a spreadsheet gives.
use super::{Expr, Op, parse};
use crate::format::testing::{error, eval};
use proptest::prelude::*;
use serde_json::json;

fn f(src: &str) -> serde_json::Value {
    eval(&format!(
        "number.formula({})",
        crate::format::testing::quote(src)
    ))
}

#[test]
fn arithmetic_and_precedence() {
    assert_eq!(f("=1+2*3"), json!(7));
    assert_eq!(f("(1+2)*3"), json!(9));
    assert_eq!(f("2^3^2"), json!(64));
    assert_eq!(f("-2^2"), json!(4));
    assert_eq!(f("10/4"), json!(2.5));
    assert_eq!(f("50%*8"), json!(4));
    assert_eq!(f("1.5e2 + 0.5"), json!(150.5));
    assert!(error("number.formula('1/0')").contains("#DIV/0!"));
}

#[test]
fn functions() {
    assert_eq!(f("SUM(1, 2, 3.5)"), json!(6.5));
    assert_eq!(f("AVERAGE(2, 4, 9)"), json!(5));
    assert_eq!(f("MIN(3, -1, 2) + MAX(3, -1, 2)"), json!(2));
    assert_eq!(f("ROUND(2.675, 2)"), json!(2.68));
    assert_eq!(f("ROUND(-2.5)"), json!(-3));
    assert_eq!(f("ROUND(1234, -2)"), json!(1200));
    assert_eq!(f("ROUNDUP(1.21, 1)"), json!(1.3));
    assert_eq!(f("ROUNDDOWN(-1.29, 1)"), json!(-1.2));
    assert_eq!(f("ABS(-4) + INT(-1.5) + MOD(-7, 3)"), json!(4));
    assert_eq!(
        f("POWER(2, 10) + SQRT(16) + COUNT(1, \"a\", 2)"),
        json!(1030)
    );
    assert_eq!(f("round(1.4)"), json!(1));
}

#[test]
fn logic_and_comparisons() {
    assert_eq!(f("IF(3 > 2, \"yes\", \"no\")"), json!("yes"));
    assert_eq!(f("IF(FALSE, 1)"), json!(false));
    // Only the branch taken is evaluated.
    assert_eq!(f("IF(TRUE, 1, 1/0)"), json!(1));
    assert_eq!(f("AND(1, TRUE, 2 <= 2) & OR(0, FALSE)"), json!("TRUEFALSE"));
    assert_eq!(f("NOT(1 <> 1)"), json!(true));
    assert_eq!(f("\"abc\" = \"ABC\""), json!(true));
    assert_eq!(f("\"10\" + 5 >= 15"), json!(true));
}

#[test]
fn text_functions() {
    assert_eq!(
        f("CONCATENATE(\"Order \", 12, \" of \", 2.5)"),
        json!("Order 12 of 2.5")
    );
    assert_eq!(
        f("LEN(\"héllo\") & UPPER(\"a\") & LOWER(\"B\")"),
        json!("5Ab")
    );
    assert_eq!(f("TRIM(\"  a   b \")"), json!("a b"));
    assert_eq!(
        f("LEFT(\"Zapier\", 3) & RIGHT(\"Zapier\") & MID(\"Zapier\", 2, 3)"),
        json!("Zaprapi")
    );
    assert_eq!(f("\"say \"\"hi\"\"\""), json!("say \"hi\""));
}

#[test]
fn refusals() {
    assert!(error("number.formula('FOO(1)')").contains("#NAME?"));
    assert!(error("number.formula('A1 + 1')").contains("cell references"));
    assert!(error("number.formula('1 +')").contains("where a value should be"));
    assert!(error("number.formula('\"abc\" * 2')").contains("#VALUE!"));
    assert!(error("number.formula('ROUND()')").contains("1 to 2 arguments"));
    assert!(error("number.formula('POWER(10, 400)')").contains("#NUM!"));
    assert!(
        error(&format!(
            "number.formula('{}1{}')",
            "(".repeat(100),
            ")".repeat(100)
        ))
        .contains("too deeply")
    );
}

/// An expression tree of whole numbers and `+ - *`, and the value Rust computes for it (in
/// f64, as the formula does, so a product past 2^53 rounds the same way).
fn arith() -> impl Strategy<Value = (String, f64)> {
    let leaf = (0i64..1000).prop_map(|n| (n.to_string(), n as f64));
    leaf.prop_recursive(4, 32, 2, |inner| {
        (
            inner.clone(),
            prop::sample::select(vec!['+', '-', '*']),
            inner,
        )
            .prop_map(|((a, x), op, (b, y))| {
                let v = match op {
                    '+' => x + y,
                    '-' => x - y,
                    _ => x * y,
                };
                (format!("({a} {op} {b})"), v)
            })
    })
}

proptest! {
    /// Parsing then evaluating any such formula gives the value Rust computes.
    #[test]
    fn evaluates_like_rust((src, value) in arith()) {
        prop_assert_eq!(f(&src), crate::format::number::number_value(value));
    }

    /// The parser never panics, whatever the text: it gives a tree or an error.
    #[test]
    fn never_panics(src in "[-+*/^&%()=<>,\"a-zA-Z0-9. ]{0,40}") {
        let _ = parse(&src);
    }

    /// Chains of one operator associate to the left, as in spreadsheets.
    #[test]
    fn left_associative(a in 1i64..100, b in 1i64..100, c in 1i64..100) {
        let parsed = parse(&format!("{a} - {b} - {c}")).ok();
        let expected = Expr::Binary(
            Op::Sub,
            Box::new(Expr::Binary(Op::Sub, Box::new(Expr::Num(a as f64)), Box::new(Expr::Num(b as f64)))),
            Box::new(Expr::Num(c as f64)),
        );
        prop_assert_eq!(parsed, Some(expected));
    }
}
