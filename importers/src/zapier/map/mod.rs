//! One Zap → one `.claw` system (plus extracted Code files) and its findings.
//!
//! The mapping runs in stages, each in its own module and each a set of `Mapper` methods with a
//! clear input (a node index in the Zap's tree) and output: [`trigger`] (the root node → a
//! `Trigger`), [`decisions`] (filters and Paths → `Decision`s), [`execution`] (action, code and
//! delay steps → `Execution`s, plus idempotency-key candidates), [`looping`] (Looping steps →
//! `loop.items`, and `for_each` on the steps after them) and [`refs`] (Zapier `{{…}}`
//! references in params and filter operands → CEL). This file holds the shared state, the
//! naming of items and the walk over the tree that calls the stages in order.

mod builtin;
mod decisions;
mod digest;
mod email;
mod execution;
mod formatter;
mod formatter_extra;
mod lookup;
mod looping;
mod python;
mod refs;
mod storage;
mod subzap;
mod tables;
mod trigger;
mod webhook;

pub use trigger::DEFAULT_POLL_MINUTES;

use crate::findings::{Finding, Origin};
use crate::output::Generated;
use crate::secrets;
use crate::zapier::apps::{self, Kind};
use crate::zapier::codes;
use crate::zapier::error::ZapierError;
use crate::zapier::model::{Export, Node, Zap};
use crate::zapier::refs as syntax;
use crate::zapier::resolve::{self, Match};
use crate::zapier::tree::Tree;
use claw_language::units::slug;
use claw_language::{Alert, Provenance, System};
use execution::record_runs_without_actions;
use indexmap::IndexMap;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// The state one Zap's mapping shares between stages: the tree, the names given to its items,
/// and what the stages produce on the side (findings, extracted files, trigger fields read).
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
    /// Tables the steps need (Lookup Table rows), added to `data.tables` after the walk.
    tables: Vec<claw_language::model::Table>,
    /// Filters after a loop decided per item: node → its condition, folded into the
    /// `for_each` of the steps below it instead of becoming decisions.
    item_filters: BTreeMap<usize, String>,
    /// The system each Zap of the import is given, by Zap id: a Call a Sub-Zap step names
    /// the Sub-Zap it calls by its Zap id.
    links: &'a Links,
    /// Digests the Digest steps name, added to `data.digests` after the walk.
    digests: Vec<claw_language::model::Digest>,
}

/// Zap id → the system name the import gives that Zap.
pub type Links = std::collections::HashMap<String, String>;

