//! Reference stage: Zapier `{{step__field}}` references in params and filter operands → CEL
//! paths, with literal text escaped and hard-coded credentials replaced by `secret://` references.

use super::Mapper;
use crate::findings::Finding;
use crate::secrets;
use crate::zapier::apps::Kind;
use crate::zapier::codes;
use crate::zapier::filter::{CompareValue, FieldRef, Issue};
use crate::zapier::refs::{self as syntax, Piece, Ref, cel_string, escape_text, trigger_path};
use serde_json::{Map, Value};

/// Where a reference points.
pub(super) enum Target {
    Trigger,
    Step(String),
}

/// Why a reference points nowhere usable; the text goes into a `dangling_reference` finding.
#[derive(Debug, thiserror::Error)]
pub(super) enum Unresolved {
    #[error("live step id {0} is not in this export and could not be matched to one of its steps")]
    UnmatchedLiveId(String),
    #[error("there is no step {0} in this export")]
    NoSuchStep(String),
    #[error("step {0} is a filter or path, which has no output")]
    NoOutput(String),
    #[error("step {0} does not run before this step")]
    NotBefore(String),
}

impl Mapper<'_> {
    /// What the reference `r`, read in the step at node `at`, points to.
    pub(super) fn target(&self, at: usize, r: &Ref) -> Result<Target, Unresolved> {
        let node = match self.tree.find(&r.id) {
            Some(n) => n,
            None if r.formula => match self.live.get(&r.id) {
                Some(m) => m.node,
                None => return Err(Unresolved::UnmatchedLiveId(r.id.clone())),
            },
            None => return Err(Unresolved::NoSuchStep(r.id.clone())),
        };
        if node == self.tree.root {
            return Ok(Target::Trigger);
        }
        if matches!(self.kinds[node], Kind::Filter | Kind::Branch | Kind::Path) {
            return Err(Unresolved::NoOutput(r.id.clone()));
        }
        if !self.tree.ancestors(at).contains(&node) {
            return Err(Unresolved::NotBefore(r.id.clone()));
        }
        Ok(Target::Step(self.names[node].clone()))
    }

    /// The CEL path of the reference `r`, read in the step at node `at`.
    pub(super) fn expr_for(&self, at: usize, r: &Ref) -> Result<String, Unresolved> {
        Ok(match self.target(at, r)? {
            Target::Trigger => trigger_path(&r.fields),
            Target::Step(s) => self.step_read(&s, &r.fields),
        })
    }

    pub(super) fn track_root(&mut self, at: usize, r: &Ref) {
        if matches!(self.target(at, r), Ok(Target::Trigger))
            && !self.root_fields.contains(&r.fields)
        {
            self.root_fields.push(r.fields.clone());
        }
    }

    /// Rewrites a param value: references become holes, literal `{{` is escaped, secrets become references.
    pub(super) fn rewrite(&mut self, v: &Value, at: usize, scope: &str, key: &str) -> Value {
        match v {
            Value::String(s) => Value::String(self.rewrite_str(s, at, scope, key)),
            Value::Array(a) => {
                Value::Array(a.iter().map(|x| self.rewrite(x, at, scope, key)).collect())
            }
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, x)| (k.clone(), self.rewrite(x, at, scope, k)))
                    .collect::<Map<_, _>>(),
            ),
            other => other.clone(),
        }
    }

    pub(super) fn rewrite_str(&mut self, s: &str, at: usize, scope: &str, key: &str) -> String {
        if !s.contains("{{") {
            let secret = secrets::is_credential(key, s);
            if secret {
                let r = secrets::reference(scope, s);
                self.note(
                    Finding::warning(codes::HARDCODED_SECRET.id, format!("param `{key}` holds a hard-coded credential; it was replaced by `{r}`"), self.origin(Some(at)))
                        .at_path(self.item_path(at))
                        .with_help(format!("store the value under `{r}` in the secrets file or environment, and rotate it: it was in the Zapier export")),
                );
                return r;
            }
            return escape_text(s);
        }
        let mut out = String::new();
        for p in syntax::scan(s) {
            match p {
                Piece::Text(t) => out.push_str(&escape_text(&t)),
                Piece::Ref(r, raw) => match self.expr_for(at, &r) {
                    Ok(e) => {
                        self.track_root(at, &r);
                        out.push_str(&format!("{{{{ {e} }}}}"));
                    }
                    Err(why) => {
                        out.push_str(&escape_text(&raw));
                        self.note(
                            Finding::warning(codes::DANGLING_REFERENCE.id, format!("param `{key}` refers to {raw}: {why}; the reference is kept as literal text"), self.origin(Some(at)))
                                .at_path(self.item_path(at))
                                .with_help("map the value to a field of a step that runs before this one"),
                        );
                    }
                },
                Piece::Opaque(raw) => {
                    out.push_str(&escape_text(&raw));
                    self.note(
                        Finding::warning(codes::FORMULA_UNPORTED.id, format!("param `{key}` holds the Zapier formula {raw}, which has no translation; it is kept as literal text"), self.origin(Some(at)))
                            .at_path(self.item_path(at))
                            .with_help("rewrite it as a CEL template hole, e.g. `{{ steps.x.output.field }}`"),
                    );
                }
            }
        }
        out
    }

    pub(super) fn operand(&mut self, at: usize, key: &str) -> Result<FieldRef, Issue> {
        if key.trim().is_empty() {
            return Err(Issue::BadOperand("an empty field".into()));
        }
        match syntax::parse_key(key) {
            Some(Piece::Ref(r, raw)) => {
                let target = self
                    .target(at, &r)
                    .map_err(|why| Issue::BadOperand(format!("{raw} ({why})")))?;
                self.track_root(at, &r);
                let (last, init) = match r.fields.split_last() {
                    Some((l, i)) => (l.clone(), i.to_vec()),
                    None => return Err(Issue::BadOperand(format!("{raw} (no field)"))),
                };
                let (expr, parent) = match target {
                    Target::Trigger => (
                        trigger_path(&r.fields),
                        if init.is_empty() {
                            "payload".to_string()
                        } else {
                            trigger_path(&init)
                        },
                    ),
                    Target::Step(s) => (self.step_read(&s, &r.fields), self.step_read(&s, &init)),
                };
                Ok(FieldRef { expr, parent, last })
            }
            Some(Piece::Opaque(raw)) => Err(Issue::BadOperand(format!(
                "{raw} (a formula with no translation)"
            ))),
            _ => Ok(FieldRef {
                expr: cel_string(key),
                parent: format!("{{{}: true}}", cel_string(key)),
                last: key.to_string(),
            }),
        }
    }

    pub(super) fn value(&mut self, at: usize, v: &str) -> Result<CompareValue, Issue> {
        if !v.contains("{{") {
            return Ok(CompareValue::Lit(v.to_string()));
        }
        let mut parts = Vec::new();
        for p in syntax::scan(v) {
            match p {
                Piece::Text(t) => parts.push(cel_string(&t)),
                Piece::Ref(r, raw) => {
                    let e = self
                        .expr_for(at, &r)
                        .map_err(|why| Issue::BadOperand(format!("{raw} ({why})")))?;
                    self.track_root(at, &r);
                    parts.push(format!("string({e})"));
                }
                Piece::Opaque(raw) => {
                    return Err(Issue::BadOperand(format!(
                        "{raw} (a formula with no translation)"
                    )));
                }
            }
        }
        Ok(CompareValue::Expr(if parts.len() == 1 {
            parts.remove(0)
        } else {
            parts.join(" + ")
        }))
    }
}
