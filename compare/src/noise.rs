//! Judges which field differences are noise, each with its reason.
//!
//! In the spirit of Twitter's Diffy: a field whose value already differs between
//! two legacy runs that had identical inputs (same payload digest) is not
//! determined by the input — a timestamp, a generated id — so a difference
//! there between legacy and shadow proves nothing. Declared `--ignore` globs and
//! lists that only differ in order are noise too. Every rule carries its reason.

use crate::diff::{FieldDiff, diff};
use crate::model::Outcome;
use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Serialize;
use std::collections::BTreeMap;

/// Why a path is treated as noise.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoiseRule {
    /// Path (learned) or glob (declared).
    pub path: String,
    /// Human explanation with evidence.
    pub reason: String,
}

/// The noise rules of one comparison.
#[derive(Debug)]
pub struct Noise {
    learned: BTreeMap<String, String>,
    globs: GlobSet,
    patterns: Vec<String>,
}

/// A bad `--ignore` glob.
#[derive(Debug, thiserror::Error)]
#[error("--ignore `{pattern}`: {message}")]
pub struct BadIgnore {
    /// The glob as given.
    pub pattern: String,
    /// Why it is invalid.
    pub message: String,
}

fn to_glob(p: &str) -> Result<Glob, BadIgnore> {
    // Paths are dotted; globset's segment semantics work on `/`, so `*` stays within one field name.
    GlobBuilder::new(&p.replace('.', "/"))
        .literal_separator(true)
        .build()
        .map_err(|e| BadIgnore {
            pattern: p.to_string(),
            message: e.to_string(),
        })
}

impl Noise {
    /// Learns noise from legacy runs with identical inputs and adds the declared globs.
    pub fn learn(legacy: &[Outcome], ignore: &[String]) -> Result<Noise, BadIgnore> {
        let mut b = GlobSetBuilder::new();
        for p in ignore {
            b.add(to_glob(p)?);
        }
        let globs = b.build().map_err(|e| BadIgnore {
            pattern: ignore.join(", "),
            message: e.to_string(),
        })?;
        let mut by_input: BTreeMap<&str, Vec<&Outcome>> = BTreeMap::new();
        for o in legacy {
            if let Some(d) = &o.payload_digest {
                by_input.entry(d).or_default().push(o);
            }
        }
        let mut learned = BTreeMap::new();
        for (digest, runs) in by_input {
            let Some((first, rest)) = runs.split_first() else {
                continue;
            };
            let base = first.view();
            for other in rest {
                for d in diff(&base, &other.view()) {
                    // Steps that ran in one legacy run only are a real behaviour change
                    // (e.g. the Zap was edited), not an unstable field.
                    if d.legacy.is_none() || d.shadow.is_none() {
                        continue;
                    }
                    learned.entry(d.path.clone()).or_insert_with(|| {
                        format!(
                            "differs between legacy runs {} and {} that had identical input (payload sha256 {}…)",
                            first.source,
                            other.source,
                            &digest[..digest.len().min(12)]
                        )
                    });
                }
            }
        }
        Ok(Noise {
            learned,
            globs,
            patterns: ignore.to_vec(),
        })
    }

    /// Why `d` is noise, or `None` when it is a real difference.
    pub fn reason(&self, d: &FieldDiff) -> Option<String> {
        if d.order_only {
            return Some("same list elements in a different order".into());
        }
        if let (Some(a), Some(b)) = (&d.legacy, &d.shadow)
            && (same_as_text(a, b) || same_as_text(b, a))
        {
            return Some(
                "same value written as text on one side (Zapier passes every field as a string)"
                    .into(),
            );
        }
        if let Some(r) = self.learned.get(&d.path) {
            return Some(r.clone());
        }
        if self.patterns.is_empty() {
            return None;
        }
        let m = self.globs.matches(d.path.replace('.', "/"));
        m.first()
            .map(|&i| format!("declared with --ignore {}", self.patterns[i]))
    }

    /// All rules, learned first (by path), then declared.
    pub fn rules(&self) -> Vec<NoiseRule> {
        let mut v: Vec<NoiseRule> = self
            .learned
            .iter()
            .map(|(p, r)| NoiseRule {
                path: p.clone(),
                reason: r.clone(),
            })
            .collect();
        v.extend(self.patterns.iter().map(|p| NoiseRule {
            path: p.clone(),
            reason: "declared with --ignore".into(),
        }));
        v
    }
}

