//! Diagnostic codes the importers share (documented in docs/diagnostics.md, importer section).
//! Each importer has its own registry for the rest: `zapier::codes`, `crontab::codes`,
//! `sheet::codes`.

claw_language::diagnostic_codes! {
    /// An input file or folder could not be read (exit 2, nothing written).
    IO = "claw::import::io", Error,
        "An input file or folder could not be read (exit 2, nothing written).",
        "check the path and its permissions";
}
