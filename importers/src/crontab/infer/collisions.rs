//! Collisions: the jobs of one system that can start in the same minute.

use super::MAX_COLLISION_PAIRS;
use crate::crontab::codes;
use crate::findings::{Finding, Origin};
use claw_language::cron::{DayRule, Schedule};
use std::collections::{BTreeMap, BTreeSet};

/// Jobs that can start in the same minute. Exact on the value sets: two schedules collide when
/// their minutes, hours and months intersect and some (month, day, weekday) satisfies both day
/// rules — every such combination occurs within the 400-year calendar cycle.
///
/// Whether two jobs collide depends only on their value sets, so jobs are grouped by that
/// signature first and the pairwise work is done between distinct signatures (a few thousand
/// even in a 100,000-line crontab), never between jobs: thousands of `*/15` jobs collide with
/// each other and with every job on a quarter hour, and listing those pairs one by one would be
/// quadratic. Each finding then needs only how many later jobs collide and the first five,
/// which come from the signatures' sorted member lists.
pub(super) fn collisions(schedules: &[(String, Schedule, Origin)], out: &mut Vec<Finding>) {
    /// Value sets that decide collisions: minute, hour, dom, month, dow bits and the day rule.
    type Signature = (u64, u64, u64, u64, u64, bool);
    fn mask(f: &claw_language::cron::Field) -> u64 {
        f.values().fold(0u64, |acc, v| acc | (1u64 << v))
    }
    // Signature classes in order of first appearance; members ascending (schedule order).
    let mut class_of: BTreeMap<Signature, usize> = BTreeMap::new();
    let mut members: Vec<Vec<usize>> = Vec::new();
    let mut job_class: Vec<Option<usize>> = vec![None; schedules.len()];
    for (i, (_, s, _)) in schedules.iter().enumerate() {
        let Some(f) = s.fields() else { continue };
        let sig = (
            mask(f.minute()),
            mask(f.hour()),
            f.dom().bits(),
            f.month().bits(),
            f.dow().bits(),
            f.day_rule() == DayRule::And,
        );
        let next = members.len();
        let c = *class_of.entry(sig).or_insert(next);
        if c == next {
            members.push(Vec::new());
        }
        members[c].push(i);
        job_class[i] = Some(c);
    }
    // Bucket the classes by each (hour, minute) they can fire at: two classes collide only if
    // they share one, and then exactly when their days overlap.
    let mut buckets: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (&(minutes, hours, ..), &c) in &class_of {
        for h in (0..24u32).filter(|h| hours & (1u64 << h) != 0) {
            for m in (0..60u32).filter(|m| minutes & (1u64 << m) != 0) {
                buckets.entry(h * 60 + m).or_default().push(c);
            }
        }
    }
    let rep = |c: usize| &schedules[members[c][0]].1;
    // neighbours[c]: the classes (itself included) whose jobs can start with c's, ascending.
    let mut neighbours: Vec<Vec<usize>> = vec![Vec::new(); members.len()];
    let mut examined: BTreeSet<(usize, usize)> = BTreeSet::new();
    'outer: for list in buckets.values_mut() {
        list.sort_unstable();
        for a in 0..list.len() {
            for b in a..list.len() {
                let (x, y) = (list[a], list[b]);
                if !examined.insert((x, y)) {
                    continue;
                }
                if examined.len() > MAX_COLLISION_PAIRS {
                    out.push(Finding::info(codes::CRON_COLLISION_CAPPED.id, format!("collision analysis stopped after {MAX_COLLISION_PAIRS} candidate pairs; later collisions are not reported"), Origin::default()));
                    break 'outer;
                }
                if days_overlap(rep(x), rep(y)) {
                    neighbours[x].push(y);
                    if x != y {
                        neighbours[y].push(x);
                    }
                }
            }
        }
    }
    drop(examined);
    for n in &mut neighbours {
        n.sort_unstable();
    }
    for (x, c) in job_class.iter().enumerate() {
        let Some(c) = *c else { continue };
        // Later jobs that collide with x: in each neighbouring class, the members after x.
        let mut count = 0usize;
        let mut first: Vec<usize> = Vec::new();
        for &t in &neighbours[c] {
            let m = &members[t];
            let from = m.partition_point(|&y| y <= x);
            count += m.len() - from;
            first.extend(m[from..].iter().take(5));
        }
        if count == 0 {
            continue;
        }
        first.sort_unstable();
        let names: Vec<String> = first
            .iter()
            .take(5)
            .map(|y| format!("`{}` ({})", schedules[*y].0, schedules[*y].2.describe()))
            .collect();
        let more = if count > 5 {
            format!(" and {} more", count - 5)
        } else {
            String::new()
        };
        out.push(
            Finding::warning(codes::CRON_COLLISION.id, format!("`{}` can start in the same minute as {}{more}: they compete for the host at once", schedules[x].0, names.join(", ")), schedules[x].2.clone())
                .at_path(format!("/triggers/{}", schedules[x].0))
                .with_help("spread the schedules, or add a delay to one of them"),
        );
    }
}

fn days_overlap(a: &Schedule, b: &Schedule) -> bool {
    let (Some(fa), Some(fb)) = (a.fields(), b.fields()) else {
        return false;
    };
    if fa.month().bits() & fb.month().bits() == 0 {
        return false;
    }
    const DAYS: [u32; 13] = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let ok = |f: &claw_language::cron::Fields, d: u32, w: u32| {
        let dom = f.dom().contains(d);
        let dow = f.dow().contains(w);
        match f.day_rule() {
            DayRule::And => dom && dow,
            DayRule::Or => dom || dow,
        }
    };
    (1..=12u32)
        .filter(|m| fa.month().contains(*m) && fb.month().contains(*m))
        .any(|m| (1..=DAYS[m as usize]).any(|d| (0..7u32).any(|w| ok(fa, d, w) && ok(fb, d, w))))
}
