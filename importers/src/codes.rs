//! Diagnostic codes the importers share (documented in docs/diagnostics.md, importer section).
//! Each importer has its own registry for the rest: `zapier::codes`, `crontab::codes`,
//! `sheet::codes`.

claw_language::diagnostic_codes! {
    /// An input file or folder could not be read (exit 2, nothing written).
    IO = "claw::import::io", Error,
        "An input file or folder could not be read (exit 2, nothing written).",
        "check the path and its permissions";
    /// The generated systems could not be written (or a generated system does not compile);
    /// nothing was written.
    OUTPUT = "claw::import::output", Error,
        "The generated systems could not be written to the output folder, or one of them does not compile; nothing was written (all or nothing).",
        "check that the output folder is writable, then import again";
}
