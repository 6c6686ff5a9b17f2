//! `claw table load`: records of a table (a `data.state` store the `table.*` steps use, such as
//! the store an imported Zapier Table becomes) from a CSV file.
//!
//! The first row names the fields; a column `id` (any case) gives each record's id, else the
//! row's number (1 for the first record). A record with an id already in the table is
//! replaced. The load is one `state` operation under a key derived from the file's content, so
//! loading the same file again changes nothing, and a load interrupted by a crash applied
//! either every record or none. When the database holds the system's source (saved by
//! `claw run`), a table it does not declare is refused.

use super::OpsError;
use crate::store::EventStore;
use crate::store::state::{StateOp, StateRequest};
use crate::time::UnixMillis;
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// What a load did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableLoad {
    /// System name.
    pub system: String,
    /// Table (store) name.
    pub table: String,
    /// Records in the file (a file loaded before is not applied again).
    pub records: usize,
}

/// The records of a CSV text: (id, fields).
fn records(text: &str) -> Result<Map<String, Value>, OpsError> {
    let bad = |e: csv::Error| OpsError::BadCsv(e.to_string());
    let mut r = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let header: Vec<String> = r
        .headers()
        .map_err(bad)?
        .iter()
        .map(str::to_string)
        .collect();
    let id_col = header.iter().position(|h| h.eq_ignore_ascii_case("id"));
    let mut out = Map::new();
    for (n, row) in r.records().enumerate() {
        let row = row.map_err(bad)?;
        let mut data = Map::new();
        for (i, cell) in row.iter().enumerate() {
            if Some(i) != id_col
                && let Some(h) = header.get(i)
            {
                data.insert(h.clone(), Value::String(cell.to_string()));
            }
        }
        let id = match id_col.and_then(|c| row.get(c)).filter(|s| !s.is_empty()) {
            Some(id) => id.to_string(),
            None => (n + 1).to_string(),
        };
        out.insert(id, Value::Object(data));
    }
    Ok(out)
}

/// Refuses a table the system does not declare under `data.state`, when the database holds the
/// system's source (`claw run` saves it); a system never run cannot be checked.
async fn check_declared(store: &dyn EventStore, system: &str, table: &str) -> Result<(), OpsError> {
    let Some((path, text)) = store.latest_source(system).await? else {
        return Ok(());
    };
    let checked = claw_language::check::check_text(&text, Some(&path), None);
    let declared = checked
        .system
        .is_none_or(|s| s.data.state.iter().any(|d| d.name == table));
    if declared {
        Ok(())
    } else {
        Err(OpsError::UnknownTable {
            system: system.to_string(),
            table: table.to_string(),
        })
    }
}

/// Loads the records of the CSV `text` into `table` of `system` (refused when the system, as
/// last run against this database, does not declare the table under `data.state`).
pub async fn load_table(
    store: &dyn EventStore,
    system: &str,
    table: &str,
    text: &str,
) -> Result<TableLoad, OpsError> {
    check_declared(store, system, table).await?;
    let values = records(text)?;
    let count = values.len();
    let digest = Sha256::digest(text.as_bytes());
    let key = format!("table-load:{table}:{}", hex::encode(&digest[..16]));
    let req = StateRequest {
        system: system.to_string(),
        store: table.to_string(),
        idempotency_key: key,
        op: StateOp::SetMany { values },
        ttl: None,
        now: UnixMillis::now(),
    };
    store.apply_state(&req).await?;
    Ok(TableLoad {
        system: system.to_string(),
        table: table.to_string(),
        records: count,
    })
}
