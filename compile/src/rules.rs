//! One system's observability layer as Prometheus rules: recording rules (error ratio and
//! latency quantiles over the standard windows, the remaining error budget), the SRE
//! workbook's multi-window, multi-burn-rate alerts for each ratio SLO, an alert per latency
//! and minimum-traffic objective, and the file's own `alerts`, each labelled with its route.

use crate::condition::{self, Condition, number};
use crate::promql::{self, ALERT_WINDOW, BUDGET_PERIOD, WINDOWS};
use crate::scenario::Scenario;
use crate::{Finding, codes};
use claw_language::System;
use claw_language::figures::{Figure, figure};
use claw_language::units::{Cmp, Quantity, parse_objective};

/// A recording rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The recorded series' name.
    pub record: String,
    /// Its PromQL.
    pub expr: String,
    /// Labels added to the result.
    pub labels: Vec<(String, String)>,
}

/// An alerting rule, with the scenarios in which it must fire (for the unit tests).
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRule {
    /// `alert:` name.
    pub name: String,
    /// Its PromQL; its result carries no label but `system` (and `__name__`).
    pub expr: String,
    /// `for:` duration.
    pub for_: Option<&'static str>,
    /// Labels: `system`, `severity`, `route` when routed, `owner` when known, and the
    /// alert's own.
    pub labels: Vec<(String, String)>,
    /// Annotations (static texts, so unit tests can expect them exactly).
    pub annotations: Vec<(String, String)>,
    /// Whether it fires at the tests' evaluation time, per [`Scenario::ALL`].
    pub fires: [bool; 3],
}

/// The rules of one system.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemRules {
    /// The system's name.
    pub system: String,
    /// Recording rules.
    pub records: Vec<Record>,
    /// Alerts derived from `observability.slo`.
    pub slo_alerts: Vec<AlertRule>,
    /// The file's `observability.alerts`, translated.
    pub alerts: Vec<AlertRule>,
}

/// The SRE workbook's alert table: burn-rate factor, long and short window, severity, `for:`.
pub const BURN_RATES: [(f64, &str, &str, &str, &str); 4] = [
    (14.4, "1h", "5m", "page", "2m"),
    (6.0, "6h", "30m", "page", "15m"),
    (3.0, "1d", "2h", "ticket", "1h"),
    (1.0, "3d", "6h", "ticket", "3h"),
];

/// Builds the rules of a checked system; what cannot be expressed is left out with a finding.
pub fn system_rules(sys: &System, findings: &mut Vec<Finding>) -> SystemRules {
    let name = sys.system.as_str();
    let mut alerts = Vec::new();
    let mut conditions: Vec<(usize, Condition)> = Vec::new();
    for (i, a) in sys.observability.alerts.iter().enumerate() {
        let translated =
            condition::parse(&claw_language::expr::desugar_units(&a.on)).and_then(|c| {
                c.figures()
                    .iter()
                    .try_for_each(|f| promql::figure_query(sys, f).map(|_| ()))
                    .map(|_| c)
            });
        match translated {
            Ok(c) => conditions.push((i, c)),
            Err(why) => findings.push(Finding::new(
                codes::UNTRANSLATABLE,
                name,
                format!("/observability/alerts/{i}/on"),
                format!("alert `{}` left out of the Prometheus rules: {why}", a.on),
            )),
        }
    }
    let mut latency: Vec<String> = Vec::new();
    let names = sys
        .observability
        .slo
        .keys()
        .cloned()
        .chain(conditions.iter().flat_map(|(_, c)| c.figures()));
    for n in names {
        if matches!(figure(&n), Some(Figure::Latency { .. })) && !latency.contains(&n) {
            latency.push(n);
        }
    }
    let mut records = recording_rules(sys, &latency);
    let mut slo_alerts = Vec::new();
    for (slo, objective) in &sys.observability.slo {
        let route = slo_route(sys, slo, &conditions);
        match slo_rules(sys, slo, objective, route) {
            Ok((r, a)) => {
                records.extend(r);
                slo_alerts.extend(a);
            }
            Err(why) => findings.push(Finding::new(
                codes::UNTRANSLATABLE,
                name,
                format!("/observability/slo/{slo}"),
                format!("SLO `{slo}` has no alert in the Prometheus rules: {why}"),
            )),
        }
    }
    for (i, c) in conditions {
        alerts.push(file_alert(sys, i, &c));
    }
    SystemRules {
        system: name.to_string(),
        records,
        slo_alerts,
        alerts,
    }
}

fn trigger_count(sys: &System) -> u32 {
    u32::try_from(sys.triggers.len()).unwrap_or(u32::MAX)
}

