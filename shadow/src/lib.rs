//! Shadow mode: compare what a legacy setup did with what an imported system
//! would have done, and gate the cutover on it.
//!
//! Inputs are reduced to [`model::Outcome`]s by the parsers ([`zapier`],
//! [`cron_log`], [`outcome_log`], the [`store`]'s wrap records); the pure core
//! (crate `claw-compare`, re-exported here as [`correlate`], [`diff`], [`noise`],
//! [`compare`] and [`model`]) only sees outcomes;
//! [`report`] and [`html`] present the result. [`wrap`] and [`mirror`] collect
//! legacy behaviour while it keeps running; [`live`] runs each mirrored request
//! through the record-only runtime as it arrives ([`simulate`]), and [`mirrored`]
//! turns what it recorded into shadow runs for a comparison.

pub mod bind;
pub mod commands;
pub mod cron_log;
pub mod error;
pub mod html;
pub mod live;
pub mod mirror;
pub mod mirrored;
pub mod outcome_log;
pub mod report;
pub mod simulate;
pub mod store;
pub mod wrap;
pub mod zapier;

pub use claw_compare::{compare, correlate, diff, model, noise};
pub use error::ShadowError;

/// A tokio runtime for the store and the mirror (the cli is synchronous).
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}
