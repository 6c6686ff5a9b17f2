//! Shadow mode: compare what a legacy setup did with what an imported system
//! would have done, and gate the cutover on it.
//!
//! Inputs are reduced to [`model::Outcome`]s by the parsers ([`zapier`],
//! [`cron_log`], [`outcome_log`], the [`store`]'s wrap records); the pure core
//! (crate `claw-compare`, re-exported here as [`correlate`], [`diff`], [`noise`],
//! [`compare`] and [`model`]) only sees outcomes; [`report`] and [`html`] present
//! the result. [`wrap`] measures legacy cron commands and [`proxy`] forwards live
//! webhooks to the legacy endpoint while it keeps running; [`live`] runs each
//! forwarded request through the record-only runtime as it arrives ([`simulate`]),
//! and [`mirrored_runs`] turns what it recorded into shadow runs for a comparison.
//! [`commands`] holds one call per `claw shadow` subcommand; the cli only wires them.
//! Every diagnostic code this crate reports is declared in [`codes`].

pub mod bind;
pub mod codes;
pub mod commands;
pub mod cron_log;
pub mod error;
pub mod html;
pub mod live;
pub mod mirrored_runs;
pub mod outcome_log;
pub mod proxy;
pub mod report;
pub mod simulate;
pub mod store;
pub mod wrap;
pub mod zapier;

pub use claw_compare::{compare, correlate, diff, model, noise};
pub use error::ShadowError;

/// A single-threaded tokio runtime for the store and the record-only runtime: the cli
/// is synchronous and each command needs async I/O only for the duration of one call.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}
