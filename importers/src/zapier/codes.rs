//! Finding codes of the Zapier importer (documented in docs/importers/zapier.md).

/// A Zap whose trigger is paused: imported with `enabled: false`.
pub const PAUSED_ZAP: &str = "claw::import::paused_zap";
/// Non-trigger `paused` flags, read as meaningless (once per Zap).
pub const PAUSED_FLAGS_IGNORED: &str = "claw::import::paused_flags_ignored";
/// A polling trigger (an instant one may exist).
pub const POLLING_TRIGGER: &str = "claw::import::polling_trigger";
/// The polling interval was inferred or defaulted.
pub const POLLING_INTERVAL_ASSUMED: &str = "claw::import::polling_interval_assumed";
/// The schedule's time zone is unknown or invalid.
pub const TIMEZONE_ASSUMED: &str = "claw::import::timezone_assumed";
/// A Schedule trigger that could not be translated (imported as manual).
pub const SCHEDULE_UNPORTED: &str = "claw::import::schedule_unported";
/// A Sub-Zap start imported as a webhook.
pub const SUBZAP_TRIGGER: &str = "claw::import::subzap_trigger";
/// A step with no runtime equivalent, kept as `unported.*`.
pub const UNPORTED_STEP: &str = "claw::import::unported_step";
/// Code by Zapier in Python.
pub const PYTHON_CODE: &str = "claw::import::python_code";
/// A filter operator nobody documented: fails closed.
pub const UNKNOWN_OPERATOR: &str = "claw::import::unknown_operator";
/// A filter operator key not seen in real exports, read by its name.
pub const OPERATOR_ASSUMED: &str = "claw::import::operator_assumed";
/// `iexact` read as case-insensitive (once per Zap).
pub const IEXACT_CASE: &str = "claw::import::iexact_case";
/// A comparison with a mapped value done case-sensitively.
pub const CASE_SENSITIVE_COMPARE: &str = "claw::import::case_sensitive_compare";
/// A literal a filter operator cannot use.
pub const BAD_FILTER_VALUE: &str = "claw::import::bad_filter_value";
/// A filter criterion with no field and no operator.
pub const EMPTY_FILTER: &str = "claw::import::empty_filter";
/// A reference to a step that is not in the export or does not run before.
pub const DANGLING_REFERENCE: &str = "claw::import::dangling_reference";
/// A formula reference matched to a step by evidence.
pub const FORMULA_REFERENCE_INFERRED: &str = "claw::import::formula_reference_inferred";
/// A formula with functions, kept as text.
pub const FORMULA_UNPORTED: &str = "claw::import::formula_unported";
/// A hard-coded credential replaced by a `secret://` reference.
pub const HARDCODED_SECRET: &str = "claw::import::hardcoded_secret";
/// Steps using Zapier connections (kept as `secret://` references).
pub const CONNECTIONS: &str = "claw::import::connections";
/// Candidate idempotency keys for the trigger.
pub const IDEMPOTENCY_CANDIDATES: &str = "claw::import::idempotency_candidates";
/// Default SLO and unrouted alert added.
pub const DEFAULT_OBSERVABILITY: &str = "claw::import::default_observability";
/// Default event retention applied.
pub const DEFAULT_RETENTION: &str = "claw::import::default_retention";
/// A Fallback path read as "none of the custom paths ran".
pub const FALLBACK_PATH: &str = "claw::import::fallback_path";
/// A Delay Until with a Zapier date expression.
pub const DELAY_UNTIL_FORMAT: &str = "claw::import::delay_until_format";
/// A Delay After Queue (the queue part is not ported).
pub const DELAY_QUEUE: &str = "claw::import::delay_queue";
/// Several steps follow one step outside Paths.
pub const PARALLEL_STEPS: &str = "claw::import::parallel_steps";
/// The root node is not a `read`.
pub const ROOT_NOT_READ: &str = "claw::import::root_not_read";
/// `root_id` values that disagree with the tree.
pub const ROOT_ID_MISMATCH: &str = "claw::import::root_id_mismatch";
/// An undocumented Zap `status` field.
pub const ZAP_STATUS: &str = "claw::import::zap_status";
/// A file skipped in a folder (e.g. `zap_data.json`).
pub const SKIPPED_FILE: &str = "claw::import::skipped_file";
/// Two Zaps' titles slug to the same system name: the Zap id was appended.
pub const RENAMED_SYSTEM: &str = "claw::import::renamed_system";
/// The Zap has no action step (only a trigger, or filters): a `log.info` step records its runs.
pub const NO_ACTIONS: &str = "claw::import::no_actions";

/// Every code, for docs and tests.
pub const ALL: &[&str] = &[
    PAUSED_ZAP,
    PAUSED_FLAGS_IGNORED,
    POLLING_TRIGGER,
    POLLING_INTERVAL_ASSUMED,
    TIMEZONE_ASSUMED,
    SCHEDULE_UNPORTED,
    SUBZAP_TRIGGER,
    UNPORTED_STEP,
    PYTHON_CODE,
    UNKNOWN_OPERATOR,
    OPERATOR_ASSUMED,
    IEXACT_CASE,
    CASE_SENSITIVE_COMPARE,
    BAD_FILTER_VALUE,
    EMPTY_FILTER,
    DANGLING_REFERENCE,
    FORMULA_REFERENCE_INFERRED,
    FORMULA_UNPORTED,
    HARDCODED_SECRET,
    CONNECTIONS,
    IDEMPOTENCY_CANDIDATES,
    DEFAULT_OBSERVABILITY,
    DEFAULT_RETENTION,
    FALLBACK_PATH,
    DELAY_UNTIL_FORMAT,
    DELAY_QUEUE,
    PARALLEL_STEPS,
    ROOT_NOT_READ,
    ROOT_ID_MISMATCH,
    ZAP_STATUS,
    SKIPPED_FILE,
    RENAMED_SYSTEM,
    NO_ACTIONS,
];
