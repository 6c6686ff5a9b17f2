//! Reads the system and its five layers (triggers, decisions, execution, data, observability)
//! into the model, with the value readers of `parse/mod.rs`.

use super::{P, join, key_or_node, strsim_best};
use crate::codes;
use crate::diag::Span;
use crate::fields;
use crate::model::*;
use crate::yaml::{Node, NodeValue};
use indexmap::IndexMap;
use serde_json::Value;
use std::collections::BTreeMap;

impl P {
    pub(super) fn system(&mut self, root: &Node) -> Option<System> {
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
        if let Some(n) = m.get("body") {
            let p = join(path, "body");
            if let Some(s) = self.string(n, &p) {
                match HookBody::parse(&s) {
                    Some(b) => t.body = Some(b),
                    None => {
                        self.err(
                            codes::BAD_VALUE,
                            format!("unknown webhook body `{s}`"),
                            n.span,
                            &p,
                        )
                        .help = Some(format!("one of: {}", HookBody::WORDS.join(", ")));
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
        if let Some(n) = m.get("inputs") {
            t.inputs = self.names(n, &join(path, "inputs"));
        }
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
            ["rules"] => self.rules(&m, path, &what),
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

    /// The logic of a decision that gives a `rules:` table: each `- if:` rule, then the
    /// `default` when there is one.
    fn rules(&mut self, m: &BTreeMap<&str, &Node>, path: &str, what: &str) -> Logic {
        let rp = join(path, "rules");
        let mut rules = Vec::new();
        match m.get("rules").map(|n| (n, n.as_seq())) {
            Some((_, Some(items))) => {
                for (i, it) in items.iter().enumerate() {
                    let ip = format!("{rp}/{i}");
                    self.map.values.insert(ip.clone(), it.span);
                    if let Some(r) =
                        self.fields(it, fields::RULE, &ip, &format!("rule {} of {what}", i + 1))
                    {
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
                self.wrong_type(n, "`rules` must be a list of `- if: …` rules", &rp);
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
        e.for_each = self.opt_string(&m, "for_each", path);
        if let Some(n) = m.get("on_item_failure") {
            let p = join(path, "on_item_failure");
            if let Some(s) = self.string(n, &p) {
                match ItemFailure::parse(&s) {
                    Some(f) => e.on_item_failure = Some(f),
                    None => {
                        self.err(
                            codes::BAD_VALUE,
                            format!("unknown on_item_failure policy `{s}`"),
                            n.span,
                            &p,
                        )
                        .help = Some(format!("one of: {}", ItemFailure::WORDS.join(", ")));
                    }
                }
            }
        }
        if let Some(n) = m.get("max_items") {
            e.max_items = self.count(n, &join(path, "max_items"));
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
        if let Some(n) = m.get("digests") {
            d.digests = self.named_list(
                n,
                &join(path, "digests"),
                "digest",
                |p, name, body, path| p.digest(name, body, path),
            );
        }
        Some(d)
    }

    /// One `data.digests` item. An unknown `release` word is reported here with the digest
    /// code (the checker reports the rest of a bad policy: a count without `count:`, …).
    fn digest(&mut self, name: String, body: &Node, path: &str) -> Option<Digest> {
        let s = self.fields(body, fields::DIGEST, path, &format!("digest `{name}`"))?;
        // A missing or unknown policy is reported; `manual` stands in so the rest is checked.
        let mut release = DigestRelease::Manual;
        if let Some(n) = s.get("release") {
            let p = join(path, "release");
            if let Some(word) = self.string(n, &p) {
                match DigestRelease::parse(&word) {
                    Some(r) => release = r,
                    None => {
                        self.err(
                            codes::BAD_DIGEST_RELEASE,
                            format!("digest `{name}`: unknown release policy `{word}`"),
                            n.span,
                            &p,
                        )
                        .help = Some(format!("one of: {}", DigestRelease::WORDS.join(", ")));
                    }
                }
            }
        }
        Some(Digest {
            description: self.opt_string(&s, "description", path),
            release,
            count: s
                .get("count")
                .and_then(|n| self.count(n, &join(path, "count"))),
            separator: self.opt_string(&s, "separator", path),
            schedule: self.opt_string(&s, "schedule", path),
            timezone: self.opt_string(&s, "timezone", path),
            name,
        })
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
                    self.wrong_type(n, "`alerts` must be a list of `- on: …` alerts", &ap);
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
