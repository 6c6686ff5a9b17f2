//! The translated filter and path conditions mean what Zapier's rules meant: evaluated with
//! the language's own CEL engine over realistic payloads.

use claw_importers::zapier;
use claw_language::Logic;
use serde_json::json;
use std::path::Path;

fn when(sys: &claw_language::System, name: &str) -> claw_language::expr::Compiled {
    let d = sys
        .decisions
        .iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("no decision {name}"));
    match &d.logic {
        Logic::When(w) => claw_language::expr::compile(w).unwrap_or_else(|e| panic!("{w}: {e}")),
        other => panic!("{other:?}"),
    }
}

fn leads() -> claw_language::System {
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/zapier/route-inbound-leads.json");
    zapier::import(&p).unwrap().generated.remove(0).system
}

#[test]
fn groups_or_criteria_and_stop_negates() {
    let s = leads();
    let a = when(&s, "emea_or_big_corp");
    let scope = |country: &str, employees: i64, email: &str| json!({"lead": {"country": country, "email": email}, "steps": {"enrich_lead": {"output": {"employees": employees}}}});
    // Group 1: country in FR,DE,ES (case-insensitive) AND employees > 50.
    assert!(a.eval_bool(&scope("fr", 80, "x@small.example")).unwrap());
    assert!(!a.eval_bool(&scope("FR", 10, "x@small.example")).unwrap());
    // Group 2: email ends with @bigcorp.example AND does not start with "test" (stop).
    assert!(a.eval_bool(&scope("US", 1, "ann@BigCorp.example")).unwrap());
    assert!(
        !a.eval_bool(&scope("US", 1, "test@bigcorp.example"))
            .unwrap()
    );
    assert!(
        !a.eval_bool(&scope("US", 1, "ann@bigcorpXexample")).unwrap(),
        "dots are literal"
    );
}

#[test]
fn unknown_operator_fails_closed_and_fallback_is_the_negation() {
    let s = leads();
    let vip = when(&s, "vip");
    let payload = json!({"lead": {"vip": "True", "created_at": "2024-06-01T00:00:00Z", "score": "99", "source": "partner", "country": "US", "email": "a@b.example"},
                         "steps": {"enrich_lead": {"output": {"employees": 1}}}});
    // `isoundslike` is unknown: the whole AND group is false whatever the payload says.
    assert!(!vip.eval_bool(&payload).unwrap());
    let fallback = when(&s, "fallback");
    assert!(
        fallback.eval_bool(&payload).unwrap(),
        "no custom path matched, so Fallback runs"
    );
    let emea = json!({"lead": {"vip": "no", "created_at": "2024-06-01T00:00:00Z", "score": "1", "country": "DE", "email": "a@b.example"},
                      "steps": {"enrich_lead": {"output": {"employees": 500}}}});
    assert!(
        !fallback.eval_bool(&emea).unwrap(),
        "a custom path matched, so Fallback does not run"
    );
    assert!(when(&s, "always_log").eval_bool(&emea).unwrap());
}

#[test]
fn exists_and_its_negation() {
    let s = leads();
    let yes = when(&s, "contact_created");
    let no = when(&s, "contact_missing");
    let with_id = json!({"steps": {"create_hubspot_contact": {"output": {"id": "c-1"}}}});
    let without = json!({"steps": {"create_hubspot_contact": {"output": {}}}});
    assert!(yes.eval_bool(&with_id).unwrap() && !no.eval_bool(&with_id).unwrap());
    assert!(!yes.eval_bool(&without).unwrap() && no.eval_bool(&without).unwrap());
}

#[test]
fn corpus_paths_are_not_first_match() {
    let Some(p) = claw_testkit::shared::corpus(
        "zapier/toddmoy-node-based-zap-examples/add-saved-slack-messages-to-todoist.json",
        "corpus_paths_are_not_first_match",
    ) else {
        return;
    };
    let s = zapier::import(&p).unwrap().generated.remove(0).system;
    let a = when(&s, "path_a");
    let b = when(&s, "path_b");
    let editor = json!({"channel": {"name": "Editor-Team"}});
    let other = json!({"channel": {"name": "random"}});
    assert!(a.eval_bool(&editor).unwrap() && !b.eval_bool(&editor).unwrap());
    assert!(!a.eval_bool(&other).unwrap() && b.eval_bool(&other).unwrap());
    // Both paths listen to the trigger: each runs when its own rule holds.
    assert!(
        s.decisions
            .iter()
            .all(|d| d.on == vec![s.triggers[0].name.clone()])
    );
}

/// A Filter after a loop decides per item, as Zapier stops only that iteration: its condition
/// becomes a filter over the loop's items in the `for_each` of the steps below it, and those
/// steps run for exactly the items that pass. The corpus Zap's filters after its loop are the
/// real case (`claw::import::loop_filter`); this one is written for the test.
#[test]
fn a_filter_after_a_loop_filters_the_items() {
    let dir = tempfile::tempdir().unwrap();
    let node = |id: u32,
                parent: Option<u32>,
                type_of: &str,
                app: &str,
                action: &str,
                params: serde_json::Value| {
        json!({"id": id, "parent_id": parent, "root_id": parent.map(|_| 1), "type_of": type_of,
               "selected_api": app, "action": action, "params": params, "meta": {}})
    };
    let export = json!({"zaps": [{"id": 1, "title": "Loop Filter", "nodes": {
        "1": node(1, None, "read", "WebHookCLIAPI@1.1.1", "hook_v2", json!({})),
        "2": node(2, Some(1), "write", "ZapierLoopingCLIAPI@1.2.6", "loop_values_line_items",
                  json!({"loop_values": {"sku": "{{1__skus}}", "qty": "{{1__qtys}}"}})),
        "3": node(3, Some(2), "filter", "FilterAPI", "filter", json!({"filter_criteria": [
                  {"group": 1, "key": "2__qty", "value": "0", "action": "continue", "match": "igreater"},
                  {"group": 1, "key": "1__region", "value": "EU", "action": "continue", "match": "iexact"}]})),
        "4": node(4, Some(3), "write", "WebHookCLIAPI@1.1.1", "post",
                  json!({"url": "https://wh.example.com/{{2__sku}}"})),
    }}]});
    let p = dir.path().join("zap.json");
    std::fs::write(&p, export.to_string()).unwrap();
    let sys = zapier::import(&p).unwrap().generated.remove(0).system;
    assert!(sys.decisions.is_empty(), "{:?}", sys.decisions);
    let post = sys.execution.last().unwrap();
    assert_eq!(
        post.on,
        vec!["zapier_looping_loop_values_line_items.succeeded".to_string()]
    );
    let for_each = post.for_each.as_deref().unwrap();
    let items =
        claw_language::expr::compile(for_each).unwrap_or_else(|e| panic!("{for_each}: {e}"));
    let scope = |region: &str| {
        json!({"region": region, "steps": {"zapier_looping_loop_values_line_items": {"output": {"items": [
            {"sku": "A", "qty": "2", "loop_iteration": 1},
            {"sku": "B", "qty": "0", "loop_iteration": 2},
            {"sku": "C", "qty": "5", "loop_iteration": 3}]}}}})
    };
    let skus = |v: serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|i| i["sku"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(skus(items.eval(&scope("eu")).unwrap()), ["A", "C"]);
    assert!(skus(items.eval(&scope("US")).unwrap()).is_empty());
}
