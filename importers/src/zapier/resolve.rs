//! Matching formula references (`gives["<live id>"]`) to the export's steps. Live step ids are
//! not renumbered on export and the export holds no id map, so a live id is matched by
//! evidence, and only when the evidence points at exactly one earlier step:
//!
//! * the field it reads is an output that earlier step is known to produce (the keys a Code
//!   step returns, a Looping step's `loop_iteration` and loop keys, a Sub-Zap start's inputs,
//!   an AI step's output schema), or
//! * an `$editor.missing_field_mapping` entry names that live id with a step title, and an
//!   earlier step has that title.
//!
//! Every reference to one live id must agree (the candidate sets are intersected) and two live
//! ids may not claim the same step. Anything else stays unresolved.

use super::model::Node;
use super::refs::{Piece, Ref, parse_key, scan};
use super::tree::Tree;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// How a live id was matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Node index.
    pub node: usize,
    /// Fields that supported the match.
    pub fields: Vec<String>,
    /// Whether a `missing_field_mapping` title supported it.
    pub by_title: bool,
}

/// Output field names a step is known to produce.
pub fn known_outputs(n: &Node) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let app = n.app().to_ascii_lowercase();
    if app.starts_with("code") {
        if let Some(Value::String(code)) = n.param("code") {
            out.extend(code_output_keys(code));
        }
    } else if app.contains("looping") {
        out.insert("loop_iteration".into());
        out.insert("loop_iteration_is_last".into());
        if let Some(Value::Object(m)) = n.param("loop_values") {
            out.extend(m.keys().cloned());
        }
    } else if app.starts_with("subzap") && n.action() == "start_subzap" {
        if let Some(Value::Array(a)) = n.param("input_list") {
            out.extend(a.iter().filter_map(Value::as_str).map(str::to_string));
        }
    } else if app.starts_with("ai")
        && let Some(Value::Object(m)) = n.param("outputSchema")
    {
        out.extend(m.keys().cloned());
    }
    out
}

/// Keys of the object literal a Code step returns (`return { a, b: x }`, `output = [{a: 1}]`).
fn code_output_keys(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for marker in ["return", "output ="] {
        let mut rest = code;
        while let Some(i) = rest.find(marker) {
            rest = &rest[i + marker.len()..];
            let t = rest.trim_start().trim_start_matches('[').trim_start();
            if let Some(body) = t.strip_prefix('{') {
                out.extend(object_keys(body));
            }
        }
    }
    out
}

/// Top-level keys of an object literal body (after `{`).
fn object_keys(body: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut depth = 0i32;
    let mut entry = String::new();
    for c in body.chars() {
        match c {
            '{' | '[' | '(' => depth += 1,
            ')' | ']' => depth -= 1,
            '}' if depth == 0 => {
                keys.extend(entry_key(&entry));
                return keys;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                keys.extend(entry_key(&entry));
                entry.clear();
                continue;
            }
            _ => {}
        }
        if depth == 0 {
            entry.push(c);
        }
    }
    keys
}

fn entry_key(entry: &str) -> Option<String> {
    let head = entry
        .split(':')
        .next()?
        .trim()
        .trim_matches(|c| c == '"' || c == '\'');
    let ok = !head.is_empty()
        && head
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == ' ');
    ok.then(|| head.to_string())
}

/// Every reference a node makes (params except Code bodies, filter keys and values).
pub fn node_refs(n: &Node) -> Vec<Ref> {
    let mut out = Vec::new();
    let is_code = n.app().to_ascii_lowercase().starts_with("code");
    if let Some(p) = &n.params {
        for (k, v) in p {
            if is_code && k == "code" {
                continue;
            }
            if k == "filter_criteria" {
                for c in super::filter::criteria(Some(v)) {
                    if let Some(Piece::Ref(r, _)) = parse_key(&c.key) {
                        out.push(r);
                    }
                    collect(&Value::String(c.value), &mut out);
                }
                continue;
            }
            collect(v, &mut out);
        }
    }
    out
}

