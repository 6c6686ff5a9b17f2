//! The sections that close the `.claw` systems the runtime and cli tests write: the event log
//! (`data:`) and `observability:`, by default with the owner `ops` alone. Written once here, so
//! that a test's system text shows only what that test is about, and a change to what a valid
//! system needs is made in one place.
//!
//! The macros append the sections to a string literal at compile time (the result is still a
//! literal, usable in a `const`); the constants are the same sections, for `format!` texts.

/// `head` (a string literal: the system up to its last execution step), the event log section
/// ([`DATA`]), `observability:`, then `obs`: the lines under `observability:` (literals, joined).
#[macro_export]
macro_rules! with_observability {
    ($head:expr, $($obs:expr),+ $(,)?) => {
        concat!(
            $head,
            "data:\n  events:\n    store: event-log\n    retention: 30d\n",
            "observability:\n",
            $($obs),+
        )
    };
}

/// [`crate::with_observability!`] with `owner: ops`, then `rest` if given (more lines under
/// `observability:`, such as `slo:` or `alerts:`).
#[macro_export]
macro_rules! with_tail {
    ($head:expr $(, $rest:expr)? $(,)?) => {
        $crate::with_observability!($head, "  owner: ops\n" $(, $rest)?)
    };
}

/// [`crate::with_tail!`] with the objective `error_rate: <1%` before the owner: the tail of
/// systems whose tests read the SLO figures.
#[macro_export]
macro_rules! with_slo_tail {
    ($head:expr) => {
        $crate::with_observability!($head, "  slo:\n    error_rate: <1%\n  owner: ops\n")
    };
}

/// The event log section every test system has: kept 30 days.
pub const DATA: &str = "data:\n  events:\n    store: event-log\n    retention: 30d\n";

/// The sections [`crate::with_tail!`] appends, for system texts built with `format!`.
pub const TAIL: &str = with_tail!("");

/// The sections [`crate::with_slo_tail!`] appends, for system texts built with `format!`.
pub const SLO_TAIL: &str = with_slo_tail!("");

#[cfg(test)]
mod tests {
    use super::{DATA, SLO_TAIL, TAIL};

    /// The tails end the systems the tests write; they must stay the YAML they replaced.
    #[test]
    fn tails_are_the_sections_they_replace() {
        assert_eq!(format!("{DATA}observability:\n  owner: ops\n"), TAIL);
        assert_eq!(
            TAIL,
            "data:\n  events:\n    store: event-log\n    retention: 30d\nobservability:\n  owner: ops\n"
        );
        assert_eq!(
            with_tail!("x\n", "  slo: {}\n"),
            format!("x\n{TAIL}  slo: {{}}\n")
        );
        assert_eq!(
            SLO_TAIL,
            format!("{DATA}observability:\n  slo:\n    error_rate: <1%\n  owner: ops\n")
        );
    }
}
