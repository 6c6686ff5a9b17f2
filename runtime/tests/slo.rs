//! SLO figures from run statistics: the statistics of runs stored before the `run_stats`
//! table existed are counted at upgrade, and a system that declares a minimum traffic is
//! alerted when it goes quiet (a dead system is not a healthy one). SQLite files, and
//! PostgreSQL when CLAW_TEST_POSTGRES_URL is set.

mod common;

use chrono::Utc;
use claw_runtime::alerts::Alerts;
use claw_runtime::slo::histogram::WindowStats;
use claw_runtime::store::RunFilter;
use claw_runtime::{EventStore, LoadedSystem, Runtime, SqlStore, StartOptions};
use common::*;
use serde_json::json;
use sqlx::{Connection, Executor};
use std::sync::Arc;
use std::time::Duration;

/// (status, received, scheduled, finished): latencies under and over the exact range, a
/// scheduled run, and an unfinished one.
const OLD_RUNS: &[(&str, i64, Option<i64>, Option<i64>)] = &[
    ("succeeded", 1_000_000, None, Some(1_000_007)),
    ("succeeded", 1_000_100, None, Some(1_002_147)),
    ("failed", 1_061_000, None, Some(1_061_000 + 5_000)),
    ("succeeded", 1_062_000, None, Some(1_062_000 + 3_700_123)),
    ("succeeded", 1_063_000, Some(1_063_500), Some(1_063_600)),
    ("running", 1_064_000, None, None),
];

#[tokio::test]
async fn runs_stored_before_the_statistics_are_counted_at_upgrade() {
    for db in databases().await {
        // A database as the first schema left it, with runs in it.
        let insert = "INSERT INTO runs (id, system, trigger_name, idempotency_key, status, payload, received_at, scheduled_at, finished_at) \
                      VALUES ($1, 'legacy', 'tick', $1, $2, '{}', $3, $4, $5)";
        macro_rules! seed {
            ($conn:expr, $schema:expr) => {{
                let mut c = $conn;
                c.execute(sqlx::raw_sql($schema)).await.unwrap();
                for (i, (st, rec, sched, fin)) in OLD_RUNS.iter().enumerate() {
                    sqlx::query(insert)
                        .bind(format!("r{i}"))
                        .bind(*st)
                        .bind(*rec)
                        .bind(*sched)
                        .bind(*fin)
                        .execute(&mut c)
                        .await
                        .unwrap();
                }
                c.close().await.unwrap();
            }};
        }
        if db.label == "sqlite" {
            let conn = sqlx::SqliteConnection::connect(&format!("{}?mode=rwc", db.url))
                .await
                .unwrap();
            seed!(conn, include_str!("../migrations/sqlite/0001_init.sql"));
        } else {
            let conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            seed!(conn, include_str!("../migrations/postgres/0001_init.sql"));
        }
        let store = SqlStore::connect(&db.url).await.unwrap();
        let runs = store.runs(&RunFilter::default()).await.unwrap();
        assert_eq!(runs.len(), OLD_RUNS.len());
        let got = claw_runtime::slo::window_stats(
            &store,
            None,
            claw_runtime::UnixMillis(0),
            claw_runtime::UnixMillis(i64::MAX),
        )
        .await
        .unwrap();
        assert_eq!(
            got.get("legacy"),
            Some(&WindowStats::from_runs(&runs)),
            "{}",
            db.label
        );
    }
}

const QUIET: &str = claw_testkit::with_observability!(
    r#"system: quiet
version: 1.0.0
triggers:
  - ping:
      source: webhook
      idempotency: id
decisions: []
execution:
  - note:
      on: ping
      action: log.debug
      with:
        message: "ping {{ id }}"
"#,
    r#"  slo:
    error_rate: <1%
    runs: ">= 3"
  alerts:
    - on: error_rate > 20%
      route: webhook://ROUTE
  owner: ops
"#
);

#[tokio::test]
async fn a_system_below_its_minimum_traffic_is_alerted_not_reported_healthy() {
    for db in databases().await {
        let hook = receiver(ReceiverOpts::default()).await;
        let route = hook.url.trim_start_matches("http://").to_string();
        let dir = tempfile::tempdir().unwrap();
        let p = write_system(dir.path(), "quiet", &QUIET.replace("ROUTE", &route));
        let store = Arc::new(SqlStore::connect(&db.url).await.unwrap());
        let rt = Runtime::builder(store)
            .system(LoadedSystem::load(&p).unwrap())
            .build()
            .await
            .unwrap();
        let alerts = Alerts::new(
            rt.clone(),
            Duration::from_secs(3600),
            Duration::from_secs(30),
        );
        let ons: Vec<&str> = alerts.plans().iter().map(|p| p.on.as_str()).collect();
        assert_eq!(ons, vec!["error_rate > 20%", "runs < 3"]);
        // Nothing ran: the error rate has no data (its alert holds nothing), the traffic
        // alert is raised, to the system's alert route.
        let changes = alerts.evaluate(Utc::now()).await.unwrap();
        let raised: Vec<(&str, &str)> = changes
            .iter()
            .map(|c| (c.on.as_str(), c.state.as_str()))
            .collect();
        assert_eq!(raised, vec![("runs < 3", "raised")], "{}", db.label);
        assert_eq!(hook.seen.lock().unwrap().bodies.len(), 1);
        let figures = alerts.figures("quiet", Utc::now()).await.unwrap();
        assert!(figures.no_data.contains(&"error_rate".to_string()));
        let verdicts = claw_runtime::slo::assess(
            &figures,
            &rt.system("quiet").unwrap().system.observability.slo,
        );
        let met: Vec<(&str, Option<bool>)> =
            verdicts.iter().map(|s| (s.name.as_str(), s.met)).collect();
        assert_eq!(met, vec![("error_rate", None), ("runs", Some(false))]);
        for i in 0..3 {
            rt.run_to_end("quiet", "ping", json!({"id": i}), StartOptions::default())
                .await
                .unwrap();
        }
        let changes = alerts.evaluate(Utc::now()).await.unwrap();
        assert_eq!(changes.len(), 1, "{}: {changes:?}", db.label);
        assert_eq!(
            (changes[0].on.as_str(), changes[0].state.as_str()),
            ("runs < 3", "resolved")
        );
        rt.drain(Duration::from_secs(5)).await.unwrap();
    }
}
