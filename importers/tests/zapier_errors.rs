//! Bad input: located errors with stable codes, never a panic, never partial output.

use claw_importers::zapier::{self, ZapierError};
use std::io::Write;

fn node(id: u64, parent: Option<u64>) -> serde_json::Value {
    serde_json::json!({"id": id, "paused": false, "type_of": if parent.is_none() {"read"} else {"write"},
        "params": {}, "meta": {}, "parent_id": parent, "root_id": parent.map(|_| 1),
        "action": "channel_message", "selected_api": "SlackAPI", "title": null, "authentication_id": null})
}

fn zapfile(nodes: Vec<(String, serde_json::Value)>) -> String {
    let body: Vec<String> = nodes
        .iter()
        .map(|(k, v)| format!("{}: {}", serde_json::json!(k), v))
        .collect();
    format!(
        "{{\"metadata\": {{\"version\": 2}}, \"zaps\": [{{\"id\": 1, \"title\": \"T\", \"nodes\": {{{}}}}}]}}",
        body.join(", ")
    )
}

fn err(text: &str) -> ZapierError {
    zapier::import_bytes("in.json", text.as_bytes()).expect_err("should fail")
}

#[test]
fn json_syntax_errors_have_line_column_and_excerpt() {
    let e = err("{\n  \"zaps\": [\n    {\"id\": 1,, }\n  ]\n}");
    assert_eq!(e.code(), "claw::import::bad_json");
    let msg = e.to_string();
    assert!(msg.starts_with("in.json:3:14:"), "{msg}");
    assert!(msg.contains("3 |     {\"id\": 1,, }"), "{msg}");
    assert!(msg.contains('^'), "{msg}");
}

#[test]
fn wrong_shapes_are_located() {
    let e = err("[1, 2]");
    assert_eq!(e.code(), "claw::import::bad_shape");
    let e = err("{\"zaps\": [{\"id\": 1, \"title\": \"x\", \"nodes\": []}]}");
    assert_eq!(e.code(), "claw::import::bad_shape");
    assert!(e.to_string().contains("in.json:1:"), "{e}");
    let e = err("{\"metadata\": {\"version\": 2}}");
    assert_eq!(e.code(), "claw::import::bad_shape");
    let e = err("{\"zaps\": [{\"id\": 1, \"nodes\": {\"1\": {\"id\": 1, \"params\": \"nope\"}}}]}");
    assert_eq!(e.code(), "claw::import::bad_shape");
}

#[test]
fn graph_errors_name_the_zap_and_node() {
    let e = err(&zapfile(vec![
        ("1".into(), node(1, None)),
        ("2".into(), node(2, Some(9))),
    ]));
    assert_eq!(e.code(), "claw::import::dangling_parent");
    assert_eq!(
        e.to_string(),
        "in.json: Zap 1 \"T\": node 2 has parent_id 9, which is not a node of this Zap"
    );

    let e = err(&zapfile(vec![
        ("1".into(), node(1, None)),
        ("2".into(), node(2, Some(3))),
        ("3".into(), node(3, Some(2))),
    ]));
    assert_eq!(e.code(), "claw::import::cycle");
    assert!(e.to_string().contains("nodes 2 → 3 form a cycle"), "{e}");

    let e = err(&zapfile(vec![
        ("1".into(), node(1, None)),
        ("2".into(), node(2, Some(1))),
        ("2".into(), node(2, Some(1))),
    ]));
    assert_eq!(e.code(), "claw::import::duplicate_id");

    let e = err(&zapfile(vec![
        ("1".into(), node(1, None)),
        ("3".into(), node(2, Some(1))),
    ]));
    assert_eq!(e.code(), "claw::import::duplicate_id");
    assert!(e.to_string().contains("key \"3\" says its id is 2"), "{e}");

    let e = err(&zapfile(vec![
        ("1".into(), node(1, None)),
        ("2".into(), node(2, None)),
    ]));
    assert_eq!(e.code(), "claw::import::bad_root");

    let two = "{\"zaps\": [{\"id\": 1, \"title\": \"A\", \"nodes\": {}}, {\"id\": 1, \"title\": \"B\", \"nodes\": {}}]}";
    assert_eq!(err(two).code(), "claw::import::duplicate_zap");
}

fn zip_with(entries: &[(&str, &str)]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        for (name, body) in entries {
            z.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            z.write_all(body.as_bytes()).unwrap();
        }
        z.finish().unwrap();
    }
    buf.into_inner()
}

#[test]
fn zip_exports() {
    let good = zapfile(vec![
        ("1".into(), node(1, None)),
        ("2".into(), node(2, Some(1))),
    ]);
    let z = zip_with(&[
        ("export/ZAPFILE.JSON", &good),
        ("export/zap_data.json", "{}"),
        ("task_history_download_urls.csv", "a,b\n"),
    ]);
    let imported = zapier::import_bytes("acct.zip", &z).unwrap();
    assert_eq!(imported.generated.len(), 1);
    assert_eq!(
        imported.generated[0]
            .system
            .provenance
            .as_ref()
            .unwrap()
            .file
            .as_deref(),
        Some("acct.zip!export/ZAPFILE.JSON")
    );

    let z = zip_with(&[("zap_data.json", "{}"), ("notes.txt", "hi")]);
    let e = zapier::import_bytes("acct.zip", &z).unwrap_err();
    assert_eq!(e.code(), "claw::import::no_zapfile");
    assert!(e.to_string().contains("notes.txt, zap_data.json"), "{e}");

    let e = zapier::import_bytes("acct.zip", b"PK\x03\x04garbage").unwrap_err();
    assert_eq!(e.code(), "claw::import::bad_zip");
}

#[test]
fn folders_skip_zap_data_and_fail_as_a_whole() {
    let dir = tempfile::tempdir().unwrap();
    let good = zapfile(vec![("1".into(), node(1, None))]);
    std::fs::write(dir.path().join("Zapfile.json"), &good).unwrap();
    std::fs::write(dir.path().join("zap_data.json"), "{\"whatever\": true}").unwrap();
    let imported = zapier::import(dir.path()).unwrap();
    assert_eq!(imported.generated.len(), 1);
    assert!(
        imported
            .findings
            .iter()
            .any(|f| f.code == "claw::import::skipped_file")
    );
    std::fs::write(dir.path().join("b.json"), "{ nope").unwrap();
    assert_eq!(
        zapier::import(dir.path()).unwrap_err().code(),
        "claw::import::bad_json"
    );
    let empty = tempfile::tempdir().unwrap();
    assert_eq!(
        zapier::import(empty.path()).unwrap_err().code(),
        "claw::import::empty_input"
    );
}

#[test]
fn unknown_fields_and_apps_are_not_errors() {
    let mut n = node(1, None);
    n["surprise"] = serde_json::json!({"x": 1});
    n["selected_api"] = serde_json::json!("NeverHeardOfItCLIAPI@9.9.9");
    let text = format!(
        "{{\"metadata\": {{\"version\": \"2\"}}, \"extra\": 1, \"zaps\": [{{\"id\": \"1\", \"title\": \"T\", \"status\": \"on\", \"nodes\": {{\"1\": {n}}}}}]}}"
    );
    let imported = zapier::import_bytes("in.json", text.as_bytes()).unwrap();
    assert_eq!(
        imported.generated[0].system.triggers[0].action.as_deref(),
        Some("never_heard_of_it.channel_message")
    );
    assert!(
        imported
            .findings
            .iter()
            .any(|f| f.code == "claw::import::zap_status")
    );
}
