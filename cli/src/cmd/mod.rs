//! One module per subcommand (or group of subcommands).
pub mod check;
pub mod cron;
pub mod fmt;
pub mod graph;
pub mod import;
pub mod review;
pub mod runtime;
pub mod schema;
pub mod shadow;
