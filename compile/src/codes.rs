//! The diagnostic codes `claw compile` reports, each documented in the compile section of
//! docs/diagnostics.md.

claw_language::diagnostic_codes! {
    /// Part of the observability layer has no Prometheus counterpart.
    UNTRANSLATABLE = "claw::compile::untranslatable", Warning,
        "an alert condition or SLO cannot be written as PromQL over the runtime's metrics (a `!`, arithmetic, `running`, a name outside the naming rule), so it is left out of the rules",
        "write the condition as comparisons of figures with numbers joined by && and ||, or keep that alert in claw's own alerting (claw run)";
    /// The output folder cannot be written.
    WRITE = "claw::compile::write", Error,
        "a generated file cannot be written to the output folder",
        "check that -o names a writable folder";
}
