//! The store's schema on SQLite and PostgreSQL: the migrations apply on a fresh database
//! and again on one already migrated.

mod common;

use claw_runtime::SqlStore;

#[tokio::test]
async fn the_unread_timers_table_is_dropped_by_a_migration() {
    for db in common::databases().await {
        // Twice: the second connect finds every migration applied.
        drop(SqlStore::connect(&db.url).await.unwrap());
        drop(SqlStore::connect(&db.url).await.unwrap());
        let tables: Vec<String> = if db.label == "sqlite" {
            let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
                .fetch_all(&pool)
                .await
                .unwrap()
        } else {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
            )
            .fetch_all(&pool)
            .await
            .unwrap()
        };
        assert!(
            tables.iter().any(|t| t == "runs"),
            "{}: {tables:?}",
            db.label
        );
        assert!(
            !tables.iter().any(|t| t == "timers"),
            "{}: {tables:?}",
            db.label
        );
    }
}
