//! A runtime's lifecycle around its runs: resuming unfinished runs at start, counting
//! runs in flight, waiting on durable timers, and draining (stop taking work, let
//! in-flight attempts reach a durable point).

use super::{EngineError, Inner, Mode, Runtime, ms};
use crate::time::UnixMillis;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Counts a run task in flight, and registers its run as driven, for as long as it lives;
/// the last one out wakes drains.
pub(super) struct InflightGuard {
    inner: Arc<Inner>,
    run_id: String,
}

impl InflightGuard {
    pub(super) fn new(inner: &Arc<Inner>, run_id: &str) -> InflightGuard {
        inner.inflight.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut d) = inner.driving.lock() {
            d.insert(run_id.to_string());
        }
        InflightGuard {
            inner: inner.clone(),
            run_id: run_id.to_string(),
        }
    }
}

impl Drop for InflightGuard {
    fn drop(&mut self) {
        if let Ok(mut d) = self.inner.driving.lock() {
            d.remove(&self.run_id);
        }
        if self.inner.inflight.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.inner.idle.notify_waiters();
        }
    }
}

/// Registers a run id as driven from before its acceptance is committed, so the watchdog
/// never sees it committed and undriven; dropped without [`Registration::handed_over`]
/// (a duplicate, an error) it unregisters the id.
pub(super) struct Registration {
    inner: Arc<Inner>,
    run_id: Option<String>,
}

impl Registration {
    pub(super) fn new(inner: &Arc<Inner>, run_id: &str) -> Registration {
        if let Ok(mut d) = inner.driving.lock() {
            d.insert(run_id.to_string());
        }
        Registration {
            inner: inner.clone(),
            run_id: Some(run_id.to_string()),
        }
    }

    /// The run is fresh: its driver's [`InflightGuard`] unregisters it when done.
    pub(super) fn handed_over(mut self) {
        self.run_id = None;
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let (Some(id), Ok(mut d)) = (self.run_id.take(), self.inner.driving.lock()) {
            d.remove(&id);
        }
    }
}

/// How a wait ended.
pub(super) enum Waited {
    Elapsed,
    Draining,
}

impl Runtime {
    /// Resumes every accepted run that has not finished (after a restart). Returns how
    /// many were resumed.
    pub async fn resume(&self) -> Result<usize, EngineError> {
        let runs = self.inner.store.unfinished_runs().await?;
        let mut n = 0;
        for r in runs {
            if self.inner.systems.contains_key(&r.system) {
                tracing::info!(run_id = %r.id, system = %r.system, "resuming run");
                self.spawn_run(r.id, None);
                n += 1;
            }
        }
        self.refresh_dlq_gauge().await;
        Ok(n)
    }

    pub(super) async fn refresh_dlq_gauge(&self) {
        if let Ok(d) = self.inner.store.dead_letters(Some("open")).await {
            self.inner
                .metrics
                .set_dead_letters(d.iter().map(|x| x.system.as_str()));
        }
    }

    /// Stops taking work and waits up to `grace` for in-flight runs to reach a durable
    /// point (runs waiting on timers stop at once; they resume on restart). `Ok(true)`: a
    /// clean drain, nothing left in flight and every write committed; `Ok(false)`: runs
    /// were still in flight at the deadline; an error: the last writes could not be
    /// committed, so the drain is not clean whatever ran.
    pub async fn drain(&self, grace: Duration) -> Result<bool, EngineError> {
        self.inner.draining.send_replace(true);
        let idle = self.wait_idle(tokio::time::Instant::now() + grace).await;
        self.inner.store.flush().await?;
        // A run may have finished between the deadline and the flush.
        Ok(idle || self.inner.inflight.load(Ordering::SeqCst) == 0)
    }

    /// Waits up to `timeout` until no run is in progress, without stopping intake, then
    /// until every write is committed. `Ok(false)`: runs were still in progress.
    pub async fn drain_idle(&self, timeout: Duration) -> Result<bool, EngineError> {
        if !self.wait_idle(tokio::time::Instant::now() + timeout).await {
            return Ok(false);
        }
        self.inner.store.flush().await?;
        Ok(true)
    }

    /// Waits until no run is in progress or `deadline` passes; whether none is.
    async fn wait_idle(&self, deadline: tokio::time::Instant) -> bool {
        loop {
            // Registered before the check, so that a run ending in between still wakes us.
            let idle = self.inner.idle.notified();
            if self.inner.inflight.load(Ordering::SeqCst) == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                return false;
            }
        }
    }

    /// Whether a task of this process drives the run (or is about to start one).
    pub fn is_driving(&self, run_id: &str) -> bool {
        self.inner
            .driving
            .lock()
            .map(|d| d.contains(run_id))
            .unwrap_or(false)
    }

    /// Starts a task driving an unfinished run no task drives (the watchdog's remedy for a
    /// lost driver). Returns false, starting nothing, when one already does or the runtime
    /// is draining.
    pub fn redrive(&self, run_id: &str) -> bool {
        if self.is_draining() || self.is_driving(run_id) {
            return false;
        }
        self.spawn_run(run_id.to_string(), None);
        true
    }

    /// Runs in progress in this process.
    pub fn inflight(&self) -> usize {
        self.inner.inflight.load(Ordering::SeqCst)
    }

    pub(super) async fn wait_until(&self, due: UnixMillis) -> Waited {
        if self.inner.mode == Mode::RecordOnly {
            return Waited::Elapsed;
        }
        let now = ms(self.inner.clock.now());
        let d = Duration::from_millis((due - now).0.max(0) as u64);
        let mut rx = self.inner.draining.subscribe();
        if *rx.borrow() {
            return Waited::Draining;
        }
        tokio::select! {
            _ = tokio::time::sleep(d) => Waited::Elapsed,
            _ = rx.changed() => Waited::Draining,
        }
    }
}
