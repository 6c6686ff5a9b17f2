//! Webhooks by Zapier actions → `http.*` steps whose parameters mean what Zapier's did.
//!
//! Zapier's POST and PUT send `data` as a form (`payload_type: form`, the default), as JSON
//! (`json`) or as raw text (`raw`); keys with a double underscore are nested objects unless
//! `unflatten` is `no`; `wrap_request_as_array` sends the object inside a list. GET sends
//! `query` in the URL. A custom request names its `method` and sends `data` as is. Basic auth
//! is `user|password` (a credential: the secret detector turns it into a `secret://`
//! reference). The runtime's `http` adapter takes `body` (a string as is, anything else as
//! JSON), `form`, `query`, `headers`, `basic_auth` and, for `http.request`, `method`.
//!
//! An option that cannot be kept (a file upload, XML, GET's JSON body) is a finding; the step
//! still runs, without it.

use super::Mapper;
use crate::findings::Finding;
use crate::zapier::codes;
use claw_language::Execution;
use serde_json::{Map, Value};

/// Options that only shape the request and are consumed here.
const SHAPING: &[&str] = &[
    "payload_type",
    "unflatten",
    "wrap_request_as_array",
    "send_as_json",
    "json_key",
];

/// Whether a Zapier yes/no option is on; `default` when it is absent or mapped.
fn flag(v: Option<&Value>, default: bool) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "yes" | "true" | "1" => true,
            "no" | "false" | "0" => false,
            _ => default,
        },
        _ => default,
    }
}

/// Nests `a__b: v` as `a: {b: v}`, as Zapier does by default. A key that would both hold a
/// value and nest keeps the value (Zapier's behaviour for that clash is not documented).
pub(super) fn unflatten(data: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in data {
        let parts: Vec<&str> = k.split("__").filter(|p| !p.is_empty()).collect();
        if parts.len() < 2 || !nest(&mut out, &parts, v) {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

/// Puts `v` at `path` under `m`, making the objects on the way; false (and `m` unchanged at
/// the clash) when a non-object value is already on the way.
fn nest(m: &mut Map<String, Value>, path: &[&str], v: &Value) -> bool {
    match path {
        [] => false,
        [last] => {
            m.insert((*last).to_string(), v.clone());
            true
        }
        [first, rest @ ..] => {
            let slot = m
                .entry((*first).to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            match slot {
                Value::Object(inner) => nest(inner, rest, v),
                _ => false,
            }
        }
    }
}

impl Mapper<'_> {
    /// Rewrites a Webhooks by Zapier step's (already reference-rewritten) parameters into the
    /// `http` adapter's. `method` is the Zapier action (`post`, `get`, `put`, `custom_request`…).
    pub(super) fn webhook_params(&mut self, i: usize, method: &str, x: &mut Execution) {
        let name = self.names[i].clone();
        let payload = x
            .with
            .get("payload_type")
            .and_then(Value::as_str)
            .unwrap_or("form")
            .trim()
            .to_ascii_lowercase();
        let nest = flag(x.with.get("unflatten"), true);
        let wrap = flag(x.with.get("wrap_request_as_array"), false);
        let get_json = flag(x.with.get("send_as_json"), false);
        for k in SHAPING {
            x.with.shift_remove(*k);
        }
        let mut dropped: Vec<String> = Vec::new();
        if x.with.shift_remove("file").is_some() {
            dropped.push("`file` (a file upload)".into());
        }
        let data = x.with.shift_remove("data");
        if x.action == "http.request" {
            // A custom request sends `data` as written (raw text).
            if let Some(d) = data {
                x.with.insert("body".into(), d);
            }
        } else if x.action == "http.get" {
            // GET sends `query` in the URL, as it is.
            if get_json {
                dropped.push("`send_as_json` (a JSON body on a GET)".into());
            }
        } else if let Some(d) = data {
            let d = match d {
                Value::Object(m) if nest => Value::Object(unflatten(&m)),
                other => other,
            };
            let d = if wrap { Value::Array(vec![d]) } else { d };
            match payload.as_str() {
                "json" => {
                    x.with.insert("body".into(), d);
                }
                "raw" => {
                    let text = match d {
                        Value::String(s) => Value::String(s),
                        other => Value::String(other.to_string()),
                    };
                    x.with.insert("body".into(), text);
                }
                "xml" => {
                    dropped.push("`payload_type: xml` (sent as JSON instead)".into());
                    x.with.insert("body".into(), d);
                }
                _ if wrap => {
                    // A form cannot hold a list; Zapier only wraps JSON payloads.
                    x.with.insert("body".into(), d);
                }
                _ => match d {
                    Value::Object(m) => {
                        x.with.insert("form".into(), Value::Object(m));
                    }
                    other => {
                        x.with.insert("body".into(), other);
                    }
                },
            }
        }
        if !dropped.is_empty() {
            let what = dropped.join(", ");
            self.note(
                Finding::warning(
                    codes::WEBHOOK_OPTION.id,
                    format!(
                        "Webhooks by Zapier step `{name}` ({method}) uses {what}, which the `http` adapter does not send"
                    ),
                    self.origin(Some(i)),
                )
                .at_path(format!("/execution/{name}"))
                .with_help("check the receiving end, or write the request in a `code.js` step"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn double_underscores_nest() {
        let m = json!({"a__b": 1, "a__c": 2, "d": 3, "e__": 4});
        let Value::Object(m) = m else { unreachable!() };
        assert_eq!(
            Value::Object(unflatten(&m)),
            json!({"a": {"b": 1, "c": 2}, "d": 3, "e__": 4})
        );
    }

    #[test]
    fn a_clash_keeps_the_flat_key() {
        let Value::Object(m) = json!({"a": 1, "a__b": 2}) else {
            unreachable!()
        };
        assert_eq!(Value::Object(unflatten(&m)), json!({"a": 1, "a__b": 2}));
    }

    #[test]
    fn flags_read_zapier_spellings() {
        assert!(flag(Some(&json!("yes")), false));
        assert!(!flag(Some(&json!("no")), true));
        assert!(flag(None, true));
        assert!(flag(Some(&json!("{{1__x}}")), true));
    }
}
