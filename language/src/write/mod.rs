//! The canonical writer: one fixed key order, one quoting rule, byte-identical output
//! for equal systems. `claw fmt` and every importer write through it.
//!
//! This file lays out a system (layers, items, keys in field-table order); `scalar.rs` holds
//! the quoting rule for single values.

use crate::model::*;
use indexmap::IndexMap;
use serde_json::Value;

mod scalar;

pub use scalar::scalar;
use scalar::{flow_leaf, flow_scalar, key, leaf, push_key, push_scalar};

/// Writes a system in canonical form.
pub fn to_claw(sys: &System) -> String {
    let mut w = W::default();
    w.kv(0, "system", &sys.system);
    w.kv(0, "version", &sys.version);
    w.opt(0, "description", &sys.description);
    if let Some(p) = &sys.provenance {
        w.line(0, "provenance:");
        w.kv(2, "kind", &p.kind);
        w.opt(2, "file", &p.file);
        w.opt(2, "legacy_id", &p.legacy_id);
        w.smap(2, "notes", &p.notes);
    }
    w.blank();
    w.list_head("triggers", sys.triggers.is_empty());
    for t in &sys.triggers {
        w.item(&t.name);
        for f in crate::fields::TRIGGER {
            trigger_key(&mut w, t, f.name);
        }
    }
    w.blank();
    w.list_head("decisions", sys.decisions.is_empty());
    for d in &sys.decisions {
        decision(&mut w, d);
    }
    w.blank();
    w.list_head("execution", sys.execution.is_empty());
    for x in &sys.execution {
        w.item(&x.name);
        for f in crate::fields::EXECUTION {
            execution_key(&mut w, x, f.name);
        }
    }
    w.blank();
    data(&mut w, &sys.data);
    w.blank();
    observability(&mut w, &sys.observability);
    w.out
}

/// One item of the decision layer.
fn decision(w: &mut W, d: &Decision) {
    w.item(&d.name);
    w.opt(6, "description", &d.description);
    w.names(6, "on", &d.on);
    w.names(6, "inputs", &d.inputs);
    match &d.logic {
        Logic::When(e) => w.kv(6, "when", e),
        Logic::Policy(p) => w.kv(6, "policy", p),
        Logic::Rules { rules, default } => {
            w.line(6, "rules:");
            for r in rules {
                // The key sits after `- `, so a block scalar must be indented past it.
                w.line(8, &format!("- if: {}", scalar(&r.condition, 12)));
                w.params(10, "then", &r.then);
                w.opt(10, "emit", &r.emit);
            }
            if let Some(df) = default {
                if df.then.is_empty() && df.emit.is_none() {
                    w.line(6, "default: {}");
                } else {
                    w.line(6, "default:");
                    w.params(8, "then", &df.then);
                    w.opt(8, "emit", &df.emit);
                }
            }
        }
    }
    w.names(6, "emits", &d.emits);
    w.smap(6, "legacy", &d.legacy);
}

/// The data layer: the event store, then state stores and tables when there are any.
fn data(w: &mut W, data: &Data) {
    w.line(0, "data:");
    w.line(2, "events:");
    w.kv(4, "store", &data.events.store);
    w.kv(4, "retention", &data.events.retention);
    if !data.state.is_empty() {
        w.line(2, "state:");
        for s in &data.state {
            w.line(4, &format!("- {}:", key(&s.name)));
            let before = w.out.len();
            w.opt(8, "description", &s.description);
            w.opt(8, "key", &s.key);
            w.opt(8, "ttl", &s.ttl);
            w.close_empty(before);
        }
    }
    if !data.tables.is_empty() {
        w.line(2, "tables:");
        for t in &data.tables {
            w.line(4, &format!("- {}:", key(&t.name)));
            let before = w.out.len();
            w.opt(8, "description", &t.description);
            w.opt(8, "source", &t.source);
            w.opt(8, "key", &t.key);
            if !t.rows.is_empty() {
                w.line(8, "rows:");
                for row in &t.rows {
                    w.value_item(10, &Value::Object(row.clone().into_iter().collect()));
                }
            }
            w.close_empty(before);
        }
    }
    digests(w, &data.digests);
}

