//! Decision stage: Filter steps and Paths branches → `Decision`s, with the filter findings.

use super::Mapper;
use crate::findings::Finding;
use crate::zapier::apps::Kind;
use crate::zapier::codes;
use crate::zapier::filter::{self, Issue};
use claw_language::{Decision, Logic};
use serde_json::Value;

impl Mapper<'_> {
    pub(super) fn condition(&mut self, i: usize) -> String {
        let crits = filter::criteria(self.node(i).param("filter_criteria"));
        let mut issues = Vec::new();
        let cell = std::cell::RefCell::new(&mut *self);
        let when = filter::condition(
            &crits,
            &mut |k| cell.borrow_mut().operand(i, k),
            &mut |v| cell.borrow_mut().value(i, v),
            &mut issues,
        );
        self.issues(i, issues);
        when
    }

    pub(super) fn issues(&mut self, i: usize, issues: Vec<Issue>) {
        let path = self.item_path(i);
        for is in issues {
            let o = self.origin(Some(i));
            match is {
                Issue::UnknownOperator(m) => self.note(
                    Finding::warning(codes::UNKNOWN_OPERATOR.id, format!("filter operator `{m}` is not known; the criterion fails closed (`false`)"), o)
                        .at_path(path.clone())
                        .with_help("write the condition by hand in `when:`"),
                ),
                Issue::InferredOperator { key, reading } => self.note(Finding::info(codes::OPERATOR_ASSUMED.id, format!("filter operator `{key}` was not seen in real exports; it is read as {reading}"), o).at_path(path.clone())),
                Issue::BadOperand(what) => self.note(
                    Finding::warning(codes::DANGLING_REFERENCE.id, format!("a filter criterion reads {what}; the criterion fails closed (`false`)"), o)
                        .at_path(path.clone())
                        .with_help("point the condition at a field of a step that runs before it"),
                ),
                Issue::BadValue { op, value } => self.note(Finding::warning(codes::BAD_FILTER_VALUE.id, format!("filter operator `{op}` cannot compare with `{value}`; the criterion fails closed (`false`)"), o).at_path(path.clone())),
                Issue::DynamicCase(op) => self.note(Finding::info(codes::CASE_SENSITIVE_COMPARE.id, format!("`{op}` compares with a mapped value, which is done case-sensitively"), o).at_path(path.clone())),
                Issue::ExactCase => self.note_once(
                    codes::IEXACT_CASE.id,
                    Finding::info(codes::IEXACT_CASE.id, "`iexact` is read as a case-insensitive exact match (the `i` prefix); Zapier's help centre calls \"Exactly matches\" case-sensitive, in which case Zapier matched slightly less often", o).at_path(path.clone()),
                ),
                Issue::Empty => self.note(Finding::warning(codes::EMPTY_FILTER.id, "a filter has a criterion with no field and no operator; it fails closed (`false`)", o).at_path(path.clone())),
            }
        }
    }

    pub(super) fn decision(&self, i: usize, on: &str, when: String, kind: &str) -> Decision {
        let n = self.node(i);
        let mut legacy = self.legacy(i);
        legacy.shift_remove("auth");
        if kind != "filter" {
            legacy.insert("path".into(), kind.to_string());
            if let Some(e) = n.param("emoji").and_then(Value::as_str) {
                legacy.insert("letter".into(), e.to_string());
            }
        }
        Decision {
            name: self.names[i].clone(),
            description: n.step_title().map(str::to_string),
            on: vec![on.to_string()],
            inputs: Vec::new(),
            logic: Logic::When(when),
            emits: Vec::new(),
            legacy,
        }
    }

    pub(super) fn filter_decision(&mut self, i: usize, on: &str) -> Decision {
        let when = self.condition(i);
        self.decision(i, on, when, "filter")
    }

    /// A Paths branch: one decision per path, all on the same event (paths are not first-match).
    pub(super) fn branch(&mut self, b: usize, on: &str, out: &mut Vec<Decision>) {
        #[derive(PartialEq)]
        enum P {
            Custom,
            Always,
            Fallback,
        }
        let paths: Vec<usize> = self.tree.children[b]
            .iter()
            .copied()
            .filter(|&c| self.kinds[c] == Kind::Path)
            .collect();
        let mut kinds = Vec::new();
        for &p in &paths {
            let n = self.node(p);
            let crits = filter::criteria(n.param("filter_criteria"));
            let placeholder = crits.iter().all(filter::is_placeholder);
            let k = if n.param("isAlwaysRun").and_then(Value::as_bool) == Some(true) {
                P::Always
            } else if placeholder
                && (n
                    .param("path_eval_stage")
                    .and_then(Value::as_i64)
                    .is_some_and(|s| s >= 9)
                    || n.step_title()
                        .is_some_and(|t| t.eq_ignore_ascii_case("fallback")))
            {
                P::Fallback
            } else {
                P::Custom
            };
            kinds.push(k);
        }
        let mut conds: Vec<Option<String>> = Vec::new();
        for (&p, k) in paths.iter().zip(&kinds) {
            conds.push((*k == P::Custom).then(|| self.condition(p)));
        }
        let customs: Vec<String> = conds.iter().flatten().cloned().collect();
        for ((&p, k), c) in paths.iter().zip(&kinds).zip(conds) {
            let (when, kind) = match k {
                P::Custom => (c.unwrap_or_else(|| "false".into()), "custom"),
                P::Always => ("true".to_string(), "always_run"),
                P::Fallback => {
                    let when = match customs.len() {
                        0 => "true".to_string(),
                        1 => format!("!({})", customs[0]),
                        _ => format!(
                            "!({})",
                            customs
                                .iter()
                                .map(|c| format!("({c})"))
                                .collect::<Vec<_>>()
                                .join(" || ")
                        ),
                    };
                    self.note(
                        Finding::info(codes::FALLBACK_PATH.id, "a Fallback path (path_eval_stage 9, empty rules) runs only when no custom path's rules hold; its condition is the negation of theirs", self.origin(Some(p)))
                            .at_path(format!("/decisions/{}", self.names[p])),
                    );
                    (when, "fallback")
                }
            };
            out.push(self.decision(p, on, when, kind));
        }
    }
}
