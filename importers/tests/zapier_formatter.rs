//! Formatter by Zapier steps: every shape of params the importer reads maps to the formatter
//! function it should, the result evaluates as Zapier's Formatter would, and what cannot be
//! mapped (an unknown transform, an unknown option, a segment index that is not fixed, a
//! Python-only regular expression) stays `unported.*` with its finding.

use claw_importers::zapier;
use serde_json::{Value, json};

/// A one-Zap export: a catch hook (node 1), then `nodes` (id → node), imported.
fn import_nodes(nodes: Value) -> zapier::Imported {
    let mut all = json!({
        "1": {"id": 1, "type_of": "read", "params": {}, "parent_id": null, "root_id": null,
              "action": "hook_v2", "selected_api": "WebHookCLIAPI@1.1.1", "title": "F"}
    });
    if let (Some(m), Value::Object(more)) = (all.as_object_mut(), nodes) {
        m.extend(more);
    }
    let export = json!({
        "metadata": {"version": 2},
        "zaps": [{"id": 1, "title": "F", "nodes": all}]
    });
    zapier::import_bytes("f.json", export.to_string().as_bytes()).unwrap()
}

/// A formatter node under the hook.
fn formatter_node(id: u32, action: &str, params: Value) -> Value {
    json!({"id": id, "type_of": "write", "params": params, "parent_id": id - 1, "root_id": 1,
           "action": action, "selected_api": "ZapierFormatterCLIAPI@1.0.8",
           "meta": {"stepTitle": "Fmt"}})
}

/// A one-Zap export: a catch hook, then the given Formatter node, then nothing.
fn import_one(action: &str, params: Value) -> (claw_language::Execution, Vec<String>) {
    let imported = import_nodes(json!({"2": formatter_node(2, action, params)}));
    let sys = imported.generated[0].system.clone();
    let codes = imported.findings.iter().map(|f| f.code.clone()).collect();
    (sys.execution[0].clone(), codes)
}

/// The step's `value` template evaluated over a delivery.
fn value(x: &claw_language::Execution, payload: Value) -> Value {
    let scope = json!({"payload": payload, "steps": {}, "trigger": {"run_id": "r1", "received_at": "2024-03-05T14:30:00Z"}});
    claw_language::expr::render_template(x.with["value"].as_str().unwrap(), &scope)
        .unwrap_or_else(|e| panic!("{:?}: {}", x.with, e.message))
}

#[test]
fn transform_key_shapes_are_all_read() {
    // Category action + transform name; category.name in `transform`; category.name as action.
    for (action, params) in [
        (
            "string",
            json!({"transform": "titlecase", "inputs": "{{1__t}}"}),
        ),
        (
            "string",
            json!({"transform": "string.titlecase", "inputs": "{{1__t}}"}),
        ),
        ("string.titlecase", json!({"inputs": "{{1__t}}"})),
        (
            "text",
            json!({"transform": "titlecase", "inputs": "{{1__t}}"}),
        ),
    ] {
        let (x, codes) = import_one(action, params);
        assert_eq!(x.action, "format.value", "{action}");
        assert_eq!(x.legacy["transform"], "string.titlecase");
        assert!(codes.iter().any(|c| c == "claw::import::formatter_mapped"));
        assert_eq!(
            value(&x, json!({"t": "a tale of two cities"})),
            json!("A Tale of Two Cities")
        );
    }
}

/// Options flat in params or under `options`; the run's time for `{{zap_meta_human_now}}`.
#[test]
fn options_and_now() {
    let (x, _) = import_one(
        "date",
        json!({"transform": "manipulate", "inputs": "{{zap_meta_human_now}}",
               "options": {"expression": "+1 day", "to_format": "YYYY-MM-DD"}}),
    );
    assert_eq!(value(&x, json!({})), json!("2024-03-06"));
    let (x, _) = import_one(
        "number",
        json!({"transform": "math", "operation": "mul", "inputs": ["{{1__a}}", "3"]}),
    );
    assert_eq!(value(&x, json!({"a": "2.5"})), json!(7.5));
    let (x, _) = import_one(
        "util",
        json!({"transform": "choose", "operation": "random", "inputs": ["a", "b", "c"]}),
    );
    assert!(x.with["value"].as_str().unwrap().contains("trigger.run_id"));
    assert_eq!(
        value(&x, json!({})),
        value(&x, json!({})),
        "seeded by the run"
    );
}

