//! External command-line tools some tests run (`promtool`, `amtool`), found the same way by
//! every test. Where one is missing the test does not run: it says so and appends a line to
//! `CLAW_SKIP_LOG` ([`crate::shared::record_skip`]); with `CLAW_REQUIRE_TOOLS=1` (the README's
//! test command sets it after installing them) a missing tool fails the test instead.

use std::path::PathBuf;

/// The path of `name` on `PATH`, or `None` after recording that `test` did not run. Panics
/// when `CLAW_REQUIRE_TOOLS=1`. `package` names the Debian package that ships the tool.
pub fn tool(name: &str, package: &str, test: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    if found.is_some() {
        return found;
    }
    let note = format!("{test}: NOT RUN: `{name}` is not on PATH (Debian package `{package}`)");
    if crate::shared::required("CLAW_REQUIRE_TOOLS") {
        panic!("{note}; CLAW_REQUIRE_TOOLS=1 makes a missing tool a failure");
    }
    crate::shared::record_skip(&note);
    None
}
