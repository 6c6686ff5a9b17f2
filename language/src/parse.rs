//! Builds a [`System`] from a YAML tree, recording where each item was written.
//!
//! Shape errors (unknown keys, wrong types, missing layers) are collected rather than
//! returned at the first one, so a user sees every problem of a file in one run.

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
    /// Shape errors.
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
                let kind = node.kind_name();
                self.err(
                    codes::WRONG_TYPE,
                    format!("{what} must be a mapping of keys, found {kind}"),
                    node.span,
                    path,
                )
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
                let kind = node.kind_name();
                self.err(
                    codes::WRONG_TYPE,
                    format!("expected a single value, found {kind}"),
                    node.span,
                    path,
                );
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
                let shown = node
                    .as_scalar_text()
                    .unwrap_or(node.kind_name())
                    .to_string();
                self.err(
                    codes::WRONG_TYPE,
                    format!("expected a whole number from 0 to 1000, found `{shown}`"),
                    node.span,
                    path,
                );
                None
            }
        }
    }

    fn boolean(&mut self, node: &Node, path: &str) -> Option<bool> {
        match &node.value {
            NodeValue::Scalar(ScalarKind::Bool(b), _) => Some(*b),
            _ => {
                let shown = node
                    .as_scalar_text()
                    .unwrap_or(node.kind_name())
                    .to_string();
                self.err(
                    codes::WRONG_TYPE,
                    format!("expected true or false, found `{shown}`"),
                    node.span,
                    path,
                )
                .help = Some(
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
                let kind = node.kind_name();
                self.err(
                    codes::WRONG_TYPE,
                    format!("expected a mapping of parameters, found {kind}"),
                    node.span,
                    path,
                );
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
                let kind = node.kind_name();
                self.err(
                    codes::WRONG_TYPE,
                    format!("expected a mapping of names to values, found {kind}"),
                    node.span,
                    path,
                );
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
                let kind = node.kind_name();
                self.err(
                    codes::WRONG_TYPE,
                    format!(
                        "`{}` must be a list of `- name: {{...}}` items, found {kind}",
                        path.trim_start_matches('/')
                    ),
                    node.span,
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

    fn system(&mut self, root: &Node) -> Option<System> {
        let m = self.fields(root, fields::TOP, "", "the system")?;
        let mut sys = System::new(self.opt_string(&m, "system", "").unwrap_or_default());
        if let Some(v) = self.opt_string(&m, "version", "") {
            sys.version = v;
        } else {
            sys.version = String::new();
        }
        sys.description = self.opt_string(&m, "description", "");
        if let Some(n) = m.get("provenance") {
            sys.provenance = self.provenance(n, "/provenance");
        }
        let mut missing = Vec::new();
        for (layer, example) in fields::LAYERS {
            if !m.contains_key(layer) {
                missing.push((layer, example));
            }
        }
        for (layer, example) in missing {
            self.dropped = true;
            let span = Span {
                line: 1,
                column: 1,
                offset: 0,
                len: 0,
            };
            let d = self.err(
                codes::MISSING_LAYER,
                format!("the system has no `{layer}` layer; every system declares all five layers (triggers, decisions, execution, data, observability)"),
                span,
                &format!("/{layer}"),
            );
            d.label = Some(format!("`{layer}` is missing from this system"));
            d.help = Some(format!(
                "add a minimal `{layer}` layer, for example:\n\n{example}"
            ));
        }
        if let Some(n) = m.get("triggers") {
            sys.triggers = self.named_list(n, "/triggers", "trigger", |p, name, body, path| {
                p.trigger(name, body, path)
            });
        }
        if let Some(n) = m.get("decisions") {
            sys.decisions = self.named_list(n, "/decisions", "decision", |p, name, body, path| {
                p.decision(name, body, path)
            });
        }
        if let Some(n) = m.get("execution") {
            sys.execution = self.named_list(n, "/execution", "execution", |p, name, body, path| {
                p.execution(name, body, path)
            });
        }
        if let Some(n) = m.get("data")
            && let Some(d) = self.data(n, "/data")
        {
            sys.data = d;
        }
        if let Some(n) = m.get("observability")
            && let Some(o) = self.observability(n, "/observability")
        {
            sys.observability = o;
        }
        Some(sys)
    }

    fn provenance(&mut self, node: &Node, path: &str) -> Option<Provenance> {
        let m = self.fields(node, fields::PROVENANCE, path, "provenance")?;
        Some(Provenance {
            kind: self.opt_string(&m, "kind", path).unwrap_or_default(),
            file: self.opt_string(&m, "file", path),
            legacy_id: self.opt_string(&m, "legacy_id", path),
            notes: m
                .get("notes")
                .map(|n| self.string_map(n, &join(path, "notes")))
                .unwrap_or_default(),
        })
    }

    fn legacy(&mut self, m: &BTreeMap<&str, &Node>, path: &str) -> IndexMap<String, String> {
        m.get("legacy")
            .map(|n| self.string_map(n, &join(path, "legacy")))
            .unwrap_or_default()
    }

    fn trigger(&mut self, name: String, body: &Node, path: &str) -> Option<Trigger> {
        let m = self.fields(body, fields::TRIGGER, path, &format!("trigger `{name}`"))?;
        let source = match m.get("source") {
            Some(n) => {
                let s = self.string(n, &join(path, "source"))?;
                match Source::parse(&s) {
                    Some(src) => src,
                    None => {
                        let help = match strsim_best(&s, Source::WORDS) {
                            Some(b) => format!("did you mean `{b}`?"),
                            None => format!("one of: {}", Source::WORDS.join(", ")),
                        };
                        self.err(
                            codes::BAD_VALUE,
                            format!("unknown trigger source `{s}`"),
                            n.span,
                            &join(path, "source"),
                        )
                        .help = Some(help);
                        return None;
                    }
                }
            }
            None => return None,
        };
        let mut t = Trigger::new(name, source);
        t.description = self.opt_string(&m, "description", path);
        t.idempotency = self.opt_string(&m, "idempotency", path);
        t.schedule = self.opt_string(&m, "schedule", path);
        t.timezone = self.opt_string(&m, "timezone", path);
        if let Some(n) = m.get("catch_up") {
            let p = join(path, "catch_up");
            if let Some(s) = self.string(n, &p) {
                match CatchUp::parse(&s) {
                    Some(c) => t.catch_up = Some(c),
                    None => {
                        self.err(
                            codes::BAD_VALUE,
                            format!("unknown catch_up policy `{s}`"),
                            n.span,
                            &p,
                        )
                        .help = Some(format!("one of: {}", CatchUp::WORDS.join(", ")));
                    }
                }
            }
        }
        t.path = self.opt_string(&m, "path", path);
        if let Some(n) = m.get("auth") {
            let p = join(path, "auth");
            if let Some(a) = self.fields(n, fields::AUTH, &p, "webhook auth") {
                t.auth = Some(WebhookAuth {
                    hmac_sha256: self.opt_string(&a, "hmac_sha256", &p).unwrap_or_default(),
                    header: self.opt_string(&a, "header", &p),
                });
            }
        }
        t.every = self.opt_string(&m, "every", path);
        t.action = self.opt_string(&m, "action", path);
        if let Some(n) = m.get("with") {
            t.with = self.params(n, &join(path, "with"));
        }
        t.subject = self.opt_string(&m, "subject", path);
        t.emits = self.opt_string(&m, "emits", path);
        if let Some(n) = m.get("enabled") {
            t.enabled = self.boolean(n, &join(path, "enabled"));
        }
        t.legacy = self.legacy(&m, path);
        Some(t)
    }

    fn rule_outcome(
        &mut self,
        m: &BTreeMap<&str, &Node>,
        path: &str,
    ) -> (IndexMap<String, Value>, Option<String>) {
        let then = match m.get("then") {
            Some(n) => self.params(n, &join(path, "then")),
            None => IndexMap::new(),
        };
        (then, self.opt_string(m, "emit", path))
    }

    fn decision(&mut self, name: String, body: &Node, path: &str) -> Option<Decision> {
        let what = format!("decision `{name}`");
        let m = self.fields(body, fields::DECISION, path, &what)?;
        let present: Vec<&str> = ["when", "rules", "policy"]
            .into_iter()
            .filter(|k| m.contains_key(k))
            .collect();
        let logic = match present.as_slice() {
            ["when"] => Logic::When(self.opt_string(&m, "when", path).unwrap_or_default()),
            ["policy"] => Logic::Policy(self.opt_string(&m, "policy", path).unwrap_or_default()),
            ["rules"] => {
                let rp = join(path, "rules");
                let mut rules = Vec::new();
                match m.get("rules").map(|n| (n, n.as_seq())) {
                    Some((_, Some(items))) => {
                        for (i, it) in items.iter().enumerate() {
                            let ip = format!("{rp}/{i}");
                            self.map.values.insert(ip.clone(), it.span);
                            if let Some(r) = self.fields(
                                it,
                                fields::RULE,
                                &ip,
                                &format!("rule {} of {what}", i + 1),
                            ) {
                                let (then, emit) = self.rule_outcome(&r, &ip);
                                rules.push(Rule {
                                    condition: self.opt_string(&r, "if", &ip).unwrap_or_default(),
                                    then,
                                    emit,
                                });
                            }
                        }
                    }
                    Some((n, None)) => {
                        let kind = n.kind_name();
                        self.err(
                            codes::WRONG_TYPE,
                            format!("`rules` must be a list of `- if: …` rules, found {kind}"),
                            n.span,
                            &rp,
                        );
                    }
                    None => {}
                }
                let default = match m.get("default") {
                    Some(n) => {
                        let dp = join(path, "default");
                        self.fields(n, fields::RULE_DEFAULT, &dp, "the rules default")
                            .map(|d| {
                                let (then, emit) = self.rule_outcome(&d, &dp);
                                RuleDefault { then, emit }
                            })
                    }
                    None => None,
                };
                Logic::Rules { rules, default }
            }
            [] => {
                let d = self.err(
                    codes::DECISION_LOGIC,
                    format!("{what} says neither `when`, `rules` nor `policy`"),
                    key_or_node(body),
                    path,
                );
                d.help = Some("give exactly one: `when: <condition>`, a `rules:` table, or `policy: ./file.cel`".into());
                Logic::When("true".into())
            }
            many => {
                let d = self.err(
                    codes::DECISION_LOGIC,
                    format!(
                        "{what} has {} at once; a decision decides one way",
                        many.join(" and ")
                    ),
                    key_or_node(body),
                    path,
                );
                d.help = Some("keep exactly one of `when`, `rules`, `policy`".into());
                Logic::When("true".into())
            }
        };
        if m.contains_key("default") && !matches!(logic, Logic::Rules { .. }) {
            let span = self.map.key(&join(path, "default")).unwrap_or(body.span);
            self.err(
                codes::DECISION_LOGIC,
                "`default` only applies to a `rules` table",
                span,
                &join(path, "default"),
            );
        }
        Some(Decision {
            name,
            description: self.opt_string(&m, "description", path),
            on: m
                .get("on")
                .map(|n| self.names(n, &join(path, "on")))
                .unwrap_or_default(),
            inputs: m
                .get("inputs")
                .map(|n| self.names(n, &join(path, "inputs")))
                .unwrap_or_default(),
            logic,
            emits: m
                .get("emits")
                .map(|n| self.names(n, &join(path, "emits")))
                .unwrap_or_default(),
            legacy: self.legacy(&m, path),
        })
    }

    fn execution(&mut self, name: String, body: &Node, path: &str) -> Option<Execution> {
        let m = self.fields(
            body,
            fields::EXECUTION,
            path,
            &format!("execution `{name}`"),
        )?;
        let on = m
            .get("on")
            .map(|n| self.names(n, &join(path, "on")))
            .unwrap_or_default();
        let action = self.opt_string(&m, "action", path).unwrap_or_default();
        let mut e = Execution::new(name, String::new(), action);
        e.on = on;
        e.description = self.opt_string(&m, "description", path);
        if let Some(n) = m.get("with") {
            e.with = self.params(n, &join(path, "with"));
        }
        if let Some(n) = m.get("retries") {
            e.retries = self.count(n, &join(path, "retries"));
        }
        e.backoff = self.opt_string(&m, "backoff", path);
        e.timeout = self.opt_string(&m, "timeout", path);
        e.idempotency = self.opt_string(&m, "idempotency", path);
        e.dead_letter = self.opt_string(&m, "dead_letter", path);
        e.delay = self.opt_string(&m, "delay", path);
        if let Some(n) = m.get("enabled") {
            e.enabled = self.boolean(n, &join(path, "enabled"));
        }
        e.legacy = self.legacy(&m, path);
        Some(e)
    }

    fn data(&mut self, node: &Node, path: &str) -> Option<Data> {
        let m = self.fields(node, fields::DATA, path, "the data layer")?;
        let mut d = Data::default();
        if let Some(n) = m.get("events") {
            let p = join(path, "events");
            if let Some(ev) = self.fields(n, fields::EVENTS, &p, "data.events") {
                d.events = EventStore {
                    store: self.opt_string(&ev, "store", &p).unwrap_or_default(),
                    retention: self.opt_string(&ev, "retention", &p).unwrap_or_default(),
                };
            }
        }
        if let Some(n) = m.get("state") {
            d.state = self.named_list(
                n,
                &join(path, "state"),
                "state store",
                |p, name, body, path| {
                    let s =
                        p.fields(body, fields::STATE, path, &format!("state store `{name}`"))?;
                    Some(StateStore {
                        description: p.opt_string(&s, "description", path),
                        key: p.opt_string(&s, "key", path),
                        ttl: p.opt_string(&s, "ttl", path),
                        name,
                    })
                },
            );
        }
        if let Some(n) = m.get("tables") {
            d.tables = self.named_list(n, &join(path, "tables"), "table", |p, name, body, path| {
                let s = p.fields(body, fields::TABLE, path, &format!("table `{name}`"))?;
                let rows = match s.get("rows") {
                    Some(rn) => match &rn.value {
                        NodeValue::Seq(items) => items
                            .iter()
                            .enumerate()
                            .filter_map(|(i, it)| {
                                let rp = format!("{path}/rows/{i}");
                                if it.as_map().is_some() {
                                    Some(p.params(it, &rp))
                                } else {
                                    p.err(
                                        codes::WRONG_TYPE,
                                        "each table row is a mapping of column to value",
                                        it.span,
                                        &rp,
                                    );
                                    None
                                }
                            })
                            .collect(),
                        _ => {
                            p.err(
                                codes::WRONG_TYPE,
                                "`rows` must be a list of mappings",
                                rn.span,
                                &format!("{path}/rows"),
                            );
                            Vec::new()
                        }
                    },
                    None => Vec::new(),
                };
                Some(Table {
                    description: p.opt_string(&s, "description", path),
                    source: p.opt_string(&s, "source", path),
                    key: p.opt_string(&s, "key", path),
                    rows,
                    name,
                })
            });
        }
        Some(d)
    }

    fn observability(&mut self, node: &Node, path: &str) -> Option<Observability> {
        let m = self.fields(node, fields::OBSERVABILITY, path, "the observability layer")?;
        let slo = m
            .get("slo")
            .map(|n| self.string_map(n, &join(path, "slo")))
            .unwrap_or_default();
        let mut alerts = Vec::new();
        if let Some(n) = m.get("alerts") {
            let ap = join(path, "alerts");
            match n.as_seq() {
                Some(items) => {
                    for (i, it) in items.iter().enumerate() {
                        let ip = format!("{ap}/{i}");
                        self.map.values.insert(ip.clone(), it.span);
                        if let Some(a) =
                            self.fields(it, fields::ALERT, &ip, &format!("alert {}", i + 1))
                        {
                            alerts.push(Alert {
                                on: self.opt_string(&a, "on", &ip).unwrap_or_default(),
                                route: self.opt_string(&a, "route", &ip),
                                description: self.opt_string(&a, "description", &ip),
                            });
                        }
                    }
                }
                None if n.is_null() => {}
                None => {
                    let kind = n.kind_name();
                    self.err(
                        codes::WRONG_TYPE,
                        format!("`alerts` must be a list of `- on: …` alerts, found {kind}"),
                        n.span,
                        &ap,
                    );
                }
            }
        }
        Some(Observability {
            slo,
            alerts,
            owner: self.opt_string(&m, "owner", path),
        })
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
