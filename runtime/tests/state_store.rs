//! `state.*` operations on SQLite and PostgreSQL: concurrent increments lose no update, a
//! repeated idempotency key applies once and returns the remembered output, `ttl` expires
//! entries, and each system's stores are its own.

mod common;

use claw_runtime::store::state::{StateOp, StateRequest};
use claw_runtime::{EventStore, Millis, SqlStore, UnixMillis};
use serde_json::{Value, json};
use std::sync::Arc;

fn req(system: &str, key: &str, op: StateOp, now: i64) -> StateRequest {
    StateRequest {
        system: system.into(),
        store: "counters".into(),
        idempotency_key: key.into(),
        op,
        ttl: None,
        now: UnixMillis(now),
    }
}

fn incr() -> StateOp {
    StateOp::Increment {
        key: "signups".into(),
        amount: 1.0,
    }
}

fn get() -> StateOp {
    StateOp::Get {
        key: "signups".into(),
        default: Value::Null,
    }
}

/// Storage by Zapier documents increments as safe when several Zaps touch the same key at
/// once (help.zapier.com, "Store data from code steps with StoreClient": increment_by).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_increments_lose_no_update() {
    for db in common::databases().await {
        let store = Arc::new(SqlStore::connect(&db.url).await.unwrap());
        let mut tasks = Vec::new();
        for i in 0..60 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store
                    .apply_state(&req("shop", &format!("run{i}:count"), incr(), 1))
                    .await
                    .unwrap()
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let out = store
            .apply_state(&req("shop", "read", get(), 2))
            .await
            .unwrap();
        assert_eq!(out["value"], json!(60), "{}", db.label);
    }
}

/// Compare-and-set under contention: of many runs setting the same key from null, one wins
/// (StoreClient's `set_value_if`); `clear` then empties the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_compare_and_set_wins_and_clear_empties() {
    for db in common::databases().await {
        let store = Arc::new(SqlStore::connect(&db.url).await.unwrap());
        let mut tasks = Vec::new();
        for i in 0..20 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let op = StateOp::SetIf {
                    key: "signups".into(),
                    value: json!(i),
                    previous: Value::Null,
                };
                let out = store
                    .apply_state(&req("shop", &format!("run{i}:claim"), op, 1))
                    .await
                    .unwrap();
                out["set"] == json!(true)
            }));
        }
        let mut wins = 0;
        for t in tasks {
            wins += usize::from(t.await.unwrap());
        }
        assert_eq!(wins, 1, "{}", db.label);
        let cleared = store
            .apply_state(&req("shop", "clear", StateOp::Clear, 2))
            .await
            .unwrap();
        assert_eq!(cleared["removed"], json!(1), "{}", db.label);
        let out = store
            .apply_state(&req("shop", "read", get(), 3))
            .await
            .unwrap();
        assert_eq!(out["found"], json!(false), "{}", db.label);
    }
}

#[tokio::test]
async fn a_repeated_key_applies_once() {
    for db in common::databases().await {
        let store = SqlStore::connect(&db.url).await.unwrap();
        let first = store
            .apply_state(&req("shop", "r1:count", incr(), 1))
            .await
            .unwrap();
        let again = store
            .apply_state(&req("shop", "r1:count", incr(), 2))
            .await
            .unwrap();
        assert_eq!(first, again, "{}", db.label);
        assert_eq!(first["value"], json!(1));
        let out = store
            .apply_state(&req("shop", "r2:read", get(), 3))
            .await
            .unwrap();
        assert_eq!(out["value"], json!(1), "{}", db.label);
        // Another system's store of the same name is another store.
        let other = store
            .apply_state(&req("blog", "r1:count", incr(), 4))
            .await
            .unwrap();
        assert_eq!(other["value"], json!(1), "{}", db.label);
    }
}

/// Retention prunes the remembered operations older than its horizon and the entries that had
/// expired by then; a live entry stays whatever its age.
#[tokio::test]
async fn retention_prunes_remembered_operations_and_expired_entries() {
    for db in common::databases().await {
        let store = SqlStore::connect(&db.url).await.unwrap();
        let set = |key: &str, k: &str, ttl: Option<i64>, now: i64| {
            let mut r = req(
                "shop",
                k,
                StateOp::Set {
                    key: key.into(),
                    value: json!(k),
                },
                now,
            );
            r.ttl = ttl.map(Millis);
            r
        };
        store
            .apply_state(&set("old", "r1:set", Some(10), 100))
            .await
            .unwrap();
        store
            .apply_state(&set("kept", "r2:set", None, 100))
            .await
            .unwrap();
        store
            .apply_state(&set("new", "r3:set", None, 5_000))
            .await
            .unwrap();
        store.prune("shop", UnixMillis(1_000)).await.unwrap();
        let count = |sql: &'static str| {
            let url = db.url.clone();
            async move {
                if url.starts_with("sqlite") {
                    let p = sqlx::SqlitePool::connect(&url).await.unwrap();
                    sqlx::query_scalar::<_, i64>(sql)
                        .fetch_one(&p)
                        .await
                        .unwrap()
                } else {
                    let p = sqlx::PgPool::connect(&url).await.unwrap();
                    sqlx::query_scalar::<_, i64>(sql)
                        .fetch_one(&p)
                        .await
                        .unwrap()
                }
            }
        };
        let applied = count("SELECT COUNT(*) FROM state_applied").await;
        let entries = count("SELECT COUNT(*) FROM state_entries").await;
        assert_eq!((applied, entries), (1, 2), "{}", db.label);
    }
}

#[tokio::test]
async fn ttl_expires_entries() {
    for db in common::databases().await {
        let store = SqlStore::connect(&db.url).await.unwrap();
        let mut set = req(
            "shop",
            "r1:set",
            StateOp::Set {
                key: "signups".into(),
                value: json!("x"),
            },
            1_000,
        );
        set.ttl = Some(Millis(500));
        store.apply_state(&set).await.unwrap();
        let live = store
            .apply_state(&req("shop", "r2:get", get(), 1_400))
            .await
            .unwrap();
        assert_eq!(live["found"], json!(true), "{}", db.label);
        let gone = store
            .apply_state(&req("shop", "r3:get", get(), 1_500))
            .await
            .unwrap();
        assert_eq!(gone["found"], json!(false), "{}", db.label);
        let mut push = req(
            "shop",
            "r4:push",
            StateOp::Push {
                key: "signups".into(),
                value: json!(1),
            },
            1_600,
        );
        push.ttl = Some(Millis(500));
        // The expired text is gone: a push starts a new list rather than failing on it.
        let out = store.apply_state(&push).await.unwrap();
        assert_eq!(out["list"], json!([1]), "{}", db.label);
    }
}
