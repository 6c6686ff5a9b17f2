//! One module per subcommand (or group of subcommands), and [`claw_files`], the listing of
//! `.claw` files that the commands taking files and folders share.
pub mod check;
pub mod compile;
pub mod cron;
pub mod fmt;
pub mod graph;
pub mod import;
pub mod review;
pub mod runtime;
pub mod schema;
pub mod shadow;

/// The `.claw` files in `paths` (folders searched recursively); when they cannot be listed, says
/// why on stderr and gives the usage exit code instead.
pub fn claw_files(
    paths: &[std::path::PathBuf],
) -> Result<Vec<std::path::PathBuf>, std::process::ExitCode> {
    claw_language::files::collect_claw_files(paths).map_err(|e| {
        eprintln!("error[{}]: {e}", claw_language::codes::IO.id);
        crate::output::exit::usage()
    })
}