fn collect(v: &Value, out: &mut Vec<Ref>) {
    match v {
        Value::String(s) if s.contains("{{") => {
            for p in scan(s) {
                if let Piece::Ref(r, _) = p {
                    out.push(r);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
        Value::Object(m) => m.values().for_each(|x| collect(x, out)),
        _ => {}
    }
}

/// Titles that `missing_field_mapping` entries give to live ids.
fn titles_by_live_id(tree: &Tree) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for n in &tree.nodes {
        let Some(Value::Array(list)) = n
            .meta("$editor")
            .and_then(|e| e.get("missing_field_mapping"))
        else {
            continue;
        };
        for m in list {
            if let (Some(id), Some(title)) = (
                m.get("stepId").and_then(Value::as_str),
                m.get("stepTitle").and_then(Value::as_str),
            ) {
                out.insert(id.to_string(), title.to_string());
            }
        }
    }
    out
}

/// Per live id: candidate steps (intersected over references), fields read, title evidence.
type Evidence = (Option<BTreeSet<usize>>, Vec<String>, bool);

/// Matches every formula live id that the evidence allows (see the module docs).
pub fn live_ids(tree: &Tree, usable: &dyn Fn(usize) -> bool) -> BTreeMap<String, Match> {
    let titles = titles_by_live_id(tree);
    let outputs: Vec<BTreeSet<String>> = tree.nodes.iter().map(known_outputs).collect();
    let mut cands: BTreeMap<String, Evidence> = BTreeMap::new();
    for &i in &tree.order {
        for r in node_refs(&tree.nodes[i]) {
            if !r.formula || tree.find(&r.id).is_some() {
                continue;
            }
            let first = r.fields.first().cloned().unwrap_or_default();
            let title = titles.get(&r.id);
            let mut here = BTreeSet::new();
            let mut by_title = false;
            for a in tree.ancestors(i) {
                if !usable(a) {
                    continue;
                }
                if outputs[a].contains(&first) {
                    here.insert(a);
                }
                if title.is_some_and(|t| tree.nodes[a].step_title() == Some(t.as_str())) {
                    here.insert(a);
                    by_title = true;
                }
            }
            // The nearest titled ancestor wins when a title repeats along the chain.
            let entry = cands
                .entry(r.id.clone())
                .or_insert((None, Vec::new(), false));
            entry.0 = Some(match entry.0.take() {
                None => here,
                Some(prev) => prev.intersection(&here).copied().collect(),
            });
            if !entry.1.contains(&first) {
                entry.1.push(first);
            }
            entry.2 |= by_title;
        }
    }
    let mut out: BTreeMap<String, Match> = BTreeMap::new();
    let mut claimed: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (id, (set, fields, by_title)) in cands {
        let set = set.unwrap_or_default();
        let pick = if set.len() == 1 {
            set.iter().next().copied()
        } else if by_title && !set.is_empty() {
            // Several candidates but a title match: take the nearest one with that title.
            let t = titles.get(&id);
            tree.order.iter().rev().copied().find(|n| {
                set.contains(n)
                    && t.is_some_and(|t| tree.nodes[*n].step_title() == Some(t.as_str()))
            })
        } else {
            None
        };
        if let Some(node) = pick {
            claimed.entry(node).or_default().push(id.clone());
            out.insert(
                id,
                Match {
                    node,
                    fields,
                    by_title,
                },
            );
        }
    }
    for ids in claimed.values().filter(|v| v.len() > 1) {
        for id in ids {
            out.remove(id);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_keys() {
        let k =
            code_output_keys("const x = 1;\nreturn { emails: filtered, count: filtered.length };");
        assert_eq!(
            k.into_iter().collect::<Vec<_>>(),
            vec!["count".to_string(), "emails".into()]
        );
        let k = code_output_keys("output = [{id: 1, 'full name': f(a, b)}];");
        assert_eq!(
            k.into_iter().collect::<Vec<_>>(),
            vec!["full name".to_string(), "id".into()]
        );
        let k = code_output_keys("return { newEmails };");
        assert_eq!(
            k.into_iter().collect::<Vec<_>>(),
            vec!["newEmails".to_string()]
        );
    }
}
