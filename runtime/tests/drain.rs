//! Draining reports a store that cannot commit its last writes instead of a clean drain.

mod common;

use claw_runtime::store::{
    Accepted, DeadLetterRecord, EventRecord, QueueMessage, RunFilter, RunRecord, StoreError, Write,
};
use claw_runtime::{EventStore, LoadedSystem, Runtime, SqlStore, UnixMillis};
use std::sync::Arc;
use std::time::Duration;

/// A real SQLite store whose `flush` fails, as when its writer is gone.
struct UnflushableStore(SqlStore);

#[async_trait::async_trait]
impl EventStore for UnflushableStore {
    async fn commit(&self, ops: Vec<Write>) -> Result<Vec<Accepted>, StoreError> {
        self.0.commit(ops).await
    }
    async fn run(&self, id: &str) -> Result<Option<RunRecord>, StoreError> {
        self.0.run(id).await
    }
    async fn runs(&self, filter: &RunFilter) -> Result<Vec<RunRecord>, StoreError> {
        self.0.runs(filter).await
    }
    async fn unfinished_runs(&self) -> Result<Vec<RunRecord>, StoreError> {
        self.0.unfinished_runs().await
    }
    async fn events(&self, run_id: &str) -> Result<Vec<EventRecord>, StoreError> {
        self.0.events(run_id).await
    }
    async fn dead_letters(&self, state: Option<&str>) -> Result<Vec<DeadLetterRecord>, StoreError> {
        self.0.dead_letters(state).await
    }
    async fn set_dead_letter_state(
        &self,
        id: i64,
        from: &str,
        to: &str,
    ) -> Result<bool, StoreError> {
        self.0.set_dead_letter_state(id, from, to).await
    }
    async fn queue_messages(&self, queue: &str) -> Result<Vec<QueueMessage>, StoreError> {
        self.0.queue_messages(queue).await
    }
    async fn schedule_mark(&self, system: &str, trigger: &str) -> Result<Option<i64>, StoreError> {
        self.0.schedule_mark(system, trigger).await
    }
    async fn take_queue_slot(
        &self,
        scope: &str,
        queue: &str,
        now: claw_runtime::UnixMillis,
        spacing: claw_runtime::Millis,
    ) -> Result<claw_runtime::UnixMillis, StoreError> {
        self.0.take_queue_slot(scope, queue, now, spacing).await
    }
    async fn save_source(
        &self,
        system: &str,
        path: &str,
        source: &str,
        at: UnixMillis,
    ) -> Result<(), StoreError> {
        self.0.save_source(system, path, source, at).await
    }
    async fn latest_source(&self, system: &str) -> Result<Option<(String, String)>, StoreError> {
        self.0.latest_source(system).await
    }
    async fn prune(&self, system: &str, before: UnixMillis) -> Result<u64, StoreError> {
        self.0.prune(system, before).await
    }
    async fn flush(&self) -> Result<(), StoreError> {
        Err(StoreError::WriterGone)
    }
}

const LOGGED: &str = claw_testkit::with_tail!(
    r#"system: logged
version: 1.0.0
triggers:
  - event:
      source: webhook
decisions: []
execution:
  - note:
      on: event
      action: log.info
      with:
        message: "seen"
"#,
    r#"  slo:
    error_rate: <1%
  alerts:
    - on: error_rate > 1%
      route: log://alerts
"#
);

#[tokio::test]
async fn a_drain_whose_last_writes_fail_is_not_reported_clean() {
    let db = common::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let path = common::write_system(dir.path(), "logged", LOGGED);
    let store = UnflushableStore(SqlStore::connect(&db.url).await.unwrap());
    let rt = Runtime::builder(Arc::new(store))
        .system(LoadedSystem::load(&path).unwrap())
        .build()
        .await
        .unwrap();
    let drained = rt.drain(Duration::from_secs(1)).await;
    assert!(
        matches!(
            drained,
            Err(claw_runtime::engine::EngineError::Store(
                StoreError::WriterGone
            ))
        ),
        "{drained:?}"
    );
    let idle = rt.drain_idle(Duration::from_secs(1)).await;
    assert!(idle.is_err(), "{idle:?}");
}