fn recording_rules(sys: &System, latency: &[String]) -> Vec<Record> {
    let system = sys.system.as_str();
    let mut out: Vec<Record> = WINDOWS
        .iter()
        .map(|w| Record {
            record: promql::error_ratio_record(w),
            expr: promql::error_ratio_expr(system, w),
            labels: Vec::new(),
        })
        .collect();
    let mut seen: Vec<(String, Option<String>)> = Vec::new();
    for n in latency {
        let Some(Figure::Latency { quantile, subject }) = figure(n) else {
            continue;
        };
        let trigger = promql::latency_trigger(sys, subject).map(str::to_string);
        let key = (promql::pname(n).to_string(), trigger.clone());
        if seen.contains(&key) {
            continue;
        }
        for w in WINDOWS {
            out.push(Record {
                record: promql::latency_record(&key.0, w),
                expr: promql::latency_expr(system, quantile, trigger.as_deref(), w),
                labels: trigger
                    .iter()
                    .map(|t| ("trigger".to_string(), t.clone()))
                    .collect(),
            });
        }
        seen.push(key);
    }
    out
}

/// Where an SLO's alerts go: the route of the first alert that reads it, else the system's
/// first alert's route (where its owner listens, as the runtime's minimum-traffic alert).
fn slo_route<'a>(sys: &'a System, slo: &str, conditions: &[(usize, Condition)]) -> Option<&'a str> {
    let alerts = &sys.observability.alerts;
    conditions
        .iter()
        .find(|(_, c)| c.figures().iter().any(|f| f == slo))
        .and_then(|(i, _)| alerts.get(*i))
        .and_then(|a| a.route.as_deref())
        .or_else(|| alerts.first().and_then(|a| a.route.as_deref()))
}

/// The labels every alert of the system carries.
fn base_labels(sys: &System, severity: &str, route: Option<&str>) -> Vec<(String, String)> {
    let mut l = vec![
        ("system".to_string(), sys.system.clone()),
        ("severity".to_string(), severity.to_string()),
    ];
    if let Some(r) = route {
        l.push(("route".into(), r.to_string()));
    }
    if let Some(o) = &sys.observability.owner {
        l.push(("owner".into(), o.clone()));
    }
    l
}

