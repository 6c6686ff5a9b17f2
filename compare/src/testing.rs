//! Builders of outcomes for the unit tests of this crate (compiled for tests only).

use crate::model::{Correlation, Outcome, StepOutcome, parse_time};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// `2026-11-01T00:00:00Z` plus `secs` seconds.
pub fn at(secs: i64) -> DateTime<Utc> {
    parse_time("2026-11-01T00:00:00Z").unwrap_or_default() + chrono::TimeDelta::seconds(secs)
}

/// A run of trigger `order` correlated by `correlation`, at `secs`, with no steps.
pub fn run(source: &str, correlation: Correlation, secs: i64) -> Outcome {
    Outcome {
        source: source.into(),
        system: "sys".into(),
        trigger: "order".into(),
        correlation,
        at: at(secs),
        payload_digest: None,
        branches: Vec::new(),
        steps: Vec::new(),
        status: String::new(),
        payload: None,
    }
}

/// A run correlated by idempotency key `key`.
pub fn keyed(source: &str, key: &str, secs: i64) -> Outcome {
    run(source, Correlation::Key(key.into()), secs)
}

/// Adds a step `name` calling `action` with `params`.
pub fn step(mut o: Outcome, name: &str, action: &str, params: Value) -> Outcome {
    o.steps.push(StepOutcome {
        step: name.into(),
        action: action.into(),
        params,
        idempotency_key: None,
        status: String::new(),
    });
    o
}
