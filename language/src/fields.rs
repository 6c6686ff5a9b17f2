//! The one declaration of every key the language accepts.
//!
//! The parser uses these tables to reject unknown keys (with a "did you mean"),
//! `claw schema` turns them into JSON Schema, the canonical writer writes item keys in table
//! order, value sets (`Kind::OneOf`) come from the model's keyword enums, and
//! `docs/language.md` mirrors the tables, so none of them can drift apart.

/// The type of a field's value.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Free text.
    Text,
    /// A CEL expression.
    Expr,
    /// A non-negative integer.
    Count,
    /// `true`/`false`.
    Bool,
    /// A duration such as `30s`, `5m`, `1h30m`, `365d`.
    Duration,
    /// One of the listed words.
    OneOf(&'static [&'static str]),
    /// A string or a list of strings.
    Names,
    /// A mapping of parameter names to any values (templates allowed in strings).
    Params,
    /// A mapping of strings to strings.
    StringMap,
    /// A nested object described by another table.
    Object(&'static [Field]),
    /// A list of single-key maps `- name: {fields}` described by another table.
    NamedList(&'static [Field]),
    /// A plain list of objects described by another table.
    List(&'static [Field]),
    /// A list of mappings of any values.
    Rows,
}

/// One accepted key.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// Key as written.
    pub name: &'static str,
    /// Value type, which the parser checks and the schema states.
    pub kind: Kind,
    /// Whether it must be present.
    pub required: bool,
    /// One-line description (used in the schema and docs).
    pub doc: &'static str,
}

const fn f(name: &'static str, kind: Kind, required: bool, doc: &'static str) -> Field {
    Field {
        name,
        kind,
        required,
        doc,
    }
}

/// The five layers, in canonical order, with a minimal example each (shown when one is missing).
pub const LAYERS: [(&str, &str); 5] = [
    (
        "triggers",
        "triggers:\n  - order_created:\n      source: webhook\n      idempotency: order.id",
    ),
    (
        "decisions",
        "decisions:\n  - worth_shipping:\n      when: order.total > 0\n\n(or `decisions: []` to state that every trigger goes straight to execution)",
    ),
    (
        "execution",
        "execution:\n  - notify:\n      on: order_created\n      action: log.info\n      with: { message: \"{{ order.id }}\" }",
    ),
    (
        "data",
        "data:\n  events:\n    store: event-log\n    retention: 30d",
    ),
    (
        "observability",
        "observability:\n  slo:\n    error_rate: <1%\n  alerts:\n    - on: error_rate > 1%\n      route: slack://ops-oncall",
    ),
];

/// Legacy-origin facts (`legacy:`), shared by items.
const LEGACY: Field = f(
    "legacy",
    Kind::StringMap,
    false,
    "Facts about where this item came from in the legacy setup (step id, app version, sheet cell).",
);

/// `provenance:` keys.
pub const PROVENANCE: &[Field] = &[
    f(
        "kind",
        Kind::Text,
        true,
        "Importer that produced the system: zapier, crontab, sheet.",
    ),
    f(
        "file",
        Kind::Text,
        false,
        "Source file the system was imported from.",
    ),
    f(
        "legacy_id",
        Kind::Text,
        false,
        "Identifier in the legacy tool (Zap id, crontab line, sheet name).",
    ),
    f(
        "notes",
        Kind::StringMap,
        false,
        "Further facts about the origin, in a stable order.",
    ),
];

/// Webhook `auth:` keys.
pub const AUTH: &[Field] = &[
    f(
        "hmac_sha256",
        Kind::Text,
        true,
        "secret:// reference to the HMAC-SHA256 key that signs the body.",
    ),
    f(
        "header",
        Kind::Text,
        false,
        "Header carrying the hex signature (default X-Claw-Signature).",
    ),
];

/// Trigger keys, in canonical (written) order.
pub const TRIGGER: &[Field] = &[
    f(
        "description",
        Kind::Text,
        false,
        "What this trigger is, for people.",
    ),
    f(
        "source",
        Kind::OneOf(crate::model::Source::WORDS),
        true,
        "Where events come from.",
    ),
    f(
        "schedule",
        Kind::Text,
        false,
        "Crontab schedule: 5 fields or @hourly/@daily/@weekly/@monthly/@yearly (source: schedule).",
    ),
    f(
        "timezone",
        Kind::Text,
        false,
        "IANA time zone of the schedule (default UTC).",
    ),
    f(
        "catch_up",
        Kind::OneOf(crate::model::CatchUp::WORDS),
        false,
        "What to do with fire times missed while down (default none).",
    ),
    f(
        "every",
        Kind::Duration,
        false,
        "Polling interval (source: poll).",
    ),
    f(
        "action",
        Kind::Text,
        false,
        "Read operation polled, adapter.operation (source: poll).",
    ),
    f(
        "with",
        Kind::Params,
        false,
        "Parameters of the polled read operation.",
    ),
    f(
        "subject",
        Kind::Text,
        false,
        "Queue subject (source: queue).",
    ),
    f(
        "inputs",
        Kind::Names,
        false,
        "Names of the inputs a calling system's system.call may pass; the run's payload holds them (source: call).",
    ),
    f(
        "path",
        Kind::Text,
        false,
        "Extra HTTP path for the webhook (default /hooks/<system>/<trigger>).",
    ),
    f(
        "auth",
        Kind::Object(AUTH),
        false,
        "Webhook signature check.",
    ),
    f(
        "body",
        Kind::OneOf(crate::model::HookBody::WORDS),
        false,
        "How a webhook reads the request: json (default), any (JSON, form or query string, as Zapier's Catch Hook) or raw (body, headers and query string unparsed).",
    ),
    f(
        "idempotency",
        Kind::Expr,
        false,
        "Expression over the payload whose value identifies a delivery; repeats are ignored.",
    ),
    f(
        "emits",
        Kind::Text,
        false,
        "Event emitted (default: the trigger name).",
    ),
    f(
        "enabled",
        Kind::Bool,
        false,
        "false declares the trigger without starting it (paused Zap, disabled job).",
    ),
    LEGACY,
];

/// Decision-table rule keys.
pub const RULE: &[Field] = &[
    f("if", Kind::Expr, true, "Condition of this rule."),
    f(
        "then",
        Kind::Params,
        false,
        "Output values when the rule holds.",
    ),
    f(
        "emit",
        Kind::Text,
        false,
        "Event emitted when the rule holds (default: the decision's emits).",
    ),
];

/// Decision-table default keys.
pub const RULE_DEFAULT: &[Field] = &[
    f(
        "then",
        Kind::Params,
        false,
        "Output values when no rule holds.",
    ),
    f(
        "emit",
        Kind::Text,
        false,
        "Event emitted when no rule holds; omit both to stop the run.",
    ),
];

/// Decision keys (a decision has exactly one of `when`, `rules`, `policy`).
pub const DECISION: &[Field] = &[
    f(
        "description",
        Kind::Text,
        false,
        "What this decision is, for people.",
    ),
    f(
        "on",
        Kind::Names,
        false,
        "Events consumed (default: every trigger of the system).",
    ),
    f(
        "inputs",
        Kind::Names,
        false,
        "Values the decision reads: payload fields, data tables, state stores, earlier steps.",
    ),
    f(
        "when",
        Kind::Expr,
        false,
        "Boolean expression: continue when true, stop otherwise.",
    ),
    f(
        "rules",
        Kind::List(RULE),
        false,
        "Ordered decision table; the first rule that holds wins.",
    ),
    f(
        "default",
        Kind::Object(RULE_DEFAULT),
        false,
        "Outcome of a decision table when no rule holds.",
    ),
    f(
        "policy",
        Kind::Text,
        false,
        "Policy file (.cel, .js, .ts) relative to the .claw file.",
    ),
    f(
        "emits",
        Kind::Names,
        false,
        "Events emitted when the run continues (default: the decision name).",
    ),
    LEGACY,
];

/// Execution keys, in canonical (written) order.
pub const EXECUTION: &[Field] = &[
    f(
        "description",
        Kind::Text,
        false,
        "What this step does, for people.",
    ),
    f(
        "on",
        Kind::Names,
        true,
        "Event(s) that start this step; <step>.succeeded / <step>.failed chain steps.",
    ),
    f(
        "delay",
        Kind::Text,
        false,
        "Wait before running: a duration, or a {{ }} template giving a time.",
    ),
    f(
        "action",
        Kind::Text,
        true,
        "adapter.operation, e.g. http.post, shell.run, slack.post.",
    ),
    f(
        "with",
        Kind::Params,
        false,
        "Parameters; strings may hold {{ expression }} templates.",
    ),
    f(
        "retries",
        Kind::Count,
        false,
        "Retries after the first attempt.",
    ),
    f(
        "backoff",
        Kind::Text,
        false,
        "Wait between retries: `exponential 1s..5m`, `fixed 30s`.",
    ),
    f("timeout", Kind::Duration, false, "Per-attempt timeout."),
    f(
        "idempotency",
        Kind::Expr,
        false,
        "Expression giving the idempotency key passed to the adapter.",
    ),
    f(
        "dead_letter",
        Kind::Text,
        false,
        "Where work goes after the last retry, e.g. queue://ops.dlq.",
    ),
    f(
        "enabled",
        Kind::Bool,
        false,
        "false declares the step but skips it (a paused legacy step).",
    ),
    f(
        "for_each",
        Kind::Expr,
        false,
        "Expression giving a list: the step runs once per item, in order (each.item, each.index).",
    ),
    f(
        "on_item_failure",
        Kind::OneOf(crate::model::ItemFailure::WORDS),
        false,
        "What a failed item does to the rest of a for_each step (default continue).",
    ),
    f(
        "max_items",
        Kind::Count,
        false,
        "Most items a for_each step accepts, 1 to 1000 (default 500, Zapier's cap).",
    ),
    LEGACY,
];

/// `data.events` keys.
pub const EVENTS: &[Field] = &[
    f("store", Kind::Text, true, "Event store name (event-log)."),
    f(
        "retention",
        Kind::Duration,
        true,
        "How long events are kept, e.g. 365d.",
    ),
];

/// State store keys.
pub const STATE: &[Field] = &[
    f("description", Kind::Text, false, "What the store holds."),
    f("key", Kind::Expr, false, "Expression giving the entry key."),
    f("ttl", Kind::Duration, false, "How long entries live."),
];

/// Reference table keys.
pub const TABLE: &[Field] = &[
    f("description", Kind::Text, false, "What the table holds."),
    f(
        "source",
        Kind::Text,
        false,
        "File holding the rows (CSV or JSON), relative to the .claw file.",
    ),
    f("key", Kind::Text, false, "Key column."),
    f("rows", Kind::Rows, false, "Inline rows."),
];

/// Digest keys (`data.digests`).
pub const DIGEST: &[Field] = &[
    f(
        "description",
        Kind::Text,
        false,
        "What the digest collects.",
    ),
    f(
        "release",
        Kind::OneOf(crate::model::DigestRelease::WORDS),
        true,
        "When the entries are released: on a count, on a schedule, or by a digest.release step (manual).",
    ),
    f(
        "count",
        Kind::Count,
        false,
        "How many entries a `release: count` digest releases at (1 to 1000).",
    ),
    f(
        "separator",
        Kind::Text,
        false,
        "Text between entries in the released digest (a newline when absent).",
    ),
    f(
        "schedule",
        Kind::Text,
        false,
        "When a `release: schedule` digest is released: a crontab line, as for a schedule trigger.",
    ),
    f(
        "timezone",
        Kind::Text,
        false,
        "IANA time zone of the digest's schedule (default UTC).",
    ),
];

/// Data layer keys.
pub const DATA: &[Field] = &[
    f(
        "events",
        Kind::Object(EVENTS),
        true,
        "The append-only event log.",
    ),
    f(
        "state",
        Kind::NamedList(STATE),
        false,
        "Named state stores.",
    ),
    f(
        "tables",
        Kind::NamedList(TABLE),
        false,
        "Named reference tables decisions can read.",
    ),
    f(
        "digests",
        Kind::NamedList(DIGEST),
        false,
        "Named digests: durable batches the digest.* steps append to and release.",
    ),
];

/// Keys of one `observability.alerts` item.
pub const ALERT: &[Field] = &[
    f(
        "on",
        Kind::Expr,
        true,
        "Condition over SLO and metric names, e.g. error_rate > 1%.",
    ),
    f(
        "route",
        Kind::Text,
        false,
        "Where the alert goes: slack://, email://, webhook://, pagerduty://.",
    ),
    f("description", Kind::Text, false, "What the alert means."),
];

/// Observability layer keys.
pub const OBSERVABILITY: &[Field] = &[
    f(
        "slo",
        Kind::StringMap,
        false,
        "Objectives by name: latency (`p95: 500ms`) or ratio (`<0.5%`).",
    ),
    f(
        "alerts",
        Kind::List(ALERT),
        false,
        "Alerts on SLO and metric conditions.",
    ),
    f(
        "owner",
        Kind::Text,
        false,
        "Team or person who owns the system.",
    ),
];

/// Top-level keys.
pub const TOP: &[Field] = &[
    f(
        "system",
        Kind::Text,
        true,
        "System name: lower-case letters, digits, _ and -.",
    ),
    f(
        "version",
        Kind::Text,
        true,
        "Semantic version of this description (MAJOR.MINOR.PATCH).",
    ),
    f("description", Kind::Text, false, "What the system does."),
    f(
        "provenance",
        Kind::Object(PROVENANCE),
        false,
        "Where an imported system came from.",
    ),
    f(
        "triggers",
        Kind::NamedList(TRIGGER),
        true,
        "Trigger layer: what starts a run.",
    ),
    f(
        "decisions",
        Kind::NamedList(DECISION),
        true,
        "Decision layer: whether and how a run proceeds.",
    ),
    f(
        "execution",
        Kind::NamedList(EXECUTION),
        true,
        "Execution layer: the side-effecting steps.",
    ),
    f(
        "data",
        Kind::Object(DATA),
        true,
        "Data layer: event log, state, reference tables.",
    ),
    f(
        "observability",
        Kind::Object(OBSERVABILITY),
        true,
        "Observability layer: SLOs, alerts, owner.",
    ),
];

/// The closest accepted key to an unknown one, if any is close enough.
pub fn suggest<'a>(unknown: &str, fields: &'a [Field]) -> Option<&'a str> {
    fields
        .iter()
        .map(|f| (strsim::jaro_winkler(unknown, f.name), f.name))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| n)
}
