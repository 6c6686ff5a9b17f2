//! The documentation cannot drift from the code: every key in `fields.rs` is in
//! docs/language.md, every diagnostic code is in the registry and in docs/diagnostics.md
//! (with its exact fix), and the expressions docs/expressions.md promises
//! compile and evaluate as documented.

use claw_language::fields::{self, Field, Kind};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn walk(table: &[Field], path: &str, out: &mut Vec<(String, &'static str)>) {
    for f in table {
        out.push((format!("{path}/{}", f.name), f.name));
        match f.kind {
            Kind::Object(t) | Kind::NamedList(t) | Kind::List(t) => {
                walk(t, &format!("{path}/{}", f.name), out)
            }
            _ => {}
        }
    }
}

#[test]
fn every_field_is_documented() {
    let doc = read("docs/language.md");
    let mut all = Vec::new();
    walk(fields::TOP, "", &mut all);
    assert!(all.len() > 60, "walked {} fields", all.len());
    let missing: Vec<&String> = all
        .iter()
        .filter(|(_, name)| !doc.contains(&format!("| `{name}` |")))
        .map(|(p, _)| p)
        .collect();
    assert!(
        missing.is_empty(),
        "not in a docs/language.md table: {missing:?}"
    );
    for f in walk_docs(fields::TOP) {
        assert!(
            doc.contains(f.doc.trim_end_matches('.')),
            "doc text of `{}` differs",
            f.name
        );
    }
}

fn walk_docs(table: &'static [Field]) -> Vec<&'static Field> {
    let mut v = Vec::new();
    for f in table {
        v.push(f);
        if let Kind::Object(t) | Kind::NamedList(t) | Kind::List(t) = f.kind {
            v.extend(walk_docs(t));
        }
    }
    v
}

/// The cli commands that print language codes; they must use the registry's constants.
const CLI_FILES: &[&str] = &[
    "check.rs",
    "fmt.rs",
    "graph.rs",
    "schema.rs",
    "cron.rs",
    "compile.rs",
];

#[test]
fn every_code_is_registered_and_documented() {
    use claw_language::codes;
    use claw_language::diag::{registry_problems, unregistered_literals};
    let doc = read("docs/diagnostics.md");
    assert!(codes::ALL.len() > 40, "{} codes", codes::ALL.len());
    let problems = registry_problems(codes::ALL, &doc);
    assert!(problems.is_empty(), "registry vs docs: {problems:#?}");
    let mut inline = unregistered_literals(&root().join("language/src"), codes::ALL);
    for f in CLI_FILES {
        let path = root().join("cli/src/cmd").join(f);
        inline.extend(unregistered_literals(&path, codes::ALL));
        // The cli prints codes inside format strings (`error[claw::io]`), which the literal
        // scan does not see: there, any `claw::` at all is a code written by hand.
        let text = read(&format!("cli/src/cmd/{f}"));
        if text
            .lines()
            .any(|l| !l.trim_start().starts_with("//") && l.contains("claw::"))
        {
            inline.push(format!("cli/src/cmd/{f}: a `claw::` code written inline"));
        }
    }
    assert!(
        inline.is_empty(),
        "codes not from the registry: {inline:#?}"
    );
    // Lints show their fix as `help`, so the lint list is the registry's warnings.
    let lints: Vec<_> = claw_language::lint::lints().collect();
    assert_eq!(lints.len(), 12);
    assert!(lints.iter().all(|(id, _)| id.starts_with("claw::lint::")));
}

#[test]
fn documented_expressions_behave_as_documented() {
    use claw_language::expr;
    use serde_json::json;
    let scope = json!({
        "order": {"id": 7, "total": 600.0, "country": "FR", "coupon": "X",
                  "items": [{"sku": "a"}, {"sku": "b"}],
                  "customer": {"tags": ["vip"], "email": "a@b.c"}},
        "steps": {"fetch": {"output": {"weight": 2}}},
    });
    let holds = [
        "order.total >= 500.0",
        "order.country in ['FR', 'DE']",
        "has(order.coupon)",
        "size(order.items) == 2",
        "order.customer.tags.exists(t, t == 'vip')",
        "order.items.all(i, i.sku != '')",
        "order.items.exists_one(i, i.sku == 'a')",
        "order.items.filter(i, i.sku == 'b').size() == 1",
        "order.customer.email.contains('@') && order.customer.email.startsWith('a') && order.customer.email.endsWith('c')",
        "order.country.matches('^[A-Z]+$')",
        "int(order.total) == 600 && double(order.id) == 7.0 && string(order.id) == '7'",
        "(order.total > 1.0 ? 'big' : 'small') == 'big'",
        "steps['fetch'].output.weight == steps.fetch.output.weight",
    ];
    for e in holds {
        let c = expr::compile(e).unwrap_or_else(|err| panic!("{e}: {err}"));
        assert_eq!(c.eval_bool(&scope), Ok(true), "{e}");
    }
    assert_eq!(
        expr::render_template("{{ order.items.map(i, i.sku) }}", &scope),
        Ok(json!(["a", "b"]))
    );
    assert_eq!(
        expr::render_template("\\{{ not a hole }}", &scope),
        Ok(json!("{{ not a hole }}"))
    );
    assert_eq!(expr::desugar_units("error_rate > 1%"), "error_rate > 0.01");
    assert_eq!(expr::desugar_units("p > 2m"), "p > 120.0");
    assert!(
        expr::compile("1% > 0").is_err(),
        "units are only for alert conditions"
    );
}

/// Every formatter function (`text.*`, `number.*`, `date.*`, `util.*`) has its row in
/// docs/language.md, and every row names a function that exists.
#[test]
fn every_formatter_function_is_documented() {
    let doc = read("docs/language.md");
    let missing: Vec<&str> = claw_language::format::FUNCTIONS
        .iter()
        .map(|f| f.name)
        .filter(|n| !doc.contains(&format!("`{n}(")))
        .collect();
    assert!(missing.is_empty(), "not in docs/language.md: {missing:?}");
    for line in doc.lines().filter(|l| l.starts_with("| `")) {
        let name = line[3..].split('(').next().unwrap_or("");
        if claw_language::format::NAMESPACES
            .iter()
            .any(|ns| name.starts_with(&format!("{ns}.")))
        {
            assert!(
                claw_language::format::function(name).is_some(),
                "docs/language.md documents `{name}`, which does not exist"
            );
        }
    }
}
