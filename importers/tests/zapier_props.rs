//! Arbitrary input never panics the Zapier importer; arbitrary well-shaped Zaps always give
//! systems that compile.

use claw_importers::zapier;
use proptest::prelude::*;
use serde_json::{Value, json};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[a-z{}_=\\[\\]\"'0-9 @.$-]{0,24}".prop_map(Value::String),
        prop_oneof![
            Just("{{1__id}}"),
            Just("{{2__a__b}}"),
            Just("{{=gives[\"9\"][\"x\"]}}"),
            Just("{{=f(gives['1']['y'])}}"),
            Just("{{"),
            Just("}}"),
            Just("\\{{")
        ]
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const APPS: &[(&str, &str, &str)] = &[
    ("SlackAPI", "channel_message", "write"),
    ("FilterAPI", "filter", "filter"),
    ("BranchingAPI", "branch", "write"),
    ("BranchingAPI", "filter", "filter"),
    ("DelayCLIAPI@1.1.1", "delay_for", "write"),
    ("DelayAPI", "delay_until", "write"),
    ("CodeCLIAPI@1.0.1", "01929fad", "write"),
    (
        "ZapierLoopingCLIAPI@1.2.6",
        "loop_values_line_items",
        "write",
    ),
    ("WebHookCLIAPI@1.1.1", "post", "write"),
    ("GoogleSheetsV2API", "lookup_row", "search"),
];

const MATCHES: &[&str] = &[
    "icontains",
    "iexact",
    "iexist",
    "igreater",
    "iless",
    "boolean",
    "istartswith",
    "wobble",
    "",
];

fn zap() -> impl Strategy<Value = String> {
    (1usize..9, prop::collection::vec((0usize..APPS.len(), any::<prop::sample::Index>(), json_value(), 0usize..MATCHES.len(), "[a-z0-9_]{0,6}", any::<bool>()), 0..9), "[A-Za-z !?0-9]{0,20}", 0usize..4, "[A-Za-z/_]{0,16}", 0i64..20)
        .prop_map(|(_, steps, title, trig, tz, poll)| {
            let mut nodes = serde_json::Map::new();
            let trig_apps = [("ScheduleAPI", "every_week", json!({"dow": "Monday", "hod": "9am"})), ("WebHookCLIAPI", "hook_v2", json!({})), ("RSSCLIAPI", "new_feed", json!({"url": "https://x"})), ("ScheduleCLIAPI", "everyHour", json!({"moh": "99"}))];
            let (api, action, params) = &trig_apps[trig];
            nodes.insert("1".into(), json!({"id": 1, "paused": poll % 2 == 0, "type_of": "read", "selected_api": api, "action": action, "params": params,
                "meta": {"timezone": tz}, "triple_stores": {"polling_interval_override": poll}, "parent_id": null, "root_id": null}));
            for (k, (app, parent, params, m, key, stop)) in steps.iter().enumerate() {
                let id = k + 2;
                let (api, action, type_of) = APPS[*app];
                let parent = parent.index(id - 1) + 1;
                let mut p = params.as_object().cloned().unwrap_or_default();
                if type_of == "filter" {
                    p.insert("filter_criteria".into(), json!([{"id": 1, "group": k % 2, "key": format!("{}__{key}", parent), "value": "5", "match": MATCHES[*m], "action": if *stop {"stop"} else {"continue"}}]));
                }
                nodes.insert(id.to_string(), json!({"id": id, "paused": true, "type_of": type_of, "selected_api": api, "action": action, "params": p, "meta": {"stepTitle": key}, "parent_id": parent, "root_id": 1}));
            }
            json!({"metadata": {"version": 2}, "zaps": [{"id": 1, "title": title, "nodes": nodes}]}).to_string()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = zapier::import_bytes("fuzz", &bytes);
    }

    #[test]
    fn arbitrary_json_never_panics(v in json_value()) {
        let _ = zapier::import_bytes("fuzz.json", v.to_string().as_bytes());
        let wrapped = json!({"zaps": [{"id": 1, "title": "t", "nodes": {"1": v}}]}).to_string();
        let _ = zapier::import_bytes("fuzz.json", wrapped.as_bytes());
    }

    #[test]
    fn well_shaped_zaps_always_compile(text in zap()) {
        match zapier::import_bytes("gen.json", text.as_bytes()) {
            Ok(imported) => {
                for g in &imported.generated {
                    let out = claw_language::write::to_claw(&g.system);
                    let checked = claw_language::check_text(&out, None, None);
                    let errors: Vec<String> = checked.diagnostics.iter().filter(|d| d.is_error()).map(|d| d.to_string()).collect();
                    prop_assert!(errors.is_empty(), "{errors:?}\n{out}\n{text}");
                }
            }
            Err(e) => prop_assert!(false, "well-shaped input rejected: {e}\n{text}"),
        }
    }
}
