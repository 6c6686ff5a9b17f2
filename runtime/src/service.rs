//! The runtime as a long-running service (`claw run`): a runtime over a store, its trigger
//! sources (schedules, polls, queues), alerts, retention, the watchdog, WAL truncation and
//! the HTTP server, started together and stopped together with a drain.

mod lock;

pub use lock::{Holder, LockError, PG_PING_EVERY, WriterLock};

use crate::alerts::Alerts;
use crate::engine::EngineError;
use crate::plan::LoadedSystem;
use crate::scheduler::{ScheduleError, Scheduler};
use crate::secrets::{Secrets, SecretsFileError};
use crate::store::{SqlStore, StoreError};
use crate::triggers::TriggerError;
use crate::triggers::poll::Poller;
use crate::triggers::queue::QueueConsumer;
use crate::{Mode, Runtime};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Why a service did not start or stopped badly. The message names what failed; the
/// cause is its [`std::error::Error::source`] (printed after it by the cli).
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The database could not be opened or migrated.
    #[error("cannot open {url}")]
    Store {
        /// The database URL, password hidden.
        url: String,
        /// What the store said.
        source: StoreError,
    },
    /// Another `claw run` holds the database, or its lock could not be taken.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The secrets file could not be read.
    #[error(transparent)]
    Secrets(#[from] SecretsFileError),
    /// Building the runtime or resuming its runs failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A schedule trigger is invalid.
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    /// A poll or queue trigger is invalid.
    #[error(transparent)]
    Trigger(#[from] TriggerError),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}")]
    Listen {
        /// The address asked for.
        addr: SocketAddr,
        /// What the system said.
        source: std::io::Error,
    },
    /// The HTTP server failed while serving.
    #[error("the HTTP server failed")]
    Server(#[source] std::io::Error),
}

/// What a service runs and how (the options of `claw run`).
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    /// Database URL (`sqlite://FILE` or `postgres://…`).
    pub db_url: String,
    /// Address for webhooks, `/metrics`, `/healthz` and the admin endpoint.
    pub listen: SocketAddr,
    /// Record what every adapter would do instead of doing it.
    pub dry_run: bool,
    /// File of `NAME=value` lines for `secret://` references (the environment wins);
    /// `None`: the environment only.
    pub secrets_file: Option<PathBuf>,
    /// Largest webhook body in bytes.
    pub body_limit: usize,
    /// Window the SLO figures behind alerts are computed over.
    pub slo_window: Duration,
    /// Time between alert evaluations.
    pub alert_interval: Duration,
    /// Where `pagerduty://` alert routes send their events.
    pub pagerduty_url: String,
}

/// How a service stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    /// Every in-flight run reached a durable point within the grace period.
    pub clean: bool,
    /// Runs still in flight when the grace period ended (they resume on the next start).
    pub left: usize,
}

/// Time between WAL truncations.
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(60);

/// Truncates the SQLite WAL every [`CHECKPOINT_EVERY`] (the automatic checkpoints copy the
/// WAL into the database but only a truncation gives the disk back), until the drain.
async fn checkpoints(rt: Runtime) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        if rt.is_draining() {
            return;
        }
        if let Err(e) = rt.store().checkpoint().await {
            tracing::warn!(error = %e, "WAL checkpoint failed; trying again later");
        }
    }
}

/// A running service: started by [`Service::start`], stopped by [`Service::shutdown`].
pub struct Service {
    runtime: Runtime,
    lock: WriterLock,
    addr: SocketAddr,
    resumed: usize,
    background: Vec<JoinHandle<()>>,
    server: JoinHandle<std::io::Result<()>>,
    stop: Option<oneshot::Sender<()>>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("addr", &self.addr)
            .field("resumed", &self.resumed)
            .finish()
    }
}

