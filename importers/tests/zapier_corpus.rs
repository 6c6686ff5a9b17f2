//! Every real export in `../shared/corpus/zapier/` imports, each Zap into a system that checks
//! clean (no errors), with the counts and finding codes pinned here (verified by hand against
//! the exports; see docs/importers/zapier.md).

use claw_importers::zapier;
use std::collections::BTreeSet;

/// The Zapier corpus, or `None` (recorded as not run) when it is absent.
fn corpus(test: &str) -> Option<std::path::PathBuf> {
    claw_testkit::shared::corpus("zapier", test)
}

struct Pin {
    file: &'static str,
    system: &'static str,
    triggers: usize,
    decisions: usize,
    executions: usize,
    /// Whether the trigger polls (the Zap also gets the [`POLLING`] findings).
    polling: bool,
    /// Its finding codes beyond [`COMMON`] (and [`POLLING`]).
    codes: &'static [&'static str],
    /// The [`COMMON`] codes it does not get (a Sub-Zap's call trigger needs no idempotency).
    without: &'static [&'static str],
}

/// Findings every corpus Zap gets: none of them declares what a production system needs.
const COMMON: &[&str] = &[
    "claw::import::default_observability",
    "claw::import::default_retention",
    "claw::lint::alert_without_route",
    "claw::lint::no_dead_letter",
    "claw::lint::no_idempotency",
    "claw::lint::no_owner",
    "claw::lint::no_retries",
    "claw::lint::no_timeout",
];

/// Findings every Zap whose trigger polls an app gets.
const POLLING: &[&str] = &[
    "claw::import::connections",
    "claw::import::idempotency_candidates",
    "claw::import::paused_flags_ignored",
    "claw::import::polling_interval_assumed",
    "claw::import::polling_trigger",
];

// Long on purpose: a data table, one pin per corpus Zap, read top to bottom next to the corpus.
fn pins() -> Vec<Pin> {
    vec![
        Pin {
            file: "toddmoy-node-based-zap-examples/add-saved-slack-messages-to-todoist.json",
            system: "add-saved-slack-messages-to-todoist",
            triggers: 1,
            decisions: 2,
            executions: 2,
            polling: true,
            without: &[],
            codes: &["claw::lint::unknown_adapter"],
        },
        Pin {
            file: "toddmoy-node-based-zap-examples/biggroup.json",
            system: "biggroup",
            triggers: 1,
            decisions: 1,
            executions: 9,
            polling: true,
            without: &[],
            codes: &[
                "claw::import::delay_until_format",
                "claw::lint::unknown_adapter",
            ],
        },
        Pin {
            file: "toddmoy-node-based-zap-examples/copy-add-saved-slack-messages-to-todoist.json",
            system: "copy-add-saved-slack-messages-to-todoist",
            triggers: 1,
            decisions: 2,
            executions: 2,
            polling: true,
            without: &[],
            codes: &[
                "claw::import::paused_zap",
                "claw::lint::disabled",
                "claw::lint::unknown_adapter",
            ],
        },
        Pin {
            file: "toddmoy-node-based-zap-examples/design-team-watercooler.json",
            system: "design-team-watercooler",
            triggers: 1,
            decisions: 0,
            executions: 3,
            polling: false,
            without: &[],
            codes: &[
                "claw::import::connections",
                "claw::import::paused_flags_ignored",
                "claw::import::timezone_assumed",
                "claw::lint::unknown_adapter",
            ],
        },
        Pin {
            file: "toddmoy-node-based-zap-examples/product-design-meeting-bot.json",
            system: "product-design-meeting-bot",
            triggers: 1,
            decisions: 0,
            executions: 2,
            polling: true,
            without: &[],
            codes: &["claw::lint::unknown_adapter"],
        },
        Pin {
            file: "toddmoy-node-based-zap-examples/rifle-thursday-afternoon-forecast.json",
            system: "rifle-thursday-afternoon-forecast",
            triggers: 1,
            decisions: 1,
            executions: 1,
            polling: false,
            without: &[],
            codes: &[
                "claw::import::dangling_reference",
                "claw::import::paused_flags_ignored",
                "claw::import::paused_zap",
                "claw::import::timezone_assumed",
                "claw::lint::disabled",
            ],
        },
        Pin {
            file: "work-flowers-zapier-sdk/exported-zap-2026-05-06.json",
            system: "sub-zap-retrieve-contact-page-ids-for-email-addresses",
            triggers: 1,
            // Two of its filters after the loop are per-item conditions (`for_each`), not decisions.
            decisions: 7,
            executions: 11,
            polling: false,
            without: &["claw::lint::no_idempotency"],
            codes: &[
                "claw::import::connections",
                "claw::import::dangling_reference",
                "claw::import::delay_queue",
                "claw::import::fallback_path",
                "claw::import::formula_reference_inferred",
                "claw::import::formula_unported",
                "claw::import::iexact_case",
                "claw::import::loop_decision",
                "claw::import::loop_filter",
                "claw::import::loop_mapped",
                "claw::import::paused_flags_ignored",
                "claw::import::subzap_trigger",
                // Its two Zapier Tables find_record steps: the table's rows are not exported.
                "claw::import::table_rows_missing",
                "claw::lint::unknown_adapter",
            ],
        },
    ]
}

