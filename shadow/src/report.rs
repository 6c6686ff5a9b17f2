//! Builds the comparison report (summary, per-class and per-day counts, top differing
//! fields, per-run detail) and its terminal text.

use crate::compare::{Class, Comparison, Judged, Tally};
use crate::model::Outcome;
use crate::noise::NoiseRule;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One differing field across runs.
#[derive(Debug, Clone, Serialize)]
pub struct FieldSummary {
    /// Dotted path into the run view.
    pub path: String,
    /// Runs where it differs for real.
    pub runs: usize,
    /// First example: run source, legacy and shadow values.
    pub example: Example,
}

/// An example difference.
#[derive(Debug, Clone, Serialize)]
pub struct Example {
    /// Legacy run source.
    pub run: String,
    /// Legacy value (`None`: absent on the legacy side).
    pub legacy: Option<Value>,
    /// Shadow value (`None`: absent on the shadow side).
    pub shadow: Option<Value>,
}

/// One run in the report.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// The run's class (its verdict).
    pub class: Class,
    /// Correlation label, e.g. `key 1001`.
    pub correlation: String,
    /// Trigger name the run belongs to.
    pub trigger: String,
    /// When (legacy time when there is one).
    pub at: String,
    /// The legacy run, when there is one.
    pub legacy: Option<Outcome>,
    /// The shadow run, when there is one.
    pub shadow: Option<Outcome>,
    /// Differences with noise verdicts.
    pub diffs: Vec<Judged>,
}

/// Parity of one UTC day.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Day {
    /// The UTC day, `YYYY-MM-DD`.
    pub day: String,
    /// Counts and parity of that day's runs.
    #[serde(flatten)]
    pub tally: Tally,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// System name the report is about.
    pub system: String,
    /// Legacy runs read.
    pub legacy_runs: usize,
    /// Shadow runs read.
    pub shadow_runs: usize,
    /// Counts and parity over the whole comparison.
    #[serde(flatten)]
    pub tally: Tally,
    /// Parity per day.
    pub days: Vec<Day>,
    /// Most frequent real differences.
    pub top_fields: Vec<FieldSummary>,
    /// What was treated as noise, and why.
    pub noise: Vec<NoiseRule>,
    /// Notes from the parsers (skipped runs, unmatched commands).
    pub notes: Vec<String>,
    /// Gate verdict, when a gate was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gate: Option<Gate>,
    /// Every run that is not an exact match, plus matches (for the HTML view).
    pub runs: Vec<RunReport>,
}

/// Gate verdict: may the cutover proceed at the requested parity?
#[derive(Debug, Clone, Serialize)]
pub struct Gate {
    /// Threshold in percent.
    pub threshold: f64,
    /// Whether the cutover may proceed.
    pub passed: bool,
    /// Why the gate failed (empty when it passed).
    pub reasons: Vec<String>,
}

impl Report {
    /// Builds the report.
    pub fn build(
        system: &str,
        legacy: &[Outcome],
        shadow: &[Outcome],
        cmp: &Comparison,
        notes: Vec<String>,
        gate: Option<f64>,
    ) -> Report {
        let tally = Tally::of(cmp.runs.iter().map(|r| r.class));
        let mut per_day: BTreeMap<String, Vec<Class>> = BTreeMap::new();
        let mut fields: BTreeMap<String, FieldSummary> = BTreeMap::new();
        let mut runs = Vec::with_capacity(cmp.runs.len());
        for r in &cmp.runs {
            let l = r.legacy.map(|i| &legacy[i]);
            let s = r.shadow.map(|i| &shadow[i]);
            let Some(main) = l.or(s) else { continue };
            per_day
                .entry(main.at.format("%Y-%m-%d").to_string())
                .or_default()
                .push(r.class);
            for j in r.diffs.iter().filter(|j| j.noise.is_none()) {
                fields
                    .entry(j.diff.path.clone())
                    .or_insert_with(|| FieldSummary {
                        path: j.diff.path.clone(),
                        runs: 0,
                        example: Example {
                            run: main.source.clone(),
                            legacy: j.diff.legacy.clone(),
                            shadow: j.diff.shadow.clone(),
                        },
                    })
                    .runs += 1;
            }
            runs.push(RunReport {
                class: r.class,
                correlation: main.correlation.label(),
                trigger: main.trigger.clone(),
                at: main.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                legacy: l.cloned(),
                shadow: s.cloned(),
                diffs: r.diffs.clone(),
            });
        }
        let mut top_fields: Vec<FieldSummary> = fields.into_values().collect();
        top_fields.sort_by(|a, b| b.runs.cmp(&a.runs).then_with(|| a.path.cmp(&b.path)));
        top_fields.truncate(20);
        let gate = gate.map(|threshold| {
            let reasons = tally.gate(threshold);
            Gate {
                threshold,
                passed: reasons.is_empty(),
                reasons,
            }
        });
        Report {
            system: system.to_string(),
            legacy_runs: legacy.len(),
            shadow_runs: shadow.len(),
            days: per_day
                .into_iter()
                .map(|(day, c)| Day {
                    day,
                    tally: Tally::of(c.into_iter()),
                })
                .collect(),
            tally,
            top_fields,
            noise: cmp.noise.clone(),
            notes,
            gate,
            runs,
        }
    }

