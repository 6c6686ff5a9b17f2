//! The normalized outcome model both sides are reduced to before comparison.
//!
//! Nothing here knows whether an outcome came from Zapier, cron, a generic log,
//! the live mirror or the record-only runtime: parsers produce [`Outcome`]s and
//! the comparison core only ever sees these.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The action of a request a `code.js` step made with `fetch` in record-only mode.
pub const FETCH_ACTION: &str = "code.js.fetch";

/// How a run is matched with its counterpart on the other side.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Correlation {
    /// The trigger's idempotency key evaluated on the payload.
    Key(String),
    /// SHA-256 of the canonical JSON of the trigger payload (hex); matched within a time window.
    Payload(String),
    /// The schedule fire time (matched within a tolerance); `at` carries the instant.
    FireTime,
}

impl Correlation {
    /// A short human label, e.g. `key 1001`.
    pub fn label(&self) -> String {
        match self {
            Correlation::Key(k) => format!("key {k}"),
            Correlation::Payload(d) => format!("payload {}", &d[..d.len().min(12)]),
            Correlation::FireTime => "fire time".to_string(),
        }
    }
}

/// One step of a run: the call made (legacy) or the call that would have been made (shadow).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepOutcome {
    /// Step name as in the `.claw` system (legacy steps are mapped onto these names).
    pub step: String,
    /// The call, as `adapter.operation`.
    pub action: String,
    /// Rendered parameters of the call (the diffed `with`).
    #[serde(default)]
    pub params: Value,
    /// Idempotency key passed to the adapter, when any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// Free-form status (`success`, `error`, `recorded`, …); informative, not diffed.
    #[serde(default)]
    pub status: String,
}

/// One run of one side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// Where it came from, for people (`history.json#3`, `syslog:12`, `wrap:42`).
    pub source: String,
    /// System name the run belongs to.
    pub system: String,
    /// Trigger name (for cron: the job).
    pub trigger: String,
    /// How this run is correlated.
    pub correlation: Correlation,
    /// When the run started (for schedules: the fire time).
    pub at: DateTime<Utc>,
    /// Digest of the trigger payload when known; groups runs with identical inputs (noise detection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_digest: Option<String>,
    /// Decisions that let the run continue (branches taken), sorted.
    #[serde(default)]
    pub branches: Vec<String>,
    /// Steps in the order they ran.
    #[serde(default)]
    pub steps: Vec<StepOutcome>,
    /// Run status (`success`, `filtered`, `error`, `exit 3`, …); informative, not diffed.
    #[serde(default)]
    pub status: String,
    /// The trigger payload, when the legacy source has it (fed to the record-only runtime).
    #[serde(skip)]
    pub payload: Option<Value>,
}

impl Outcome {
    /// The comparable view of a run: `{branches: {decision: true}, steps: {name: {action, with}}}`.
    /// Field-level diff paths (`steps.post_slack.with.text`) are paths into this value.
    ///
    /// A step that ran more than once in the run (a loop's per-item steps, one call per
    /// item, in order) is compared item by item: its first call is `name`, the n-th
    /// `name#n`, so a differing third item is `steps.notify#3.with.text` and an item only one
    /// side has shows as that item missing. Requests a `code.js` step made with `fetch`
    /// (recorded as `code.js.fetch` calls) are left out: legacy histories never list them.
    pub fn view(&self) -> Value {
        let mut steps = serde_json::Map::new();
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for s in self.steps.iter().filter(|s| s.action != FETCH_ACTION) {
            let n = seen.entry(s.step.as_str()).or_insert(0);
            *n += 1;
            let name = if *n == 1 {
                s.step.clone()
            } else {
                format!("{}#{n}", s.step)
            };
            let mut m = serde_json::Map::new();
            m.insert("action".into(), Value::String(s.action.clone()));
            m.insert("with".into(), s.params.clone());
            steps.insert(name, Value::Object(m));
        }
        let branches: serde_json::Map<String, Value> = self
            .branches
            .iter()
            .map(|b| (b.clone(), Value::Bool(true)))
            .collect();
        serde_json::json!({ "branches": branches, "steps": steps })
    }
}

/// Which side an outcome belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// What the legacy setup did.
    Legacy,
    /// What the imported system would have done.
    Shadow,
}