#[test]
fn every_corpus_zap_imports_and_checks_clean() {
    let Some(corpus) = corpus("every_corpus_zap_imports_and_checks_clean") else {
        return;
    };
    let pins = pins();
    let mut seen = 0;
    for pin in &pins {
        let path = corpus.join(pin.file);
        let imported = zapier::import(&path).unwrap_or_else(|e| panic!("{}: {e}", pin.file));
        assert_eq!(imported.generated.len(), 1, "{}", pin.file);
        let g = &imported.generated[0];
        let s = &g.system;
        assert_eq!(s.system, pin.system, "{}", pin.file);
        assert_eq!(
            (s.triggers.len(), s.decisions.len(), s.execution.len()),
            (pin.triggers, pin.decisions, pin.executions),
            "{}: triggers/decisions/executions",
            pin.file
        );
        let text = claw_language::write::to_claw(s);
        let dir = tempfile::tempdir().unwrap();
        claw_importers::output::write_all(dir.path(), &imported.generated, true).unwrap();
        let checked = claw_language::check_text(&text, Some(pin.file), Some(dir.path()));
        let errors: Vec<String> = checked
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", pin.file);
        let got: BTreeSet<&str> = imported.findings.iter().map(|f| f.code.as_str()).collect();
        let polling: &[&str] = if pin.polling { POLLING } else { &[] };
        let want: BTreeSet<&str> = pin
            .codes
            .iter()
            .chain(COMMON.iter().filter(|c| !pin.without.contains(c)))
            .chain(polling)
            .copied()
            .collect();
        assert_eq!(got, want, "{}: finding codes", pin.file);
        for f in &imported.findings {
            assert_eq!(
                f.system.as_deref(),
                Some(pin.system),
                "{}: every finding names its system",
                pin.file
            );
            assert!(
                f.origin.zap.is_some(),
                "{}: every finding names its Zap",
                pin.file
            );
        }
        seen += 1;
    }
    // Every file in the corpus is pinned: a new corpus file must be added here.
    let mut count = 0;
    for d in std::fs::read_dir(&corpus).unwrap().flatten() {
        count += std::fs::read_dir(d.path()).map(|r| r.count()).unwrap_or(0);
    }
    assert_eq!(seen, count);
}

#[test]
fn corpus_folder_imports_in_one_go_with_unique_names() {
    let Some(corpus) = corpus("corpus_folder_imports_in_one_go_with_unique_names") else {
        return;
    };
    let imported = zapier::import(&corpus).unwrap();
    assert_eq!(imported.generated.len(), 7);
    let names: BTreeSet<&str> = imported
        .generated
        .iter()
        .map(|g| g.system.system.as_str())
        .collect();
    assert_eq!(names.len(), 7);
}

#[test]
fn corpus_specifics() {
    let Some(corpus) = corpus("corpus_specifics") else {
        return;
    };
    let one = |f: &str| {
        zapier::import(&corpus.join(f))
            .unwrap()
            .generated
            .remove(0)
            .system
    };
    // Schedule by Zapier: exact cron.
    let s = one("toddmoy-node-based-zap-examples/design-team-watercooler.json");
    assert_eq!(s.triggers[0].schedule.as_deref(), Some("0 8 * * 5"));
    let s = one("toddmoy-node-based-zap-examples/rifle-thursday-afternoon-forecast.json");
    assert_eq!(s.triggers[0].schedule.as_deref(), Some("0 15 * * 4"));
    assert_eq!(s.triggers[0].enabled, Some(false));
    // Dangling node 75467864: the filter fails closed, the Slack text keeps the curly as literal text.
    assert_eq!(
        s.decisions[0].logic,
        claw_language::Logic::When("(false) && (false)".into())
    );
    let text = s.execution[0].with["text"].as_str().unwrap();
    assert!(text.contains("\\{{75467864__temperatureHigh}}"), "{text}");
    // Paths: node 6 hangs under path A (node 3) even though node 5 has the lower id.
    let s = one("toddmoy-node-based-zap-examples/add-saved-slack-messages-to-todoist.json");
    let under_a = s
        .execution
        .iter()
        .find(|x| x.on == vec!["path_a".to_string()])
        .unwrap();
    assert_eq!(under_a.legacy["step"], "6");
    assert_eq!(under_a.with["note"], serde_json::json!("{{ text }}"));
    // authentication_id never appears, only as a secret reference.
    let t = claw_language::write::to_claw(&s);
    assert!(!t.contains("2c4df3b359d79b4009371ee41381d0f622b94ee218a75fd9fe0d661ccf19f276"));
    assert!(s.triggers[0].legacy["auth"].starts_with("secret://slack/"));
    // Formula references resolved by evidence, unknown live ids left alone.
    let s = one("work-flowers-zapier-sdk/exported-zap-2026-05-06.json");
    let code = s
        .execution
        .iter()
        .find(|x| x.legacy["step"] == "2")
        .unwrap();
    assert_eq!(code.action, "code.js");
    assert_eq!(code.with["input"]["to"], serde_json::json!("{{ To }}"));
    let ret = s
        .execution
        .iter()
        .find(|x| x.legacy["step"] == "17")
        .unwrap();
    assert_eq!(ret.action, "call.return");
    assert_eq!(
        ret.with["output"]["page_ids"],
        serde_json::json!(
            "{{ steps.find_existing_contact_records_16.output['results[]old'].data.f2 }}"
        )
    );
    let fallback = s
        .decisions
        .iter()
        .find(|d| d.legacy["step"] == "5")
        .unwrap();
    assert_eq!(
        fallback.logic,
        claw_language::Logic::When(
            "!(double(steps.create_a_single_list_of_external_emails.output.count) > 0.0)".into()
        )
    );
    let always = s
        .decisions
        .iter()
        .find(|d| d.legacy["step"] == "14")
        .unwrap();
    assert_eq!(always.logic, claw_language::Logic::When("true".into()));
}
