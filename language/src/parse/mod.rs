//! Builds a [`System`] from a YAML tree, recording where each item was written.
//!
//! Shape errors (unknown keys, wrong types, missing layers) are collected rather than
//! returned at the first one, so a user sees every problem of a file in one run.
//!
//! This file holds the reader's core: keys checked against the field tables, and scalar,
//! list and mapping values read with their errors. `layers.rs` reads each layer with them.

mod layers;

use crate::codes;
use crate::diag::{Diagnostic, Span};
use crate::fields::{self, Field};
use crate::model::*;
use crate::yaml::{Node, NodeValue, ScalarKind};
use indexmap::IndexMap;
use serde_json::Value;
use std::collections::BTreeMap;

/// Where each model path was written. Paths look like `/execution/book_carrier/retries`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceMap {
    /// Span of each path's value.
    pub values: BTreeMap<String, Span>,
    /// Span of each path's key.
    pub keys: BTreeMap<String, Span>,
}

impl SourceMap {
    /// The span of a path's value, or of its closest written ancestor.
    pub fn value(&self, path: &str) -> Option<Span> {
        let mut p = path;
        loop {
            if let Some(s) = self.values.get(p) {
                return Some(*s);
            }
            p = &p[..p.rfind('/')?];
        }
    }

    /// The span of a path's key, falling back to its value span, then to ancestors.
    pub fn key(&self, path: &str) -> Option<Span> {
        self.keys.get(path).copied().or_else(|| self.value(path))
    }
}

/// The outcome of parsing: the model when the shape allowed building one, and diagnostics.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The system (with defaults in place of fields that were in error).
    pub system: Option<System>,
    /// Where things were written.
    pub map: SourceMap,
    /// Shape errors (unknown keys, wrong types, missing layers), all of them, in file order.
    pub diagnostics: Vec<Diagnostic>,
    /// `false` when a layer or a list item could not be read at all and is missing from
    /// `system`: checks of how items relate (reachability, events) would then report noise.
    pub complete: bool,
}

/// Parses `.claw` text.
pub fn parse(text: &str) -> Parsed {
    let root = match crate::yaml::load(text) {
        Ok(n) => n,
        Err(d) => {
            return Parsed {
                system: None,
                map: SourceMap::default(),
                diagnostics: vec![d],
                complete: false,
            };
        }
    };
    let mut p = P::default();
    let system = p.system(&root);
    Parsed {
        system,
        map: p.map,
        diagnostics: p.diags,
        complete: !p.dropped,
    }
}

#[derive(Default)]
struct P {
    diags: Vec<Diagnostic>,
    map: SourceMap,
    /// An item or layer was left out of the model because it could not be read.
    dropped: bool,
}

fn join(path: &str, key: &str) -> String {
    format!("{path}/{key}")
}

impl P {
    fn err(
        &mut self,
        code: crate::diag::Code,
        msg: impl Into<String>,
        span: Span,
        path: &str,
    ) -> &mut Diagnostic {
        self.diags
            .push(Diagnostic::error(code, msg).at(Some(span)).at_path(path));
        let n = self.diags.len() - 1;
        &mut self.diags[n]
    }

    /// Reports that `node` is not what `path` takes: "`expected`, found <its kind>".
    fn wrong_type(
        &mut self,
        node: &Node,
        expected: impl std::fmt::Display,
        path: &str,
    ) -> &mut Diagnostic {
        let kind = node.kind_name();
        self.err(
            codes::WRONG_TYPE,
            format!("{expected}, found {kind}"),
            node.span,
            path,
        )
    }

    /// Reports that the value of `node` is not what `path` takes: "`expected`, found `<value>`"
    /// (a scalar's text, else the kind of node).
    fn wrong_value(&mut self, node: &Node, expected: &str, path: &str) -> &mut Diagnostic {
        let shown = node
            .as_scalar_text()
            .unwrap_or(node.kind_name())
            .to_string();
        self.err(
            codes::WRONG_TYPE,
            format!("{expected}, found `{shown}`"),
            node.span,
            path,
        )
    }

