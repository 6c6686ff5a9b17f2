//! `claw import crontab`: crontabs, cron.d drop-ins, run-parts folders and anacrontabs.

use super::common::{OutputArgs, finish};
use crate::output::exit;
use claw_importers::crontab::{self, GroupBy, Options, RawInput, Syntax};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

/// Crontab syntax.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum SyntaxArg {
    /// `crontab -l` format: `schedule command`.
    User,
    /// /etc/crontab and /etc/cron.d format: `schedule user command`.
    System,
}

/// Grouping of jobs into systems.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default)]
pub enum GroupArg {
    /// One system per input file (a run-parts folder counts as one).
    #[default]
    File,
    /// One system per user the jobs run as.
    User,
    /// One system per program (the command's first word after its guards).
    CommandPrefix,
}

/// Import crontabs as .claw systems.
///
/// Inputs: a user crontab (as `crontab -l` prints it), /etc/crontab or /etc/cron.d files (with
/// the user field), cron.hourly|daily|weekly|monthly folders (run-parts rules), /etc/anacrontab,
/// a folder holding any of these, or `-` for standard input. The kind is taken from the path
/// (`…/cron.d/NAME`, `…/cron.daily/NAME`, `etc/crontab`, `anacrontab`, and the corpus form
/// `PACKAGE__etc_cron.d_NAME`), else from the content.
///
/// Lines are read as Debian's cron reads them. Any bad line is an error (exit 2, nothing
/// written), because Debian ignores the whole file; `--skip-bad-lines` imports the good lines
/// as cronie would and reports the bad ones.
#[derive(clap::Args)]
pub struct Args {
    /// Input files or folders, or `-` for standard input.
    #[arg(required = true)]
    pub input: Vec<PathBuf>,
    /// Crontab syntax when the location does not say (default: detected from the content).
    /// (`--format` is the report format shared by every importer.)
    #[arg(long = "crontab-format", value_enum)]
    pub syntax: Option<SyntaxArg>,
    /// How jobs are grouped into systems.
    #[arg(long, value_enum, default_value_t)]
    pub group_by: GroupArg,
    /// Import the good lines of a file with bad lines (cronie's behaviour) and report the bad
    /// ones as findings, instead of failing as Debian's cron would.
    #[arg(long)]
    pub skip_bad_lines: bool,
    /// Owner of user crontabs read from stdin or an unknown place (cron mails output to them
    /// when MAILTO is unset).
    #[arg(long)]
    pub user: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Runs the command.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let mut inputs: Vec<RawInput> = Vec::new();
    for p in &a.input {
        if p.as_os_str() == "-" {
            let mut bytes = Vec::new();
            if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
                eprintln!(
                    "error[{}]: standard input: {e}",
                    claw_importers::crontab::codes::UNREADABLE
                );
                return Ok(exit::usage());
            }
            inputs.push(RawInput {
                label: "-".into(),
                path: None,
                bytes,
                executable: None,
            });
            continue;
        }
        match crontab::collect(p) {
            Ok(v) => inputs.extend(v),
            Err(e) => {
                eprintln!("{e}");
                return Ok(exit::usage());
            }
        }
    }
    let opts = Options {
        syntax: a.syntax.map(|s| match s {
            SyntaxArg::User => Syntax::User,
            SyntaxArg::System => Syntax::System,
        }),
        group_by: match a.group_by {
            GroupArg::File => GroupBy::File,
            GroupArg::User => GroupBy::User,
            GroupArg::CommandPrefix => GroupBy::CommandPrefix,
        },
        skip_bad_lines: a.skip_bad_lines,
        user: a.user.clone(),
    };
    match crate::progress::while_spinning("reading and mapping the legacy setup", || {
        crontab::import(inputs, &opts)
    }) {
        Ok(imported) => finish(&a.output, &imported.generated, &imported.findings),
        Err(e) => {
            eprintln!("{e}");
            Ok(exit::usage())
        }
    }
}
