//! `claw shadow history` as one call: parity per day over every verdict in the store.

use crate::error::ShadowError;
use crate::report::Day;
use crate::store::Store;
use std::path::Path;

/// Parity per day of `system`, oldest day first.
pub fn run(store: &Path, system: &str) -> Result<Vec<Day>, ShadowError> {
    crate::runtime()?.block_on(async {
        let s = Store::open(store).await?;
        let d = s.days(system).await;
        s.close().await;
        d
    })
}
