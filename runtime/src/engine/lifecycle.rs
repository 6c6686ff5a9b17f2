//! A runtime's lifecycle around its runs: resuming unfinished runs at start, counting
//! runs in flight, waiting on durable timers, and draining (stop taking work, let
//! in-flight attempts reach a durable point).

use super::{EngineError, Inner, Mode, Runtime, ms};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Counts a run task in flight for as long as it lives; the last one out wakes drains.
pub(super) struct InflightGuard(pub(super) Arc<Inner>);

impl Drop for InflightGuard {
    fn drop(&mut self) {
        if self.0.inflight.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
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
            self.inner.metrics.dlq_depth.set(d.len() as i64);
        }
    }

    /// Stops taking work and waits up to `grace` for in-flight runs to reach a durable
    /// point (runs waiting on timers stop at once; they resume on restart).
    pub async fn drain(&self, grace: Duration) -> bool {
        self.inner.draining.send_replace(true);
        let deadline = tokio::time::Instant::now() + grace;
        loop {
            let idle = self.inner.idle.notified();
            if self.inner.inflight.load(Ordering::SeqCst) == 0 {
                let _ = self.inner.store.flush().await;
                return true;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                let _ = self.inner.store.flush().await;
                return self.inner.inflight.load(Ordering::SeqCst) == 0;
            }
        }
    }

    /// Waits up to `timeout` until no run is in progress, without stopping intake.
    pub async fn drain_idle(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let idle = self.inner.idle.notified();
            if self.inner.inflight.load(Ordering::SeqCst) == 0 {
                let _ = self.inner.store.flush().await;
                return true;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                return false;
            }
        }
    }

    /// Runs in progress in this process.
    pub fn inflight(&self) -> usize {
        self.inner.inflight.load(Ordering::SeqCst)
    }

    pub(super) async fn wait_until(&self, due_ms: i64) -> Waited {
        if self.inner.mode == Mode::RecordOnly {
            return Waited::Elapsed;
        }
        let now = ms(self.inner.clock.now());
        let d = Duration::from_millis((due_ms - now).max(0) as u64);
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
