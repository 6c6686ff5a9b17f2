//! JSON Schema of the language, generated from the field tables so it cannot drift.

use crate::fields::{self, Field, Kind};
use serde_json::{Map, Value, json};

/// The JSON Schema (draft 2020-12) of a `.claw` file.
pub fn json_schema() -> Value {
    let mut root = object(fields::TOP);
    if let Value::Object(m) = &mut root {
        m.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        m.insert("$id".into(), json!("https://openclaw.dev/schema/claw.json"));
        m.insert("title".into(), json!("OpenClaw system (.claw)"));
        if let Some(Value::Object(props)) = m.get_mut("properties") {
            if let Some(Value::Object(d)) = props.get_mut("version") {
                d.insert(
                    "pattern".into(),
                    json!(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$"),
                );
            }
            if let Some(Value::Object(d)) = props.get_mut("system") {
                d.insert("pattern".into(), json!("^[A-Za-z][A-Za-z0-9_-]*$"));
            }
        }
    }
    root
}

fn object(table: &[Field]) -> Value {
    let mut props = Map::new();
    for f in table {
        let mut s = kind_schema(f.kind);
        if let Value::Object(m) = &mut s {
            m.insert("description".into(), json!(f.doc));
        }
        props.insert(f.name.into(), s);
    }
    let required: Vec<&str> = table
        .iter()
        .filter(|f| f.required)
        .map(|f| f.name)
        .collect();
    json!({
        "type": "object",
        "additionalProperties": false,
        "properties": props,
        "required": required,
    })
}

fn kind_schema(k: Kind) -> Value {
    match k {
        Kind::Text | Kind::Expr => json!({"type": "string"}),
        Kind::Count => json!({"type": "integer", "minimum": 0, "maximum": 1000}),
        Kind::Bool => json!({"type": "boolean"}),
        Kind::Duration => {
            // The units come from the one table the parser and alert conditions read.
            let units: Vec<&str> = crate::units::DURATION_UNITS
                .iter()
                .map(|(u, _)| *u)
                .collect();
            let pattern = format!(r"^(\d+(\.\d+)?({}))+$", units.join("|"));
            json!({"type": "string", "pattern": pattern})
        }
        Kind::OneOf(words) => json!({"type": "string", "enum": words}),
        Kind::Names => {
            json!({"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]})
        }
        Kind::Params => json!({"type": "object"}),
        Kind::StringMap => {
            json!({"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}})
        }
        Kind::Object(t) => object(t),
        Kind::List(t) => json!({"type": "array", "items": object(t)}),
        Kind::Rows => json!({"type": "array", "items": {"type": "object"}}),
        Kind::NamedList(t) => json!({
            "type": "array",
            "items": {
                "type": "object",
                "minProperties": 1,
                "maxProperties": 1,
                "patternProperties": {"^[A-Za-z][A-Za-z0-9_-]*$": object(t)},
                "additionalProperties": false,
            }
        }),
    }
}