/// The data layer's digests, when there are any.
fn digests(w: &mut W, digests: &[Digest]) {
    if digests.is_empty() {
        return;
    }
    w.line(2, "digests:");
    for d in digests {
        w.line(4, &format!("- {}:", key(&d.name)));
        let before = w.out.len();
        w.opt(8, "description", &d.description);
        w.kv(8, "release", d.release.as_str());
        if let Some(c) = d.count {
            w.raw(8, "count", &c.to_string());
        }
        w.opt(8, "separator", &d.separator);
        w.opt(8, "schedule", &d.schedule);
        w.opt(8, "timezone", &d.timezone);
        w.close_empty(before);
    }
}

/// The observability layer; `observability: {}` when it declares nothing.
fn observability(w: &mut W, o: &Observability) {
    w.line(0, "observability:");
    if !o.slo.is_empty() {
        w.smap(2, "slo", &o.slo);
    }
    if !o.alerts.is_empty() {
        w.line(2, "alerts:");
        for a in &o.alerts {
            w.line(4, &format!("- on: {}", scalar(&a.on, 8)));
            w.opt(6, "route", &a.route);
            w.opt(6, "description", &a.description);
        }
    }
    w.opt(2, "owner", &o.owner);
    if o.slo.is_empty() && o.alerts.is_empty() && o.owner.is_none() {
        // An empty layer must still be present, so write it as an explicit empty mapping.
        w.out.truncate(w.out.len() - "observability:\n".len());
        w.line(0, "observability: {}");
    }
}

#[derive(Default)]
struct W {
    out: String,
}