/// Transforms that give several fields become `format.fields`.
#[test]
fn field_outputs() {
    let (x, _) = import_one(
        "string",
        json!({"transform": "split", "inputs": "{{1__t}}", "separator": "[:space:]", "index": "fields"}),
    );
    assert_eq!(x.action, "format.fields");
    assert_eq!(
        value(&x, json!({"t": "a b"})),
        json!({"Item 1": "a", "Item 2": "b"})
    );
    let (x, _) = import_one(
        "string",
        json!({"transform": "re_extract", "inputs": "{{1__t}}", "pattern": "(\\d+)"}),
    );
    assert_eq!(x.action, "format.fields");
    assert_eq!(value(&x, json!({"t": "no 42"}))["0"], json!("42"));
}

#[test]
fn what_cannot_be_mapped_stays_unported_with_a_finding() {
    let cases = [
        (
            "util",
            json!({"transform": "import_csv", "inputs": "https://x.test/a.csv", "encoding": "latin-1"}),
            "claw::import::formatter_unsupported",
        ),
        (
            "string",
            json!({"transform": "frobnicate", "inputs": "x"}),
            "claw::import::formatter_unsupported",
        ),
        (
            "string",
            json!({"inputs": "x"}),
            "claw::import::formatter_unsupported",
        ),
        (
            "string",
            json!({"transform": "titlecase", "inputs": "x", "locale": "tr"}),
            "claw::import::formatter_option",
        ),
        (
            "string",
            json!({"transform": "split", "inputs": "x", "index": "{{1__i}}"}),
            "claw::import::formatter_option",
        ),
        (
            "string",
            json!({"transform": "re_extract", "inputs": "x", "pattern": "(?<=a)b"}),
            "claw::import::formatter_option",
        ),
    ];
    for (action, params, code) in cases {
        let (x, codes) = import_one(action, params.clone());
        assert!(
            x.action.starts_with("unported.zapier_formatter."),
            "{params}: {}",
            x.action
        );
        assert!(codes.iter().any(|c| c == code), "{params}: {codes:?}");
        assert!(!x.legacy.contains_key("transform"));
    }
    // An option left blank by the editor is not a reason to refuse.
    let (x, _) = import_one(
        "string",
        json!({"transform": "titlecase", "inputs": "x", "locale": ""}),
    );
    assert_eq!(x.action, "format.value");
}

