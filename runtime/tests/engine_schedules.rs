//! Schedule triggers through the engine with a controlled clock, against real databases
//! (SQLite files, and PostgreSQL when CLAW_TEST_POSTGRES_URL is set): catch-up policies
//! after downtime, and both DST changes of 2026 in Paris.

mod common;

use claw_runtime::engine::Clock;
use claw_runtime::scheduler::Scheduler;
use claw_runtime::{EventStore, LoadedSystem, Runtime, SqlStore};
use claw_testkit::systems::SLO_TAIL;
use common::*;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn system(text: &str) -> (tempfile::TempDir, LoadedSystem) {
    let dir = tempfile::tempdir().unwrap();
    let p = write_system(dir.path(), "sys", text);
    let s = LoadedSystem::load(&p).unwrap();
    (dir, s)
}

struct ManualClock(Mutex<chrono::DateTime<chrono::Utc>>);
impl Clock for ManualClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        *self.0.lock().unwrap()
    }
}

/// A runtime over `store` with `sys` whose time is `clock`, and its scheduler.
async fn scheduled(
    store: Arc<SqlStore>,
    sys: LoadedSystem,
    clock: Arc<ManualClock>,
) -> (Runtime, Scheduler) {
    let rt = Runtime::builder(store)
        .system(sys)
        .clock(clock)
        .build()
        .await
        .unwrap();
    let s = Scheduler::new(rt.clone()).unwrap();
    (rt, s)
}

fn sched_system(catch_up: &str) -> String {
    format!(
        r#"system: nightly
version: 1.0.0
triggers:
  - tick:
      source: schedule
      schedule: 30 2 * * *
      timezone: Europe/Paris
      catch_up: {catch_up}
decisions: []
execution:
  - say:
      on: tick
      action: log.info
      with:
        message: "fired for {{{{ trigger.scheduled_at }}}}"
{SLO_TAIL}"#
    )
}

#[tokio::test]
async fn schedule_catch_up_policies() {
    use chrono::TimeZone;
    for (policy, expected) in [("none", 0usize), ("latest", 1), ("all", 3)] {
        for db in databases().await {
            let store = Arc::new(SqlStore::connect(&db.url).await.unwrap());
            let (_d, sys) = system(&sched_system(policy));
            // 2026-03-01 10:00 UTC: first start, nothing is missed.
            let clock = Arc::new(ManualClock(Mutex::new(
                chrono::Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap(),
            )));
            let (rt, s) = scheduled(store.clone(), sys, clock.clone()).await;
            assert!(s.tick(clock.now()).await.unwrap().is_empty());
            // Down for three nights (02:30 Paris = 01:30 UTC in March before DST).
            *clock.0.lock().unwrap() = chrono::Utc.with_ymd_and_hms(2026, 3, 4, 9, 0, 0).unwrap();
            let started = s.tick(clock.now()).await.unwrap();
            assert_eq!(started.len(), expected, "catch_up {policy} ({})", db.label);
            let mut fires = Vec::new();
            for id in &started {
                wait_finished(&rt, id).await;
                fires.push(store.run(id).await.unwrap().unwrap().scheduled_at.unwrap());
            }
            let want: Vec<i64> = [2, 3, 4]
                .iter()
                .map(|d| {
                    chrono::Utc
                        .with_ymd_and_hms(2026, 3, *d, 1, 30, 0)
                        .unwrap()
                        .timestamp_millis()
                })
                .collect();
            match policy {
                "all" => assert_eq!(fires, want),
                "latest" => assert_eq!(fires, vec![want[2]]),
                _ => assert!(fires.is_empty()),
            }
            // Ticking again at the same time starts nothing: the mark moved.
            assert!(s.tick(clock.now()).await.unwrap().is_empty());
        }
    }
}

const DST_SYSTEM: &str = claw_testkit::with_slo_tail!(
    r#"system: dst
version: 1.0.0
triggers:
  - fixed:
      source: schedule
      schedule: 30 2 * * *
      timezone: Europe/Paris
      catch_up: all
  - wildcard:
      source: schedule
      schedule: "*/30 2 * * *"
      timezone: Europe/Paris
      catch_up: all
decisions: []
execution:
  - say:
      on: fixed
      action: log.info
      with:
        message: fixed
  - also:
      on: wildcard
      action: log.info
      with:
        message: wildcard
"#
);

