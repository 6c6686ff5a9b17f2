//! Digests: the `digest.*` operations over the `data.digests` batches (what Digest by Zapier
//! becomes).
//!
//! A digest is a list of pending entries in the event store's database. `append` adds one
//! entry and, when a `count` digest then holds its count, releases them all; `release` releases
//! whatever is pending. A release marks the entries released by the step's idempotency key in
//! the same transaction that reads them and remembers the step's output, so across a crash an
//! entry is released once or not at all, and a repeated step (a retry, a run re-driven after a
//! crash) gets the remembered output instead of appending or releasing again.
//!
//! The output is computed here (pure), so both SQL backends share one meaning.

use crate::time::UnixMillis;
use serde_json::{Value, json};

/// One `digest.*` operation.
#[derive(Debug, Clone, PartialEq)]
pub enum DigestOp {
    /// `digest.append`: adds `entry`; releases the batch when `release_at` entries are pending.
    Append {
        /// The entry, as the step rendered it.
        entry: Value,
        /// A `count` digest's count; `None` for a digest released by hand.
        release_at: Option<u32>,
    },
    /// `digest.release`: releases every pending entry.
    Release,
}

/// An operation on one digest, keyed for exactly-once application.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestRequest {
    /// The calling system (the remembered output is kept per system and key).
    pub system: String,
    /// The calling run (kept with each entry, for `claw events`-style audits).
    pub run_id: String,
    /// Digest name: shared by every system of one store, as Zapier digest titles are shared
    /// by the Zaps of one account.
    pub digest: String,
    /// The step's idempotency key.
    pub idempotency_key: String,
    /// What to do.
    pub op: DigestOp,
    /// Text between entries in the released digest.
    pub separator: String,
    /// When it happens.
    pub now: UnixMillis,
}

impl DigestRequest {
    /// Whether the batch is released once this operation's entry (if any) is pending:
    /// `pending` counts every pending entry, the new one included.
    pub fn releases(&self, pending: i64) -> bool {
        match &self.op {
            DigestOp::Release => true,
            DigestOp::Append { release_at, .. } => {
                release_at.is_some_and(|n| pending >= i64::from(n))
            }
        }
    }

    /// The output of an operation that holds (nothing released): the run stops at the step.
    pub fn held(&self, pending: i64) -> Value {
        json!({"released": false, "name": self.digest, "pending": pending})
    }

    /// The output of a release of `entries` (oldest first): the entries, their count and the
    /// digest text (each entry as text, joined by the separator). An empty release holds.
    pub fn released(&self, entries: Vec<Value>) -> Value {
        if entries.is_empty() {
            return self.held(0);
        }
        let text: Vec<String> = entries
            .iter()
            .map(|e| match e {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect();
        json!({
            "released": true,
            "name": self.digest,
            "count": entries.len(),
            "entries": entries,
            "digest": text.join(&self.separator),
        })
    }
}

/// Whether a `digest.*` step's output says the step held (the run stops there).
pub fn is_held(output: &Value) -> bool {
    output.get("released") == Some(&Value::Bool(false))
}

#[cfg(test)]
mod tests {
    use super::{DigestOp, DigestRequest, is_held};
    use crate::time::UnixMillis;
    use serde_json::json;

    fn req(op: DigestOp) -> DigestRequest {
        DigestRequest {
            system: "s".into(),
            run_id: "r".into(),
            digest: "leads".into(),
            idempotency_key: "k".into(),
            op,
            separator: "\n".into(),
            now: UnixMillis(0),
        }
    }

    #[test]
    fn a_count_digest_releases_at_its_count_and_a_manual_one_never_on_append() {
        let three = req(DigestOp::Append {
            entry: json!("a"),
            release_at: Some(3),
        });
        assert!(!three.releases(2));
        assert!(three.releases(3));
        let manual = req(DigestOp::Append {
            entry: json!("a"),
            release_at: None,
        });
        assert!(!manual.releases(1000));
        assert!(req(DigestOp::Release).releases(0));
    }

    #[test]
    fn released_output_joins_entries_as_text_and_an_empty_release_holds() {
        let r = req(DigestOp::Release);
        let out = r.released(vec![json!("Ada"), json!(7), json!({"x": 1})]);
        assert_eq!(out["digest"], json!("Ada\n7\n{\"x\":1}"));
        assert_eq!(out["count"], json!(3));
        assert!(!is_held(&out));
        let empty = r.released(Vec::new());
        assert!(is_held(&empty));
        assert_eq!(
            empty,
            json!({"released": false, "name": "leads", "pending": 0})
        );
    }
}