impl Service {
    /// Opens the store, builds the runtime over `systems`, resumes every unfinished run,
    /// binds the listen address and starts serving: schedules, polls, queues, alerts,
    /// retention and HTTP. Returns once the server accepts connections.
    pub async fn start(
        opts: ServiceOptions,
        systems: Vec<LoadedSystem>,
    ) -> Result<Service, ServiceError> {
        crate::install_crypto();
        let store =
            SqlStore::connect(&opts.db_url)
                .await
                .map_err(|source| ServiceError::Store {
                    url: crate::store::redact(&opts.db_url),
                    source,
                })?;
        // Before resuming anything: a second runtime must not drive the same runs.
        let lock = WriterLock::acquire(&opts.db_url).await?;
        let secrets = match &opts.secrets_file {
            Some(p) => Secrets::with_file(p)?,
            None => Secrets::from_env(),
        };
        let mode = if opts.dry_run {
            Mode::RecordOnly
        } else {
            Mode::Live
        };
        let names: Vec<String> = systems.iter().map(|s| s.name().to_string()).collect();
        let mut b = Runtime::builder(Arc::new(store))
            .secrets(secrets)
            .mode(mode);
        for s in systems {
            b = b.system(s);
        }
        let rt = b.build().await?;
        let scheduler = Scheduler::new(rt.clone())?;
        let poller = Poller::new(rt.clone())?;
        let consumer = QueueConsumer::new(rt.clone())?;
        let alerts = Alerts::new(rt.clone(), opts.slo_window, opts.alert_interval)
            .with_pagerduty_url(opts.pagerduty_url.clone());
        let resumed = rt.resume().await?;
        let listener = tokio::net::TcpListener::bind(opts.listen)
            .await
            .map_err(|source| ServiceError::Listen {
                addr: opts.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(ServiceError::Server)?;
        tracing::info!(%addr, systems = ?names, resumed, dry_run = opts.dry_run, "claw run is serving");
        let background = vec![
            tokio::spawn(scheduler.run()),
            tokio::spawn(poller.run()),
            tokio::spawn(consumer.run()),
            tokio::spawn(alerts.run()),
            tokio::spawn(crate::retention::run(rt.clone())),
            tokio::spawn(crate::watchdog::Watchdog::new(rt.clone()).run()),
            tokio::spawn(checkpoints(rt.clone())),
        ];
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(crate::server::serve(
            listener,
            rt.clone(),
            opts.body_limit,
            async move {
                let _ = stopped.await;
            },
        ));
        Ok(Service {
            runtime: rt,
            lock,
            addr,
            resumed,
            background,
            server,
            stop: Some(stop),
        })
    }

    /// The address the server listens on (the port is known here when 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many unfinished runs were resumed at start.
    pub fn resumed(&self) -> usize {
        self.resumed
    }

    /// The runtime the service drives.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// Waits until the HTTP server stops by itself, which it does only on failure, or the
    /// database is lost to another runtime ([`WriterLock::lost`]); a caller selects it
    /// against its shutdown signal, then calls [`Service::shutdown`].
    pub async fn wait(&mut self) -> Result<(), ServiceError> {
        let served = tokio::select! {
            served = &mut self.server => served,
            lost = self.lock.lost() => return Err(ServiceError::Lock(lost)),
        };
        match served {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(ServiceError::Server(e)),
            Err(e) => Err(ServiceError::Server(std::io::Error::other(e))),
        }
    }

    /// Stops taking work: the server stops accepting and finishes open requests, the
    /// trigger sources, alerts and retention stop, and in-flight attempts get `grace` to
    /// reach a durable point (waiting runs resume on the next start).
    pub async fn shutdown(mut self, grace: Duration) -> Result<Stopped, ServiceError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let served = if self.server.is_finished() {
            Ok(())
        } else {
            self.wait().await
        };
        tracing::info!("draining");
        for task in &self.background {
            task.abort();
        }
        let drained = self.runtime.drain(grace).await;
        let left = self.runtime.inflight();
        match &drained {
            Ok(clean) => tracing::info!(clean, left, "stopped"),
            Err(e) => {
                tracing::error!(left, error = %e, "stopped; the last writes were not committed")
            }
        }
        self.lock.release().await;
        served?;
        Ok(Stopped {
            clean: drained?,
            left,
        })
    }
}
