//! Parser and core tests: real sample files, and arbitrary input never panics.

use claw_shadow::bind::Binding;
use claw_shadow::compare::{Class, Options, compare};
use claw_shadow::correlate::{Tolerances, correlate};
use claw_shadow::model::{Correlation, Outcome, StepOutcome, parse_time};
use claw_shadow::{cron_log, outcome_log, zapier};
use proptest::prelude::*;
use serde_json::json;

fn system() -> Binding {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../samples/shadow/big-order-alert.claw"
    );
    let (_, c) = claw_language::check::check_file(std::path::Path::new(p)).unwrap();
    Binding::new(c.valid_system().unwrap())
}

fn cron_system() -> Binding {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../samples/shadow/cron/ops-jobs.claw"
    );
    let (_, c) = claw_language::check::check_file(std::path::Path::new(p)).unwrap();
    Binding::new(c.valid_system().unwrap())
}

#[test]
fn zap_history_csv_maps_steps_and_branches_and_filters_by_zap() {
    let mut b = system();
    b.legacy_id = Some("281795060".into());
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../samples/shadow/zapier/zap-history.csv"
    ))
    .unwrap();
    let p = zapier::parse_csv(&text, "h.csv", &b).unwrap();
    assert_eq!(p.outcomes.len(), 2);
    let r1 = &p.outcomes[0];
    assert_eq!(r1.correlation, Correlation::Key("1001".into()));
    assert_eq!(r1.branches, vec!["only_big_orders".to_string()]);
    let names: Vec<&str> = r1.steps.iter().map(|s| s.step.as_str()).collect();
    assert_eq!(names, vec!["post_to_slack", "log_order_row"]);
    assert_eq!(r1.steps[0].action, "slack.channel_message");
    assert_eq!(
        r1.steps[0].params["text"],
        "New order 1001 from Ana: 250.00"
    );
    let r2 = &p.outcomes[1];
    assert!(r2.branches.is_empty() && r2.steps.is_empty());
    assert_eq!(p.notes.len(), 1);
    assert!(p.notes[0].contains("Zap 999"));
}

#[test]
fn csv_without_run_id_column_is_an_error_naming_the_file() {
    let e = zapier::parse_csv("zap_id,status\n1,success\n", "h.csv", &system()).unwrap_err();
    assert_eq!(e.code(), "claw::shadow::bad_shape");
    assert!(e.to_string().starts_with("h.csv:1:"));
}

#[test]
fn outcome_log_round_trips() {
    let text = r#"
{"run":"a","trigger":"catch_order_webhook","at":"2026-11-02T09:00:00Z","key":1001,"status":"success"}
{"run":"a","trigger":"catch_order_webhook","at":"2026-11-02T09:00:00Z","key":1001,"decision":"only_big_orders"}
{"run":"a","trigger":"catch_order_webhook","at":"2026-11-02T09:00:01Z","key":1001,"step":"post_to_slack","action":"slack.post","params":{"text":"hi"},"idempotency_key":"k1","status":"success","extra_field":true}
{"run":"b","trigger":"sheet_row","at":"2026-11-02T10:00:00","payload":{"row":7}}
"#;
    let o = outcome_log::parse(text, "o.jsonl", "sys").unwrap();
    assert_eq!(o.len(), 2);
    assert_eq!(o[0].steps[0].idempotency_key.as_deref(), Some("k1"));
    assert!(matches!(o[1].correlation, Correlation::Payload(_)));
    let again = outcome_log::parse(&outcome_log::write(&o), "w", "sys").unwrap();
    assert_eq!(
        again.iter().map(|x| x.view()).collect::<Vec<_>>(),
        o.iter().map(|x| x.view()).collect::<Vec<_>>()
    );
    assert_eq!(
        again.iter().map(|x| &x.correlation).collect::<Vec<_>>(),
        o.iter().map(|x| &x.correlation).collect::<Vec<_>>()
    );
    let e = outcome_log::parse(
        "{\"run\":\"a\",\"trigger\":\"t\",\"at\":\"yesterday\",\"key\":1}",
        "o.jsonl",
        "s",
    )
    .unwrap_err();
    assert!(e.to_string().starts_with("o.jsonl:1:"), "{e}");
}

