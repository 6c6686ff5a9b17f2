//! One library call per `claw shadow` subcommand: the cli parses the arguments into a
//! request, calls the function here and prints what it returns.
//!
//! The cli is synchronous; each call starts the async runtime its I/O needs (the store,
//! the record-only runtime, the HTTP server) and stops it before returning.

pub mod compare;
pub mod history;
pub mod serve;
pub mod wrap;

use crate::error::ShadowError;
use claw_language::model::System;
use std::path::Path;

/// Reads and checks a `.claw` system; refuses one that does not compile.
pub fn valid_system(path: &Path) -> Result<System, ShadowError> {
    let (_, checked) =
        claw_language::check::check_file(path).map_err(|source| ShadowError::SystemUnreadable {
            path: path.to_path_buf(),
            source,
        })?;
    match checked.valid_system() {
        Some(s) => Ok(s.clone()),
        None => Err(ShadowError::InvalidSystem {
            path: path.to_path_buf(),
            first_error: checked
                .diagnostics
                .iter()
                .find(|d| d.is_error())
                .map(|d| d.message.clone())
                .unwrap_or_else(|| "does not parse".into()),
        }),
    }
}
