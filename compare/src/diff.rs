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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(legacy: Value, shadow: Value) -> FieldDiff {
        let mut d = diff(&legacy, &shadow);
        assert_eq!(d.len(), 1, "{d:?}");
        d.remove(0)
    }

    #[test]
    fn equal_views_have_no_difference() {
        let v = json!({"branches": {"big": true}, "steps": {"post": {"action": "slack.post"}}});
        assert!(diff(&v, &v.clone()).is_empty());
    }

    #[test]
    fn another_decision_is_a_branch_difference() {
        let d = one(json!({"branches": {"big": true}}), json!({"branches": {}}));
        assert_eq!(d.path, "branches.big");
        assert_eq!((d.legacy, d.shadow), (Some(json!(true)), None));
        assert_eq!(
            FieldDiff {
                path: "branches.big".into(),
                legacy: None,
                shadow: None,
                order_only: false
            }
            .kind(),
            Kind::Branch
        );
    }

    #[test]
    fn a_step_on_one_side_only_is_a_branch_difference() {
        let d = one(
            json!({"steps": {"post": {"action": "slack.post"}}}),
            json!({"steps": {}}),
        );
        assert_eq!(d.path, "steps.post");
        assert_eq!(d.kind(), Kind::Branch);
    }

    #[test]
    fn another_action_is_an_action_difference() {
        let d = one(
            json!({"steps": {"post": {"action": "slack.post"}}}),
            json!({"steps": {"post": {"action": "teams.post"}}}),
        );
        assert_eq!(d.path, "steps.post.action");
        assert_eq!(d.kind(), Kind::Action);
    }

    #[test]
    fn other_parameters_are_a_params_difference_at_the_deepest_path() {
        let d = one(
            json!({"steps": {"post": {"with": {"msg": {"text": "a", "to": "x"}}}}}),
            json!({"steps": {"post": {"with": {"msg": {"text": "b", "to": "x"}}}}}),
        );
        assert_eq!(d.path, "steps.post.with.msg.text");
        assert_eq!(d.kind(), Kind::Params);
    }

    #[test]
    fn a_reordered_list_is_one_order_only_difference() {
        let d = one(
            json!({"tags": ["a", {"b": 1}]}),
            json!({"tags": [{"b": 1}, "a"]}),
        );
        assert_eq!(d.path, "tags");
        assert!(d.order_only);
    }

    #[test]
    fn lists_of_equal_length_with_other_elements_differ_per_index() {
        let d = diff(&json!({"l": [1, 2, 3]}), &json!({"l": [1, 5, 6]}));
        let paths: Vec<&str> = d.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, ["l.1", "l.2"]);
        assert!(d.iter().all(|d| !d.order_only));
    }

    #[test]
    fn lists_of_other_length_differ_as_a_whole() {
        let d = one(json!({"l": [1]}), json!({"l": [1, 2]}));
        assert_eq!(d.path, "l");
        assert_eq!(d.shadow, Some(json!([1, 2])));
    }
}