impl W {
    fn indent(&mut self, indent: usize) {
        for _ in 0..indent {
            self.out.push(' ');
        }
    }
    fn line(&mut self, indent: usize, s: &str) {
        self.indent(indent);
        self.out.push_str(s);
        self.out.push('\n');
    }
    fn blank(&mut self) {
        self.out.push('\n');
    }
    fn raw(&mut self, indent: usize, k: &str, v: &str) {
        self.line(indent, &format!("{k}: {v}"));
    }
    /// `k: v` on one line (or `v` as a block), written straight into the output: this is
    /// most of what a large system's text is made of.
    fn kv(&mut self, indent: usize, k: &str, v: &str) {
        self.indent(indent);
        push_key(&mut self.out, k);
        self.out.push_str(": ");
        push_scalar(&mut self.out, v, indent + 2);
        self.out.push('\n');
    }
    fn opt(&mut self, indent: usize, k: &str, v: &Option<String>) {
        if let Some(v) = v {
            self.kv(indent, k, v);
        }
    }
    fn list_head(&mut self, name: &str, empty: bool) {
        if empty {
            self.line(0, &format!("{name}: []"));
        } else {
            self.line(0, &format!("{name}:"));
        }
    }
    fn item(&mut self, name: &str) {
        self.line(2, &format!("- {}:", key(name)));
    }
    /// An item with no fields must read back as an empty mapping, not null.
    fn close_empty(&mut self, before: usize) {
        if self.out.len() == before && self.out.ends_with(":\n") {
            self.out.pop();
            self.out.push_str(" {}\n");
        }
    }
    fn names(&mut self, indent: usize, k: &str, v: &[String]) {
        match v {
            [] => {}
            [one] => self.kv(indent, k, one),
            many => {
                let items: Vec<String> = many.iter().map(|s| flow_scalar(s)).collect();
                let flow = format!("{k}: [{}]", items.join(", "));
                if flow.len() + indent <= 100 && items.iter().all(|s| !s.contains('\n')) {
                    self.line(indent, &flow);
                } else {
                    self.line(indent, &format!("{k}:"));
                    for s in many {
                        self.line(indent + 2, &format!("- {}", scalar(s, indent + 4)));
                    }
                }
            }
        }
    }
    fn smap(&mut self, indent: usize, k: &str, m: &IndexMap<String, String>) {
        if m.is_empty() {
            return;
        }
        self.line(indent, &format!("{k}:"));
        for (a, b) in m {
            self.kv(indent + 2, a, b);
        }
    }
    fn params(&mut self, indent: usize, k: &str, m: &IndexMap<String, Value>) {
        if m.is_empty() {
            return;
        }
        self.line(indent, &format!("{k}:"));
        for (a, v) in m {
            self.value(indent + 2, a, v);
        }
    }
    fn value(&mut self, indent: usize, k: &str, v: &Value) {
        let k = key(k);
        match v {
            Value::Object(m) if !m.is_empty() => {
                self.line(indent, &format!("{k}:"));
                for (a, b) in m {
                    self.value(indent + 2, a, b);
                }
            }
            Value::Array(a) if !a.is_empty() => {
                self.line(indent, &format!("{k}:"));
                for x in a {
                    self.value_item(indent + 2, x);
                }
            }
            Value::String(s) => {
                self.indent(indent);
                self.out.push_str(&k);
                self.out.push_str(": ");
                push_scalar(&mut self.out, s, indent + 2);
                self.out.push('\n');
            }
            other => {
                let s = leaf(other, indent + 2);
                self.line(indent, &format!("{k}: {s}"));
            }
        }
    }
    fn value_item(&mut self, indent: usize, v: &Value) {
        match v {
            Value::Object(m) if !m.is_empty() => {
                let mut first = true;
                for (a, b) in m {
                    // The first key shares the `- ` line; the rest align under it.
                    let mut sub = W::default();
                    sub.value(indent + 2, a, b);
                    let text = sub.out;
                    if first {
                        let trimmed = &text[indent + 2..];
                        self.out.push_str(&" ".repeat(indent));
                        self.out.push_str("- ");
                        self.out.push_str(trimmed);
                        first = false;
                    } else {
                        self.out.push_str(&text);
                    }
                }
            }
            Value::Array(a) if !a.is_empty() => {
                let items: Vec<String> = a.iter().map(|x| leaf(x, indent + 4)).collect();
                if a.iter().all(|x| !x.is_object() && !x.is_array())
                    && items.iter().all(|s| !s.contains('\n'))
                {
                    self.line(
                        indent,
                        &format!(
                            "- [{}]",
                            a.iter().map(flow_leaf).collect::<Vec<_>>().join(", ")
                        ),
                    );
                } else {
                    let mut sub = W::default();
                    sub.value(indent + 2, "x", v);
                    // Nested non-trivial lists are rare; write them as JSON flow, which is valid YAML.
                    self.line(
                        indent,
                        &format!("- {}", serde_json::to_string(v).unwrap_or_default()),
                    );
                }
            }
            other => {
                let s = leaf(other, indent + 2);
                self.line(indent, &format!("- {s}"));
            }
        }
    }
}

/// Writes one trigger key, if set. The order comes from `fields::TRIGGER`; a key of that table
/// without an arm here is never written, which `every_key_is_written` catches.
fn trigger_key(w: &mut W, t: &Trigger, key: &str) {
    match key {
        "description" => w.opt(6, key, &t.description),
        "source" => w.kv(6, key, t.source.as_str()),
        "schedule" => w.opt(6, key, &t.schedule),
        "timezone" => w.opt(6, key, &t.timezone),
        "catch_up" => {
            if let Some(c) = t.catch_up {
                w.kv(6, key, c.as_str());
            }
        }
        "every" => w.opt(6, key, &t.every),
        "action" => w.opt(6, key, &t.action),
        "with" => w.params(6, key, &t.with),
        "subject" => w.opt(6, key, &t.subject),
        "inputs" => w.names(6, key, &t.inputs),
        "path" => w.opt(6, key, &t.path),
        "auth" => {
            if let Some(a) = &t.auth {
                w.line(6, "auth:");
                w.kv(8, "hmac_sha256", &a.hmac_sha256);
                w.opt(8, "header", &a.header);
            }
        }
        "body" => {
            if let Some(b) = t.body {
                w.kv(6, key, b.as_str());
            }
        }
        "idempotency" => w.opt(6, key, &t.idempotency),
        "emits" => w.opt(6, key, &t.emits),
        "enabled" => {
            if let Some(e) = t.enabled {
                w.raw(6, key, if e { "true" } else { "false" });
            }
        }
        "legacy" => w.smap(6, key, &t.legacy),
        _ => {}
    }
}