/// The second slice: Markdown ↔ HTML, phone numbers, spreadsheet formulas, random numbers,
/// date comparison and the line itemizer, each read from params and evaluated as Zapier's
/// Formatter would give it (docs/importers/zapier.md, "Formatter by Zapier").
#[test]
fn second_slice_transforms() {
    let one = |action: &str, params: Value, payload: Value| {
        let (x, codes) = import_one(action, params.clone());
        assert!(
            x.action.starts_with("format."),
            "{params}: {} {codes:?}",
            x.action
        );
        (x.action.clone(), value(&x, payload))
    };
    let (_, v) = one(
        "string",
        json!({"transform": "markdown", "inputs": "**{{1__t}}**"}),
        json!({"t": "hi"}),
    );
    assert_eq!(v, json!("<p><strong>hi</strong></p>"));
    let (_, v) = one(
        "string",
        json!({"transform": "htmlmarkdown", "inputs": "{{1__h}}"}),
        json!({"h": "<h2>Hi</h2>"}),
    );
    assert_eq!(v, json!("## Hi"));
    let (_, v) = one(
        "number",
        json!({"transform": "phone", "inputs": "{{1__p}}", "format_string": "2", "default_region": "US"}),
        json!({"p": "555.800.1212"}),
    );
    assert_eq!(v, json!("(555) 800-1212"));
    // Fields are filled into the formula's text, as Zapier fills them.
    let (_, v) = one(
        "number",
        json!({"transform": "spreadsheet_formula", "inputs": "=ROUND({{1__price}} * 1.2, 2)"}),
        json!({"price": "9.99"}),
    );
    assert_eq!(v, json!(11.99));
    let (_, v) = one(
        "number",
        json!({"transform": "random_number", "lower_range": "1", "upper_range": "6"}),
        json!({}),
    );
    let n = v.as_i64().unwrap_or(0);
    assert!((1..=6).contains(&n), "{v}");
    let (action, v) = one(
        "date",
        json!({"transform": "compare", "start_date": "{{1__from}}", "end_date": "{{1__to}}"}),
        json!({"from": "2024-03-01", "to": "2024-03-04"}),
    );
    assert_eq!(action, "format.fields");
    assert_eq!(v["days"], json!(3));
    let (action, v) = one(
        "util",
        json!({"transform": "line_itemizer", "inputs": {"sku": "{{1__skus}}", "qty": "1,2"}, "group_name": "Orders"}),
        json!({"skus": "A,B"}),
    );
    assert_eq!(action, "format.fields");
    assert_eq!(
        v,
        json!({"Orders": [{"sku": "A", "qty": "1"}, {"sku": "B", "qty": "2"}]})
    );
    // A line itemizer whose properties are not a map is refused, not guessed.
    let (x, codes) = import_one(
        "util",
        json!({"transform": "line_itemizer", "inputs": "a,b"}),
    );
    assert!(x.action.starts_with("unported."));
    assert!(codes.iter().any(|c| c == "claw::import::formatter_option"));
}

/// Import CSV becomes two steps: the download (`http.get`, an effect) and the parse
/// (`format.fields` under the Zapier step's name, so `{{N__line_items}}` still resolves).
#[test]
fn import_csv_is_a_download_then_a_parse() {
    let mut rows = formatter_node(
        2,
        "util",
        json!({"transform": "import_csv", "inputs": "{{1__file}}", "delimiter": "semicolon"}),
    );
    rows["meta"]["stepTitle"] = json!("Rows");
    let imported = import_nodes(json!({
        "2": rows,
        "3": {"id": 3, "type_of": "write", "parent_id": 2, "root_id": 1,
              "params": {"url": "https://x.test/n", "data": {"n": "{{2__row_count}}"}},
              "action": "post", "selected_api": "WebHookCLIAPI@1.1.1"}
    }));
    let x = &imported.generated[0].system.execution;
    assert_eq!(x[0].name, "rows_download");
    assert_eq!(x[0].action, "http.get");
    assert_eq!(x[1].name, "rows");
    assert_eq!(x[1].action, "format.fields");
    assert_eq!(x[1].on, vec!["rows_download.succeeded".to_string()]);
    assert_eq!(x[1].legacy["transform"], "util.import_csv");
    assert_eq!(x[2].on, vec!["rows.succeeded".to_string()]);
    // Webhooks by Zapier POST without `payload_type` sends a form (Zapier's default).
    assert_eq!(
        x[2].with["form"]["n"],
        json!("{{ steps.rows.output.row_count }}")
    );
    let scope =
        json!({"steps": {"rows_download": {"output": {"status": 200, "body": "a;b\n1;2\n"}}}});
    let v = claw_language::expr::render_template(x[1].with["value"].as_str().unwrap(), &scope)
        .unwrap_or_else(|e| panic!("{}", e.message));
    assert_eq!(
        v,
        json!({"row_count": 1, "line_items": [{"a": "1", "b": "2"}]})
    );
    // Record-only mode records the download without making it: no body, so no rows.
    let recorded = json!({"steps": {"rows_download": {"output": {"recorded": true}}}});
    let v = claw_language::expr::render_template(x[1].with["value"].as_str().unwrap(), &recorded)
        .unwrap_or_else(|e| panic!("{}", e.message));
    assert_eq!(v, json!({"row_count": 0, "line_items": []}));
}
