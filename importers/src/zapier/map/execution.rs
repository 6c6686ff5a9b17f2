//! Execution stage: action, Code and Delay steps → `Execution`s (code saved to files with
//! credentials redacted), idempotency-key candidates, and the run recorder for Zaps without actions.

use super::{Mapper, plain};
use crate::findings::Finding;
use crate::secrets;
use crate::zapier::apps::{self, Kind};
use crate::zapier::codes;
use crate::zapier::model::Node;
use crate::zapier::refs::{cel_string, trigger_path};
use claw_language::{Execution, System};
use indexmap::IndexMap;
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::path::PathBuf;

impl Mapper<'_> {
    pub(super) fn execution(&mut self, i: usize, on: &str) -> Execution {
        let n = self.node(i).clone();
        let name = self.names[i].clone();
        let adapter = apps::adapter(n.app());
        let op = apps::operation(n.action());
        let params = n.params.clone().unwrap_or_default();
        let mut x = Execution::new(&name, on, format!("{adapter}.{op}"));
        // Webhooks by Zapier actions are plain HTTP requests: the built-in `http` adapter.
        if n.app().to_ascii_lowercase().starts_with("webhook") {
            let method = op.to_ascii_lowercase();
            if ["post", "get", "put", "patch", "delete"].contains(&method.as_str()) {
                x.action = format!("http.{method}");
            } else if method.contains("custom") {
                x.action = "http.request".into();
            }
        }
        x.description = n.step_title().map(str::to_string);
        let mut legacy = self.legacy(i);
        let mut skip: BTreeSet<&str> = BTreeSet::new();
        let mut secret_inputs = Vec::new();
        if let Some(a) = params
            .get("authentication_id")
            .map(plain)
            .filter(|a| !a.is_empty() && a != "0")
        {
            legacy.insert("param_auth".into(), secrets::reference(&adapter, &a));
        }
        skip.insert("authentication_id");
        let kind = self.kinds[i];
        match kind {
            Kind::Delay => self.delay(i, &n, &mut x, &mut skip),
            Kind::Code => {
                skip.insert("code");
                secret_inputs = self.code_step(i, &n, &params, &mut x, &mut legacy);
            }
            Kind::Loop if self.looping(i, &n, &mut x, &mut skip) => {}
            Kind::ZapierTable if self.zapier_table(i, &n, &mut x) => {
                skip.extend(params.keys().map(String::as_str));
            }
            Kind::LookupTable if self.lookup_table(i, &n, &mut x) => {
                skip.extend(params.keys().map(String::as_str));
            }
            Kind::Storage if self.storage(i, &n, &mut x) => {
                skip.extend(params.keys().map(String::as_str));
            }
            Kind::SubZap if self.subzap(i, &n, &mut x) => {
                skip.extend(params.keys().map(String::as_str));
            }
            Kind::Email if self.email(i, &n, &mut x) => {
                skip.extend(params.keys().map(String::as_str));
            }
            Kind::Digest if self.digest(i, &n, &mut x) => {
                skip.extend(params.keys().map(String::as_str));
            }
            Kind::Loop | Kind::SubZap => self.unported_step(i, &n, &mut x),
            Kind::Formatter if self.formatter(i, &n, &mut x) => {
                skip.extend(params.keys().map(String::as_str));
                if let Some(t) = super::formatter::transform_key(&n) {
                    legacy.insert("transform".into(), t);
                }
            }
            _ => {}
        }
        for (k, v) in &params {
            if skip.contains(k.as_str()) {
                continue;
            }
            let nv = self.rewrite(v, i, &adapter, k);
            x.with.insert(k.clone(), nv);
        }
        if n.app().to_ascii_lowercase().starts_with("webhook") && x.action.starts_with("http.") {
            self.webhook_params(i, &op, &mut x);
        }
        // Added after the params are rewritten: the references are not literals to redact again.
        if !secret_inputs.is_empty() {
            let input = x
                .with
                .entry("input".to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !input.is_object() {
                *input = Value::Object(Map::new());
            }
            if let Value::Object(m) = input {
                for (k, r) in secret_inputs {
                    m.insert(k, Value::String(r));
                }
            }
        }
        if self.kinds[i] == Kind::Code
            && x.with
                .get("packages")
                .is_some_and(|p| p.as_object().is_some_and(Map::is_empty))
        {
            x.with.shift_remove("packages");
        }
        x.legacy = legacy;
        self.loop_body(i, &mut x);
        x
    }

    /// A Code by Zapier step: the code is saved as a file (credentials redacted) that the step
    /// runs, as `code.js` or `code.python` (map/python.rs notes what the Python sandbox lacks).
    fn code_step(
        &mut self,
        i: usize,
        n: &Node,
        params: &Map<String, Value>,
        x: &mut Execution,
        legacy: &mut IndexMap<String, String>,
    ) -> Vec<(String, String)> {
        let name = self.names[i].clone();
        let python = apps::is_python(n);
        let ext = if python { "py" } else { "js" };
        let file = format!("policies/{}/{name}.{ext}", self.system);
        let code = params.get("code").and_then(Value::as_str).unwrap_or("");
        let (code, inputs) = self.redact_code(i, code, python);

        self.files.push((PathBuf::from(&file), code.clone()));
        x.with.insert("file".into(), Value::String(file.clone()));
        if !python {
            legacy.insert(
                "code_style".into(),
                if code.contains("export default") {
                    "module".into()
                } else {
                    "legacy (output = ...)".into()
                },
            );
        }
        if python {
            x.action = "code.python".into();
            self.python_findings(i, &code, &file);
        } else {
            x.action = "code.js".into();
        }
        inputs
    }

    /// A built-in step with no runtime equivalent: kept as `unported.<app>.<op>` with the reason.
    fn unported_step(&mut self, i: usize, n: &Node, x: &mut Execution) {
        let name = self.names[i].clone();
        let op = apps::operation(n.action());
        let app_seg = apps::adapter(n.app());
        x.action = format!("unported.{app_seg}.{op}");
        let what = match app_seg.as_str() {
            s if s.contains("looping") => {
                "a loop inside another loop, or a Looping action whose params are unknown, has no equivalent yet"
            }
            s if s.contains("sub_zap") || s.contains("subzap") => {
                "Sub-Zap calls and replies have no equivalent (a system cannot return a value to a caller)"
            }
            s if s.contains("storage") => {
                "Storage by Zapier keeps values between runs; declare a `data.state` store and a plug-in adapter"
            }
            _ => "this built-in has no runtime equivalent",
        };
        self.note(
            Finding::warning(
                codes::UNPORTED_STEP.id,
                format!(
                    "step `{name}` ({} {}) is kept as `{}`: {what}",
                    n.selected_api.as_deref().unwrap_or(""),
                    n.action(),
                    x.action
                ),
                self.origin(Some(i)),
            )
            .at_path(format!("/execution/{name}")),
        );
    }

    pub(super) fn delay(
        &mut self,
        i: usize,
        n: &Node,
        x: &mut Execution,
        skip: &mut BTreeSet<&str>,
    ) {
        let name = self.names[i].clone();
        x.action = "delay.wait".into();
        let action = n.action().to_ascii_lowercase();
        if action.contains("until") {
            let raw = n.param("delay_until_date").map(plain).unwrap_or_default();
            skip.insert("delay_until_date");
            let t = self.rewrite_str(&raw, i, "delay", "delay_until_date");
            if t.trim().is_empty() {
                x.action = format!("unported.delay.{}", apps::operation(n.action()));
                self.note(
                    Finding::warning(
                        codes::UNPORTED_STEP.id,
                        format!("delay `{name}` has no `delay_until_date`"),
                        self.origin(Some(i)),
                    )
                    .at_path(format!("/execution/{name}")),
                );
                return;
            }
            self.note(
                Finding::warning(codes::DELAY_UNTIL_FORMAT.id, format!("delay `{name}` waits until `{raw}`, a Zapier date expression (pretty dates, `+30m`/`-1h` offsets); the runtime expects the template to give an RFC 3339 time"), self.origin(Some(i)))
                    .at_path(format!("/execution/{name}/delay"))
                    .with_help("map an ISO date field and do the offset in CEL, e.g. `{{ timestamp(start.dateTime) - duration('1h') }}`"),
            );
            x.delay = Some(if t.contains("{{") {
                t
            } else {
                format!("{{{{ {} }}}}", cel_string(&raw))
            });
        } else {
            let value = n.param("delay_for_value").map(plain).unwrap_or_default();
            let unit = n
                .param("delay_for_unit")
                .map(plain)
                .unwrap_or_else(|| "minutes".into());
            let u = match unit.to_ascii_lowercase().trim_end_matches('s') {
                "second" => Some("s"),
                "minute" => Some("m"),
                "hour" => Some("h"),
                "day" => Some("d"),
                "week" => Some("w"),
                _ => None,
            };
            let num = value
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0);
            match (num, u) {
                (Some(_), Some(u)) => {
                    let d = format!("{}{u}", value.trim());
                    if claw_language::units::parse_duration(&d).is_ok() && action.contains("queue")
                    {
                        // Delay After Queue: the duration spaces the releases of one queue.
                        x.action = "delay.queue".into();
                        x.with.insert("spacing".into(), Value::String(d));
                        skip.insert("delay_for_value");
                        skip.insert("delay_for_unit");
                        if let Some(q) = n
                            .param("queue_title")
                            .filter(|q| !plain(q).trim().is_empty())
                        {
                            let q = self.rewrite(&q.clone(), i, "delay", "queue_title");
                            x.with.insert("queue".into(), q);
                        }
                        skip.insert("queue_title");
                    } else if claw_language::units::parse_duration(&d).is_ok() {
                        x.delay = Some(d);
                        skip.insert("delay_for_value");
                        skip.insert("delay_for_unit");
                    } else {
                        x.action = format!("unported.delay.{}", apps::operation(n.action()));
                    }
                }
                _ => {
                    x.action = format!("unported.delay.{}", apps::operation(n.action()));
                    self.note(Finding::warning(codes::UNPORTED_STEP.id, format!("delay `{name}` waits `{value} {unit}`, which is not a fixed duration; it is kept as `{}`", x.action), self.origin(Some(i))).at_path(format!("/execution/{name}")));
                }
            }
            if x.action == "delay.queue" {
                self.note(
                    Finding::info(codes::DELAY_QUEUE.id, format!("delay `{name}` is a Delay After Queue: runs sharing its queue are released one at a time, each {value} {unit} after the previous release"), self.origin(Some(i)))
                        .at_path(format!("/execution/{name}")),
                );
            }
        }
    }

    /// Code bodies are code, not templates: written as they are, except literal credentials,
    /// which the saved code reads from a step input set from a `secret://` reference. Returns
    /// the code and the inputs to add (`secret_<hash>` → reference).
    pub(super) fn redact_code(
        &mut self,
        i: usize,
        code: &str,
        python: bool,
    ) -> (String, Vec<(String, String)>) {
        let lang = if python {
            secrets::code::Lang::Python
        } else {
            secrets::code::Lang::JavaScript
        };
        let (out, found) = secrets::code::redact(code, lang, "code");
        let mut inputs = Vec::new();
        for s in found {
            let line = s.line;
            let r = &s.reference;
            let msg = match &s.input {
                Some(key) => {
                    let read = if python {
                        format!("input_data['{key}']")
                    } else {
                        format!("inputData.{key}")
                    };
                    format!(
                        "line {line} of the code of step `{}` held a hard-coded credential; the saved code reads it from `{read}`, an input set from `{r}`",
                        self.names[i]
                    )
                }
                None => format!(
                    "line {line} of the code of step `{}` held a credential in a comment; it was replaced by the text `{r}`",
                    self.names[i]
                ),
            };
            self.note(
                Finding::warning(codes::HARDCODED_SECRET.id, msg, self.origin(Some(i)))
                    .at_path(format!("/execution/{}", self.names[i]))
                    .with_help(format!("store the value under `{r}` in the secrets file or environment, and rotate it: it was in the Zapier export")),
            );
            if let Some(key) = s.input
                && !inputs.iter().any(|(k, _)| *k == key)
            {
                inputs.push((key, s.reference));
            }
        }
        (out, inputs)
    }

    pub(super) fn idempotency_candidates(&mut self) {
        let root = self.tree.root;
        let name = self.names[root].clone();
        let is_idish = |f: &str| {
            let f = f.to_ascii_lowercase();
            f == "id"
                || f.ends_with("_id")
                || f.ends_with("id") && f.len() > 2 && f[..f.len() - 2].ends_with(['_', '.'])
                || f == "ts"
                || f.ends_with("_ts")
                || f == "uuid"
                || f == "guid"
                || f == "key"
        };
        let mut cands: Vec<String> = self
            .root_fields
            .iter()
            .filter(|fs| fs.last().is_some_and(|l| is_idish(l)))
            .map(|fs| trigger_path(fs))
            .collect();
        cands.sort();
        cands.dedup();
        let src = self.node(root).app().to_string();
        // A called Sub-Zap's runs are keyed by the caller's step: it needs no key of its own.
        if apps::is_schedule(self.node(root))
            || self
                .node(root)
                .app()
                .to_ascii_lowercase()
                .starts_with("subzap")
        {
            return;
        }
        let f = if cands.is_empty() {
            Finding::info(
                codes::IDEMPOTENCY_CANDIDATES.id,
                format!(
                    "no field of the `{src}` trigger that later steps read looks like an id (`id`, `*_id`, `ts`); choose the field that identifies one delivery"
                ),
                self.origin(Some(root)),
            )
        } else {
            Finding::info(
                codes::IDEMPOTENCY_CANDIDATES.id,
                format!("candidate idempotency keys for trigger `{name}` (trigger fields later steps read): {}", cands.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")),
                self.origin(Some(root)),
            )
            .with_help(format!("add `idempotency: {}` to the trigger if it identifies one delivery", cands[0]))
        };
        self.note(f.at_path(format!("/triggers/{name}")));
    }
}

