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
    "WebHookCLIAPI",
    "EmailCLIAPI",
    "RSSCLIAPI",
    "ScheduleCLIAPI",
    "FilterAPI",
    "BranchingAPI",
];

/// Engine features that are actions without an adapter.
const ENGINE_ACTIONS: &[&str] = &["delay.wait", "delay.queue"];

#[derive(Debug, Default, PartialEq)]
struct Figure {
    /// Built-in steps that run (an installed adapter or an engine feature).
    built_in_runs: usize,
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
                || installed.iter().any(|p| p == adapter);
            if !ZAPIER_BUILT_INS.contains(&app) {
                fig.apps += 1;
            } else if runs {
                fig.built_in_runs += 1;
            } else {
                *fig.built_in_left
                    .entry(format!("{app} {}", x.action))
                    .or_default() += 1;
            }
        }
    }
    eprintln!("corpus figure: {fig:#?}");
    assert_eq!(
        fig,
        Figure {
            built_in_runs: 0,
            built_in_left: BTreeMap::new(),
            apps: 0,
            decisions: 0,
        }
    );
}
