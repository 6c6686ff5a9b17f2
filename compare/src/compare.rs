//! Classifies every run of a comparison (correlate, diff each pair, separate noise, pick
//! the most severe class), tallies the classes and gates the cutover on parity.

use crate::correlate::{Pairing, Tolerances, correlate};
use crate::diff::{FieldDiff, Kind, diff};
use crate::model::Outcome;
use crate::noise::{BadIgnore, Noise, NoiseRule};
use serde::Serialize;
use std::collections::BTreeMap;

/// Class of one compared run, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Legacy ran, the shadow did not.
    Missing,
    /// The shadow ran, the legacy did not.
    Extra,
    /// Another branch was taken, or a step ran on one side only.
    Branch,
    /// The same step called another action.
    Action,
    /// Same steps and actions, other parameters.
    Params,
    /// Differences, all of them noise.
    Noise,
    /// No difference at all.
    Match,
    /// Legacy ran again for an input already paired (not counted in parity).
    Duplicate,
}

impl Class {
    /// Every class, most severe first.
    pub const ALL: [Class; 8] = [
        Class::Missing,
        Class::Extra,
        Class::Branch,
        Class::Action,
        Class::Params,
        Class::Noise,
        Class::Match,
        Class::Duplicate,
    ];

    /// Stable lower-case name, as in reports and the store.
    pub fn name(self) -> &'static str {
        match self {
            Class::Missing => "missing",
            Class::Extra => "extra",
            Class::Branch => "branch",
            Class::Action => "action",
            Class::Params => "params",
            Class::Noise => "noise",
            Class::Match => "match",
            Class::Duplicate => "duplicate",
        }
    }

    /// Whether it counts as parity.
    pub fn is_parity(self) -> bool {
        matches!(self, Class::Match | Class::Noise)
    }
}

/// A field difference with its noise verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Judged {
    /// The difference itself.
    #[serde(flatten)]
    pub diff: FieldDiff,
    /// Why it is noise (`None`: a real difference).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noise: Option<String>,
}

/// One compared run.
#[derive(Debug, Clone, Serialize)]
pub struct RunResult {
    /// The run's class: the most severe real difference, or match/noise.
    pub class: Class,
    /// Index into the legacy outcomes.
    pub legacy: Option<usize>,
    /// Index into the shadow outcomes.
    pub shadow: Option<usize>,
    /// Field differences (pairs only).
    pub diffs: Vec<Judged>,
}

/// Options of a comparison.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// How far apart runs may be and still pair.
    pub tolerances: Tolerances,
    /// Declared noise globs.
    pub ignore: Vec<String>,
}

/// Everything a comparison found, by index (outcomes are not copied).
#[derive(Debug)]
pub struct Comparison {
    /// One entry per pair, missing, extra and duplicate run, in time order.
    pub runs: Vec<RunResult>,
    /// Noise rules in force.
    pub noise: Vec<NoiseRule>,
}

/// Compares the two sides.
pub fn compare(
    legacy: &[Outcome],
    shadow: &[Outcome],
    opts: &Options,
) -> Result<Comparison, BadIgnore> {
    let noise = Noise::learn(legacy, &opts.ignore)?;
    let Pairing {
        pairs,
        missing,
        extra,
        duplicates,
    } = correlate(legacy, shadow, opts.tolerances);
    let mut runs = Vec::with_capacity(pairs.len() + missing.len() + extra.len() + duplicates.len());
    for (l, s) in pairs {
        let diffs: Vec<Judged> = diff(&legacy[l].view(), &shadow[s].view())
            .into_iter()
            .map(|d| Judged {
                noise: noise.reason(&d),
                diff: d,
            })
            .collect();
        let class = diffs
            .iter()
            .filter(|j| j.noise.is_none())
            .map(|j| match j.diff.kind() {
                Kind::Branch => Class::Branch,
                Kind::Action => Class::Action,
                Kind::Params => Class::Params,
            })
            .min()
            .unwrap_or(if diffs.is_empty() {
                Class::Match
            } else {
                Class::Noise
            });
        runs.push(RunResult {
            class,
            legacy: Some(l),
            shadow: Some(s),
            diffs,
        });
    }
    let single = |class, legacy, shadow| RunResult {
        class,
        legacy,
        shadow,
        diffs: Vec::new(),
    };
    runs.extend(
        missing
            .into_iter()
            .map(|l| single(Class::Missing, Some(l), None)),
    );
    runs.extend(
        extra
            .into_iter()
            .map(|s| single(Class::Extra, None, Some(s))),
    );
    runs.extend(
        duplicates
            .into_iter()
            .map(|l| single(Class::Duplicate, Some(l), None)),
    );
    let at = |r: &RunResult| {
        r.legacy
            .map(|i| (legacy[i].at, &legacy[i].source))
            .or_else(|| r.shadow.map(|i| (shadow[i].at, &shadow[i].source)))
    };
    runs.sort_by(|a, b| at(a).cmp(&at(b)).then_with(|| a.class.cmp(&b.class)));
    Ok(Comparison {
        runs,
        noise: noise.rules(),
    })
}

/// Counts per class (every class present, zero included) and parity.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Tally {
    /// Runs counted in parity: pairs + missing + extra.
    pub compared: usize,
    /// Runs at parity (match + noise).
    pub at_parity: usize,
    /// Percentage, `None` when nothing was compared.
    pub parity: Option<f64>,
    /// Count per class name.
    pub counts: BTreeMap<&'static str, usize>,
}