/// Maps one Zap. `system` is the (already deduplicated) system name; `links` the names of
/// every Zap of the import, by Zap id.
pub fn zap(
    export: &Export,
    zap: &Zap,
    tree: &Tree,
    system: &str,
    links: &Links,
) -> Result<(Generated, Vec<Finding>), ZapierError> {
    let mut m = Mapper::new(export, zap, tree, system, links);
    m.assign_names();
    m.resolve_live_ids();
    let mut sys = System::new(system);
    sys.description = Some(format!(
        "Imported from Zapier: Zap {} \"{}\".",
        zap.id,
        zap.title.as_deref().unwrap_or("")
    ));
    sys.provenance = Some(provenance(export, zap, tree));
    m.zap_level_findings();
    let trigger = m.trigger();
    let trigger_event = trigger.name.clone();
    sys.triggers.push(trigger);
    m.map_items(&trigger_event, &mut sys);
    storage::declare_stores(&mut sys);
    tables::declare_tables(&mut sys);
    sys.data.tables.append(&mut m.tables);
    sys.data.digests.append(&mut m.digests);
    m.idempotency_candidates();
    if sys.execution.is_empty() {
        record_runs_without_actions(&mut sys, &mut m);
    }
    add_default_observability(&mut sys, &mut m);
    // Lints only: full validation (which compiles every expression) runs once, in
    // `write_all`, before anything is written; the tests check every import compiles.
    let diags = claw_language::lint::lint(&sys, &claw_language::parse::SourceMap::default());
    let mut findings = m.findings;
    findings.extend(Finding::from_lints(
        system,
        diags,
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
    Ok((Generated::new(sys, m.files), findings))
}

/// Where the system came from: the export file, the Zap id and what the export says about it.
fn provenance(export: &Export, zap: &Zap, tree: &Tree) -> Provenance {
    let mut notes = IndexMap::new();
    notes.insert(
        "zap_title".to_string(),
        zap.title.clone().unwrap_or_default(),
    );
    if let Some(v) = &export.version {
        notes.insert("export_version".into(), v.clone());
    }
    if let Some(c) = tree.nodes[tree.root]
        .store("copied_from")
        .filter(|v| !v.is_null())
    {
        notes.insert("copied_from".into(), plain(c));
    }
    Provenance {
        kind: "zapier".into(),
        file: Some(export.provenance.clone()),
        legacy_id: Some(zap.id.0.clone()),
        notes,
    }
}

/// Defaults for what Zapier never says: marked, so the system compiles but the gap shows.
fn add_default_observability(sys: &mut System, m: &mut Mapper<'_>) {
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
            codes::DEFAULT_OBSERVABILITY.id,
            "Zapier has no SLOs or alert routes: a default SLO `error_rate: <1%` and an alert `error_rate > 1%` without a route were added",
            m.origin(None),
        )
        .at_path("/observability")
        .with_help("set the alert's `route:` and an `owner:`, and adjust the objective to what the business needs"),
    );
    m.note(
        Finding::info(
            codes::DEFAULT_RETENTION.id,
            format!(
                "Zapier keeps task history per plan; the event log was given the default `store: {}`, `retention: {}`",
                sys.data.events.store, sys.data.events.retention
            ),
            m.origin(None),
        )
        .at_path("/data/events"),
    );
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Mapper<'_> {
    /// A mapper for one Zap, with each node's kind known and nothing named or mapped yet.
    fn new<'a>(
        export: &'a Export,
        zap: &'a Zap,
        tree: &'a Tree,
        system: &str,
        links: &'a Links,
    ) -> Mapper<'a> {
        let kinds: Vec<Kind> = (0..tree.nodes.len())
            .map(|i| {
                if i == tree.root {
                    Kind::App
                } else {
                    apps::kind(&tree.nodes[i])
                }
            })
            .collect();
        Mapper {
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
            tables: Vec::new(),
            item_filters: BTreeMap::new(),
            links,
            digests: Vec::new(),
        }
    }

    /// Matches formula references to live step ids (not renumbered on export) with steps of
    /// this export, and says which match was made and why.
    fn resolve_live_ids(&mut self) {
        let kinds = self.kinds.clone();
        let tree = self.tree;
        let root = tree.root;
        self.live = resolve::live_ids(tree, &|i| {
            i == root || !matches!(kinds[i], Kind::Filter | Kind::Branch | Kind::Path)
        });
        for (id, hit) in self.live.clone() {
            let why = if hit.by_title {
                "a missing_field_mapping entry names it with this step's title"
            } else {
                "this is the only earlier step known to produce those fields"
            };
            let node = hit.node;
            self.note(
                Finding::info(
                    codes::FORMULA_REFERENCE_INFERRED.id,
                    format!(
                        "formula references to live step id {id} (fields {}) are read as step {} `{}`: {why}",
                        hit.fields.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", "),
                        tree.ids[node],
                        self.display_name(node)
                    ),
                    self.origin(Some(node)),
                )
                .with_help("live step ids are not renumbered on export; check that this is the step meant"),
            );
        }
    }

    /// Maps every non-root node in pre-order (so a step always follows the steps it reads),
    /// each on the event its parent emits, into the system's decisions and execution.
    fn map_items(&mut self, trigger_event: &str, sys: &mut System) {
        let tree = self.tree;
        let mut incoming: Vec<String> = vec![String::new(); tree.nodes.len()];
        for &i in &tree.order {
            let parent_out = match tree.parent[i] {
                None => {
                    for &c in &tree.children[i] {
                        incoming[c] = trigger_event.to_string();
                    }
                    if tree.children[i].len() > 1 {
                        self.parallel(i);
                    }
                    continue;
                }
                Some(_) => incoming[i].clone(),
            };
            let out_event = self.map_item(i, &parent_out, sys);
            for &c in &tree.children[i] {
                incoming[c] = out_event.clone();
            }
            if tree.children[i].len() > 1 && self.kinds[i] != Kind::Branch {
                self.parallel(i);
            }
        }
    }

    /// Maps one node consuming `parent_out`; returns the event its children consume.
    fn map_item(&mut self, i: usize, parent_out: &str, sys: &mut System) -> String {
        if self.item_filter(i) {
            return parent_out.to_string();
        }
        self.decision_in_loop(i);
        match self.kinds[i] {
            Kind::Branch => {
                self.branch(i, parent_out, &mut sys.decisions);
                parent_out.to_string()
            }
            // Paths are emitted by their branch; a path directly under a non-branch is a filter.
            Kind::Path if self.tree.parent[i].is_some_and(|p| self.kinds[p] == Kind::Branch) => {
                self.names[i].clone()
            }
            Kind::Path | Kind::Filter => {
                let d = self.filter_decision(i, parent_out);
                let e = d.name.clone();
                sys.decisions.push(d);
                e
            }
            _ => {
                if let Some(e) = self.import_csv(i, parent_out, sys) {
                    return e;
                }
                let x = self.execution(i, parent_out);
                let e = x.succeeded_event();
                sys.execution.push(x);
                e
            }
        }
    }

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
        used.extend(syntax::CEL_RESERVED.iter().map(|s| s.to_string()));
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
            let base = crate::names::slug_or(title.unwrap_or(&fallback), &fallback);
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
            self.note(Finding::warning(codes::ROOT_NOT_READ.id, format!("the trigger node has type_of `{t}`, not `read`; it is imported as the trigger anyway"), self.origin(Some(root))));
        }
        if let Some(s) = &self.zap.status {
            let s = plain(s);
            self.note(Finding::info(codes::ZAP_STATUS.id, format!("the Zap carries `status: {s}`, a field no documented export has; only the trigger's `paused` flag decides whether the Zap is on"), self.origin(None)));
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
            self.note(Finding::warning(codes::ROOT_ID_MISMATCH.id, format!("nodes {} have a root_id other than the trigger {root_id}; the tree was built from parent_id alone", mismatched.join(", ")), self.origin(None)));
        }
        let paused_children = (0..self.tree.nodes.len())
            .filter(|&i| i != root && self.node(i).paused == Some(true))
            .count();
        if paused_children > 0 {
            self.note(
                Finding::info(
                    codes::PAUSED_FLAGS_IGNORED.id,
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
                    codes::CONNECTIONS.id,
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
            codes::PARALLEL_STEPS.id,
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
}