/// The running scheduler across both DST changes of 2026 in Paris, ticking every 10
/// minutes with a controlled clock: Debian's rules (docs/cron.md). A fixed-time job whose
/// time falls in the spring gap runs once at the jump and is not repeated in the autumn;
/// a wildcard job follows the wall clock (nothing in the gap, twice in the repeated hour).
#[tokio::test]
async fn schedules_cross_dst_changes_like_debian_cron() {
    use chrono::TimeZone;
    let utc = |m: u32, d: u32, h: u32, min: u32| {
        chrono::Utc.with_ymd_and_hms(2026, m, d, h, min, 0).unwrap()
    };
    for db in databases().await {
        let store = Arc::new(SqlStore::connect(&db.url).await.unwrap());
        let (_d, sys) = system(DST_SYSTEM);
        let clock = Arc::new(ManualClock(Mutex::new(utc(3, 28, 22, 0))));
        let (rt, s) = scheduled(store.clone(), sys, clock.clone()).await;
        let mut fired: Vec<(String, i64)> = Vec::new();
        // Spring: 29 March, 02:00 CET (01:00 UTC) jumps to 03:00 CEST.
        // Autumn: 25 October, 03:00 CEST (01:00 UTC) falls back to 02:00 CET.
        for (start, end) in [
            (utc(3, 28, 22, 0), utc(3, 29, 4, 0)),
            (utc(10, 24, 22, 0), utc(10, 25, 4, 0)),
        ] {
            let mut now = start;
            *clock.0.lock().unwrap() = now;
            // Moving to a new season: the months between are not part of this test.
            for trigger in ["fixed", "wildcard"] {
                store
                    .commit(vec![claw_runtime::store::Write::ScheduleMark {
                        system: "dst".into(),
                        trigger: trigger.into(),
                        last_fire: start.timestamp_millis(),
                    }])
                    .await
                    .unwrap();
            }
            fired.clear();
            while now <= end {
                *clock.0.lock().unwrap() = now;
                for id in s.tick(now).await.unwrap() {
                    wait_finished(&rt, &id).await;
                    let r = store.run(&id).await.unwrap().unwrap();
                    fired.push((r.trigger, r.scheduled_at.unwrap().0));
                }
                now += chrono::Duration::minutes(10);
            }
            let got = |t: &str| -> Vec<chrono::DateTime<chrono::Utc>> {
                fired
                    .iter()
                    .filter(|(tr, _)| tr == t)
                    .map(|(_, ms)| chrono::DateTime::from_timestamp_millis(*ms).unwrap())
                    .collect()
            };
            if start < utc(6, 1, 0, 0) {
                // 02:30 does not exist: once, at the jump (03:00 CEST = 01:00 UTC).
                assert_eq!(
                    got("fixed"),
                    vec![utc(3, 29, 1, 0)],
                    "spring fixed ({})",
                    db.label
                );
                // Wall clock: 02:00 and 02:30 never happen that night.
                assert_eq!(
                    got("wildcard"),
                    Vec::<chrono::DateTime<chrono::Utc>>::new(),
                    "spring wildcard ({})",
                    db.label
                );
            } else {
                // 02:30 happens twice (CEST, then CET): the fixed job runs in the first pass only.
                assert_eq!(
                    got("fixed"),
                    vec![utc(10, 25, 0, 30)],
                    "autumn fixed ({})",
                    db.label
                );
                assert_eq!(
                    got("wildcard"),
                    vec![
                        utc(10, 25, 0, 0),
                        utc(10, 25, 0, 30),
                        utc(10, 25, 1, 0),
                        utc(10, 25, 1, 30)
                    ],
                    "autumn wildcard ({})",
                    db.label
                );
            }
        }
        rt.drain(Duration::from_secs(5)).await.unwrap();
    }
}
