//! Field-level differences between two run views, as dotted paths.

use serde::Serialize;
use serde_json::Value;

/// One differing field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldDiff {
    /// Dotted path into the run view, e.g. `steps.post_slack.with.text`.
    pub path: String,
    /// Legacy value (`None`: absent on the legacy side).
    pub legacy: Option<Value>,
    /// Shadow value (`None`: absent on the shadow side).
    pub shadow: Option<Value>,
    /// The two values are lists with the same elements in a different order.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub order_only: bool,
}

/// What kind of difference a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A decision took another branch, or a step ran on one side only.
    Branch,
    /// The same step called another action.
    Action,
    /// The same step called the same action with other parameters.
    Params,
}

impl FieldDiff {
    /// Classifies the path.
    pub fn kind(&self) -> Kind {
        let segs: Vec<&str> = self.path.splitn(4, '.').collect();
        match segs.as_slice() {
            ["branches", ..] => Kind::Branch,
            ["steps", _] => Kind::Branch,
            ["steps", _, "action", ..] => Kind::Action,
            _ => Kind::Params,
        }
    }
}

/// All differences between `legacy` and `shadow`, in path order.
pub fn diff(legacy: &Value, shadow: &Value) -> Vec<FieldDiff> {
    let mut out = Vec::new();
    walk(&mut String::new(), Some(legacy), Some(shadow), &mut out);
    out
}

fn push_seg(path: &mut String, seg: &str) -> usize {
    let len = path.len();
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(seg);
    len
}

fn walk(path: &mut String, a: Option<&Value>, b: Option<&Value>, out: &mut Vec<FieldDiff>) {
    match (a, b) {
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let len = push_seg(path, k);
                walk(path, x.get(k), y.get(k), out);
                path.truncate(len);
            }
        }
        (Some(Value::Array(x)), Some(Value::Array(y))) if x.len() == y.len() => {
            if x == y {
                return;
            }
            if same_elements(x, y) {
                out.push(FieldDiff {
                    path: path.clone(),
                    legacy: a.cloned(),
                    shadow: b.cloned(),
                    order_only: true,
                });
                return;
            }
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                let len = push_seg(path, &i.to_string());
                walk(path, Some(p), Some(q), out);
                path.truncate(len);
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(FieldDiff {
            path: path.clone(),
            legacy: a.cloned(),
            shadow: b.cloned(),
            order_only: false,
        }),
    }
}

fn same_elements(x: &[Value], y: &[Value]) -> bool {
    let mut a: Vec<String> = x.iter().map(crate::model::canonical_json).collect();
    let mut b: Vec<String> = y.iter().map(crate::model::canonical_json).collect();
    a.sort();
    b.sort();
    a == b
}
