//! Sorts the requests `claw shadow serve` mirrored into the store into recorded shadow
//! runs and inputs to replay, for `claw shadow compare --mirrored`.
//!
//! `serve` runs every mirrored payload through the record-only runtime as it arrives
//! and records the outcome next to the request, together with the digest of the system
//! version it ran. Those recorded outcomes are the shadow runs. A request is replayed
//! here, through the system being compared, only when no recorded outcome stands for
//! it: nothing was recorded (queue full, `serve` stopped before getting to it, store
//! write failed), or it was recorded against another version of the system (the system
//! was edited during the shadow period, which is what the shadow period is for).
//! A request whose record-only run *failed* against this same version is not replayed
//! (it would fail again); it is reported in a note and its legacy run shows as missing.

use crate::bind::Binding;
use crate::model::{Correlation, Outcome, parse_time};
use crate::simulate::input;
use crate::store::Mirrored;
use std::collections::BTreeSet;

/// The shadow side contributed by mirrored requests.
#[derive(Debug, Default)]
pub struct MirroredSide {
    /// Shadow outcomes recorded by `serve`, one per correlation (the earliest), in time order.
    pub recorded: Vec<Outcome>,
    /// Payload-only inputs to run through the record-only runtime now.
    pub replay: Vec<Outcome>,
    /// What was skipped or replayed, and why.
    pub notes: Vec<String>,
}

impl MirroredSide {
    /// Correlations already covered by a recorded outcome (replays of other inputs skip them).
    pub fn covered(&self) -> BTreeSet<Correlation> {
        self.recorded
            .iter()
            .map(|o| o.correlation.clone())
            .collect()
    }
}

/// Sorts the mirrored rows of a system into recorded outcomes and inputs to replay.
/// `system_sha256` is [`crate::bind::system_digest`] of the system being compared.
pub fn select(rows: Vec<Mirrored>, bind: &Binding, system_sha256: &str) -> MirroredSide {
    let mut side = MirroredSide::default();
    let (mut stale, mut unrecorded) = (0usize, 0usize);
    for m in rows {
        match m.recorded {
            Some(r) if r.system_sha256 == system_sha256 => match r.result {
                Ok(o) => side.recorded.push(o),
                Err(e) => side.notes.push(format!(
                    "mirrored request {}: its record-only run failed when it arrived: {e}",
                    m.id
                )),
            },
            recorded => {
                if let (Some(at), Ok(payload)) =
                    (parse_time(&m.received_at), serde_json::from_str(&m.payload))
                {
                    if recorded.is_some() {
                        stale += 1;
                    } else {
                        unrecorded += 1;
                    }
                    side.replay.push(input(
                        bind,
                        m.trigger,
                        payload,
                        at,
                        format!("mirror:{}", m.id),
                    ));
                } else {
                    side.notes.push(format!(
                        "mirrored request {} skipped: its body is not JSON",
                        m.id
                    ));
                }
            }
        }
    }
    // The imported system's idempotency keeps the first run per input; a repeated
    // delivery was recorded again by `serve` but is not a second shadow run.
    side.recorded
        .sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.source.cmp(&b.source)));
    let mut seen = BTreeSet::new();
    side.recorded.retain(|o| seen.insert(o.correlation.clone()));
    if stale > 0 {
        side.notes.push(format!(
            "{stale} mirrored request(s) were recorded against another version of the system and were replayed against this one"
        ));
    }
    if unrecorded > 0 {
        side.notes.push(format!(
            "{unrecorded} mirrored request(s) had no recorded shadow run (dropped under load, or `serve` stopped first) and were replayed"
        ));
    }
    side
}