/// Writes one execution key, if set, in the order of `fields::EXECUTION`.
fn execution_key(w: &mut W, x: &Execution, key: &str) {
    match key {
        "description" => w.opt(6, key, &x.description),
        "on" => w.names(6, key, &x.on),
        "delay" => w.opt(6, key, &x.delay),
        "action" => w.kv(6, key, &x.action),
        "with" => w.params(6, key, &x.with),
        "retries" => {
            if let Some(r) = x.retries {
                w.raw(6, key, &r.to_string());
            }
        }
        "backoff" => w.opt(6, key, &x.backoff),
        "timeout" => w.opt(6, key, &x.timeout),
        "idempotency" => w.opt(6, key, &x.idempotency),
        "dead_letter" => w.opt(6, key, &x.dead_letter),
        "enabled" => {
            if let Some(e) = x.enabled {
                w.raw(6, key, if e { "true" } else { "false" });
            }
        }
        "for_each" => w.opt(6, key, &x.for_each),
        "on_item_failure" => {
            if let Some(f) = x.on_item_failure {
                w.kv(6, key, f.as_str());
            }
        }
        "max_items" => {
            if let Some(m) = x.max_items {
                w.raw(6, key, &m.to_string());
            }
        }
        "legacy" => w.smap(6, key, &x.legacy),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The writer walks the field tables, so a key added to a table without a writer arm
    /// would silently vanish from canonical output: every key of a full item must be written.
    #[test]
    fn every_key_is_written() {
        let mut t = Trigger::new("t", Source::Schedule);
        t.description = Some("d".into());
        t.schedule = Some("@daily".into());
        t.timezone = Some("UTC".into());
        t.catch_up = Some(CatchUp::All);
        t.body = Some(HookBody::Raw);
        t.every = Some("5m".into());
        t.action = Some("http.get".into());
        t.with.insert("url".into(), Value::String("u".into()));
        t.subject = Some("s".into());
        t.inputs = vec!["to".into()];
        t.path = Some("/p".into());
        t.auth = Some(WebhookAuth {
            hmac_sha256: "secret://k".into(),
            header: None,
        });
        t.idempotency = Some("x.id".into());
        t.emits = Some("e".into());
        t.enabled = Some(true);
        t.legacy.insert("k".into(), "v".into());
        let mut x = Execution::new("x", "t", "log.info");
        x.description = Some("d".into());
        x.delay = Some("1m".into());
        x.with.insert("m".into(), Value::String("v".into()));
        x.retries = Some(3);
        x.backoff = Some("fixed 1s".into());
        x.timeout = Some("30s".into());
        x.idempotency = Some("x.id".into());
        x.dead_letter = Some("queue://q".into());
        x.enabled = Some(false);
        x.for_each = Some("payload.lines".into());
        x.on_item_failure = Some(ItemFailure::Stop);
        x.max_items = Some(10);
        x.legacy.insert("k".into(), "v".into());
        let mut sys = System::new("s");
        sys.triggers.push(t);
        sys.execution.push(x);
        let text = to_claw(&sys);
        for (table, item) in [
            (crate::fields::TRIGGER, "  - t:\n"),
            (crate::fields::EXECUTION, "  - x:\n"),
        ] {
            let at = text.find(item).expect("item written");
            let body = &text[at..];
            let mut last = 0;
            for f in table {
                let line = format!("\n      {}:", f.name);
                let pos = body
                    .find(&line)
                    .unwrap_or_else(|| panic!("`{}` not written:\n{text}", f.name));
                assert!(pos > last, "`{}` out of table order:\n{text}", f.name);
                last = pos;
            }
        }
    }
}