#[test]
fn cron_lines_in_both_timestamp_forms() {
    let b = cron_system();
    let text = "Nov  2 02:30:01 db CRON[1]: (root) CMD (/usr/local/bin/dump-orders.sh)\n\
                2026-11-02T03:00:01+0100 db CRON[2]: (sync) CMD (/usr/local/bin/sync-stock.sh --all)\n\
                2026-11-02 04:00:01 db crond[3]: (sync) CMD (/usr/local/bin/sync-stock.sh --all)\n\
                Nov  2 02:30:01 db sshd[9]: (root) CMD (not cron)\n";
    let tz = cron_log::zone("Europe/Paris").unwrap();
    let p = cron_log::parse(text, "syslog", &b, Some(2026), tz).unwrap();
    let got: Vec<(String, String)> = p
        .outcomes
        .iter()
        .map(|o| (o.trigger.clone(), o.at.to_rfc3339()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "nightly_dump".to_string(),
                "2026-11-02T01:30:01+00:00".to_string()
            ),
            ("hourly_sync".into(), "2026-11-02T02:00:01+00:00".into()),
            ("hourly_sync".into(), "2026-11-02T03:00:01+00:00".into()),
        ]
    );
}

fn run(key: &str, at: &str, text: &str, ts: &str) -> Outcome {
    Outcome {
        source: format!("{key}@{at}"),
        system: "s".into(),
        trigger: "t".into(),
        correlation: Correlation::Payload(key.into()),
        at: parse_time(at).unwrap(),
        payload_digest: Some(key.into()),
        branches: vec!["d".into()],
        steps: vec![StepOutcome {
            step: "post".into(),
            action: "slack.post".into(),
            params: json!({"text": text, "ts": ts, "tags": ["a", "b"]}),
            idempotency_key: None,
            status: String::new(),
        }],
        status: String::new(),
        payload: None,
    }
}

#[test]
fn payload_digest_pairs_only_within_the_window() {
    let l = vec![
        run("p1", "2026-11-02T09:00:00Z", "x", "1"),
        run("p1", "2026-11-02T12:00:00Z", "x", "2"),
    ];
    let s = vec![run("p1", "2026-11-02T09:03:00Z", "x", "9")];
    let p = correlate(&l, &s, Tolerances::default());
    assert_eq!(p.pairs, vec![(0, 0)]);
    // Three hours later with no shadow run near it: same input, already paired: a duplicate.
    assert_eq!(p.duplicates, vec![1]);
    let s_far = vec![run("p1", "2026-11-02T10:00:00Z", "x", "9")];
    let p = correlate(&l[..1], &s_far, Tolerances::default());
    assert_eq!((p.missing.clone(), p.extra.clone()), (vec![0], vec![0]));
}

#[test]
fn unordered_lists_and_ignored_globs_are_noise_with_reasons() {
    let l = vec![run("p1", "2026-11-02T09:00:00Z", "x", "1")];
    let mut s = vec![run("p1", "2026-11-02T09:00:00Z", "x", "2")];
    s[0].steps[0].params["tags"] = json!(["b", "a"]);
    let c = compare(&l, &s, &Options::default()).unwrap();
    assert_eq!(c.runs[0].class, Class::Params);
    let c = compare(
        &l,
        &s,
        &Options {
            ignore: vec!["steps.*.with.ts".into()],
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!(c.runs[0].class, Class::Noise);
    let reasons: Vec<&str> = c.runs[0]
        .diffs
        .iter()
        .map(|d| d.noise.as_deref().unwrap())
        .collect();
    assert!(reasons.contains(&"same list elements in a different order"));
    assert!(reasons.contains(&"declared with --ignore steps.*.with.ts"));
    // `*` stays within one field: it does not hide steps.post.with.ts.deep.
    let e = compare(
        &l,
        &s,
        &Options {
            ignore: vec!["steps.*.ts".into()],
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!(e.runs[0].class, Class::Params);
}

proptest! {
    #[test]
    fn zapier_json_never_panics(s in "\\PC{0,300}") {
        let _ = zapier::parse_json(&s, "x", &system());
    }
    #[test]
    fn zapier_json_shaped_never_panics(id in any::<i64>(), st in "\\PC{0,20}", t in "\\PC{0,30}", d in "\\PC{0,40}") {
        let doc = json!({"data": [{"id": id, "status": st, "start_time": t, "data_in": d, "steps": [{"status": st, "title": t, "input": d}]}]}).to_string();
        let _ = zapier::parse_json(&doc, "x", &system());
    }
    #[test]
    fn zapier_csv_never_panics(s in "\\PC{0,300}") {
        let _ = zapier::parse_csv(&format!("run_id,status,start_time,data_in,step_title\n{s}"), "x", &system());
        let _ = zapier::parse_csv(&s, "x", &system());
    }
    #[test]
    fn cron_log_never_panics(s in "\\PC{0,200}", ts in "[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}") {
        let b = cron_system();
        let _ = cron_log::parse(&s, "x", &b, Some(2026), chrono_tz::UTC);
        let _ = cron_log::parse(&format!("{ts} h CRON[1]: (u) CMD ({s})"), "x", &b, Some(2026), chrono_tz::UTC);
    }
    #[test]
    fn outcome_log_never_panics(s in "\\PC{0,300}") {
        let _ = outcome_log::parse(&s, "x", "s");
    }
}
