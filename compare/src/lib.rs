//! The shadow comparison core: pairs legacy runs with shadow runs, diffs each pair, judges
//! which differences are noise, classifies and tallies, and gates the cutover on parity.
//!
//! Everything here is a pure function of normalised [`model::Outcome`]s: no file, clock,
//! database, network or async runtime. Parsers, the record-only runtime, the store and the
//! report live in `claw-shadow`, which depends on this crate.
//!
//! Data flows one way: [`correlate`] pairs runs, [`diff`] lists differing fields of a pair,
//! [`noise`] judges them, and [`compare`] ties the three together and tallies the classes.

pub mod compare;
pub mod correlate;
pub mod diff;
pub mod model;
pub mod noise;

#[cfg(test)]
mod testing;
