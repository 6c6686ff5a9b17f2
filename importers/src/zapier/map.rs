//! One Zap → one `.claw` system (plus extracted Code files) and its findings.

use super::apps::{self, Kind};
use super::codes;
use super::error::ZapierError;
use super::filter::{self, Issue, Operand, Operand2};
use super::model::{Export, Node, Zap};
use super::refs::{self, Piece, Ref, cel_string, escape_text, step_path, trigger_path};
use super::resolve::{self, Match};
use super::schedule;
use super::tree::Tree;
use crate::findings::{Finding, Origin};
use crate::output::Generated;
use crate::secrets;
use claw_language::units::slug;
use claw_language::{Alert, Decision, Execution, Logic, Provenance, Source, System, Trigger};
use indexmap::IndexMap;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// The plan default polling interval assumed when the export has no override (Zapier's Free plan).
pub const DEFAULT_POLL_MINUTES: u64 = 15;

/// Where a reference points.
enum Target {
    Trigger,
    Step(String),
}

struct Mapper<'a> {
    export: &'a Export,
    zap: &'a Zap,
    tree: &'a Tree,
    system: String,
    kinds: Vec<Kind>,
    names: Vec<String>,
    live: BTreeMap<String, Match>,
    findings: Vec<Finding>,
    once: BTreeSet<&'static str>,
    files: Vec<(PathBuf, String)>,
    root_fields: Vec<Vec<String>>,
}