/// A Zap with no action step still does something observable: Zapier logs its runs. An execution
/// layer cannot be empty, so record each run that gets through the trigger and filters with a
/// `log.info` step on every event nothing else consumes, and say so.
pub(super) fn record_runs_without_actions(sys: &mut System, m: &mut Mapper<'_>) {
    let mut emitted: Vec<String> = sys.triggers.iter().map(|t| t.event().to_string()).collect();
    let mut consumed: Vec<String> = Vec::new();
    for d in &sys.decisions {
        emitted.extend(d.emitted_events());
        if d.on.is_empty() {
            consumed.extend(sys.triggers.iter().map(|t| t.event().to_string()));
        } else {
            consumed.extend(d.on.iter().cloned());
        }
    }
    let mut leaves: Vec<String> = emitted
        .into_iter()
        .filter(|e| !consumed.contains(e))
        .collect();
    leaves.dedup();
    if leaves.is_empty() {
        return;
    }
    let mut name = "record_run".to_string();
    let taken = |n: &str| {
        sys.triggers.iter().any(|t| t.name == n) || sys.decisions.iter().any(|d| d.name == n)
    };
    while taken(&name) {
        name.push('_');
    }
    let mut x = Execution::new(name, leaves[0].clone(), "log.info");
    x.on = leaves;
    x.with.insert(
        "message".into(),
        Value::String(format!(
            "{}: run recorded (the Zap has no action step)",
            sys.system
        )),
    );
    let path = format!("/execution/{}", x.name);
    sys.execution.push(x);
    m.note(
        Finding::warning(
            codes::NO_ACTIONS.id,
            "the Zap has no action step; a `log.info` step records each run that passes the trigger and filters",
            m.origin(None),
        )
        .at_path(path)
        .with_help("add the step that should act on these runs, or retire the Zap"),
    );
}
