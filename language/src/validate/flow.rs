//! How items relate: every `on:` names an emitted event, nothing waits in a loop, every
//! decision and step is reachable from a trigger, and templates read only steps that ran before.

use super::Located;
use crate::codes;
use crate::diag::Diagnostic;
use crate::graph::{GNode, SystemGraph};
use crate::model::*;
use std::collections::{BTreeSet, HashSet};

/// The decision or step an expression belongs to.
#[derive(Debug, Clone, Copy)]
pub(super) enum User<'s> {
    /// A decision, by name.
    Decision(&'s str),
    /// An execution step, by name.
    Execution(&'s str),
}

impl User<'_> {
    fn name(&self) -> &str {
        match self {
            User::Decision(s) | User::Execution(s) => s,
        }
    }

    fn node(&self) -> GNode {
        match self {
            User::Decision(s) => GNode::Decision(s.to_string()),
            User::Execution(s) => GNode::Execution(s.to_string()),
        }
    }
}

/// One `steps.<name>` read by a compiled expression or template hole, where it was written.
#[derive(Debug)]
pub(super) struct Read<'s> {
    /// Who reads.
    pub user: User<'s>,
    /// The step read.
    pub step: String,
    /// Model path of the expression or template.
    pub path: String,
}

/// Runs the relational checks in their reporting order: events, loops and reach, step reads
/// (`reads`: what validation's first pass compiled, steps' templates first, then decisions').
pub(super) fn flow(
    sys: &System,
    loc: &Located<'_>,
    reads: Vec<Read<'_>>,
    out: &mut Vec<Diagnostic>,
) {
    let bad_on = unknown_events(sys, loc, out);
    let g = SystemGraph::build(sys);
    loops_and_reach(sys, &g, &bad_on, loc, out);
    step_reads(sys, &g, reads, loc, out);
}

/// Every event the system can emit, in order (for messages).
fn all_events(sys: &System) -> BTreeSet<String> {
    let mut emitted: BTreeSet<String> = BTreeSet::new();
    for t in &sys.triggers {
        emitted.insert(t.event().to_string());
    }
    for d in &sys.decisions {
        emitted.extend(d.emitted_events());
    }
    for x in &sys.execution {
        emitted.insert(x.succeeded_event());
        emitted.insert(x.failed_event());
    }
    emitted
}

/// Reports `on:` events nothing emits; returns the names of the items that wait for one, whose
/// unreachability would only echo this error.
fn unknown_events(sys: &System, loc: &Located<'_>, out: &mut Vec<Diagnostic>) -> BTreeSet<String> {
    // Membership without building every `<step>.succeeded` / `<step>.failed` string: a large
    // system has hundreds of thousands. The ordered set is built only for a message.
    let mut named: HashSet<String> = HashSet::new();
    for t in &sys.triggers {
        named.insert(t.event().to_string());
    }
    for d in &sys.decisions {
        named.extend(d.emitted_events());
    }
    let steps: HashSet<&str> = sys.execution.iter().map(|x| x.name.as_str()).collect();
    let is_emitted = |e: &str| {
        named.contains(e)
            || e.strip_suffix(".succeeded")
                .or_else(|| e.strip_suffix(".failed"))
                .is_some_and(|x| steps.contains(x))
    };
    let mut emitted_sorted: Option<BTreeSet<String>> = None;
    let mut bad_on: BTreeSet<String> = BTreeSet::new();
    let mut check_on = |layer: &str, name: &str, on: &[String], out: &mut Vec<Diagnostic>| {
        for (i, e) in on.iter().enumerate() {
            if !is_emitted(e) {
                let emitted = emitted_sorted.get_or_insert_with(|| all_events(sys));
                let mut known: Vec<&String> = emitted.iter().collect();
                known.sort_by(|a, b| {
                    strsim::jaro_winkler(e, b).total_cmp(&strsim::jaro_winkler(e, a))
                });
                let help = match known.first() {
                    Some(k) if strsim::jaro_winkler(e, k) > 0.8 => format!("did you mean `{k}`?"),
                    _ => format!(
                        "events emitted in this system: {}",
                        emitted.iter().cloned().collect::<Vec<_>>().join(", ")
                    ),
                };
                let p = if on.len() > 1 {
                    format!("/{layer}/{name}/on/{i}")
                } else {
                    format!("/{layer}/{name}/on")
                };
                out.push(
                    loc.err(
                        codes::UNKNOWN_EVENT,
                        format!(
                            "`{name}` waits for event `{e}`, which nothing in the system emits"
                        ),
                        &p,
                    )
                    .with_label("no trigger, decision or step emits this")
                    .with_help(help),
                );
                bad_on.insert(name.to_string());
            }
        }
    };
    for d in &sys.decisions {
        check_on("decisions", &d.name, &d.on, out);
    }
    for x in &sys.execution {
        if x.on.is_empty() {
            continue;
        }
        check_on("execution", &x.name, &x.on, out);
    }
    bad_on
}