/// Maps one Zap. `system` is the (already deduplicated) system name.
pub fn zap(
    export: &Export,
    zap: &Zap,
    tree: &Tree,
    system: &str,
) -> Result<(Generated, Vec<Finding>), ZapierError> {
    let kinds: Vec<Kind> = (0..tree.nodes.len())
        .map(|i| {
            if i == tree.root {
                Kind::App
            } else {
                apps::kind(&tree.nodes[i])
            }
        })
        .collect();
    let mut m = Mapper {
        export,
        zap,
        tree,
        system: system.to_string(),
        names: vec![String::new(); tree.nodes.len()],
        kinds,
        live: BTreeMap::new(),
        findings: Vec::new(),
        once: BTreeSet::new(),
        files: Vec::new(),
        root_fields: Vec::new(),
    };
    m.assign_names();
    let kinds = m.kinds.clone();
    let root = tree.root;
    m.live = resolve::live_ids(tree, &|i| {
        i == root || !matches!(kinds[i], Kind::Filter | Kind::Branch | Kind::Path)
    });
    for (id, hit) in m.live.clone() {
        let why = if hit.by_title {
            "a missing_field_mapping entry names it with this step's title"
        } else {
            "this is the only earlier step known to produce those fields"
        };
        let node = hit.node;
        m.note(
            Finding::info(
                codes::FORMULA_REFERENCE_INFERRED,
                format!(
                    "formula references to live step id {id} (fields {}) are read as step {} `{}`: {why}",
                    hit.fields.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", "),
                    tree.ids[node],
                    m.display_name(node)
                ),
                m.origin(Some(node)),
            )
            .with_help("live step ids are not renumbered on export; check that this is the step meant"),
        );
    }
    let mut sys = System::new(system);
    sys.description = Some(format!(
        "Imported from Zapier: Zap {} \"{}\".",
        zap.id,
        zap.title.as_deref().unwrap_or("")
    ));
    let mut notes = IndexMap::new();
    notes.insert(
        "zap_title".to_string(),
        zap.title.clone().unwrap_or_default(),
    );
    if let Some(v) = &export.version {
        notes.insert("export_version".into(), v.clone());
    }
    if let Some(c) = tree.nodes[root]
        .store("copied_from")
        .filter(|v| !v.is_null())
    {
        notes.insert("copied_from".into(), plain(c));
    }
    sys.provenance = Some(Provenance {
        kind: "zapier".into(),
        file: Some(export.provenance.clone()),
        legacy_id: Some(zap.id.0.clone()),
        notes,
    });
    m.zap_level_findings();
    let trigger = m.trigger();
    let trigger_event = trigger.name.clone();
    sys.triggers.push(trigger);
    // Items in pre-order, so a step always follows the steps it reads.
    let mut incoming: Vec<String> = vec![String::new(); tree.nodes.len()];
    for &i in &tree.order {
        let parent_out = match tree.parent[i] {
            None => {
                for &c in &tree.children[i] {
                    incoming[c] = trigger_event.clone();
                }
                if tree.children[i].len() > 1 {
                    m.parallel(i);
                }
                continue;
            }
            Some(_) => incoming[i].clone(),
        };
        let out_event = match m.kinds[i] {
            Kind::Branch => {
                m.branch(i, &parent_out, &mut sys.decisions);
                parent_out.clone()
            }
            Kind::Path => {
                // Paths are emitted by their branch; a path directly under a non-branch is a filter.
                if tree.parent[i].is_some_and(|p| m.kinds[p] == Kind::Branch) {
                    m.names[i].clone()
                } else {
                    let d = m.filter_decision(i, &parent_out);
                    let e = d.name.clone();
                    sys.decisions.push(d);
                    e
                }
            }
            Kind::Filter => {
                let d = m.filter_decision(i, &parent_out);
                let e = d.name.clone();
                sys.decisions.push(d);
                e
            }
            _ => {
                let x = m.execution(i, &parent_out);
                let e = x.succeeded_event();
                sys.execution.push(x);
                e
            }
        };
        for &c in &tree.children[i] {
            incoming[c] = out_event.clone();
        }
        if tree.children[i].len() > 1 && m.kinds[i] != Kind::Branch {
            m.parallel(i);
        }
    }
    m.idempotency_candidates();
    if sys.execution.is_empty() {
        record_runs_without_actions(&mut sys, &mut m);
    }
    // Defaults for what Zapier never says: marked, so the system compiles but the gap shows.
    sys.observability
        .slo
        .insert("error_rate".into(), "<1%".into());
    sys.observability.alerts.push(Alert {
        on: "error_rate > 1%".into(),
        route: None,
        description: Some("default alert added by the Zapier importer: set a route".into()),
    });
    m.note(
        Finding::info(
            codes::DEFAULT_OBSERVABILITY,
            "Zapier has no SLOs or alert routes: a default SLO `error_rate: <1%` and an alert `error_rate > 1%` without a route were added",
            m.origin(None),
        )
        .at_path("/observability")
        .with_help("set the alert's `route:` and an `owner:`, and adjust the objective to what the business needs"),
    );
    m.note(
        Finding::info(
            codes::DEFAULT_RETENTION,
            format!(
                "Zapier keeps task history per plan; the event log was given the default `store: {}`, `retention: {}`",
                sys.data.events.store, sys.data.events.retention
            ),
            m.origin(None),
        )
        .at_path("/data/events"),
    );
    // Lints only: full validation (which compiles every expression) runs once, in
    // `write_all`, before anything is written; the tests check every import compiles.
    let diags = claw_language::lint::lint(&sys, &claw_language::parse::SourceMap::default());
    let mut findings = m.findings;
    findings.extend(Finding::from_lints(
        system,
        &diags,
        &Origin {
            file: Some(export.file.clone()),
            zap: Some(zap.id.0.clone()),
            zap_title: zap.title.clone(),
            ..Origin::default()
        },
    ));
    for f in &mut findings {
        f.system = Some(system.to_string());
    }
    Ok((
        Generated {
            system: sys,
            files: m.files,
        },
        findings,
    ))
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Mapper<'_> {
    fn node(&self, i: usize) -> &Node {
        &self.tree.nodes[i]
    }

    fn origin(&self, step: Option<usize>) -> Origin {
        Origin {
            file: Some(self.export.file.clone()),
            zap: Some(self.zap.id.0.clone()),
            zap_title: self.zap.title.clone(),
            step: step.map(|i| self.tree.ids[i].clone()),
            ..Origin::default()
        }
    }

    fn note(&mut self, f: Finding) {
        self.findings.push(f);
    }

    fn note_once(&mut self, code: &'static str, f: Finding) {
        if self.once.insert(code) {
            self.findings.push(f);
        }
    }

    fn display_name(&self, i: usize) -> String {
        if self.names[i].is_empty() {
            format!("{} {}", self.node(i).app(), self.node(i).action())
        } else {
            self.names[i].clone()
        }
    }

    fn item_path(&self, i: usize) -> String {
        match self.kinds[i] {
            _ if i == self.tree.root => format!("/triggers/{}", self.names[i]),
            Kind::Filter | Kind::Path => format!("/decisions/{}", self.names[i]),
            Kind::Branch => String::new(),
            _ => format!("/execution/{}", self.names[i]),
        }
    }

    /// Names every item in pre-order: slugged titles, deduplicated with the node id.
    fn assign_names(&mut self) {
        let mut used: BTreeSet<String> = ["steps", "decisions", "trigger", "payload"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        used.extend(refs::CEL_RESERVED.iter().map(|s| s.to_string()));
        for &i in &self.tree.order.clone() {
            let n = self.node(i);
            let title = n
                .step_title()
                .filter(|_| i != self.tree.root || n.meta("stepTitle").is_some());
            let fallback = match self.kinds[i] {
                Kind::Branch => continue,
                Kind::Path => format!(
                    "path_{}",
                    n.param("emoji").and_then(Value::as_str).unwrap_or("x")
                ),
                Kind::Filter => "filter".to_string(),
                Kind::Code => format!("code_{}", if apps::is_python(n) { "python" } else { "js" }),
                Kind::Delay => format!("delay_{}", apps::operation(n.action())),
                _ => format!(
                    "{}_{}",
                    apps::adapter(n.app()),
                    apps::operation(n.action()).replace(['.', '-'], "_")
                ),
            };
            let base = slug(title.unwrap_or(&fallback));
            let id = &self.tree.ids[i];
            let mut name = base.clone();
            if used.contains(&name) {
                name = slug(&format!("{base}_{id}"));
                let mut k = 2;
                while used.contains(&name) {
                    name = slug(&format!("{base}_{id}_{k}"));
                    k += 1;
                }
            }
            used.insert(name.clone());
            self.names[i] = name;
        }
    }

    fn zap_level_findings(&mut self) {
        let root = self.tree.root;
        let n = self.node(root);
        if n.type_of() != "read" {
            let t = n.type_of().to_string();
            self.note(Finding::warning(codes::ROOT_NOT_READ, format!("the trigger node has type_of `{t}`, not `read`; it is imported as the trigger anyway"), self.origin(Some(root))));
        }
        if let Some(s) = &self.zap.status {
            let s = plain(s);
            self.note(Finding::info(codes::ZAP_STATUS, format!("the Zap carries `status: {s}`, a field no documented export has; only the trigger's `paused` flag decides whether the Zap is on"), self.origin(None)));
        }
        let root_id = self.tree.ids[root].clone();
        let mismatched: Vec<String> = (0..self.tree.nodes.len())
            .filter(|&i| {
                i != root
                    && self
                        .node(i)
                        .root_id
                        .as_ref()
                        .is_some_and(|r| r.0 != root_id)
            })
            .map(|i| self.tree.ids[i].clone())
            .collect();
        if !mismatched.is_empty() {
            self.note(Finding::warning(codes::ROOT_ID_MISMATCH, format!("nodes {} have a root_id other than the trigger {root_id}; the tree was built from parent_id alone", mismatched.join(", ")), self.origin(None)));
        }
        let paused_children = (0..self.tree.nodes.len())
            .filter(|&i| i != root && self.node(i).paused == Some(true))
            .count();
        if paused_children > 0 {
            self.note(
                Finding::info(
                    codes::PAUSED_FLAGS_IGNORED,
                    format!("{paused_children} step(s) carry `paused: true`; in every known export all non-trigger steps do, even in running Zaps, so the flag is read as carrying no meaning and the steps are enabled"),
                    self.origin(None),
                )
                .with_help("disable a step with `enabled: false` if it really must not run"),
            );
        }
        let connections = (0..self.tree.nodes.len())
            .filter(|&i| {
                self.node(i)
                    .authentication_id
                    .as_ref()
                    .is_some_and(|a| !a.0.is_empty() && a.0 != "0")
            })
            .count();
        if connections > 0 {
            self.note(
                Finding::info(
                    codes::CONNECTIONS,
                    format!("{connections} step(s) use a Zapier connection; each connection id is kept only as a `secret://` reference in `legacy.auth`"),
                    self.origin(None),
                )
                .with_help("provide the credentials for these adapters through the secrets file or environment"),
            );
        }
    }

    fn parallel(&mut self, i: usize) {
        let kids: Vec<String> = self.tree.children[i]
            .iter()
            .map(|&c| self.tree.ids[c].clone())
            .collect();
        self.note(Finding::info(
            codes::PARALLEL_STEPS,
            format!("steps {} all follow step {} (outside a Paths branch); they are imported as parallel steps on the same event", kids.join(", "), self.tree.ids[i]),
            self.origin(Some(i)),
        ));
    }

    fn legacy(&self, i: usize) -> IndexMap<String, String> {
        let n = self.node(i);
        let mut l = IndexMap::new();
        l.insert("step".to_string(), self.tree.ids[i].clone());
        l.insert(
            "app".to_string(),
            n.selected_api.clone().unwrap_or_default(),
        );
        l.insert("action".to_string(), n.action().to_string());
        if let Some(t) = n.step_title() {
            l.insert("title".to_string(), t.to_string());
        }
        if let Some(a) = n
            .authentication_id
            .as_ref()
            .filter(|a| !a.0.is_empty() && a.0 != "0")
        {
            l.insert(
                "auth".to_string(),
                secrets::reference(&apps::adapter(n.app()), &a.0),
            );
        }
        l
    }

    fn trigger(&mut self) -> Trigger {
        let i = self.tree.root;
        let n = self.node(i).clone();
        let name = self.names[i].clone();
        let adapter = apps::adapter(n.app());
        let params = n.params.clone().unwrap_or_default();
        let mut t;
        if apps::is_schedule(&n) {
            match schedule::cron(n.action(), &params) {
                Ok(expr) => {
                    t = Trigger::new(&name, Source::Schedule);
                    t.schedule = Some(expr);
                    let tz = params
                        .get("timezone_override")
                        .and_then(Value::as_str)
                        .filter(|s| !s.trim().is_empty())
                        .map(|s| (s.trim().to_string(), "the step's timezone_override"))
                        .or_else(|| {
                            n.meta("timezone")
                                .and_then(Value::as_str)
                                .map(|s| (s.to_string(), "the Zap's meta.timezone"))
                        });
                    match tz {
                        Some((z, _)) if z.parse::<chrono_tz::Tz>().is_ok() => t.timezone = Some(z),
                        Some((z, src)) => self.note(Finding::warning(codes::TIMEZONE_ASSUMED, format!("{src} `{z}` is not an IANA time zone; the schedule runs in UTC until `timezone:` is set"), self.origin(Some(i))).at_path(format!("/triggers/{name}"))),
                        None => self.note(
                            Finding::info(codes::TIMEZONE_ASSUMED, "the export does not say which time zone the schedule uses (Zapier uses the account's time zone); the schedule runs in UTC until `timezone:` is set", self.origin(Some(i)))
                                .at_path(format!("/triggers/{name}"))
                                .with_help("add `timezone: <IANA name>` to the trigger"),
                        ),
                    }
                }
                Err(why) => {
                    t = Trigger::new(&name, Source::Manual);
                    self.note(
                        Finding::warning(codes::SCHEDULE_UNPORTED, format!("the Schedule trigger could not be translated ({why}); it is imported as a manual trigger"), self.origin(Some(i)))
                            .at_path(format!("/triggers/{name}"))
                            .with_help("write the crontab expression by hand: `source: schedule`, `schedule: \"m h dom mon dow\"`"),
                    );
                }
            }
            t.legacy.insert("params".into(), scrubbed_json(&params));
        } else if apps::is_instant(&n) {
            t = Trigger::new(&name, Source::Webhook);
            if n.app().to_ascii_lowercase().starts_with("subzap") {
                self.note(Finding::info(codes::SUBZAP_TRIGGER, "a Sub-Zap start is imported as a webhook trigger: callers POST the inputs; the Sub-Zap's reply to its caller has no equivalent", self.origin(Some(i))));
            }
            if !params.is_empty() {
                t.legacy.insert("params".into(), scrubbed_json(&params));
            }
        } else {
            t = Trigger::new(&name, Source::Poll);
            let raw = n
                .store("polling_interval_override")
                .cloned()
                .unwrap_or(Value::Null);
            let minutes = match &raw {
                Value::Number(x) => x.as_u64(),
                Value::String(s) => s.trim().parse::<u64>().ok(),
                _ => None,
            }
            .filter(|m| *m > 0);
            let every = match minutes {
                Some(m) => {
                    self.note(Finding::info(codes::POLLING_INTERVAL_ASSUMED, format!("polling_interval_override {m} is read as minutes (the unit is not documented)"), self.origin(Some(i))).at_path(format!("/triggers/{name}/every")));
                    m
                }
                None => {
                    self.note(
                        Finding::info(codes::POLLING_INTERVAL_ASSUMED, format!("no polling interval in the export; assumed the plan default of {DEFAULT_POLL_MINUTES} minutes (Zapier's Free plan; paid plans poll every 1-2 minutes)"), self.origin(Some(i)))
                            .at_path(format!("/triggers/{name}/every")),
                    );
                    DEFAULT_POLL_MINUTES
                }
            };
            t.every = Some(format!("{every}m"));
            t.action = Some(format!("{adapter}.{}", apps::operation(n.action())));
            for (k, v) in &params {
                let nv = self.rewrite(v, i, &adapter, k);
                t.with.insert(k.clone(), nv);
            }
            self.note(
                Finding::warning(codes::POLLING_TRIGGER, format!("`{}` {} is a polling trigger: runs start up to {every} minutes late and deduplication depends on the idempotency key; the export does not say whether the app has an instant trigger", n.app(), n.action()), self.origin(Some(i)))
                    .at_path(format!("/triggers/{name}"))
                    .with_help("if the app offers an instant (webhook) trigger, use `source: webhook` instead"),
            );
        }
        t.description = Some(
            n.step_title()
                .filter(|_| n.meta("stepTitle").is_some())
                .map(str::to_string)
                .unwrap_or_else(|| format!("{} {}", n.app(), n.action())),
        );
        if n.paused == Some(true) {
            t.enabled = Some(false);
            self.note(
                Finding::warning(codes::PAUSED_ZAP, "the Zap is paused (its trigger has `paused: true`): the trigger is imported with `enabled: false`", self.origin(Some(i)))
                    .at_path(format!("/triggers/{name}"))
                    .with_help("enable the trigger when the system is meant to replace the Zap"),
            );
        }
        t.legacy.extend(self.legacy(i));
        t
    }

    fn target(&self, at: usize, r: &Ref) -> Result<Target, String> {
        let node = match self.tree.find(&r.id) {
            Some(n) => n,
            None if r.formula => match self.live.get(&r.id) {
                Some(m) => m.node,
                None => {
                    return Err(format!(
                        "live step id {} is not in this export and could not be matched to one of its steps",
                        r.id
                    ));
                }
            },
            None => return Err(format!("there is no step {} in this export", r.id)),
        };
        if node == self.tree.root {
            return Ok(Target::Trigger);
        }
        if matches!(self.kinds[node], Kind::Filter | Kind::Branch | Kind::Path) {
            return Err(format!(
                "step {} is a filter or path, which has no output",
                r.id
            ));
        }
        if !self.tree.ancestors(at).contains(&node) {
            return Err(format!("step {} does not run before this step", r.id));
        }
        Ok(Target::Step(self.names[node].clone()))
    }

    fn expr_for(&self, at: usize, r: &Ref) -> Result<String, String> {
        Ok(match self.target(at, r)? {
            Target::Trigger => trigger_path(&r.fields),
            Target::Step(s) => step_path(&s, &r.fields),
        })
    }

    fn track_root(&mut self, at: usize, r: &Ref) {
        if matches!(self.target(at, r), Ok(Target::Trigger))
            && !self.root_fields.contains(&r.fields)
        {
            self.root_fields.push(r.fields.clone());
        }
    }

    /// Rewrites a param value: references become holes, literal `{{` is escaped, secrets become references.
    fn rewrite(&mut self, v: &Value, at: usize, scope: &str, key: &str) -> Value {
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

    fn rewrite_str(&mut self, s: &str, at: usize, scope: &str, key: &str) -> String {
        if !s.contains("{{") {
            let secret = secrets::looks_like_secret(s)
                || (secrets::is_secret_name(key) && !s.trim().is_empty());
            if secret {
                let r = secrets::reference(scope, s);
                self.note(
                    Finding::warning(codes::HARDCODED_SECRET, format!("param `{key}` holds a hard-coded credential; it was replaced by `{r}`"), self.origin(Some(at)))
                        .at_path(self.item_path(at))
                        .with_help(format!("store the value under `{r}` in the secrets file or environment, and rotate it: it was in the Zapier export")),
                );
                return r;
            }
            return escape_text(s);
        }
        let mut out = String::new();
        for p in refs::scan(s) {
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
                            Finding::warning(codes::DANGLING_REFERENCE, format!("param `{key}` refers to {raw}: {why}; the reference is kept as literal text"), self.origin(Some(at)))
                                .at_path(self.item_path(at))
                                .with_help("map the value to a field of a step that runs before this one"),
                        );
                    }
                },
                Piece::Opaque(raw) => {
                    out.push_str(&escape_text(&raw));
                    self.note(
                        Finding::warning(codes::FORMULA_UNPORTED, format!("param `{key}` holds the Zapier formula {raw}, which has no translation; it is kept as literal text"), self.origin(Some(at)))
                            .at_path(self.item_path(at))
                            .with_help("rewrite it as a CEL template hole, e.g. `{{ steps.x.output.field }}`"),
                    );
                }
            }
        }
        out
    }

    fn operand(&mut self, at: usize, key: &str) -> Result<Operand, Issue> {
        if key.trim().is_empty() {
            return Err(Issue::BadOperand("an empty field".into()));
        }
        match refs::parse_key(key) {
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
                    Target::Step(s) => (step_path(&s, &r.fields), step_path(&s, &init)),
                };
                Ok(Operand { expr, parent, last })
            }
            Some(Piece::Opaque(raw)) => Err(Issue::BadOperand(format!(
                "{raw} (a formula with no translation)"
            ))),
            _ => Ok(Operand {
                expr: cel_string(key),
                parent: format!("{{{}: true}}", cel_string(key)),
                last: key.to_string(),
            }),
        }
    }

    fn value(&mut self, at: usize, v: &str) -> Result<Operand2, Issue> {
        if !v.contains("{{") {
            return Ok(Operand2::Lit(v.to_string()));
        }
        let mut parts = Vec::new();
        for p in refs::scan(v) {
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
        Ok(Operand2::Expr(if parts.len() == 1 {
            parts.remove(0)
        } else {
            parts.join(" + ")
        }))
    }

    fn condition(&mut self, i: usize) -> String {
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

    fn issues(&mut self, i: usize, issues: Vec<Issue>) {
        let path = self.item_path(i);
        for is in issues {
            let o = self.origin(Some(i));
            match is {
                Issue::UnknownOperator(m) => self.note(
                    Finding::warning(codes::UNKNOWN_OPERATOR, format!("filter operator `{m}` is not known; the criterion fails closed (`false`)"), o)
                        .at_path(path.clone())
                        .with_help("write the condition by hand in `when:`"),
                ),
                Issue::InferredOperator { key, reading } => self.note(Finding::info(codes::OPERATOR_ASSUMED, format!("filter operator `{key}` was not seen in real exports; it is read as {reading}"), o).at_path(path.clone())),
                Issue::BadOperand(what) => self.note(
                    Finding::warning(codes::DANGLING_REFERENCE, format!("a filter criterion reads {what}; the criterion fails closed (`false`)"), o)
                        .at_path(path.clone())
                        .with_help("point the condition at a field of a step that runs before it"),
                ),
                Issue::BadValue { op, value } => self.note(Finding::warning(codes::BAD_FILTER_VALUE, format!("filter operator `{op}` cannot compare with `{value}`; the criterion fails closed (`false`)"), o).at_path(path.clone())),
                Issue::DynamicCase(op) => self.note(Finding::info(codes::CASE_SENSITIVE_COMPARE, format!("`{op}` compares with a mapped value, which is done case-sensitively"), o).at_path(path.clone())),
                Issue::ExactCase => self.note_once(
                    codes::IEXACT_CASE,
                    Finding::info(codes::IEXACT_CASE, "`iexact` is read as a case-insensitive exact match (the `i` prefix); Zapier's help centre calls \"Exactly matches\" case-sensitive, in which case Zapier matched slightly less often", o).at_path(path.clone()),
                ),
                Issue::Empty => self.note(Finding::warning(codes::EMPTY_FILTER, "a filter has a criterion with no field and no operator; it fails closed (`false`)", o).at_path(path.clone())),
            }
        }
    }

    fn decision(&self, i: usize, on: &str, when: String, kind: &str) -> Decision {
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

    fn filter_decision(&mut self, i: usize, on: &str) -> Decision {
        let when = self.condition(i);
        self.decision(i, on, when, "filter")
    }

    /// A Paths branch: one decision per path, all on the same event (paths are not first-match).
    fn branch(&mut self, b: usize, on: &str, out: &mut Vec<Decision>) {
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
                        Finding::info(codes::FALLBACK_PATH, "a Fallback path (path_eval_stage 9, empty rules) runs only when no custom path's rules hold; its condition is the negation of theirs", self.origin(Some(p)))
                            .at_path(format!("/decisions/{}", self.names[p])),
                    );
                    (when, "fallback")
                }
            };
            out.push(self.decision(p, on, when, kind));
        }
    }

    fn execution(&mut self, i: usize, on: &str) -> Execution {
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
        if let Some(a) = params
            .get("authentication_id")
            .map(plain)
            .filter(|a| !a.is_empty() && a != "0")
        {
            legacy.insert("param_auth".into(), secrets::reference(&adapter, &a));
        }
        skip.insert("authentication_id");
        match self.kinds[i] {
            Kind::Delay => self.delay(i, &n, &mut x, &mut skip),
            Kind::Code => {
                let python = apps::is_python(&n);
                let ext = if python { "py" } else { "js" };
                let file = format!("policies/{}/{name}.{ext}", self.system);
                let code = params.get("code").and_then(Value::as_str).unwrap_or("");
                let code = self.redact_code(i, code);
                self.files.push((PathBuf::from(&file), code.clone()));
                skip.insert("code");
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
                    x.action = "unported.code.python".into();
                    self.note(
                        Finding::warning(codes::PYTHON_CODE, format!("Code by Zapier (Python) step `{name}` has no runtime equivalent; its code is saved as `{file}`"), self.origin(Some(i)))
                            .at_path(format!("/execution/{name}"))
                            .with_help("port it to JavaScript (`code.js`) or to a plug-in adapter"),
                    );
                } else {
                    x.action = "code.js".into();
                }
            }
            Kind::Unported => {
                let app_seg = apps::adapter(n.app());
                x.action = format!("unported.{app_seg}.{op}");
                let what = match app_seg.as_str() {
                    s if s.contains("looping") => {
                        "Looping by Zapier runs the following steps once per item; the runtime has no per-item fan-out"
                    }
                    s if s.contains("formatter") => {
                        "Formatter by Zapier transforms values; write the transformation as a template expression or a code step"
                    }
                    s if s.contains("sub_zap") || s.contains("subzap") => {
                        "Sub-Zap calls and replies have no equivalent (a system cannot return a value to a caller)"
                    }
                    s if s.contains("storage") => {
                        "Storage by Zapier keeps values between runs; declare a `data.state` store and a plug-in adapter"
                    }
                    s if s.contains("digest") => {
                        "Digest by Zapier batches runs; the runtime has no batching"
                    }
                    _ => "this built-in has no runtime equivalent",
                };
                self.note(
                    Finding::warning(
                        codes::UNPORTED_STEP,
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
            _ => {}
        }
        for (k, v) in &params {
            if skip.contains(k.as_str()) {
                continue;
            }
            let nv = self.rewrite(v, i, &adapter, k);
            x.with.insert(k.clone(), nv);
        }
        if self.kinds[i] == Kind::Code
            && x.with
                .get("packages")
                .is_some_and(|p| p.as_object().is_some_and(Map::is_empty))
        {
            x.with.shift_remove("packages");
        }
        x.legacy = legacy;
        x
    }

    fn delay(&mut self, i: usize, n: &Node, x: &mut Execution, skip: &mut BTreeSet<&str>) {
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
                        codes::UNPORTED_STEP,
                        format!("delay `{name}` has no `delay_until_date`"),
                        self.origin(Some(i)),
                    )
                    .at_path(format!("/execution/{name}")),
                );
                return;
            }
            self.note(
                Finding::warning(codes::DELAY_UNTIL_FORMAT, format!("delay `{name}` waits until `{raw}`, a Zapier date expression (pretty dates, `+30m`/`-1h` offsets); the runtime expects the template to give an RFC 3339 time"), self.origin(Some(i)))
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
                    if claw_language::units::parse_duration(&d).is_ok() {
                        x.delay = Some(d);
                        skip.insert("delay_for_value");
                        skip.insert("delay_for_unit");
                    } else {
                        x.action = format!("unported.delay.{}", apps::operation(n.action()));
                    }
                }
                _ => {
                    x.action = format!("unported.delay.{}", apps::operation(n.action()));
                    self.note(Finding::warning(codes::UNPORTED_STEP, format!("delay `{name}` waits `{value} {unit}`, which is not a fixed duration; it is kept as `{}`", x.action), self.origin(Some(i))).at_path(format!("/execution/{name}")));
                }
            }
            if action.contains("queue") {
                self.note(
                    Finding::warning(codes::DELAY_QUEUE, format!("delay `{name}` is a Delay After Queue: Zapier also serialised runs sharing a queue title; only the wait is imported"), self.origin(Some(i)))
                        .at_path(format!("/execution/{name}")),
                );
            }
        }
    }

    /// Code bodies are code, not templates: written as they are, except literal credentials.
    fn redact_code(&mut self, i: usize, code: &str) -> String {
        let mut out = code.to_string();
        let mut found = Vec::new();
        for q in ['"', '\''] {
            for (k, lit) in code.split(q).enumerate() {
                if k % 2 == 1 && secrets::looks_like_secret(lit) {
                    found.push(lit.to_string());
                }
            }
        }
        for lit in found {
            let r = secrets::reference("code", &lit);
            out = out.replace(&lit, &r);
            self.note(
                Finding::warning(codes::HARDCODED_SECRET, format!("the code of step `{}` held a hard-coded credential; it was replaced by the text `{r}` in the saved file", self.names[i]), self.origin(Some(i)))
                    .with_help("pass the credential as an input from a `secret://` reference, and rotate it: it was in the Zapier export"),
            );
        }
        out
    }

    fn idempotency_candidates(&mut self) {
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
        if apps::is_schedule(self.node(root)) {
            return;
        }
        let f = if cands.is_empty() {
            Finding::info(
                codes::IDEMPOTENCY_CANDIDATES,
                format!(
                    "no field of the `{src}` trigger that later steps read looks like an id (`id`, `*_id`, `ts`); choose the field that identifies one delivery"
                ),
                self.origin(Some(root)),
            )
        } else {
            Finding::info(
                codes::IDEMPOTENCY_CANDIDATES,
                format!("candidate idempotency keys for trigger `{name}` (trigger fields later steps read): {}", cands.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")),
                self.origin(Some(root)),
            )
            .with_help(format!("add `idempotency: {}` to the trigger if it identifies one delivery", cands[0]))
        };
        self.note(f.at_path(format!("/triggers/{name}")));
    }
}

