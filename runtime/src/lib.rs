//! claw-runtime: the embedded runtime behind `claw run`.
//!
//! * [`store`]: the durable event log and run index ([`store::EventStore`], over sqlx:
//!   SQLite by default, PostgreSQL at scale), with group commit.
//! * [`engine`]: accepts triggers and drives runs as state machines rebuilt from events;
//!   also the record-only mode shadow mode uses ([`engine::Runtime::record_only`],
//!   [`engine::Runtime::simulate`]).
//! * [`scheduler`]: crontab triggers with catch-up.
//! * [`adapters`]: the [`adapters::Adapter`] plug-in trait and the built-in adapters.
//! * [`sandbox`]: the JavaScript sandbox for policies and `code.js`; `.ts` policies are
//!   stripped of their types first (`typescript`, behind the default feature of that name).
//! * [`python`]: the sandboxed `python3` subprocess behind `code.python` steps.
//! * [`server`]: webhooks, admin, metrics and health over axum.
//! * [`triggers`]: poll and queue triggers.
//! * [`slo`] and [`alerts`]: SLO figures from run statistics the store keeps, alerts once per breach.
//! * [`retention`]: pruning of the log past `data.events.retention`.
//! * [`watchdog`]: unfinished runs without progress are logged, counted and driven again.
//! * [`service`]: all of the above started and stopped together (`claw run`).
//! * [`ops`]: what the other runtime commands do (backfill, replay, status, DLQ retry).
//! * [`codes`]: the diagnostic codes the runtime reports.
//! * [`time`]: [`UnixMillis`] and [`Millis`], the store's instants and spans.
//!
//! The store, scheduler and adapter boundaries are where other backends (Temporal,
//! NATS JetStream) plug in.

pub mod adapters;
pub mod alerts;
pub mod codes;
pub mod engine;
pub mod metrics;
pub mod ops;
pub mod plan;
pub mod python;
pub mod retention;
pub mod sandbox;
pub mod scheduler;
pub mod secrets;
pub mod server;
pub mod service;
pub mod slo;
pub mod store;
pub mod time;
pub mod triggers;
#[cfg(feature = "typescript")]
pub mod typescript;
pub mod watchdog;
pub mod webhook_body;

pub use engine::{Mode, Runtime, Simulation, StartOptions};
pub use plan::{LoadError, LoadedSystem};
pub use store::{EventStore, SqlStore};
pub use time::{Millis, UnixMillis};

/// Installs the ring crypto provider for rustls once per process (reqwest is built
/// without a default provider to avoid aws-lc-sys). Safe to call many times.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