/// Reports loops, then decisions and steps no trigger reaches (except those already reported).
fn loops_and_reach(
    sys: &System,
    g: &SystemGraph,
    bad_on: &BTreeSet<String>,
    loc: &Located<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let cycles = g.cycles();
    for c in &cycles {
        let names: Vec<String> = c
            .iter()
            .filter_map(|n| match n {
                GNode::Decision(s) | GNode::Execution(s) => Some(s.clone()),
                _ => None,
            })
            .collect();
        let first = c.iter().find_map(|n| match n {
            GNode::Decision(s) => Some(format!("/decisions/{s}/on")),
            GNode::Execution(s) => Some(format!("/execution/{s}/on")),
            _ => None,
        });
        out.push(
            loc.err(codes::CYCLE, format!("these steps wait for each other in a loop: {}", names.join(" → ")), first.as_deref().unwrap_or("/execution"))
                .with_help("a run must end; break the loop (retries are declared with `retries:`, not by re-triggering a step)"),
        );
    }
    let reach = g.reachable_from_triggers();
    let mut in_cycle: BTreeSet<String> = BTreeSet::new();
    for c in &cycles {
        for n in c {
            if let GNode::Decision(s) | GNode::Execution(s) = n {
                in_cycle.insert(s.clone());
            }
        }
    }
    for d in &sys.decisions {
        if let Some(i) = g.get(&GNode::Decision(d.name.clone()))
            && !petgraph::visit::VisitMap::is_visited(&reach, &i)
            && !bad_on.contains(&d.name)
            && !in_cycle.contains(&d.name)
        {
            out.push(
                loc.err(
                    codes::UNREACHABLE,
                    format!("no trigger can reach decision `{}`", d.name),
                    &format!("/decisions/{}", d.name),
                )
                .with_help("make its `on` name an event a trigger leads to"),
            );
        }
    }
    for x in &sys.execution {
        if let Some(i) = g.get(&GNode::Execution(x.name.clone()))
            && !petgraph::visit::VisitMap::is_visited(&reach, &i)
            && !bad_on.contains(&x.name)
            && !in_cycle.contains(&x.name)
        {
            out.push(
                loc.err(
                    codes::UNREACHABLE,
                    format!("no trigger can reach execution `{}`", x.name),
                    &format!("/execution/{}", x.name),
                )
                .with_help("make its `on` name an event a trigger leads to"),
            );
        }
    }
}

/// Data flow: a template or expression may only read `steps.<name>` of a step that exists and
/// ran before it.
fn step_reads(
    sys: &System,
    g: &SystemGraph,
    reads: Vec<Read<'_>>,
    loc: &Located<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let step_names: HashSet<&str> = sys.execution.iter().map(|x| x.name.as_str()).collect();
    for Read { user, step, path } in reads {
        let user_name = user.name();
        if !step_names.contains(step.as_str()) {
            let mut known: Vec<&str> = step_names.iter().copied().collect();
            known.sort_unstable();
            out.push(
                loc.err(codes::UNKNOWN_STEP, format!("`{user_name}` reads `steps.{step}`, but there is no execution named `{step}`"), &path)
                    .with_help(format!("steps in this system: {}", known.join(", "))),
            );
            continue;
        }
        let (Some(from), Some(to)) = (g.get(&GNode::Execution(step.clone())), g.get(&user.node()))
        else {
            continue;
        };
        if from == to || !g.reaches(from, to) {
            out.push(
                loc.err(codes::STEP_ORDER, format!("`{user_name}` reads `steps.{step}`, but `{step}` cannot have run before `{user_name}`"), &path)
                    .with_help(format!("make `{user_name}` run after `{step}` (e.g. `on: {step}.succeeded`), or read something that is available")),
            );
        }
    }
}
