//! `claw schema` through the real binary: a JSON Schema document that accepts every
//! sample system and rejects unknown keys the way the parser does.
//!
//! The `jsonschema` crate would add a heavy dependency tree to a 2-core CI, so the
//! samples are checked against the keywords the schema uses (`type`, `properties`,
//! `required`, `additionalProperties`, `enum`, `items`, `patternProperties`,
//! `minProperties`/`maxProperties`, `oneOf`, `pattern` is skipped).

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn schema() -> Value {
    let out = Command::cargo_bin("claw")
        .expect("binary")
        .arg("schema")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    serde_json::from_slice(&out.stdout).expect("the schema is JSON")
}

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        _ => false,
    }
}

/// Errors of `v` against `s`, as JSON-pointer-ish paths.
fn validate(s: &Value, v: &Value, at: &str, errs: &mut Vec<String>) {
    if let Some(alts) = s.get("oneOf").and_then(Value::as_array) {
        let ok = alts
            .iter()
            .filter(|a| {
                let mut e = Vec::new();
                validate(a, v, at, &mut e);
                e.is_empty()
            })
            .count();
        if ok != 1 {
            errs.push(format!("{at}: matches {ok} of oneOf"));
        }
    }
    match s.get("type") {
        Some(Value::String(t)) if !type_ok(t, v) => errs.push(format!("{at}: not {t}")),
        Some(Value::Array(ts)) if !ts.iter().any(|t| type_ok(t.as_str().unwrap_or(""), v)) => {
            errs.push(format!("{at}: none of {ts:?}"))
        }
        _ => {}
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array)
        && !e.contains(v)
    {
        errs.push(format!("{at}: {v} not in enum"));
    }
    if let (Some(items), Some(a)) = (s.get("items"), v.as_array()) {
        for (i, x) in a.iter().enumerate() {
            validate(items, x, &format!("{at}/{i}"), errs);
        }
    }
    let Some(o) = v.as_object() else { return };
    for r in s
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if !o.contains_key(r.as_str().unwrap_or("")) {
            errs.push(format!("{at}: missing {r}"));
        }
    }
    if let Some(n) = s.get("minProperties").and_then(Value::as_u64)
        && (o.len() as u64) < n
    {
        errs.push(format!("{at}: fewer than {n} keys"));
    }
    if let Some(n) = s.get("maxProperties").and_then(Value::as_u64)
        && o.len() as u64 > n
    {
        errs.push(format!("{at}: more than {n} keys"));
    }
    let props = s.get("properties").and_then(Value::as_object);
    let patterns = s.get("patternProperties").and_then(Value::as_object);
    for (k, x) in o {
        let p = format!("{at}/{k}");
        if let Some(ps) = props.and_then(|m| m.get(k)) {
            validate(ps, x, &p, errs);
        } else if let Some((_, ps)) =
            patterns.and_then(|m| m.iter().find(|(re, _)| regex_lite_match(re, k)))
        {
            validate(ps, x, &p, errs);
        } else if s.get("additionalProperties") == Some(&Value::Bool(false)) {
            errs.push(format!("{p}: unknown key"));
        } else if let Some(ap) = s.get("additionalProperties").filter(|a| a.is_object()) {
            validate(ap, x, &p, errs);
        }
    }
}

/// The only patternProperties regex the schema uses is the item-name pattern.
fn regex_lite_match(re: &str, k: &str) -> bool {
    assert_eq!(
        re, "^[A-Za-z][A-Za-z0-9_-]*$",
        "schema grew a new pattern; extend this test"
    );
    claw_language::units::is_name(k)
}

fn sample_json(name: &str) -> Value {
    let text =
        std::fs::read_to_string(root().join(format!("samples/systems/{name}"))).expect("read");
    claw_language::yaml::load(&text).expect("YAML").to_json()
}

#[test]
fn schema_is_a_draft_2020_12_document() {
    let s = schema();
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(s["type"], "object");
    let req: Vec<&str> = s["required"]
        .as_array()
        .expect("required")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for k in [
        "system",
        "version",
        "triggers",
        "decisions",
        "execution",
        "data",
        "observability",
    ] {
        assert!(req.contains(&k), "{k} required");
    }
}

#[test]
fn every_sample_system_validates() {
    let s = schema();
    let mut n = 0;
    for e in std::fs::read_dir(root().join("samples/systems")).expect("dir") {
        let p = e.expect("entry").path();
        if p.extension().is_none_or(|x| x != "claw") {
            continue;
        }
        let name = p.file_name().expect("name").to_string_lossy().into_owned();
        let mut errs = Vec::new();
        validate(&s, &sample_json(&name), "", &mut errs);
        assert!(errs.is_empty(), "{name}: {errs:?}");
        n += 1;
    }
    assert!(n >= 5);
}

#[test]
fn schema_rejects_what_the_parser_rejects() {
    let s = schema();
    let mut v = sample_json("dispatch.claw");
    v["execution"][0]["book_carrier"]["retires"] = Value::from(3);
    v.as_object_mut().expect("object").remove("data");
    let mut errs = Vec::new();
    validate(&s, &v, "", &mut errs);
    assert!(
        errs.iter().any(|e| e.ends_with("/retires: unknown key")),
        "{errs:?}"
    );
    assert!(
        errs.iter().any(|e| e.ends_with("missing \"data\"")),
        "{errs:?}"
    );
}

#[test]
fn help() {
    Command::cargo_bin("claw")
        .expect("binary")
        .args(["schema", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("yaml-language-server"));
}
