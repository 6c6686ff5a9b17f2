//! A `promtool test rules` file per system: the synthetic series of each
//! [`Scenario`](crate::scenario::Scenario), and for every alert name the alerts expected at
//! the evaluation time — each alert firing where its breach is simulated, none on healthy
//! series.

use crate::promql::{LATENCY_BUCKETS, RUN_LATENCY_BUCKET, RUNS_TOTAL, SYSTEM_DLQ_DEPTH, quoted};
use crate::rules::{AlertRule, SystemRules};
use crate::scenario::{EVAL_TIME, FAILING_DLQ_DEPTH, MINUTES, RUNS_PER_MINUTE, Scenario};
use crate::yaml::{Node, render as yaml};
use claw_language::System;

/// A series starting at `start` and growing by `per_minute` (a counter; a gauge with 0).
fn series(name: &str, labels: &[(&str, &str)], start: u32, per_minute: u32) -> Node {
    let sel: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}={}", quoted(v)))
        .collect();
    Node::map([
        ("series", Node::str(format!("{name}{{{}}}", sel.join(",")))),
        (
            "values",
            Node::str(format!("{start}+{per_minute}x{MINUTES}")),
        ),
    ])
}

/// The input series of a scenario, shaped like the runtime's `/metrics`.
fn input_series(sys: &System, s: Scenario) -> Vec<Node> {
    if s == Scenario::Quiet {
        return Vec::new();
    }
    let system = sys.system.as_str();
    let outcome = if s == Scenario::Failing {
        "failed"
    } else {
        "succeeded"
    };
    let mut out = Vec::new();
    for t in &sys.triggers {
        let t = t.name.as_str();
        for o in ["accepted", outcome] {
            out.push(series(
                RUNS_TOTAL,
                &[("system", system), ("trigger", t), ("outcome", o)],
                0,
                RUNS_PER_MINUTE,
            ));
        }
        let les = LATENCY_BUCKETS
            .iter()
            .map(|b| format!("{b:?}"))
            .chain(["+Inf".to_string()]);
        for le in les {
            // Healthy runs all fall in the first bucket; failing ones only in +Inf.
            let n = if s == Scenario::Healthy || le == "+Inf" {
                RUNS_PER_MINUTE
            } else {
                0
            };
            out.push(series(
                RUN_LATENCY_BUCKET,
                &[("le", &le), ("system", system), ("name", t)],
                0,
                n,
            ));
        }
    }
    if s == Scenario::Failing {
        out.push(series(
            SYSTEM_DLQ_DEPTH,
            &[("system", system)],
            FAILING_DLQ_DEPTH,
            0,
        ));
    }
    out
}

fn expected(a: &AlertRule) -> Node {
    let pairs =
        |p: &[(String, String)]| Node::str_map(p.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    Node::map([
        ("exp_labels", pairs(&a.labels)),
        ("exp_annotations", pairs(&a.annotations)),
    ])
}

/// The unit-test file's text for a system and its rules.
pub fn render_tests(sys: &System, r: &SystemRules) -> String {
    let all: Vec<&AlertRule> = r.slo_alerts.iter().chain(&r.alerts).collect();
    let mut names: Vec<&str> = Vec::new();
    for a in &all {
        if !names.contains(&a.name.as_str()) {
            names.push(&a.name);
        }
    }
    let tests: Vec<Node> = Scenario::ALL
        .iter()
        .map(|&s| {
            let checks = names
                .iter()
                .map(|n| {
                    let exp = all
                        .iter()
                        .filter(|a| a.name == *n && a.fires[s.index()])
                        .map(|a| expected(a))
                        .collect();
                    Node::map([
                        ("eval_time", Node::str(EVAL_TIME)),
                        ("alertname", Node::str(*n)),
                        ("exp_alerts", Node::List(exp)),
                    ])
                })
                .collect();
            Node::map([
                ("name", Node::str(s.name())),
                ("interval", Node::str("1m")),
                ("input_series", Node::List(input_series(sys, s))),
                ("alert_rule_test", Node::List(checks)),
            ])
        })
        .collect();
    let doc = Node::map([
        (
            "rule_files",
            Node::List(vec![Node::str(crate::rules_file(&r.system))]),
        ),
        ("evaluation_interval", Node::str("1m")),
        ("tests", Node::List(tests)),
    ]);
    format!(
        "{}{}",
        crate::header(&format!(
            "promtool unit tests of the rules of system `{}`",
            r.system
        )),
        yaml(&doc)
    )
}
