//! The `.claw` language: model, parser, validator, lints, canonical writer,
//! expression language, crontab schedules and JSON Schema.
pub mod canonical;
pub mod check;
pub mod codes;
pub mod cron;
pub mod diag;
pub mod draw;
pub mod expr;
pub mod fields;
pub mod figures;
pub mod files;
pub mod format;
pub mod graph;
pub mod lint;
pub mod model;
pub mod parse;
pub mod routes;
pub mod schema;
pub mod secret;
pub mod units;
pub mod validate;
pub mod write;
pub mod yaml;

pub use check::{Checked, check_file, check_system, check_text, check_text_with, lint_system};
pub use diag::{Code, CodeLevel, Diagnostic, Severity, Span};
pub use model::*;
pub use validate::call::check_calls;
