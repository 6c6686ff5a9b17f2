//! The registry of every diagnostic code the language and its command-line front ends report.
//!
//! One entry per code: its stable id, level, a one-sentence meaning and the fix. Lints use the
//! fix as their `help` text, so the hint a user sees and the documented fix cannot drift apart.
//! `docs/diagnostics.md` has one row per entry; `language/tests/docs.rs` enforces that.

crate::diagnostic_codes! {
    // --- Errors: the system does not compile ---------------------------------------------

    /// The text is not one well-formed YAML 1.2 document.
    YAML = "claw::yaml", Error,
        "the file is not one well-formed YAML 1.2 document",
        "Fix the YAML at the marker; indent with spaces; one system per file; plain values, no tags.";
    /// One of the five layers is absent.
    MISSING_LAYER = "claw::missing_layer", Error,
        "one of the five layers is absent",
        "Add the layer; `decisions: []` states explicitly that there are no decisions.";
    /// `triggers` or `execution` is an empty list.
    EMPTY_LAYER = "claw::empty_layer", Error,
        "`triggers` or `execution` is an empty list",
        "Add at least one trigger / execution.";
    /// A key the language does not have.
    UNKNOWN_KEY = "claw::unknown_key", Error,
        "a key the language does not have",
        "Use the suggested key, or see docs/language.md for the keys of that section.";
    /// A required key is missing.
    MISSING_FIELD = "claw::missing_field", Error,
        "a required key is missing",
        "Add the key.";
    /// A value of the wrong kind (a list where a mapping belongs, `retries: three`).
    WRONG_TYPE = "claw::wrong_type", Error,
        "a value of the wrong kind",
        "Write the kind the message names.";
    /// A layer list item that is not a single-key mapping.
    BAD_SHAPE = "claw::bad_shape", Error,
        "a layer list item is not a single-key mapping `- name: {fields}`",
        "Give every item its own `- name:` line.";
    /// A system or item name outside the name syntax.
    BAD_NAME = "claw::bad_name", Error,
        "a name that is not a letter followed by letters, digits, `_` or `-`",
        "Rename; names become event names.";
    /// Two items share a name in one namespace.
    DUPLICATE_NAME = "claw::duplicate_name", Error,
        "two items share a name in one namespace",
        "Rename one of them.";
    /// A word outside its set of allowed values.
    BAD_VALUE = "claw::bad_value", Error,
        "a value outside its set of allowed values",
        "Use one of the listed values.";
    /// `version` is not semantic versioning.
    BAD_VERSION = "claw::bad_version", Error,
        "`version` is not semantic versioning",
        "Write `MAJOR.MINOR.PATCH`, e.g. `1.0.0`.";
    /// A duration without a unit or with an unknown one.
    BAD_DURATION = "claw::bad_duration", Error,
        "a duration without a unit or with an unknown one",
        "`500ms`, `30s`, `5m`, `1h30m`, `365d`, `2w`.";
    /// A backoff that does not parse.
    BAD_BACKOFF = "claw::bad_backoff", Error,
        "a backoff that is not `exponential BASE..MAX`, `exponential BASE` or `fixed D`",
        "e.g. `backoff: exponential 1s..5m`.";
    /// A loop setting on a step that does not loop.
    LOOP_WITHOUT_ITEMS = "claw::loop_without_items", Error,
        "`on_item_failure` or `max_items` on a step without `for_each`",
        "Add `for_each: <expression giving a list>`, or remove the key.";
    /// An SLO objective that does not parse.
    BAD_OBJECTIVE = "claw::bad_objective", Error,
        "an SLO objective that is neither a latency, a ratio nor a number",
        "Write one of those forms.";
    /// A schedule that is not a crontab line or Debian `@keyword`.
    BAD_CRON = "claw::bad_cron", Error,
        "a schedule that is not a 5-field crontab(5) line or a Debian `@keyword`",
        "See docs/cron.md.";
    /// `timezone` is not an IANA zone name.
    BAD_TIMEZONE = "claw::bad_timezone", Error,
        "`timezone` is not an IANA zone name",
        "e.g. `Europe/Paris`, `America/New_York`, `UTC`.";
    /// A trigger misses what its source needs, or carries a key of another source.
    TRIGGER_CONFIG = "claw::trigger_config", Error,
        "a trigger misses what its source needs, or carries a key of another source",
        "Add the key, or remove it / change the source.";
    /// An expression that is not valid CEL.
    BAD_EXPRESSION = "claw::bad_expression", Error,
        "an expression that is not valid CEL",
        "See docs/expressions.md.";
    /// A template with an unclosed hole.
    BAD_TEMPLATE = "claw::bad_template", Error,
        "a template with `{{` and no closing `}}`",
        "Close the hole, or write `\\{{` for literal braces.";
    /// A decision with none or several ways of deciding.
    DECISION_LOGIC = "claw::decision_logic", Error,
        "a decision with none or several of `when`, `rules`, `policy`",
        "Keep exactly one way of deciding.";
    /// The `policy:` file does not exist.
    MISSING_POLICY = "claw::missing_policy", Error,
        "the `policy:` file does not exist relative to the `.claw` file",
        "Create it or fix the path.";
    /// A table `source:` file does not exist.
    MISSING_FILE = "claw::missing_file", Error,
        "a table `source:` file does not exist relative to the `.claw` file",
        "Create it or fix the path.";
    /// A `state.*` or `table.*` step that names no declared state store.
    UNKNOWN_STATE_STORE = "claw::unknown_state_store", Error,
        "a `state.*` step whose `store` (a `table.*` step: `table`) is missing or not declared under `data.state`",
        "Declare the store under `data.state`, or fix the step's `with: store:` (`with: table:`).";
    /// A `digest.*` step naming no digest, or one `data.digests` does not declare.
    UNKNOWN_DIGEST = "claw::unknown_digest", Error,
        "a `digest.*` step whose `digest` is missing or not declared under `data.digests`",
        "Declare the digest under `data.digests`, or fix the step's `with: digest:`.";
    /// A digest whose release policy is not one the runtime has.
    BAD_DIGEST_RELEASE = "claw::bad_digest_release", Error,
        "a digest whose `release` is unknown, a `count` digest without a `count` from 1 to 1000, a `schedule` digest without a `schedule`, or a `count` or `schedule` its release policy never uses",
        "Write `release: count` with `count: N` (1 to 1000), `release: schedule` with `schedule: <crontab line>`, or `release: manual` with neither.";
    /// A route, dead letter or secret reference that is not `scheme://target`.
    BAD_URI = "claw::bad_uri", Error,
        "a route, dead letter or secret reference that is not `scheme://target` with an allowed scheme",
        "e.g. `slack://ops-oncall`, `queue://ops.dlq`, `secret://shop_webhook_key`.";
    /// An `on:` names an event nothing emits.
    UNKNOWN_EVENT = "claw::unknown_event", Error,
        "an `on:` names an event nothing emits",
        "Events are trigger names (or their `emits`), decision names (or `emits`/rule `emit`), and `<step>.succeeded` / `<step>.failed`.";
    /// No trigger leads to a decision or step.
    UNREACHABLE = "claw::unreachable", Error,
        "no trigger leads to a decision or step",
        "Make its `on` an event some trigger leads to.";
    /// Steps or decisions wait for each other in a loop.
    CYCLE = "claw::cycle", Error,
        "steps or decisions wait for each other in a loop",
        "Break the loop; retries are `retries:`, not re-triggering.";
    /// A template or expression reads a step that does not exist.
    UNKNOWN_STEP = "claw::unknown_step", Error,
        "a template or expression reads `steps.<name>` and there is no such step",
        "Fix the name.";
    /// A template reads a step that cannot have run before.
    STEP_ORDER = "claw::step_order", Error,
        "a template reads `steps.<name>` of a step that is not upstream",
        "Chain the reader after it: `on: <name>.succeeded`.";
    /// A `call.return` step in a system that no other system can call.
    REPLY_NOT_CALLABLE = "claw::reply_not_callable", Error,
        "a `call.return` step in a system that has no `source: call` trigger",
        "Add a trigger with `source: call` (and its `inputs:`), or remove the reply step.";
    /// A `system.call` step whose target is missing or not a plain name.
    CALL_TARGET = "claw::call_target", Error,
        "a `system.call` step names no system (`with: system:`), names it with a template, or passes `inputs` that are not a mapping",
        "Write `with: {system: NAME, inputs: {...}}` with the called system's name as plain text.";
    /// A `system.call` step calls a system that cannot be called.
    CALL_NOT_CALLABLE = "claw::call_not_callable", Error,
        "a `system.call` step calls a system that has no `source: call` trigger",
        "Give the called system a `source: call` trigger, or call another system.";
    /// A `system.call` step passes an input the called system does not declare.
    CALL_UNKNOWN_INPUT = "claw::call_unknown_input", Error,
        "a `system.call` step passes an input that the called system's `source: call` trigger does not list in `inputs:`",
        "Fix the input's name, or add it to the called trigger's `inputs:`.";
    /// A `system.call` step calls a system that calls back the caller.
    CALL_CYCLE = "claw::call_cycle", Error,
        "a `system.call` step calls a system that calls the caller again, directly or through other systems",
        "Break the loop: a called system must not call, even indirectly, the system that calls it.";
    /// A `system.call` step calls a system that is not loaded with it.
    CALL_UNKNOWN_SYSTEM = "claw::call_unknown_system", Error,
        "a `system.call` step calls a system that `claw run` was not given",
        "Pass the called system's file to `claw run` as well (`claw run caller.claw callee.claw`).";

    // --- Command-line codes ---------------------------------------------------------------

    /// A path that cannot be read, or a folder without `.claw` files.
    IO = "claw::io", Error,
        "a path does not exist, cannot be read, is not UTF-8, or a folder holds no `.claw` file",
        "Check the path.";
    /// `claw fmt` would lose comments.
    FMT_COMMENTS = "claw::fmt_comments", Error,
        "`claw fmt` would lose the comments of a file, so it is left unchanged",
        "Pass `--strip-comments` to rewrite anyway, or keep the file as is.";

    // --- Cron codes (labels of `claw::bad_cron`, and `claw cron` errors) -----------------

    /// The schedule is empty.
    CRON_EMPTY = "claw::cron::empty", Error,
        "the schedule is empty",
        "Write five fields or an `@keyword`.";
    /// Fewer than five fields.
    CRON_MISSING_FIELDS = "claw::cron::missing_fields", Error,
        "fewer than 5 fields",
        "Write minute, hour, day of month, month and day of week.";
    /// More than five fields.
    CRON_TOO_MANY_FIELDS = "claw::cron::too_many_fields", Error,
        "more than 5 fields",
        "Drop the seconds or year field; crontab has five.";
    /// A value outside its field's range.
    CRON_OUT_OF_RANGE = "claw::cron::out_of_range", Error,
        "a value outside its field's range",
        "Use minute 0-59, hour 0-23, day 1-31, month 1-12, weekday 0-7.";
    /// A zero step, or a step after a single value.
    CRON_BAD_STEP = "claw::cron::bad_step", Error,
        "a step that is zero, or follows a single value",
        "Step a range or `*`: `*/5`, `1-59/5`.";
    /// A field that is not a number, name, range, list or step.
    CRON_BAD_FIELD = "claw::cron::bad_field", Error,
        "a field that is not a number, name, range, list or step",
        "Use numbers or the 3-letter names (`mon`, `jan`).";
    /// An unknown `@macro`.
    CRON_BAD_KEYWORD = "claw::cron::bad_keyword", Error,
        "an unknown `@macro`",
        "Use `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly` or `@reboot` (lower case).";
    /// Text after a complete value.
    CRON_TRAILING_GARBAGE = "claw::cron::trailing_garbage", Error,
        "text after a complete value that is not part of it",
        "Delete the extra characters.";
    /// Syntax of other cron dialects.
    CRON_UNSUPPORTED_SYNTAX = "claw::cron::unsupported_syntax", Error,
        "extensions crontab(5) does not have (`L`, `W`, `#`, `?`)",
        "Spell the days out, or use several schedules.";

    // --- Warnings (lints); the fix is the lint's `help` text ---------------------------------

    /// A trigger without an idempotency key.
    LINT_NO_IDEMPOTENCY = "claw::lint::no_idempotency", Warning,
        "a trigger has no `idempotency`: a repeated delivery would run twice",
        "add `idempotency: <expression>` naming a field that identifies a delivery (e.g. `order.id`)";
    /// A side-effecting step without retries.
    LINT_NO_RETRIES = "claw::lint::no_retries", Warning,
        "a side-effecting step has no `retries`",
        "add `retries: 3` (and a `backoff:`) so transient failures do not lose work";
    /// A side-effecting step without a dead letter.
    LINT_NO_DEAD_LETTER = "claw::lint::no_dead_letter", Warning,
        "a side-effecting step has no `dead_letter`",
        "add `dead_letter: queue://<system>.dlq` so failed work is kept for replay";
    /// A side-effecting step without a timeout.
    LINT_NO_TIMEOUT = "claw::lint::no_timeout", Warning,
        "a side-effecting step has no `timeout`",
        "add `timeout: 30s` so a hung call cannot block the run";
    /// The system declares no SLO.
    LINT_NO_SLO = "claw::lint::no_slo", Warning,
        "the system declares no SLO",
        "add `observability.slo`, e.g. `error_rate: <1%`";
    /// An SLO no alert watches.
    LINT_SLO_WITHOUT_ALERT = "claw::lint::slo_without_alert", Warning,
        "no alert condition mentions an SLO",
        "add an alert whose `on` uses this SLO, e.g. `- on: error_rate > 1%`";
    /// An alert without a route.
    LINT_ALERT_WITHOUT_ROUTE = "claw::lint::alert_without_route", Warning,
        "an alert has no `route`",
        "add `route: slack://…`, `email://…`, `webhook://…` or `pagerduty://…`";
    /// A step whose adapter is not built in.
    LINT_UNKNOWN_ADAPTER = "claw::lint::unknown_adapter", Warning,
        "a step uses an adapter that is not built in",
        "plug the adapter in at run time, or use a built-in one (http, shell, slack, …)";
    /// A decision input nothing declares.
    LINT_UNRESOLVED_INPUT = "claw::lint::unresolved_input", Warning,
        "a decision input names nothing declared, so it must come in the payload",
        "declare it under data.tables / data.state, or make sure the payload carries it";
    /// A step an importer could not translate.
    LINT_UNPORTED_STEP = "claw::lint::unported_step", Warning,
        "a step's action is `unported.*`",
        "replace the `unported.*` action with a real adapter before cutover";
    /// The system has no owner.
    LINT_NO_OWNER = "claw::lint::no_owner", Warning,
        "`observability.owner` is missing",
        "add `observability.owner: <team>` so alerts reach someone accountable";
    /// A disabled trigger or step.
    LINT_DISABLED = "claw::lint::disabled", Warning,
        "a trigger or step has `enabled: false`",
        "enable it (`enabled: true`) or delete it once the migration is done";
}

/// The lint codes, in the order `claw check` documents them (the `Warning` entries of [`ALL`]).
pub fn lints() -> impl Iterator<Item = &'static crate::diag::Code> {
    ALL.iter()
        .filter(|c| c.level == crate::diag::CodeLevel::Warning)
}