/// `"1001"` vs `1001`, `"true"` vs `true`.
fn same_as_text(text: &serde_json::Value, other: &serde_json::Value) -> bool {
    match (text, other) {
        (
            serde_json::Value::String(s),
            serde_json::Value::Number(_) | serde_json::Value::Bool(_),
        ) => s.as_str() == other.to_string().as_str(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{keyed, step};
    use serde_json::json;

    fn params_diff(path: &str, legacy: serde_json::Value, shadow: serde_json::Value) -> FieldDiff {
        FieldDiff {
            path: path.into(),
            legacy: Some(legacy),
            shadow: Some(shadow),
            order_only: false,
        }
    }

    #[test]
    fn a_field_that_differs_between_identical_legacy_inputs_is_learned_as_noise() {
        let mut a = step(
            keyed("h#1", "1", 0),
            "post",
            "slack.post",
            json!({"ts": 1, "text": "x"}),
        );
        let mut b = step(
            keyed("h#2", "1", 9),
            "post",
            "slack.post",
            json!({"ts": 2, "text": "x"}),
        );
        a.payload_digest = Some("d1".into());
        b.payload_digest = Some("d1".into());
        let n = Noise::learn(&[a, b], &[]).unwrap();
        let why = n
            .reason(&params_diff("steps.post.with.ts", json!(1), json!(3)))
            .unwrap();
        assert!(why.contains("h#1") && why.contains("h#2"), "{why}");
        assert_eq!(
            n.reason(&params_diff("steps.post.with.text", json!("x"), json!("y"))),
            None
        );
        assert_eq!(n.rules().len(), 1);
    }

    #[test]
    fn a_step_present_in_one_legacy_run_only_is_not_learned() {
        let mut a = step(keyed("h#1", "1", 0), "post", "slack.post", json!({}));
        let mut b = keyed("h#2", "1", 9);
        a.payload_digest = Some("d1".into());
        b.payload_digest = Some("d1".into());
        let n = Noise::learn(&[a, b], &[]).unwrap();
        assert!(n.rules().is_empty());
    }

    #[test]
    fn runs_with_other_inputs_teach_nothing() {
        let mut a = step(keyed("h#1", "1", 0), "post", "slack.post", json!({"ts": 1}));
        let mut b = step(keyed("h#2", "2", 9), "post", "slack.post", json!({"ts": 2}));
        a.payload_digest = Some("d1".into());
        b.payload_digest = Some("d2".into());
        assert!(Noise::learn(&[a, b], &[]).unwrap().rules().is_empty());
    }

    #[test]
    fn declared_globs_match_one_field_name_per_star() {
        let n = Noise::learn(&[], &["steps.*.with.ts".into()]).unwrap();
        let hit = params_diff("steps.post.with.ts", json!(1), json!(2));
        assert_eq!(
            n.reason(&hit).as_deref(),
            Some("declared with --ignore steps.*.with.ts")
        );
        let deeper = params_diff("steps.post.with.ts.deep", json!(1), json!(2));
        assert_eq!(n.reason(&deeper), None);
        assert_eq!(n.rules()[0].reason, "declared with --ignore");
    }

    #[test]
    fn an_invalid_glob_is_refused_with_its_text() {
        let e = Noise::learn(&[], &["steps.[".into()]).unwrap_err();
        assert_eq!(e.pattern, "steps.[");
    }

    #[test]
    fn order_and_text_for_numbers_are_noise_and_other_values_are_not() {
        let n = Noise::learn(&[], &[]).unwrap();
        let mut reordered = params_diff("l", json!([1, 2]), json!([2, 1]));
        reordered.order_only = true;
        assert!(n.reason(&reordered).unwrap().contains("different order"));
        let text = params_diff("id", json!("1001"), json!(1001));
        assert!(n.reason(&text).unwrap().contains("as text"));
        let flag = params_diff("ok", json!(true), json!("true"));
        assert!(n.reason(&flag).is_some());
        assert_eq!(
            n.reason(&params_diff("id", json!("1001"), json!(1002))),
            None
        );
    }
}
