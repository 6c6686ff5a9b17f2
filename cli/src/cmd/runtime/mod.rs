//! Runtime commands: run, fire, replay, backfill and inspection.
pub mod backfill;
mod common;
pub mod dlq;
pub mod events;
pub mod fire;
pub mod replay;
pub mod run;
pub mod runs;
pub mod status;
pub mod table;
