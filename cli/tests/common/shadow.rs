//! Helpers for the `claw shadow` tests through the real binary: the samples under
//! `samples/shadow/` and the `claw shadow` command. Included with
//! `#[path = "common/shadow.rs"] mod shadow;`.
#![allow(dead_code)]

use std::path::PathBuf;

/// The workspace root (the parent of the cli crate).
pub fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// A file under `samples/shadow/`, as an argument.
pub fn sample(p: &str) -> String {
    root().join("samples/shadow").join(p).display().to_string()
}

/// `claw shadow SUBCOMMAND ARGS`, for the caller to add to (options, stdin, working folder) and run.
pub fn shadow(subcommand: &str, args: &[&str]) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("claw").unwrap();
    c.args(["shadow", subcommand]).args(args);
    c
}
