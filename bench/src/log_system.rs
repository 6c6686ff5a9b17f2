//! The system both runtime benchmarks serve (`runtime` in-process, `soak` through the real
//! `claw run`): one webhook whose run is a single `log.debug` step, so their figures measure
//! the runtime itself (accept, store, drive) rather than an adapter's target.

/// The system's text, named `name` (its webhook is `/hooks/<name>/event`), with the objective
/// `error_rate: <1%` followed by `extra_slo` (whole lines indented under `slo:`, or empty).
pub fn text(name: &str, extra_slo: &str) -> String {
    format!(
        r#"system: {name}
version: 1.0.0
triggers:
  - event:
      source: webhook
      idempotency: id
decisions: []
execution:
  - note:
      on: event
      action: log.debug
      with:
        message: "event {{{{ id }}}}"
data:
  events:
    store: event-log
    retention: 30d
observability:
  slo:
    error_rate: <1%
{extra_slo}  owner: bench
"#
    )
}

#[cfg(test)]
mod tests {
    /// Both benchmarks' variants are valid systems: a benchmark must not time a refusal.
    #[test]
    fn both_variants_check_clean() {
        for text in [
            super::text("bench", ""),
            super::text("soak", "    event_latency_p99: 20ms\n"),
        ] {
            let checked = claw_language::check_text(&text, None, None);
            assert!(checked.is_valid(), "{text}\n{:?}", checked.diagnostics);
            assert!(text.contains("message: \"event {{ id }}\""), "{text}");
        }
    }
}
