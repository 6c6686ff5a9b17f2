//! Looping stage: a Looping by Zapier step → a pure `loop.items` step that builds the
//! iterations, and `for_each: steps.<loop>.output.items` on every step after it, whose
//! references to the loop's fields read `each.item` (see `refs`).

use super::Mapper;
use crate::findings::Finding;
use crate::zapier::apps::Kind;
use crate::zapier::codes;
use crate::zapier::model::Node;
use crate::zapier::refs::{loop_item_path, step_path};
use claw_language::Execution;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

impl Mapper<'_> {
    /// The outermost Looping step above node `i`: the one whose items the steps below it run
    /// for (a loop inside a loop is kept unported).
    pub(super) fn enclosing_loop(&self, i: usize) -> Option<usize> {
        self.tree
            .ancestors(i)
            .into_iter()
            .rev()
            .find(|&a| self.kinds[a] == Kind::Loop)
    }

    /// A Looping step as `loop.items`: `loop_values` becomes `values` (line items, or text
    /// split at `delimiter`), a numbers loop's bounds become `range`; `trim_whitespace`,
    /// `iteration_start` and `iteration_limit` keep their names. False: kept unported.
    pub(super) fn looping(
        &mut self,
        i: usize,
        n: &Node,
        x: &mut Execution,
        skip: &mut BTreeSet<&str>,
    ) -> bool {
        if self.enclosing_loop(i).is_some() {
            return false;
        }
        let params = n.params.clone().unwrap_or_default();
        let action = n.action().to_ascii_lowercase();
        if action.contains("number") {
            let Some(range) = number_range(&params) else {
                return false;
            };
            for k in ["start", "end", "stop", "increment", "step"] {
                skip.insert(k);
            }
            skip.extend(
                [
                    "loop_start",
                    "loop_end",
                    "loop_stop",
                    "loop_increment",
                    "loop_step",
                ]
                .iter()
                .copied(),
            );
            let range = self.rewrite(&Value::Object(range), i, "loop", "range");
            x.with.insert("range".into(), range);
        } else {
            let Some(values) = params.get("loop_values").filter(|v| v.is_object()) else {
                return false;
            };
            skip.insert("loop_values");
            let values = self.rewrite(values, i, "loop", "loop_values");
            x.with.insert("values".into(), values);
        }
        x.action = "loop.items".into();
        let name = self.names[i].clone();
        self.note_once(
            codes::LOOP_MAPPED.id,
            Finding::info(
                codes::LOOP_MAPPED.id,
                format!("Looping step `{name}` ({}) became `loop.items`; the steps after it run once per item with `for_each: {}`, all items of one step before the next step (Zapier runs every step for item 1, then for item 2)", n.action(), step_path(&name, &["items".to_string()])),
                self.origin(Some(i)),
            )
            .at_path(format!("/execution/{name}")),
        );
        true
    }

    /// Makes an execution below a mapped loop run once per item of that loop: the items that
    /// pass every per-item filter between the loop and it.
    pub(super) fn loop_body(&mut self, i: usize, x: &mut Execution) {
        let Some(l) = self.enclosing_loop(i) else {
            return;
        };
        let items = step_path(&self.names[l], &["items".to_string()]);
        let conditions: Vec<&String> = self
            .tree
            .ancestors(i)
            .into_iter()
            .rev()
            .filter_map(|a| self.item_filters.get(&a))
            .collect();
        x.for_each = Some(if conditions.is_empty() {
            items
        } else {
            let joined: Vec<String> = conditions.iter().map(|c| format!("({c})")).collect();
            let all = joined.join(" && ");
            let var = item_variable(&all);
            format!("{items}.filter({var}, {})", all.replace(EACH_ITEM, var))
        });
    }

    /// A Filter after a mapped loop whose condition reads only the item and what the run knew
    /// before the loop: kept as a per-item condition (Zapier stops only that iteration), not
    /// a decision. True when folded; the steps below it then listen to its parent's event.
    pub(super) fn item_filter(&mut self, i: usize) -> bool {
        let is_filter = self.kinds[i] == Kind::Filter
            || self.kinds[i] == Kind::Path
                && self.tree.parent[i].is_none_or(|p| self.kinds[p] != Kind::Branch);
        let Some(l) = self.enclosing_loop(i).filter(|_| is_filter) else {
            return false;
        };
        // Only conditions over the item and pre-loop values fold: a step after the loop runs
        // per item, so its output is not one value a list filter can read.
        let in_loop: Vec<String> = (0..self.tree.nodes.len())
            .filter(|&d| d != l && self.tree.ancestors(d).contains(&l))
            .map(|d| format!("steps.{}.", self.names[d]))
            .collect();
        let when = self.condition(i);
        if in_loop.iter().any(|p| when.contains(p.as_str())) {
            return false;
        }
        let (name, lname) = (self.names[i].clone(), self.names[l].clone());
        self.note(
            Finding::info(
                codes::LOOP_FILTER.id,
                format!("the filter `{name}` after the loop `{lname}` decides per item, as in Zapier: its condition filters the items the steps below it run for (`for_each`), and it is not a decision"),
                self.origin(Some(i)),
            )
            .with_help(codes::LOOP_FILTER.fix),
        );
        self.item_filters.insert(i, when);
        true
    }

    /// A filter or path below a loop decides once per run: said, since Zapier decides it per
    /// item.
    pub(super) fn decision_in_loop(&mut self, i: usize) {
        if !matches!(self.kinds[i], Kind::Filter | Kind::Path | Kind::Branch) {
            return;
        }
        let Some(l) = self.enclosing_loop(i) else {
            return;
        };
        let (name, lname) = (self.names[i].clone(), self.names[l].clone());
        self.note(
            Finding::warning(
                codes::LOOP_DECISION.id,
                format!("`{name}` is after the loop `{lname}`: Zapier decides it once per item, the system decides it once per run, and it cannot read the item"),
                self.origin(Some(i)),
            )
            .at_path(self.item_path(i)),
        );
    }

    /// A reference to a step's output: `each.item.<fields>` when the step is a Looping step
    /// (read only by the steps after it, which run per item), else `steps.<step>.output.<fields>`.
    pub(super) fn step_read(&self, step: &str, fields: &[String]) -> String {
        let is_loop = self
            .names
            .iter()
            .zip(&self.kinds)
            .any(|(n, k)| n == step && *k == Kind::Loop);
        if is_loop {
            loop_item_path(fields)
        } else {
            step_path(step, fields)
        }
    }
}