/// A compact JSON copy of params for `legacy`, with secret-looking values replaced by references.
fn scrubbed_json(params: &Map<String, Value>) -> String {
    fn scrub(k: &str, v: &Value) -> Value {
        match v {
            Value::String(s)
                if secrets::looks_like_secret(s)
                    || (secrets::is_secret_name(k) && !s.is_empty())
                    || k.starts_with("_zap_static_hook") =>
            {
                Value::String(secrets::reference("zapier", s))
            }
            Value::Array(a) => Value::Array(a.iter().map(|x| scrub(k, x)).collect()),
            Value::Object(m) => {
                Value::Object(m.iter().map(|(k2, x)| (k2.clone(), scrub(k2, x))).collect())
            }
            other => other.clone(),
        }
    }
    let m: Map<String, Value> = params
        .iter()
        .map(|(k, v)| (k.clone(), scrub(k, v)))
        .collect();
    serde_json::to_string(&Value::Object(m)).unwrap_or_default()
}

/// A Zap with no action step still does something observable: Zapier logs its runs. An execution
/// layer cannot be empty, so record each run that gets through the trigger and filters with a
/// `log.info` step on every event nothing else consumes, and say so.
fn record_runs_without_actions(sys: &mut System, m: &mut Mapper<'_>) {
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
            codes::NO_ACTIONS,
            "the Zap has no action step; a `log.info` step records each run that passes the trigger and filters",
            m.origin(None),
        )
        .at_path(path)
        .with_help("add the step that should act on these runs, or retire the Zap"),
    );
}