    /// Checks a mapping against a field table: reports unknown keys and missing required keys,
    /// records spans, and returns the known entries.
    fn fields<'n>(
        &mut self,
        node: &'n Node,
        table: &[Field],
        path: &str,
        what: &str,
    ) -> Option<BTreeMap<&'static str, &'n Node>> {
        let entries = match &node.value {
            NodeValue::Map(m) => m.as_slice(),
            NodeValue::Scalar(ScalarKind::Null, _) => &[],
            _ => {
                self.wrong_type(node, format!("{what} must be a mapping of keys"), path)
                    .help = Some(format!(
                    "accepted keys: {}",
                    table.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
                ));
                return None;
            }
        };
        let mut out = BTreeMap::new();
        for (k, v) in entries {
            let Some(key) = k.as_scalar_text() else {
                self.err(
                    codes::WRONG_TYPE,
                    format!("keys of {what} must be plain words"),
                    k.span,
                    path,
                );
                continue;
            };
            match table.iter().find(|f| f.name == key) {
                Some(f) => {
                    let p = join(path, f.name);
                    self.map.keys.insert(p.clone(), k.span);
                    self.map.values.insert(p, v.span);
                    out.insert(f.name, v);
                }
                None => {
                    let help = match fields::suggest(key, table) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!(
                            "accepted keys here: {}",
                            table.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
                        ),
                    };
                    let d = self.err(
                        codes::UNKNOWN_KEY,
                        format!("unknown key `{key}` in {what}"),
                        k.span,
                        &join(path, key),
                    );
                    d.help = Some(help);
                    d.label = Some("not a key of this section".into());
                }
            }
        }
        for f in table.iter().filter(|f| f.required) {
            // Missing layers get their own diagnostic with an example, so skip them here.
            let is_layer = path.is_empty() && fields::LAYERS.iter().any(|(l, _)| *l == f.name);
            if !out.contains_key(f.name) && !is_layer {
                let d = self.err(
                    codes::MISSING_FIELD,
                    format!(
                        "{what} has no `{}` ({})",
                        f.name,
                        f.doc.trim_end_matches('.')
                    ),
                    key_or_node(node),
                    path,
                );
                d.label = Some(format!("`{}` is required here", f.name));
                d.help = Some(format!("add `{}:`", f.name));
            }
        }
        Some(out)
    }

    fn string(&mut self, node: &Node, path: &str) -> Option<String> {
        match &node.value {
            NodeValue::Scalar(ScalarKind::Null, _) => {
                self.err(
                    codes::WRONG_TYPE,
                    "expected a value, found nothing",
                    node.span,
                    path,
                );
                None
            }
            NodeValue::Scalar(_, t) => Some(t.clone()),
            _ => {
                self.wrong_type(node, "expected a single value", path);
                None
            }
        }
    }

    fn opt_string(&mut self, m: &BTreeMap<&str, &Node>, key: &str, path: &str) -> Option<String> {
        m.get(key).and_then(|n| self.string(n, &join(path, key)))
    }

    fn names(&mut self, node: &Node, path: &str) -> Vec<String> {
        match &node.value {
            NodeValue::Seq(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, n)| {
                    let p = format!("{path}/{i}");
                    self.map.values.insert(p.clone(), n.span);
                    self.string(n, &p)
                })
                .collect(),
            _ => self.string(node, path).into_iter().collect(),
        }
    }

    fn count(&mut self, node: &Node, path: &str) -> Option<u32> {
        match &node.value {
            NodeValue::Scalar(ScalarKind::Int(i), _) if *i >= 0 && *i <= 1000 => Some(*i as u32),
            _ => {
                self.wrong_value(node, "expected a whole number from 0 to 1000", path);
                None
            }
        }
    }

    fn boolean(&mut self, node: &Node, path: &str) -> Option<bool> {
        match &node.value {
            NodeValue::Scalar(ScalarKind::Bool(b), _) => Some(*b),
            _ => {
                self.wrong_value(node, "expected true or false", path).help = Some(
                    "YAML 1.2: only `true` and `false` are booleans (not yes/no/on/off)".into(),
                );
                None
            }
        }
    }

    fn params(&mut self, node: &Node, path: &str) -> IndexMap<String, Value> {
        match &node.value {
            NodeValue::Map(m) => {
                let mut out = IndexMap::new();
                for (k, v) in m {
                    let key = k.as_scalar_text().unwrap_or_default().to_string();
                    let p = join(path, &key);
                    self.record_tree(v, &p);
                    out.insert(key, v.to_json());
                }
                out
            }
            NodeValue::Scalar(ScalarKind::Null, _) => IndexMap::new(),
            _ => {
                self.wrong_type(node, "expected a mapping of parameters", path);
                IndexMap::new()
            }
        }
    }

    /// Records spans of every nested value so template errors deep in `with` are located.
    fn record_tree(&mut self, node: &Node, path: &str) {
        self.map.values.insert(path.to_string(), node.span);
        match &node.value {
            NodeValue::Map(m) => {
                for (k, v) in m {
                    let p = join(path, k.as_scalar_text().unwrap_or_default());
                    self.map.keys.insert(p.clone(), k.span);
                    self.record_tree(v, &p);
                }
            }
            NodeValue::Seq(items) => {
                for (i, v) in items.iter().enumerate() {
                    self.record_tree(v, &format!("{path}/{i}"));
                }
            }
            NodeValue::Scalar(..) => {}
        }
    }

    fn string_map(&mut self, node: &Node, path: &str) -> IndexMap<String, String> {
        let mut out = IndexMap::new();
        match &node.value {
            NodeValue::Map(m) => {
                for (k, v) in m {
                    let key = k.as_scalar_text().unwrap_or_default().to_string();
                    let p = join(path, &key);
                    self.map.keys.insert(p.clone(), k.span);
                    self.map.values.insert(p.clone(), v.span);
                    if let Some(s) = self.string(v, &p) {
                        out.insert(key, s);
                    }
                }
            }
            NodeValue::Scalar(ScalarKind::Null, _) => {}
            _ => {
                self.wrong_type(node, "expected a mapping of names to values", path);
            }
        }
        out
    }

    /// Walks a `- name: {fields}` list, checking shape and duplicate names.
    fn named_list<T>(
        &mut self,
        node: &Node,
        path: &str,
        what: &str,
        mut item: impl FnMut(&mut Self, String, &Node, &str) -> Option<T>,
    ) -> Vec<T> {
        let items = match &node.value {
            NodeValue::Seq(items) => items.as_slice(),
            NodeValue::Scalar(ScalarKind::Null, _) => &[],
            _ => {
                self.wrong_type(
                    node,
                    format!(
                        "`{}` must be a list of `- name: {{...}}` items",
                        path.trim_start_matches('/')
                    ),
                    path,
                );
                self.dropped = true;
                return Vec::new();
            }
        };
        let mut seen: BTreeMap<String, Span> = BTreeMap::new();
        let mut out = Vec::new();
        for it in items {
            let entries = match it.as_map() {
                Some(e) if e.len() == 1 => e,
                other => {
                    // With several keys, point at the second: it is the one missing its `- `.
                    let (msg, span) = match other {
                        Some([_, (k2, _), ..]) => (
                            format!(
                                "each {what} is a single-key mapping `- name: {{fields}}`; `{}` sits in the same item as the one above",
                                k2.as_scalar_text().unwrap_or("this key")
                            ),
                            k2.span,
                        ),
                        _ => (
                            format!("each {what} is a single-key mapping `- name: {{fields}}`"),
                            it.span,
                        ),
                    };
                    let d = self.err(codes::BAD_SHAPE, msg, span, path);
                    d.help = Some(format!(
                        "write it as\n  - my_{what}:\n      key: value\n(a blank line or a missing indent often merges two items)"
                    ));
                    self.dropped = true;
                    continue;
                }
            };
            let (k, body) = &entries[0];
            let Some(name) = k.as_scalar_text().map(str::to_string) else {
                self.err(
                    codes::BAD_NAME,
                    format!("a {what} name must be a word"),
                    k.span,
                    path,
                );
                self.dropped = true;
                continue;
            };
            let p = join(path, &name);
            self.map.keys.insert(p.clone(), k.span);
            self.map.values.insert(p.clone(), body.span);
            if !crate::units::is_name(&name) {
                self.err(
                    codes::BAD_NAME,
                    format!("`{name}` is not a valid {what} name"),
                    k.span,
                    &p,
                )
                .help =
                    Some("names start with a letter and use letters, digits, `_` and `-`".into());
            }
            if let Some(first) = seen.get(&name) {
                let line = first.line;
                self.err(
                    codes::DUPLICATE_NAME,
                    format!("the {what} name `{name}` is already used on line {line}"),
                    k.span,
                    &p,
                )
                .help =
                    Some("names identify items in events and logs; give each one its own".into());
                continue;
            }
            seen.insert(name.clone(), k.span);
            match item(self, name, body, &p) {
                Some(t) => out.push(t),
                None => self.dropped = true,
            }
        }
        out
    }
}

fn key_or_node(node: &Node) -> Span {
    Span {
        len: 0,
        ..node.span
    }
}

fn strsim_best<'a>(s: &str, options: &[&'a str]) -> Option<&'a str> {
    options
        .iter()
        .map(|o| (strsim::jaro_winkler(s, o), *o))
        .filter(|(sc, _)| *sc >= 0.75)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, o)| o)
}