/// How a reference to the loop's current item is written (see `refs::loop_item_path`).
const EACH_ITEM: &str = "each.item";

/// A variable name for the list filter over the items, not otherwise used in `condition`.
fn item_variable(condition: &str) -> &'static str {
    let used = |v: &str| {
        condition.match_indices(v).any(|(at, _)| {
            let before = condition[..at].chars().next_back();
            let after = condition[at + v.len()..].chars().next();
            let ident =
                |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.');
            !ident(before) && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    };
    ["item", "loop_item", "each_item"]
        .into_iter()
        .find(|v| !used(v))
        .unwrap_or("loop_item_")
}

/// The bounds of a numbers loop, read from `start`/`end`/`increment` (or `loop_`-prefixed,
/// or `stop`/`step`): no export with these params has been seen, so the names are lenient.
fn number_range(params: &Map<String, Value>) -> Option<Map<String, Value>> {
    let get = |names: &[&str]| {
        names
            .iter()
            .find_map(|k| params.get(*k).or_else(|| params.get(&format!("loop_{k}"))))
            .cloned()
    };
    let mut r = Map::new();
    r.insert("start".into(), get(&["start"])?);
    r.insert("end".into(), get(&["end", "stop"])?);
    if let Some(inc) = get(&["increment", "step"]) {
        r.insert("increment".into(), inc);
    }
    Some(r)
}
