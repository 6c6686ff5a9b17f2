//! The `.claw` language.
pub mod cron;
