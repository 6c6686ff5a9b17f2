//! What the runtime commands do besides serving (`claw backfill`, `replay`, `status`,
//! `dlq retry`, `fire --direct`, `table load`): finding the system to run, feeding payloads through a
//! runtime, and reading the figures back. The cli parses arguments and prints the reports.

mod backfill;
mod dlq;
mod replay;
mod status;
mod table;

pub use backfill::{BackfillReport, backfill, default_trigger};
pub use dlq::{RetryOutcome, retry_dead_letter};
pub use replay::{ReplayOptions, replay};
pub use status::status;
pub use table::{TableLoad, load_table};

use crate::engine::EngineError;
use crate::plan::{LoadError, LoadedSystem};
use crate::store::{EventStore, StoreError};
use std::path::{Path, PathBuf};

/// Why a runtime command could not do its work.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The engine refused or failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A `.claw` file does not load.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The given paths could not be listed.
    #[error("cannot list .claw files: {0}")]
    List(std::io::Error),
    /// The given paths hold no `.claw` file.
    #[error("no .claw files found in the given paths")]
    NoFiles,
    /// Two files define the same system.
    #[error("system `{system}` is defined twice: {first} and {second}")]
    DefinedTwice {
        /// The system name.
        system: String,
        /// The first file that defines it.
        first: String,
        /// The second one.
        second: String,
    },
    /// The file given for a system defines another one.
    #[error("{file} defines system `{found}`, not `{wanted}`")]
    WrongSystem {
        /// The file.
        file: String,
        /// The system it defines.
        found: String,
        /// The system asked for.
        wanted: String,
    },
    /// No file was given and the database holds no source of the system.
    #[error("system `{0}` was never run against this database; pass its .claw file")]
    NeverRun(String),
    /// `claw table load` into a table the system does not declare.
    #[error(
        "system `{system}` declares no table `{table}` under data.state (as last run against this database)"
    )]
    UnknownTable {
        /// The system.
        system: String,
        /// The table asked for.
        table: String,
    },
    /// A table's CSV file does not parse.
    #[error("the CSV file does not parse: {0}")]
    BadCsv(String),
    /// The system has several triggers and none was chosen.
    #[error("system `{0}` has several triggers; choose one with --trigger")]
    WhichTrigger(String),
}

/// Loads every `.claw` file under `paths`; an invalid system, or a system name defined in
/// two files, is an error.
pub fn load_systems(paths: &[PathBuf]) -> Result<Vec<LoadedSystem>, OpsError> {
    let files = claw_language::files::collect_claw_files(paths).map_err(OpsError::List)?;
    if files.is_empty() {
        return Err(OpsError::NoFiles);
    }
    let mut out: Vec<LoadedSystem> = Vec::new();
    for f in files {
        let s = LoadedSystem::load(&f)?;
        if let Some(prev) = out.iter().find(|p| p.name() == s.name()) {
            return Err(OpsError::DefinedTwice {
                system: s.name().to_string(),
                first: prev.path.display().to_string(),
                second: f.display().to_string(),
            });
        }
        out.push(s);
    }
    calls_resolve(&out)?;
    Ok(out)
}

/// Refuses systems whose `system.call` steps call a system not among them, one without a
/// `source: call` trigger, or pass an input it does not take: found now rather than by the
/// first run that reaches the call.
fn calls_resolve(systems: &[LoadedSystem]) -> Result<(), OpsError> {
    let map = claw_language::parse::SourceMap::default();
    let pairs: Vec<_> = systems.iter().map(|s| (&s.system, &map)).collect();
    let found = claw_language::check_calls(&pairs, true);
    let Some((first, _)) = found.first() else {
        return Ok(());
    };
    let s = &systems[*first];
    let mine: Vec<_> = found
        .iter()
        .filter(|(i, _)| i == first)
        .map(|(_, d)| d.clone())
        .collect();
    Err(OpsError::Load(LoadError::Invalid {
        path: s.path.display().to_string(),
        rendered: claw_language::diag::render(&mine, &s.source, false),
    }))
}

/// Loads system `name` from `file`, or else its latest version stored by `claw run`.
pub async fn system_from(
    store: &dyn EventStore,
    name: &str,
    file: Option<&Path>,
) -> Result<LoadedSystem, OpsError> {
    if let Some(f) = file {
        let s = LoadedSystem::load(f)?;
        if s.name() != name {
            return Err(OpsError::WrongSystem {
                file: f.display().to_string(),
                found: s.name().to_string(),
                wanted: name.to_string(),
            });
        }
        return Ok(s);
    }
    let Some((path, text)) = store.latest_source(name).await? else {
        return Err(OpsError::NeverRun(name.to_string()));
    };
    Ok(LoadedSystem::from_text(Path::new(&path), &text)?)
}
