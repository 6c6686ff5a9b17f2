//! A system's rules ([`crate::rules::SystemRules`]) as the YAML rule file Prometheus loads:
//! one group of recording rules, one of SLO alerts, one of the file's own alerts.

use crate::rules::{AlertRule, Record, SystemRules};
use crate::yaml::{Node, render as yaml};

fn labels(pairs: &[(String, String)]) -> Node {
    Node::str_map(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

fn record(r: &Record) -> Node {
    let mut n = Node::map([
        ("record", Node::str(&r.record)),
        ("expr", Node::str(&r.expr)),
    ]);
    if !r.labels.is_empty() {
        n.push("labels", labels(&r.labels));
    }
    n
}

/// One alerting rule as Prometheus reads it.
pub fn alert(a: &AlertRule) -> Node {
    let mut n = Node::map([("alert", Node::str(&a.name)), ("expr", Node::str(&a.expr))]);
    if let Some(f) = a.for_ {
        n.push("for", Node::str(f));
    }
    n.push("labels", labels(&a.labels));
    n.push("annotations", labels(&a.annotations));
    n
}

/// The rule file's text.
pub fn render(r: &SystemRules) -> String {
    let mut groups = vec![Node::map([
        ("name", Node::str(format!("claw-{}-records", r.system))),
        ("rules", Node::List(r.records.iter().map(record).collect())),
    ])];
    for (suffix, list) in [("slo-alerts", &r.slo_alerts), ("alerts", &r.alerts)] {
        if !list.is_empty() {
            groups.push(Node::map([
                ("name", Node::str(format!("claw-{}-{suffix}", r.system))),
                ("rules", Node::List(list.iter().map(alert).collect())),
            ]));
        }
    }
    let body = yaml(&Node::map([("groups", Node::List(groups))]));
    format!(
        "{}{body}",
        crate::header(&format!("Prometheus rules of system `{}`", r.system))
    )
}