/// Canonical JSON (object keys sorted, no whitespace) so equal values always hash equal.
pub fn canonical_json(v: &Value) -> String {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let b: BTreeMap<&String, Value> = m.iter().map(|(k, v)| (k, sorted(v))).collect();
                let mut out = serde_json::Map::new();
                for (k, v) in b {
                    out.insert(k.clone(), v);
                }
                Value::Object(out)
            }
            Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(v).to_string()
}

/// Hex SHA-256 of the canonical JSON of a payload.
pub fn payload_digest(v: &Value) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(canonical_json(v).as_bytes()))
}

/// Parses an RFC 3339 timestamp, also accepting a space instead of `T` and a missing zone (UTC).
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    let t2 = t.replacen(' ', "T", 1);
    if let Ok(d) = DateTime::parse_from_rfc3339(&t2) {
        return Some(d.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(n) = chrono::NaiveDateTime::parse_from_str(&t2, f) {
            return Some(n.and_utc());
        }
    }
    None
}

/// A correlation key value as text: strings as-is, anything else as compact JSON, so the
/// key `1001` read from a log and the key `"1001"` evaluated on a payload are the same key.
pub fn key_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let a = json!({"b": 1, "a": {"d": [{"y": 1, "x": 2}], "c": 3}});
        assert_eq!(
            canonical_json(&a),
            r#"{"a":{"c":3,"d":[{"x":2,"y":1}]},"b":1}"#
        );
        let b = json!({"a": {"c": 3, "d": [{"x": 2, "y": 1}]}, "b": 1});
        assert_eq!(payload_digest(&a), payload_digest(&b));
        assert_eq!(payload_digest(&a).len(), 64);
    }

    #[test]
    fn parse_time_takes_rfc3339_a_space_and_no_zone_as_utc() {
        let z = parse_time("2026-11-02T02:30:00Z").unwrap();
        assert_eq!(parse_time("2026-11-02 02:30:00Z"), Some(z));
        assert_eq!(parse_time("2026-11-02T02:30"), Some(z));
        assert_eq!(parse_time("2026-11-02T03:30:00+01:00"), Some(z));
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn the_view_holds_branches_and_steps_by_name() {
        let o = Outcome {
            source: "s".into(),
            system: "sys".into(),
            trigger: "t".into(),
            correlation: Correlation::Key("1".into()),
            at: parse_time("2026-11-02T02:30:00Z").unwrap(),
            payload_digest: None,
            branches: vec!["big".into()],
            steps: vec![StepOutcome {
                step: "post".into(),
                action: "slack.post".into(),
                params: json!({"text": "hi"}),
                idempotency_key: None,
                status: String::new(),
            }],
            status: String::new(),
            payload: None,
        };
        assert_eq!(
            o.view(),
            json!({"branches": {"big": true}, "steps": {"post": {"action": "slack.post", "with": {"text": "hi"}}}})
        );
    }

    #[test]
    fn repeated_steps_are_compared_item_by_item() {
        use crate::testing::{keyed, step};
        let mut o = keyed("s", "1", 0);
        for (i, text) in ["a", "b", "c"].iter().enumerate() {
            o = step(o, "notify", "http.post", json!({"text": text, "i": i}));
        }
        o = step(o, "enrich", "code.js", json!({}));
        o = step(o, "enrich", FETCH_ACTION, json!({"url": "u"}));
        let v = o.view();
        let names: Vec<&String> = v["steps"].as_object().unwrap().keys().collect();
        assert_eq!(names, ["notify", "notify#2", "notify#3", "enrich"]);
        assert_eq!(v["steps"]["notify#3"]["with"]["text"], "c");
    }

    #[test]
    fn labels_and_key_text_are_short_and_stable() {
        assert_eq!(Correlation::Key("1001".into()).label(), "key 1001");
        assert_eq!(
            Correlation::Payload("0123456789abcdef".into()).label(),
            "payload 0123456789ab"
        );
        assert_eq!(Correlation::FireTime.label(), "fire time");
        assert_eq!(key_text(&json!("1001")), "1001");
        assert_eq!(key_text(&json!(1001)), "1001");
        assert_eq!(key_text(&json!({"a": 1})), r#"{"a":1}"#);
    }
}