    /// The terminal summary: parity, classes, days, top fields, unmatched runs, noise, notes and gate.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let parity = self
            .tally
            .parity
            .map_or("n/a (nothing compared)".to_string(), |p| format!("{p:.2}%"));
        let _ = writeln!(
            s,
            "shadow {}: parity {parity} ({} of {} runs; {} legacy, {} shadow)",
            self.system,
            self.tally.at_parity,
            self.tally.compared,
            self.legacy_runs,
            self.shadow_runs
        );
        let counts: Vec<String> = self
            .tally
            .counts
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let _ = writeln!(s, "  classes: {}", counts.join(", "));
        if self.days.len() > 1 {
            let _ = writeln!(s, "  per day:");
            for d in &self.days {
                let p = d.tally.parity.map_or("n/a".into(), |p| format!("{p:.2}%"));
                let _ = writeln!(
                    s,
                    "    {}  {p}  ({} of {})",
                    d.day, d.tally.at_parity, d.tally.compared
                );
            }
        }
        if !self.top_fields.is_empty() {
            let _ = writeln!(s, "  top differing fields:");
            for f in &self.top_fields {
                let _ = writeln!(
                    s,
                    "    {} in {} run(s), e.g. {}: legacy {} / shadow {}",
                    f.path,
                    f.runs,
                    f.example.run,
                    show(&f.example.legacy),
                    show(&f.example.shadow)
                );
            }
        }
        let unmatched: Vec<&RunReport> = self
            .runs
            .iter()
            .filter(|r| matches!(r.class, Class::Missing | Class::Extra))
            .collect();
        const SHOWN: usize = 10;
        if unmatched.len() > SHOWN {
            let _ = writeln!(
                s,
                "  first {SHOWN} of {} missing/extra runs:",
                unmatched.len()
            );
        }
        for r in unmatched.iter().take(SHOWN) {
            let who = if r.class == Class::Missing {
                "legacy ran, shadow did not"
            } else {
                "shadow ran, legacy did not"
            };
            let src = r
                .legacy
                .as_ref()
                .or(r.shadow.as_ref())
                .map_or("", |o| o.source.as_str());
            let _ = writeln!(
                s,
                "  {}: {} {} at {} ({who}; {src})",
                r.class.name(),
                r.trigger,
                r.correlation,
                r.at
            );
        }
        if !self.noise.is_empty() {
            let _ = writeln!(s, "  treated as noise:");
            for n in &self.noise {
                let _ = writeln!(s, "    {}: {}", n.path, n.reason);
            }
        }
        for n in &self.notes {
            let _ = writeln!(s, "  note: {n}");
        }
        if let Some(g) = &self.gate {
            if g.passed {
                let _ = writeln!(s, "gate {}%: passed", g.threshold);
            } else {
                let _ = writeln!(s, "gate {}%: FAILED: {}", g.threshold, g.reasons.join("; "));
            }
        }
        s
    }
}

fn show(v: &Option<Value>) -> String {
    match v {
        None => "(absent)".into(),
        Some(v) => {
            let t = v.to_string();
            if t.chars().count() > 80 {
                format!("{}…", t.chars().take(80).collect::<String>())
            } else {
                t
            }
        }
    }
}
