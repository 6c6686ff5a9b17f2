//! The canonical writer: one fixed key order, one quoting rule, byte-identical output
//! for equal systems. `claw fmt` and every importer write through it.

use crate::model::*;
use indexmap::IndexMap;
use serde_json::Value;

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
    w.blank();
    w.list_head("execution", sys.execution.is_empty());
    for x in &sys.execution {
        w.item(&x.name);
        for f in crate::fields::EXECUTION {
            execution_key(&mut w, x, f.name);
        }
    }
    w.blank();
    w.line(0, "data:");
    w.line(2, "events:");
    w.kv(4, "store", &sys.data.events.store);
    w.kv(4, "retention", &sys.data.events.retention);
    if !sys.data.state.is_empty() {
        w.line(2, "state:");
        for s in &sys.data.state {
            w.line(4, &format!("- {}:", key(&s.name)));
            let before = w.out.len();
            w.opt(8, "description", &s.description);
            w.opt(8, "key", &s.key);
            w.opt(8, "ttl", &s.ttl);
            w.close_empty(before);
        }
    }
    if !sys.data.tables.is_empty() {
        w.line(2, "tables:");
        for t in &sys.data.tables {
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
    w.blank();
    w.line(0, "observability:");
    let o = &sys.observability;
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
    w.out
}

#[derive(Default)]
struct W {
    out: String,
}

impl W {
    fn line(&mut self, indent: usize, s: &str) {
        for _ in 0..indent {
            self.out.push(' ');
        }
        self.out.push_str(s);
        self.out.push('\n');
    }
    fn blank(&mut self) {
        self.out.push('\n');
    }
    fn raw(&mut self, indent: usize, k: &str, v: &str) {
        self.line(indent, &format!("{k}: {v}"));
    }
    fn kv(&mut self, indent: usize, k: &str, v: &str) {
        let s = scalar(v, indent + 2);
        self.line(indent, &format!("{}: {s}", key(k)));
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

fn leaf(v: &Value, indent: usize) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar(s, indent),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

fn flow_leaf(v: &Value) -> String {
    match v {
        Value::String(s) => flow_scalar(s),
        other => leaf(other, 0),
    }
}

/// A key: plain when safe, else double-quoted.
fn key(k: &str) -> String {
    if is_plain_safe(k) {
        k.to_string()
    } else {
        quoted(k)
    }
}

/// A string scalar inside flow collections (`[a, b]`), where `,` `[` `]` `{` `}` matter.
fn flow_scalar(s: &str) -> String {
    let plain = is_plain_safe(s)
        && !s.contains([',', '[', ']', '{', '}'])
        // Flow context reads plain text differently from block context (the YAML library
        // refuses `[yes, a -]`, found by the round-trip property test): without blanks the
        // block checks suffice, otherwise confirm by reading the list back.
        && (!s.contains(' ') || reads_back_in_flow(s));
    if plain { s.to_string() } else { quoted(s) }
}

/// Whether `k: [{s}]` reads back as a list holding exactly the string `s`.
fn reads_back_in_flow(s: &str) -> bool {
    let probe = format!("k: [{s}]\n");
    match crate::yaml::load(&probe) {
        Ok(n) => match n.get("k").map(|v| &v.value) {
            Some(crate::yaml::NodeValue::Seq(items)) => {
                items.len() == 1
                    && matches!(
                        &items[0].value,
                        crate::yaml::NodeValue::Scalar(crate::yaml::ScalarKind::Str, t) if t == s
                    )
            }
            _ => false,
        },
        Err(_) => false,
    }
}

/// A string value: plain, literal block (multi-line), or double-quoted.
pub fn scalar(s: &str, indent: usize) -> String {
    if is_plain_safe(s) {
        return s.to_string();
    }
    if let Some(block) = literal_block(s, indent) {
        return block;
    }
    quoted(s)
}

fn quoted(s: &str) -> String {
    // JSON string syntax is a subset of YAML double-quoted scalars.
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn literal_block(s: &str, indent: usize) -> Option<String> {
    if !s.contains('\n') || s.starts_with([' ', '\t', '\n']) || s.contains('\r') || s.contains('\t')
    {
        return None;
    }
    let lines: Vec<&str> = s.split('\n').collect();
    if lines
        .iter()
        .any(|l| l.ends_with(' ') || l.chars().any(|c| c.is_control()))
    {
        return None;
    }
    let (indicator, body) = if let Some(b) = s.strip_suffix('\n') {
        if b.ends_with('\n') {
            return None;
        }
        ("|", b)
    } else {
        ("|-", s)
    };
    let pad = " ".repeat(indent);
    let mut out = indicator.to_string();
    for l in body.split('\n') {
        out.push('\n');
        if !l.is_empty() {
            out.push_str(&pad);
            out.push_str(l);
        }
    }
    Some(out)
}

/// Whether a string can be written without quotes and read back as the same string.
fn is_plain_safe(s: &str) -> bool {
    if s.is_empty() || s.len() > 200 || s != s.trim() {
        return false;
    }
    let first = s.as_bytes()[0];
    if b"-?:,[]{}#&*!|>'\"%@`".contains(&first)
        && !(first == b'-' && s.len() > 1 && s.as_bytes()[1] != b' ' && !looks_numeric(s))
    {
        return false;
    }
    if s.contains(": ")
        || s.contains(" #")
        || s.ends_with(':')
        || s.contains("{{")
        || s.contains('\t')
    {
        return false;
    }
    if s.chars().any(|c| {
        c.is_control() || c == '\u{feff}' || c == '\u{2028}' || c == '\u{2029}' || c == '\u{85}'
    }) {
        return false;
    }
    if looks_numeric(s) || is_reserved_word(s) {
        return false;
    }
    if obviously_plain(s) {
        return true;
    }
    reads_back_plain(s)
}

/// Characters that never end, fold or change a plain scalar in block context once the checks in
/// [`is_plain_safe`] have passed (no `": "`, `" #"`, trailing `:` or blanks at either end).
const PLAIN_INNER: &[u8] = b"_./-@+=:,~%$()<>;!?&*'\"\\ ";

/// A cheap sufficient condition for [`reads_back_plain`], which parses a YAML document per call
/// and dominated writing large systems. A scalar that starts with a letter, `/` or `_` (never
/// an indicator, never a number: saphyr resolves such text as a string unless it is one of the
/// reserved words, already excluded) and holds only [`PLAIN_INNER`] characters reads back as
/// itself. The unit test `fast_path_agrees_with_reading_back` checks this against the parser.
fn obviously_plain(s: &str) -> bool {
    let b = s.as_bytes();
    (b[0].is_ascii_alphabetic() || b[0] == b'/' || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || PLAIN_INNER.contains(c))
}

/// Whether `k: {s}` reads back as the string `s`.
fn reads_back_plain(s: &str) -> bool {
    // The resolution rules of YAML are subtle; confirm by reading the scalar back.
    let probe = format!("k: {s}\n");
    match crate::yaml::load(&probe) {
        Ok(n) => matches!(
            n.get("k").map(|v| &v.value),
            Some(crate::yaml::NodeValue::Scalar(crate::yaml::ScalarKind::Str, t)) if t == s
        ),
        Err(_) => false,
    }
}

fn is_reserved_word(s: &str) -> bool {
    matches!(
        s,
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" | "null" | "Null" | "NULL" | "~"
    )
}

fn looks_numeric(s: &str) -> bool {
    let t = s.trim_start_matches(['+', '-']);
    t.parse::<f64>().is_ok()
        || t.starts_with("0x")
        || t.starts_with("0o")
        || matches!(t.to_ascii_lowercase().as_str(), ".inf" | ".nan")
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
        "path" => w.opt(6, key, &t.path),
        "auth" => {
            if let Some(a) = &t.auth {
                w.line(6, "auth:");
                w.kv(8, "hmac_sha256", &a.hmac_sha256);
                w.opt(8, "header", &a.header);
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
        "legacy" => w.smap(6, key, &x.legacy),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The writer walks the field tables, so a key added to a table without a writer arm
    /// would silently vanish from canonical output: every key of a full item must be written.
    #[test]
    fn every_key_is_written() {
        let mut t = Trigger::new("t", Source::Schedule);
        t.description = Some("d".into());
        t.schedule = Some("@daily".into());
        t.timezone = Some("UTC".into());
        t.catch_up = Some(CatchUp::All);
        t.every = Some("5m".into());
        t.action = Some("http.get".into());
        t.with.insert("url".into(), Value::String("u".into()));
        t.subject = Some("s".into());
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

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        /// Whenever the fast path says plain, the YAML parser agrees (the fast path may only be
        /// more cautious than reading back, never less).
        #[test]
        fn fast_path_agrees_with_reading_back(
            s in "[a-zA-Z/_][a-zA-Z0-9_./@+=:,~%$()<>;!?&*'\"\\\\ #-]{0,12}"
        ) {
            let cheap = is_plain_safe(&s);
            let probed = !s.is_empty()
                && s.len() <= 200
                && s == s.trim()
                && !s.contains(": ")
                && !s.contains(" #")
                && !s.ends_with(':')
                && !s.contains("{{")
                && !looks_numeric(&s)
                && !is_reserved_word(&s)
                && reads_back_plain(&s);
            prop_assert_eq!(cheap, probed, "{:?}", s);
        }

        /// Whatever a flow list item looks like, written plain or quoted, it reads back as
        /// itself (`on: [a, b]`, short lists of leaves).
        #[test]
        fn flow_items_read_back(s in "[a-zA-Z0-9_./@+=:,~%$()<>;!?&*'\"\\ #\\[\\]{}-]{1,12}") {
            let written = flow_scalar(&s);
            let text = format!("k: [{written}, z]\n");
            let n = crate::yaml::load(&text).map_err(|e| TestCaseError::fail(format!("{e:?}: {text}")))?;
            let items = match n.get("k").map(|v| &v.value) {
                Some(crate::yaml::NodeValue::Seq(items)) => items.clone(),
                other => return Err(TestCaseError::fail(format!("{other:?}: {text}"))),
            };
            prop_assert_eq!(items.len(), 2, "{}", text);
            let first = match &items[0].value {
                crate::yaml::NodeValue::Scalar(_, t) => t.clone(),
                other => return Err(TestCaseError::fail(format!("{other:?}: {text}"))),
            };
            prop_assert_eq!(first, s, "{}", text);
        }
    }

    #[test]
    fn flow_items_with_a_lone_dash_are_quoted() {
        // Found by the round-trip property test: the YAML library refuses `[yes, a -]`.
        assert_eq!(flow_scalar("a -"), "\"a -\"");
        assert_eq!(flow_scalar("a - b"), "a - b");
        assert_eq!(flow_scalar("order_paid"), "order_paid");
    }

    #[test]
    fn fast_path_edge_cases() {
        for s in [
            "inf",
            "nan",
            "Infinity",
            "e5",
            "E5",
            "x:y",
            "a:",
            "a: b",
            "a #b",
            "a#b",
            "a  b",
            "/usr/bin:/bin",
            "secret://crontab/0123456789ab",
            "_1",
            "a,b",
            "a'b",
            "a\"b",
            "a\\b",
            "a&b",
            "a*b",
            "a!b",
            "a%b",
            "a|b",
            "a>b",
            "true",
            "True",
            "null",
            "Null",
            "y",
            "n",
            "yes",
            "no",
            "on",
            "off",
            "a -b",
            "a - b",
            "a ~",
            "a:-b",
            "a::b",
        ] {
            let expected = !s.contains(": ")
                && !s.ends_with(':')
                && !s.contains(" #")
                && !looks_numeric(s)
                && !is_reserved_word(s)
                && reads_back_plain(s);
            assert_eq!(is_plain_safe(s), expected, "{s:?}");
        }
    }

    #[test]
    fn quoting() {
        assert_eq!(scalar("order.id", 0), "order.id");
        assert_eq!(scalar("1.0", 0), "\"1.0\"");
        assert_eq!(scalar("true", 0), "\"true\"");
        assert_eq!(scalar("on", 0), "on");
        assert_eq!(scalar("a: b", 0), "\"a: b\"");
        assert_eq!(scalar("{{ order.id }}", 0), "\"{{ order.id }}\"");
        assert_eq!(scalar("<0.5%", 0), "<0.5%");
        assert_eq!(scalar("line1\nline2\n", 2), "|\n  line1\n  line2");
        assert_eq!(scalar("", 0), "\"\"");
        assert_eq!(scalar("-5", 0), "\"-5\"");
        assert_eq!(scalar("-x", 0), "-x");
    }
}