fn pairs(p: &[(&str, String)]) -> Vec<(String, String)> {
    p.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

/// A number as a target in 0..=1: `1%` is 0.01, and a plain number over 1 is a percentage.
fn ratio_of(q: Quantity) -> Result<f64, String> {
    match q {
        Quantity::Ratio(r) => Ok(r),
        Quantity::Number(n) if n > 1.0 => Ok(n / 100.0),
        Quantity::Number(n) => Ok(n),
        Quantity::Duration(_) => Err("a ratio's objective is a duration".into()),
    }
}

type SloRules = (Vec<Record>, Vec<AlertRule>);

fn slo_rules(
    sys: &System,
    slo: &str,
    objective: &str,
    route: Option<&str>,
) -> Result<SloRules, String> {
    let o = parse_objective(objective).map_err(|e| e.to_string())?;
    match figure(slo) {
        Some(Figure::ErrorRatio) => {
            burn_rate_rules(sys, slo, objective, ratio_of(o.target)?, route)
        }
        Some(Figure::SuccessRatio) => {
            burn_rate_rules(sys, slo, objective, 1.0 - ratio_of(o.target)?, route)
        }
        Some(Figure::Latency { .. }) => {
            let Quantity::Duration(d) = o.target else {
                return Err("a latency objective is a duration (e.g. `500ms`)".into());
            };
            let op = match o.cmp {
                Cmp::Le => ">",
                Cmp::Lt => ">=",
                Cmp::Ge | Cmp::Gt => {
                    return Err("a latency objective is a ceiling (`<= 500ms`)".into());
                }
            };
            let target = d.as_secs_f64();
            let query = promql::figure_query(sys, slo)?;
            let fires = Scenario::ALL.map(|s| {
                s.value(slo, trigger_count(sys))
                    .is_some_and(|v| if op == ">" { v > target } else { v >= target })
            });
            let mut labels = base_labels(sys, "ticket", route);
            labels.push(("slo".into(), slo.to_string()));
            Ok((
                Vec::new(),
                vec![AlertRule {
                    name: "ClawLatencyObjective".into(),
                    expr: format!("sum by (system) ({query} {op} {})", number(target)),
                    for_: Some("5m"),
                    labels,
                    annotations: pairs(&[
                        (
                            "summary",
                            format!(
                                "{}: {slo} over its objective {objective} ({ALERT_WINDOW} window)",
                                sys.system
                            ),
                        ),
                        ("objective", objective.to_string()),
                    ]),
                    fires,
                }],
            ))
        }
        Some(Figure::Count(_)) if slo == "runs" && matches!(o.cmp, Cmp::Ge | Cmp::Gt) => {
            let Quantity::Number(n) = o.target else {
                return Err("a traffic objective is a number of runs".into());
            };
            let op = if o.cmp == Cmp::Ge { "<" } else { "<=" };
            let query = promql::figure_query(sys, slo)?;
            let fires = Scenario::ALL.map(|s| {
                s.value(slo, trigger_count(sys))
                    .is_some_and(|v| if op == "<" { v < n } else { v <= n })
            });
            Ok((
                Vec::new(),
                vec![AlertRule {
                    name: "ClawTrafficBelowMinimum".into(),
                    expr: format!("sum by (system) ({query} {op} {})", number(n)),
                    for_: None,
                    labels: {
                        let mut l = base_labels(sys, "ticket", route);
                        l.push(("slo".into(), slo.to_string()));
                        l
                    },
                    annotations: pairs(&[(
                        "summary",
                        format!(
                            "{}: fewer runs than the declared minimum ({objective}) in {ALERT_WINDOW}: the system may be dead",
                            sys.system
                        ),
                    )]),
                    fires,
                }],
            ))
        }
        _ => Err(
            "only error-ratio, success-ratio, latency and minimum-traffic objectives become rules"
                .into(),
        ),
    }
}

fn burn_rate_rules(
    sys: &System,
    slo: &str,
    objective: &str,
    budget: f64,
    route: Option<&str>,
) -> Result<SloRules, String> {
    if !(budget > 0.0 && budget < 1.0) {
        return Err(format!(
            "its error budget ({}) is not between 0 and 1",
            number(budget)
        ));
    }
    let system = sys.system.as_str();
    let sel = promql::selector(system, &[]);
    let budget_text = format!("{}%", number(budget * 100.0));
    let record = Record {
        record: format!("claw:error_budget_remaining:ratio{BUDGET_PERIOD}"),
        expr: format!(
            "1 - ({}) / {}",
            promql::error_ratio_expr(system, BUDGET_PERIOD),
            number(budget)
        ),
        labels: vec![("slo".into(), slo.to_string())],
    };
    let mut alerts = Vec::new();
    for (factor, long, short, severity, for_) in BURN_RATES {
        // A factor the budget cannot reach (every run failing burns 1/budget) never fires.
        if factor * budget >= 1.0 {
            continue;
        }
        let threshold = format!("({} * {})", number(factor), number(budget));
        let mut labels = base_labels(sys, severity, route);
        labels.extend(pairs(&[
            ("slo", slo.to_string()),
            ("long_window", long.to_string()),
            ("short_window", short.to_string()),
        ]));
        let fires = Scenario::ALL.map(|s| {
            s.value("error_rate", trigger_count(sys))
                .is_some_and(|e| e > factor * budget)
        });
        alerts.push(AlertRule {
            name: "ClawErrorBudgetBurn".into(),
            expr: format!(
                "{}{sel} > {threshold} and on(system) {}{sel} > {threshold}",
                promql::error_ratio_record(long),
                promql::error_ratio_record(short)
            ),
            for_: Some(for_),
            labels,
            annotations: pairs(&[
                ("summary", format!("{system}: {slo} burns its error budget {}x too fast over {long} and {short}", number(factor))),
                ("objective", objective.to_string()),
                ("error_budget", format!("{budget_text} of finished runs over {BUDGET_PERIOD}")),
            ]),
            fires,
        });
    }
    Ok((vec![record], alerts))
}

fn file_alert(sys: &System, index: usize, c: &Condition) -> AlertRule {
    let a = &sys.observability.alerts[index];
    let query = |f: &str| promql::figure_query(sys, f).unwrap_or_default();
    let severity = match a.route.as_deref() {
        Some(r) if r.starts_with("pagerduty://") => "page",
        _ => "ticket",
    };
    let mut labels = base_labels(sys, severity, a.route.as_deref());
    labels.push(("alert_index".into(), index.to_string()));
    let fires = Scenario::ALL.map(|s| {
        let figures = c
            .figures()
            .into_iter()
            .map(|f| {
                let v = s.value(&f, trigger_count(sys));
                (f, v)
            })
            .collect();
        c.holds(&figures)
    });
    AlertRule {
        name: "ClawAlert".into(),
        expr: format!("sum by (system) ({})", c.promql(&query)),
        for_: None,
        labels,
        annotations: pairs(&[
            (
                "summary",
                format!(
                    "{}: {}",
                    sys.system,
                    a.description.as_deref().unwrap_or(&a.on)
                ),
            ),
            ("condition", a.on.clone()),
        ]),
        fires,
    }
}
