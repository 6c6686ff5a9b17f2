//! Databases for tests: a SQLite file always, and a fresh PostgreSQL database of its own
//! when CLAW_TEST_POSTGRES_URL is set (scripts/test-servers.sh sets it).

/// A database for one test run of the binary, passed as `--db URL`.
pub struct TestDb {
    /// What `--db` takes.
    pub url: String,
    /// "sqlite" or "postgres", for assertion messages.
    pub label: &'static str,
    /// Keeps the SQLite file's folder alive for the test.
    _dir: Option<tempfile::TempDir>,
}

/// A fresh SQLite file in its own temporary folder.
pub fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("claw.db").display());
    TestDb {
        url,
        label: "sqlite",
        _dir: Some(dir),
    }
}

/// A fresh PostgreSQL database `claw_t_<uuid>`, or None when CLAW_TEST_POSTGRES_URL is unset
/// (recorded as not run; a failure under `CLAW_REQUIRE_POSTGRES=1`).
pub async fn postgres() -> Option<TestDb> {
    let Ok(base) = std::env::var("CLAW_TEST_POSTGRES_URL") else {
        let note = "PostgreSQL variant NOT RUN: CLAW_TEST_POSTGRES_URL is not set \
                    (scripts/test-servers.sh sets it)";
        if crate::shared::required("CLAW_REQUIRE_POSTGRES") {
            panic!("{note}; CLAW_REQUIRE_POSTGRES=1 makes a missing database a failure");
        }
        // Tests run on threads named after them, so the note says which test lost its variant.
        let test = std::thread::current()
            .name()
            .unwrap_or("a test")
            .to_string();
        crate::shared::record_skip(&format!("{test}: {note}"));
        return None;
    };
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(&base)
        .await
        .expect("connect to the test PostgreSQL (CLAW_TEST_POSTGRES_URL)");
    let name = format!("claw_t_{}", uuid::Uuid::now_v7().simple());
    // The name is ours (hex digits only), so formatting it into the statement is safe.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut c)
        .await
        .expect("create the test database");
    let _ = c.close().await;
    Some(TestDb {
        url: with_database(&base, &name),
        label: "postgres",
        _dir: None,
    })
}

/// `base` with its database name replaced by `name`, keeping any `?query`.
fn with_database(base: &str, name: &str) -> String {
    let (head, query) = match base.find('?') {
        Some(q) => base.split_at(q),
        None => (base, ""),
    };
    let authority_start = head.find("://").map(|i| i + 3).unwrap_or(0);
    let head = match head[authority_start..].find('/') {
        Some(slash) => &head[..authority_start + slash],
        None => head,
    };
    format!("{head}/{name}{query}")
}

/// Every database the suite runs against: SQLite, then PostgreSQL when configured.
pub async fn databases() -> Vec<TestDb> {
    let mut v = vec![sqlite()];
    if let Some(p) = postgres().await {
        v.push(p);
    }
    v
}

/// [`databases`] for synchronous tests (not callable from inside a tokio runtime).
pub fn databases_blocking() -> Vec<TestDb> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(databases())
}

#[cfg(test)]
#[test]
fn database_name_is_replaced_and_query_kept() {
    assert_eq!(
        with_database("postgres://u@127.0.0.1:5432/postgres", "x"),
        "postgres://u@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("postgres://u@h:1/db?sslmode=disable", "x"),
        "postgres://u@h:1/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://u@h:1", "x"), "postgres://u@h:1/x");
}
