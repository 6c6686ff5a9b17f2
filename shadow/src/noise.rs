//! Deciding which differences are noise.
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
    /// The glob.
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