impl Tally {
    /// Counts each class and computes parity; duplicates are counted but not compared.
    pub fn of(classes: impl Iterator<Item = Class>) -> Tally {
        let mut counts: BTreeMap<&'static str, usize> =
            Class::ALL.iter().map(|c| (c.name(), 0)).collect();
        let (mut compared, mut at_parity) = (0, 0);
        for c in classes {
            *counts.entry(c.name()).or_default() += 1;
            if c != Class::Duplicate {
                compared += 1;
            }
            if c.is_parity() {
                at_parity += 1;
            }
        }
        Tally {
            compared,
            at_parity,
            parity: (compared > 0).then(|| at_parity as f64 * 100.0 / compared as f64),
            counts,
        }
    }

    /// Gate verdict: the reasons it fails (empty: passes).
    pub fn gate(&self, threshold: f64) -> Vec<String> {
        let mut why = Vec::new();
        match self.parity {
            None => why.push("nothing was compared, so parity is not proven".to_string()),
            Some(p) if p < threshold => {
                why.push(format!("parity {p:.2}% is below the gate {threshold}%"))
            }
            _ => {}
        }
        let missing = self.counts.get("missing").copied().unwrap_or(0);
        if missing > 0 {
            why.push(format!(
                "{missing} legacy run(s) have no shadow counterpart"
            ));
        }
        why
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{keyed, step};
    use serde_json::json;

    fn post(o: Outcome, text: &str) -> Outcome {
        step(o, "post", "slack.post", json!({"text": text}))
    }

    fn classes(legacy: &[Outcome], shadow: &[Outcome], ignore: &[&str]) -> Vec<Class> {
        let opts = Options {
            ignore: ignore.iter().map(|s| s.to_string()).collect(),
            ..Options::default()
        };
        compare(legacy, shadow, &opts)
            .unwrap()
            .runs
            .iter()
            .map(|r| r.class)
            .collect()
    }

    #[test]
    fn each_difference_gets_its_most_severe_class() {
        let legacy = [
            post(keyed("l0", "0", 0), "a"),
            post(keyed("l1", "1", 1), "a"),
            post(keyed("l2", "2", 2), "a"),
            post(keyed("l3", "3", 3), "a"),
        ];
        let mut branched = post(keyed("s1", "1", 1), "b");
        branched.branches.push("big".into());
        let mut acted = keyed("s2", "2", 2);
        acted = step(acted, "post", "teams.post", json!({"text": "b"}));
        let shadow = [
            post(keyed("s0", "0", 0), "a"),
            branched,
            acted,
            post(keyed("s3", "3", 3), "b"),
        ];
        assert_eq!(
            classes(&legacy, &shadow, &[]),
            [Class::Match, Class::Branch, Class::Action, Class::Params]
        );
    }

    #[test]
    fn differences_that_are_all_noise_make_a_noise_run() {
        let legacy = [post(keyed("l0", "0", 0), "a")];
        let shadow = [post(keyed("s0", "0", 0), "b")];
        assert_eq!(
            classes(&legacy, &shadow, &["steps.post.with.text"]),
            [Class::Noise]
        );
    }

    #[test]
    fn unpaired_runs_are_missing_extra_or_duplicate_in_time_order() {
        let legacy = [
            keyed("l0", "0", 0),
            keyed("l1", "0", 5),
            keyed("l2", "9", 10),
        ];
        let shadow = [keyed("s0", "0", 0), keyed("s1", "7", 7)];
        assert_eq!(
            classes(&legacy, &shadow, &[]),
            [Class::Match, Class::Duplicate, Class::Extra, Class::Missing]
        );
    }

    #[test]
    fn the_tally_counts_every_class_and_leaves_duplicates_out_of_parity() {
        let t =
            Tally::of([Class::Match, Class::Noise, Class::Params, Class::Duplicate].into_iter());
        assert_eq!((t.compared, t.at_parity), (3, 2));
        assert_eq!(t.counts.len(), 8);
        assert_eq!(t.counts["duplicate"], 1);
        assert_eq!(t.counts["missing"], 0);
        let p = t.parity.unwrap();
        assert!((p - 200.0 / 3.0).abs() < 1e-9, "{p}");
    }

    #[test]
    fn the_gate_fails_below_the_threshold_on_missing_runs_and_on_nothing_compared() {
        let good = Tally::of([Class::Match, Class::Noise].into_iter());
        assert!(good.gate(100.0).is_empty());
        let low = Tally::of([Class::Match, Class::Params].into_iter());
        assert_eq!(low.gate(99.0), ["parity 50.00% is below the gate 99%"]);
        assert!(low.gate(50.0).is_empty());
        let missing = Tally::of([Class::Match, Class::Match, Class::Missing].into_iter());
        let why = missing.gate(50.0);
        assert_eq!(why, ["1 legacy run(s) have no shadow counterpart"]);
        let none = Tally::of(std::iter::empty());
        assert_eq!(none.parity, None);
        assert_eq!(
            none.gate(0.0),
            ["nothing was compared, so parity is not proven"]
        );
    }

    #[test]
    fn class_names_are_stable_and_only_match_and_noise_are_parity() {
        let all = Class::ALL;
        let names: Vec<&str> = all.iter().map(|c| c.name()).collect();
        assert_eq!(
            names,
            [
                "missing",
                "extra",
                "branch",
                "action",
                "params",
                "noise",
                "match",
                "duplicate"
            ]
        );
        let parity: Vec<Class> = all.into_iter().filter(|c| c.is_parity()).collect();
        assert_eq!(parity, [Class::Noise, Class::Match]);
    }
}
