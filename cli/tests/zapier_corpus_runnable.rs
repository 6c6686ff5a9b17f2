//! The corpus figure (docs/importers/zapier.md, "What runs"): of the execution steps that the
//! real Zapier exports in `../shared/corpus/zapier/` import into, how many run on a built-in
//! adapter or an engine feature of `claw run`, how many are Zapier built-ins that still do not
//! run, and how many are third-party app steps (the connectors issue's part). Filters and
//! Paths are decisions and always run; they are counted apart.
//!
//! The figure is pinned: a change in what runs must update it here and in the docs.

use claw_importers::zapier;
use std::collections::BTreeMap;

/// Zapier's own apps (`selected_api` without the version), as opposed to third-party apps.
const ZAPIER_BUILT_INS: &[&str] = &[
    "ZapierFormatterCLIAPI",
    "ZapierLoopingCLIAPI",
    "StorageCLIAPI",
    "DigestCLIAPI",
    "SubZapCLIAPI",
    "TableCLIAPI",
    "LookupTableCLIAPI",
    "CodeCLIAPI",
    "DelayCLIAPI",
    "DelayAPI",
    "WebHookCLIAPI",
    "WebHookAPI",
    "EmailCLIAPI",
    "RSSCLIAPI",
    "ScheduleCLIAPI",
    "ScheduleAPI",
    "FilterAPI",
    "BranchingAPI",
];

/// Engine features that are actions without an adapter.
const ENGINE_ACTIONS: &[&str] = &["delay.wait", "delay.queue", "system.call"];

/// Adapters the runtime builder adds beside [`claw_runtime::adapters::Adapters::builtin`],
/// because they need the event store.
const STORE_ADAPTERS: &[&str] = &["state", "table", "digest"];

#[derive(Debug, Default, PartialEq)]
struct Figure {
    /// Built-in steps that run (an installed adapter or an engine feature), by app and action.
    built_in_runs: BTreeMap<String, usize>,
    /// Built-in steps that do not run yet, by app and action.
    built_in_left: BTreeMap<String, usize>,
    /// Third-party app steps (the connectors issue).
    apps: usize,
    /// Filters and Paths (decisions).
    decisions: usize,
}

#[test]
fn corpus_execution_steps_that_run() {
    let Some(corpus) = claw_testkit::shared::corpus("zapier", "corpus_execution_steps_that_run")
    else {
        return;
    };
    let imported = zapier::import(&corpus).unwrap();
    let installed = claw_runtime::adapters::Adapters::builtin().prefixes();
    let mut fig = Figure::default();
    for g in &imported.generated {
        fig.decisions += g.system.decisions.len();
        for x in &g.system.execution {
            let app = x.legacy.get("app").map(String::as_str).unwrap_or("");
            let app = app.split('@').next().unwrap_or(app);
            let adapter = x.action.split('.').next().unwrap_or("");
            let runs = ENGINE_ACTIONS.contains(&x.action.as_str())
                || STORE_ADAPTERS.contains(&adapter)
                || installed.iter().any(|p| p == adapter);
            if !ZAPIER_BUILT_INS.contains(&app) {
                fig.apps += 1;
            } else if runs {
                *fig.built_in_runs
                    .entry(format!("{app} {}", x.action))
                    .or_default() += 1;
            } else {
                *fig.built_in_left
                    .entry(format!("{app} {}", x.action))
                    .or_default() += 1;
            }
        }
    }
    eprintln!("corpus figure: {fig:#?}");
    let pairs = |v: &[(&str, usize)]| -> BTreeMap<String, usize> {
        v.iter().map(|(k, n)| ((*k).to_string(), *n)).collect()
    };
    // Of 30 execution steps, 12 are Zapier built-ins and all 12 run (the Sub-Zap's 3 returns
    // as `call.return`). The other 18 are third-party apps (the connectors issue). All 15
    // filters and paths run: 13 as decisions, and the two filters after the loop that read
    // only the item as per-item conditions of `for_each`.
    assert_eq!(
        fig,
        Figure {
            built_in_runs: pairs(&[
                ("CodeCLIAPI code.js", 2),
                ("DelayAPI delay.wait", 3),
                ("DelayCLIAPI delay.queue", 1),
                ("TableCLIAPI table.find", 2),
                ("SubZapCLIAPI call.return", 3),
                ("ZapierLoopingCLIAPI loop.items", 1),
            ]),
            built_in_left: pairs(&[]),
            apps: 18,
            decisions: 13,
        }
    );
}
