//! How the cli prints: format choice, colour only on terminals.

use clap::ValueEnum;
use std::io::IsTerminal;

/// Output format for findings and listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// For people.
    #[default]
    Text,
    /// For machines.
    Json,
}

/// Whether to colour stderr output.
pub fn color_stderr() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Exit codes shared by every command.
pub mod exit {
    use std::process::ExitCode;
    /// Everything fine.
    pub fn ok() -> ExitCode {
        ExitCode::SUCCESS
    }
    /// Findings, invalid input, or a gate not met.
    pub fn findings() -> ExitCode {
        ExitCode::from(1)
    }
    /// Usage error or unreadable input.
    pub fn usage() -> ExitCode {
        ExitCode::from(2)
    }
}
