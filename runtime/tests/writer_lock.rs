//! The writer lock of `claw run` on real databases: a second take is refused naming this
//! process, a released or dropped lock can be taken again, and a private in-memory database
//! takes none. (Two real processes: cli/tests/runtime_one_writer.rs.)

use claw_runtime::service::{LockError, WriterLock};
use claw_runtime::store::SqlStore;

fn assert_held_by_me(err: LockError, label: &str) {
    let text = err.to_string();
    match err {
        LockError::Held {
            holder: Some(h), ..
        } => {
            assert_eq!(h.pid, std::process::id(), "{label}: {text}");
            assert!(!h.host.is_empty(), "{label}: {text}");
            let age = chrono::Utc::now().timestamp_millis() - h.started_at.0;
            assert!(
                (0..60_000).contains(&age),
                "{label}: started_at {age} ms ago"
            );
            assert!(
                text.contains(&format!("pid {}", std::process::id())),
                "{label}: {text}"
            );
        }
        other => panic!("{label}: expected the lock held by this process, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_take_is_refused_and_a_released_lock_is_free_again() {
    for db in claw_testkit::db::databases().await {
        let l = db.label;
        // The holder row needs the schema, as in the service (which connects first).
        let _store = SqlStore::connect(&db.url).await.unwrap();
        let first = WriterLock::acquire(&db.url).await.unwrap();
        assert_held_by_me(WriterLock::acquire(&db.url).await.unwrap_err(), l);
        first.release().await;
        let second = WriterLock::acquire(&db.url).await.unwrap();
        assert_held_by_me(WriterLock::acquire(&db.url).await.unwrap_err(), l);
        drop(second);
        // Dropping unlocks too (on PostgreSQL once the keeper has closed its connection).
        let mut third = None;
        for _ in 0..100 {
            if let Ok(lock) = WriterLock::acquire(&db.url).await {
                third = Some(lock);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(third.is_some(), "{l}: a dropped lock is free again");
    }
}

#[tokio::test]
async fn a_private_in_memory_database_takes_no_lock() {
    let a = WriterLock::acquire("sqlite::memory:").await;
    let b = WriterLock::acquire("sqlite::memory:").await;
    assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_lock_taken_over_after_its_connection_died_is_reported_lost() {
    use sqlx::Connection;
    let Some(db) = claw_testkit::db::postgres().await else {
        return;
    };
    let _store = SqlStore::connect(&db.url).await.unwrap();
    let mut first = WriterLock::acquire(&db.url).await.unwrap();
    // Kill the session holding the lock, as a server restart or a network cut would.
    let mut admin = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let killed: bool = sqlx::query_scalar(
        "SELECT pg_terminate_backend(backend_pid::int) FROM runtime_holder WHERE id = 1",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert!(killed, "the lock's session was terminated");
    // Another runtime takes the database before the first one notices.
    let mut second = None;
    for _ in 0..100 {
        if let Ok(lock) = WriterLock::acquire(&db.url).await {
            second = Some(lock);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(second.is_some(), "the lock was free once its session died");
    let lost = tokio::time::timeout(claw_runtime::service::PG_PING_EVERY * 3, first.lost())
        .await
        .expect("the first lock reports that it is lost");
    assert_held_by_me(lost, "postgres");
}
