//! How items relate: every `on:` names an emitted event, nothing waits in a loop, every
//! decision and step is reachable from a trigger, and templates read only steps that ran before.

use super::{Located, check_templates};
use crate::codes;
use crate::diag::Diagnostic;
use crate::graph::{GNode, SystemGraph};
use crate::model::*;
use std::collections::BTreeSet;

/// Runs the relational checks in their reporting order: events, loops and reach, step reads.
pub(super) fn flow(sys: &System, loc: &Located<'_>, out: &mut Vec<Diagnostic>) {
    let bad_on = unknown_events(sys, loc, out);
    let g = SystemGraph::build(sys);
    loops_and_reach(sys, &g, &bad_on, loc, out);
    step_reads(sys, &g, loc, out);
}

/// Reports `on:` events nothing emits; returns the names of the items that wait for one, whose
/// unreachability would only echo this error.
fn unknown_events(sys: &System, loc: &Located<'_>, out: &mut Vec<Diagnostic>) -> BTreeSet<String> {
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
    let mut bad_on: BTreeSet<String> = BTreeSet::new();
    let mut check_on = |layer: &str, name: &str, on: &[String], out: &mut Vec<Diagnostic>| {
        for (i, e) in on.iter().enumerate() {
            if !emitted.contains(e) {
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
            && !reach.contains(&i)
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
            && !reach.contains(&i)
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
fn step_reads(sys: &System, g: &SystemGraph, loc: &Located<'_>, out: &mut Vec<Diagnostic>) {
    let step_names: BTreeSet<&str> = sys.execution.iter().map(|x| x.name.as_str()).collect();
    let mut refs: Vec<(GNode, String, String)> = Vec::new();
    for x in &sys.execution {
        let base = format!("/execution/{}", x.name);
        let mut scan = |v: &serde_json::Value, p: String| {
            let mut sink = Vec::new();
            for c in check_templates(v, &p, loc, &mut sink) {
                for s in c.step_references() {
                    refs.push((GNode::Execution(x.name.clone()), s, p.clone()));
                }
            }
        };
        for (k, v) in &x.with {
            scan(v, format!("{base}/with/{k}"));
        }
        if let Some(d) = &x.delay {
            scan(
                &serde_json::Value::String(d.clone()),
                format!("{base}/delay"),
            );
        }
        if let Some(k) = &x.idempotency
            && let Ok(c) = loc.exprs.compile(k)
        {
            for s in c.step_references() {
                refs.push((
                    GNode::Execution(x.name.clone()),
                    s,
                    format!("{base}/idempotency"),
                ));
            }
        }
    }
    for d in &sys.decisions {
        let texts: Vec<(String, String)> = match &d.logic {
            Logic::When(w) => vec![(w.clone(), format!("/decisions/{}/when", d.name))],
            Logic::Rules { rules, .. } => rules
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    (
                        r.condition.clone(),
                        format!("/decisions/{}/rules/{i}/if", d.name),
                    )
                })
                .collect(),
            Logic::Policy(_) => vec![],
        };
        for (t, p) in texts {
            if let Ok(c) = loc.exprs.compile(&t) {
                for s in c.step_references() {
                    refs.push((GNode::Decision(d.name.clone()), s, p.clone()));
                }
            }
        }
    }
    for (user, step, p) in refs {
        let user_name = match &user {
            GNode::Execution(s) | GNode::Decision(s) => s.clone(),
            _ => String::new(),
        };
        if !step_names.contains(step.as_str()) {
            out.push(
                loc.err(codes::UNKNOWN_STEP, format!("`{user_name}` reads `steps.{step}`, but there is no execution named `{step}`"), &p)
                    .with_help(format!("steps in this system: {}", step_names.iter().copied().collect::<Vec<_>>().join(", "))),
            );
            continue;
        }
        let (Some(from), Some(to)) = (g.get(&GNode::Execution(step.clone())), g.get(&user)) else {
            continue;
        };
        if from == to || !g.reaches(from, to) {
            out.push(
                loc.err(codes::STEP_ORDER, format!("`{user_name}` reads `steps.{step}`, but `{step}` cannot have run before `{user_name}`"), &p)
                    .with_help(format!("make `{user_name}` run after `{step}` (e.g. `on: {step}.succeeded`), or read something that is available")),
            );
        }
    }
}
