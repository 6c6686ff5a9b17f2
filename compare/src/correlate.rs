//! Pairs legacy runs with shadow runs.
//!
//! * Idempotency key: equal keys pair, in time order.
//! * Payload digest: equal digests pair when within `window` of each other, nearest first.
//! * Fire time (schedules): same trigger, instants within `tolerance`.
//!
//! A legacy run left over for a key or digest that already has a pair is a
//! `duplicate` (the legacy ran twice for one input; the imported system's
//! idempotency deduplicates it), otherwise it is `missing`. Shadow leftovers are `extra`.

use crate::model::{Correlation, Outcome};
use chrono::TimeDelta;
use std::collections::BTreeMap;

/// Result of pairing: indexes into the legacy and shadow slices.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Pairing {
    /// (legacy, shadow) pairs.
    pub pairs: Vec<(usize, usize)>,
    /// Legacy runs with no shadow counterpart.
    pub missing: Vec<usize>,
    /// Shadow runs with no legacy counterpart.
    pub extra: Vec<usize>,
    /// Legacy runs repeating an input that is already paired.
    pub duplicates: Vec<usize>,
}

/// How far apart in time two runs may be and still pair.
#[derive(Debug, Clone, Copy)]
pub struct Tolerances {
    /// How far apart two runs with the same payload digest may be.
    pub window: TimeDelta,
    /// How far a legacy job start may be from a schedule fire time.
    pub tolerance: TimeDelta,
}

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances {
            window: TimeDelta::minutes(10),
            tolerance: TimeDelta::seconds(90),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum GroupKey<'a> {
    Key(&'a str),
    Payload(&'a str),
    Fire(&'a str),
}

fn group_key(o: &Outcome) -> GroupKey<'_> {
    match &o.correlation {
        Correlation::Key(k) => GroupKey::Key(k),
        Correlation::Payload(d) => GroupKey::Payload(d),
        Correlation::FireTime => GroupKey::Fire(&o.trigger),
    }
}

/// Pairs the two sides. Output vectors are sorted, so the result is deterministic.
pub fn correlate(legacy: &[Outcome], shadow: &[Outcome], tol: Tolerances) -> Pairing {
    let mut groups: BTreeMap<GroupKey<'_>, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for (i, o) in legacy.iter().enumerate() {
        groups.entry(group_key(o)).or_default().0.push(i);
    }
    for (i, o) in shadow.iter().enumerate() {
        groups.entry(group_key(o)).or_default().1.push(i);
    }
    let mut p = Pairing::default();
    for (key, (mut l, mut s)) in groups {
        l.sort_by_key(|&i| (legacy[i].at, i));
        s.sort_by_key(|&i| (shadow[i].at, i));
        let limit = match key {
            GroupKey::Key(_) => None,
            GroupKey::Payload(_) => Some(tol.window),
            GroupKey::Fire(_) => Some(tol.tolerance),
        };
        let before = p.pairs.len();
        let mut li = 0;
        let mut si = 0;
        let mut l_left = Vec::new();
        // Two-pointer merge over time-sorted lists: pair when close enough, else
        // drop whichever side is earlier (it cannot pair with anything later).
        while li < l.len() && si < s.len() {
            let (lt, st) = (legacy[l[li]].at, shadow[s[si]].at);
            match limit {
                Some(lim) if (lt - st).abs() > lim => {
                    if lt < st {
                        l_left.push(l[li]);
                        li += 1;
                    } else {
                        p.extra.push(s[si]);
                        si += 1;
                    }
                }
                _ => {
                    p.pairs.push((l[li], s[si]));
                    li += 1;
                    si += 1;
                }
            }
        }
        l_left.extend_from_slice(&l[li..]);
        p.extra.extend_from_slice(&s[si..]);
        let paired = p.pairs.len() > before;
        let dup_ok = !matches!(key, GroupKey::Fire(_));
        for i in l_left {
            if paired && dup_ok {
                p.duplicates.push(i);
            } else {
                p.missing.push(i);
            }
        }
    }
    p.pairs.sort_unstable();
    p.missing.sort_unstable();
    p.extra.sort_unstable();
    p.duplicates.sort_unstable();
    p
}

impl Tolerances {
    /// From standard durations (as parsed from the command line).
    pub fn from_std(window: std::time::Duration, tolerance: std::time::Duration) -> Tolerances {
        let d = |s: std::time::Duration| TimeDelta::from_std(s).unwrap_or(TimeDelta::MAX);
        Tolerances {
            window: d(window),
            tolerance: d(tolerance),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{keyed, run};

    fn tol() -> Tolerances {
        Tolerances::default()
    }

    #[test]
    fn equal_keys_pair_whatever_the_time_apart() {
        let legacy = [keyed("l0", "1001", 0), keyed("l1", "1002", 10)];
        let shadow = [keyed("s0", "1002", 99_999), keyed("s1", "1001", 5)];
        let p = correlate(&legacy, &shadow, tol());
        assert_eq!(p.pairs, vec![(0, 1), (1, 0)]);
        assert!(p.missing.is_empty() && p.extra.is_empty() && p.duplicates.is_empty());
    }

    #[test]
    fn a_key_on_one_side_only_is_missing_or_extra() {
        let legacy = [keyed("l0", "1001", 0)];
        let shadow = [keyed("s0", "2002", 0)];
        let p = correlate(&legacy, &shadow, tol());
        assert!(p.pairs.is_empty());
        assert_eq!(p.missing, vec![0]);
        assert_eq!(p.extra, vec![0]);
    }

    #[test]
    fn a_legacy_repeat_of_a_paired_key_is_a_duplicate() {
        let legacy = [keyed("l0", "1001", 0), keyed("l1", "1001", 60)];
        let shadow = [keyed("s0", "1001", 1)];
        let p = correlate(&legacy, &shadow, tol());
        assert_eq!(p.pairs, vec![(0, 0)]);
        assert_eq!(p.duplicates, vec![1]);
        assert!(p.missing.is_empty());
    }

    #[test]
    fn equal_payload_digests_pair_only_within_the_window() {
        let digest = || Correlation::Payload("abc".into());
        let legacy = [run("l0", digest(), 0), run("l1", digest(), 3600)];
        let shadow = [run("s0", digest(), 30), run("s1", digest(), 3600 + 11 * 60)];
        let p = correlate(&legacy, &shadow, tol());
        // l0/s0 are 30 s apart (paired); l1/s1 are 11 min apart, beyond the 10 min window.
        assert_eq!(p.pairs, vec![(0, 0)]);
        assert_eq!(p.extra, vec![1]);
        // l1 repeats an input that is already paired: a duplicate, not a missing run.
        assert_eq!(p.duplicates, vec![1]);
    }

    #[test]
    fn fire_times_pair_within_the_tolerance_and_never_count_as_duplicates() {
        let legacy = [
            run("l0", Correlation::FireTime, 0),
            run("l1", Correlation::FireTime, 86_400 + 200),
        ];
        let shadow = [
            run("s0", Correlation::FireTime, 45),
            run("s1", Correlation::FireTime, 86_400),
        ];
        let p = correlate(&legacy, &shadow, tol());
        assert_eq!(p.pairs, vec![(0, 0)]);
        // 200 s late is beyond the 90 s tolerance: the job did not run at that fire time.
        assert_eq!(p.missing, vec![1]);
        assert_eq!(p.extra, vec![1]);
        assert!(p.duplicates.is_empty());
    }

    #[test]
    fn from_std_saturates_instead_of_failing() {
        let t = Tolerances::from_std(std::time::Duration::MAX, std::time::Duration::from_secs(5));
        assert_eq!(t.window, TimeDelta::MAX);
        assert_eq!(t.tolerance, TimeDelta::seconds(5));
    }
}
