//! The in-memory form of one `.claw` system.
//!
//! The model carries no source positions: the parser records them in a
//! [`crate::SourceMap`] keyed by [`crate::Path`], so importers can build
//! systems in code without inventing spans.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One operational system: the five layers plus identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct System {
    /// System name (`system:`), a lower-case identifier.
    pub system: String,
    /// Semantic version of the description.
    pub version: String,
    /// Free-text description.
    pub description: Option<String>,
    /// Where an imported system came from.
    pub provenance: Option<Provenance>,
    /// Trigger layer: what starts a run (webhook, schedule, poll, queue, manual).
    pub triggers: Vec<Trigger>,
    /// Decision layer (an explicit empty list states "no decisions").
    pub decisions: Vec<Decision>,
    /// Execution layer: the steps that act on the outside world, in written order.
    pub execution: Vec<Execution>,
    /// Data layer: event retention, state stores and reference tables.
    pub data: Data,
    /// Observability layer: SLOs, alerts and the owner.
    pub observability: Observability,
}

/// Origin of an imported system. Never holds an import time, so output stays deterministic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// Importer kind: `zapier`, `crontab`, `sheet`, ...
    pub kind: String,
    /// Source file, relative as given to the importer.
    pub file: Option<String>,
    /// Identifier in the legacy system (Zap id, crontab line, sheet name).
    pub legacy_id: Option<String>,
    /// Further facts about the origin, in a stable order.
    pub notes: IndexMap<String, String>,
}

/// Declares a keyword enum: each variant with the word `.claw` spells it with, listed once.
/// Generates `ALL`, `WORDS` (which the field table uses as the value set, so the parser, the
/// schema and the docs read the same list), `as_str` and `parse`.
macro_rules! keyword_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $word:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
        }

        impl $name {
            /// Every value, in documentation order.
            pub const ALL: &[$name] = &[$($name::$variant),*];
            /// Every keyword as written in `.claw`, in documentation order.
            pub const WORDS: &[&str] = &[$($word),*];

            /// The keyword as written in `.claw`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word,)*
                }
            }

            /// Reads the keyword; `None` for a word outside [`Self::WORDS`].
            pub fn parse(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|x| x.as_str() == s)
            }
        }
    };
}

keyword_enum! {
    /// Where a trigger's events come from. Adding a source: a variant here, and what it needs
    /// in `validate.rs` (its required and exclusive keys).
    Source {
        /// HTTP POST to `/hooks/<system>/<trigger>`.
        Webhook = "webhook",
        /// Crontab schedule.
        Schedule = "schedule",
        /// Periodic call of a read operation.
        Poll = "poll",
        /// Messages on a named queue subject.
        Queue = "queue",
        /// Fired by hand (`claw fire`) or at start-up.
        Manual = "manual",
        /// Started by another system's `system.call` step, which waits for this run's
        /// `call.return` (a Sub-Zap's "Start a Sub-Zap").
        Call = "call",
    }
}

keyword_enum! {
    /// What a `for_each` step does with the items left after one item failed for good.
    ItemFailure {
        /// Run the remaining items (Looping by Zapier's behaviour); the run still ends failed.
        Continue = "continue",
        /// Skip the remaining items; the step fails.
        Stop = "stop",
    }
}

keyword_enum! {
    /// When a digest (`data.digests`) releases the entries it holds.
    DigestRelease {
        /// When it holds `count` entries: the `digest.append` that adds the last one gets the
        /// batch (Digest by Zapier's "threshold" frequency).
        Count = "count",
        /// Only by a `digest.release` step (Digest by Zapier's "manual" frequency, released by
        /// a "Release Existing Digest" step).
        Manual = "manual",
        /// At each time of its `schedule`: the run continues from the `digest.append` step with
        /// the batch (Digest by Zapier's daily, weekly and monthly frequencies).
        Schedule = "schedule",
    }
}

/// The loop size a `for_each` step accepts when it declares no `max_items`: Looping by
/// Zapier's own cap.
pub const DEFAULT_MAX_ITEMS: u32 = 500;

keyword_enum! {
    /// What to do with schedule fire times missed while the runtime was down.
    CatchUp {
        /// Skip them.
        None = "none",
        /// Run once, for the most recent missed time.
        Latest = "latest",
        /// Run every missed time, oldest first.
        All = "all",
    }
}

keyword_enum! {
    /// How a webhook reads the request it receives.
    HookBody {
        /// A JSON body only (the default): anything else is refused with 415.
        Json = "json",
        /// A JSON body, a form (`application/x-www-form-urlencoded`) or none, with the query
        /// string's fields added (the body's win): what Zapier's Catch Hook accepts.
        Any = "any",
        /// Nothing is parsed: the payload is `raw_body` (the body as text), `headers` (names
        /// in lower case) and `querystring`, as Zapier's Catch Raw Hook gives them.
        Raw = "raw",
    }
}

/// Signature check for webhooks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookAuth {
    /// `secret://NAME` holding the HMAC-SHA256 key.
    pub hmac_sha256: String,
    /// Header carrying the hex signature (default `X-Claw-Signature`).
    pub header: Option<String>,
}

/// One trigger: where a run's first event comes from, and how repeats are recognised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trigger {
    /// Trigger name (the list item's key).
    pub name: String,
    /// Human description (e.g. the legacy step title).
    pub description: Option<String>,
    /// Where events come from.
    pub source: Source,
    /// Expression over the payload giving the deduplication key.
    pub idempotency: Option<String>,
    /// Crontab schedule (5 fields or `@macro`), for `schedule`.
    pub schedule: Option<String>,
    /// IANA time zone of the schedule.
    pub timezone: Option<String>,
    /// Missed fire-time policy, for `schedule`.
    pub catch_up: Option<CatchUp>,
    /// HTTP path override, for `webhook`.
    pub path: Option<String>,
    /// Signature check, for `webhook`.
    pub auth: Option<WebhookAuth>,
    /// How the request is read, for `webhook` (default `json`).
    pub body: Option<HookBody>,
    /// Polling interval, for `poll`.
    pub every: Option<String>,
    /// Read operation (`adapter.operation`), for `poll`.
    pub action: Option<String>,
    /// Parameters of the read operation, for `poll`.
    pub with: IndexMap<String, Value>,
    /// Queue subject, for `queue`.
    pub subject: Option<String>,
    /// Names of the inputs a caller may pass, for `call` (the run's payload fields).
    pub inputs: Vec<String>,
    /// Event emitted (defaults to the trigger name).
    pub emits: Option<String>,
    /// `false` keeps the trigger declared but never started (a paused Zap, a disabled job).
    pub enabled: Option<bool>,
    /// Facts about the legacy origin of this item (step id, app version, cell).
    pub legacy: IndexMap<String, String>,
}

impl Trigger {
    /// A trigger with only a name and a source.
    pub fn new(name: impl Into<String>, source: Source) -> Self {
        Trigger {
            name: name.into(),
            description: None,
            source,
            idempotency: None,
            schedule: None,
            timezone: None,
            catch_up: None,
            path: None,
            auth: None,
            body: None,
            every: None,
            action: None,
            with: IndexMap::new(),
            subject: None,
            inputs: Vec::new(),
            emits: None,
            enabled: None,
            legacy: IndexMap::new(),
        }
    }

    /// The event this trigger emits.
    pub fn event(&self) -> &str {
        self.emits.as_deref().unwrap_or(&self.name)
    }

    /// Whether the trigger is started by the runtime.
    pub fn is_enabled(&self) -> bool {
        self.enabled.unwrap_or(true)
    }
}

/// One row of a decision table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// CEL condition over the decision's inputs; the first rule that holds wins.
    pub condition: String,
    /// Output values when the rule holds.
    pub then: IndexMap<String, Value>,
    /// Event emitted when the rule holds (defaults to the decision's `emits`).
    pub emit: Option<String>,
}

/// What a decision table does when no rule holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleDefault {
    /// Output values merged into the run when no rule holds.
    pub then: IndexMap<String, Value>,
    /// Event emitted; `None` with an empty `then` means "stop".
    pub emit: Option<String>,
}

/// How a decision decides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Logic {
    /// Continue when the boolean expression holds, else stop.
    When(String),
    /// Ordered decision table: the first rule that holds wins.
    Rules {
        /// Rules in order.
        rules: Vec<Rule>,
        /// Fallback when no rule holds (absent: stop).
        default: Option<RuleDefault>,
    },
    /// A policy file (`.cel`, `.js`, `.ts`), relative to the `.claw` file.
    Policy(String),
}

/// One decision: reads inputs and either continues the run (emitting events) or stops it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// Name, unique among triggers, decisions and steps (it is also the default event).
    pub name: String,
    /// Human description.
    pub description: Option<String>,
    /// Events consumed (empty: every trigger of the system).
    pub on: Vec<String>,
    /// Values the decision reads.
    pub inputs: Vec<String>,
    /// The deciding logic.
    pub logic: Logic,
    /// Events emitted when the decision lets the run continue (empty: the decision name).
    pub emits: Vec<String>,
    /// Facts about the legacy origin.
    pub legacy: IndexMap<String, String>,
}

impl Decision {
    /// Events this decision may emit, including rule-specific ones.
    pub fn emitted_events(&self) -> Vec<String> {
        let mut out: Vec<String> = if self.emits.is_empty() {
            vec![self.name.clone()]
        } else {
            self.emits.clone()
        };
        if let Logic::Rules { rules, default } = &self.logic {
            for e in rules
                .iter()
                .filter_map(|r| r.emit.as_ref())
                .chain(default.iter().filter_map(|d| d.emit.as_ref()))
            {
                if !out.contains(e) {
                    out.push(e.clone());
                }
            }
        }
        out
    }
}

/// One execution step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Execution {
    /// Name, unique among triggers, decisions and steps; `<name>.succeeded` chains after it.
    pub name: String,
    /// Human description.
    pub description: Option<String>,
    /// Events that start this step (any of them).
    pub on: Vec<String>,
    /// `adapter.operation`.
    pub action: String,
    /// Parameters; strings may hold `{{ expr }}` templates.
    pub with: IndexMap<String, Value>,
    /// Retries after the first attempt.
    pub retries: Option<u32>,
    /// Backoff between retries, e.g. `exponential 1s..5m`.
    pub backoff: Option<String>,
    /// Per-attempt timeout.
    pub timeout: Option<String>,
    /// Expression giving the key passed to the adapter.
    pub idempotency: Option<String>,
    /// Where failed work goes after the last retry (`queue://…`).
    pub dead_letter: Option<String>,
    /// Wait before running: a duration, or a `{{ }}` template giving a time.
    pub delay: Option<String>,
    /// `false` keeps the step declared but skipped.
    pub enabled: Option<bool>,
    /// CEL expression giving a list: the step runs once per item, in order, each item a
    /// durable unit of its own (templates read `each.item`, `each.index`, `each.iteration`).
    pub for_each: Option<String>,
    /// What a failed item does to the items after it (default `continue`).
    pub on_item_failure: Option<ItemFailure>,
    /// Most items the step accepts; a longer list fails the step (default 500).
    pub max_items: Option<u32>,
    /// Facts about the legacy origin.
    pub legacy: IndexMap<String, String>,
}

impl Execution {
    /// An execution with a name, a trigger event and an action.
    pub fn new(name: impl Into<String>, on: impl Into<String>, action: impl Into<String>) -> Self {
        Execution {
            name: name.into(),
            description: None,
            on: vec![on.into()],
            action: action.into(),
            with: IndexMap::new(),
            retries: None,
            backoff: None,
            timeout: None,
            idempotency: None,
            dead_letter: None,
            delay: None,
            enabled: None,
            for_each: None,
            on_item_failure: None,
            max_items: None,
            legacy: IndexMap::new(),
        }
    }

    /// The adapter part of `action`.
    pub fn adapter(&self) -> &str {
        self.action.split('.').next().unwrap_or(&self.action)
    }

    /// The event emitted on success.
    pub fn succeeded_event(&self) -> String {
        format!("{}.succeeded", self.name)
    }

    /// The event emitted on final failure.
    pub fn failed_event(&self) -> String {
        format!("{}.failed", self.name)
    }

    /// Whether the step is run.
    pub fn is_enabled(&self) -> bool {
        self.enabled.unwrap_or(true)
    }
}

/// Event log settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventStore {
    /// Store name (`event-log`).
    pub store: String,
    /// How long events are kept, e.g. `365d`.
    pub retention: String,
}

/// A named state store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateStore {
    /// Name a decision or step reads the store by.
    pub name: String,
    /// Human description.
    pub description: Option<String>,
    /// CEL expression giving the key each entry is stored under.
    pub key: Option<String>,
    /// How long entries live.
    pub ttl: Option<String>,
}

/// A named digest: a durable batch that `digest.append` steps add entries to and that is
/// released, all at once, to the step that fills it or to a `digest.release` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Digest {
    /// Name the `digest.*` steps use (shared by every system of one store, as a Zapier digest
    /// title is shared by every Zap of an account).
    pub name: String,
    /// Human description.
    pub description: Option<String>,
    /// When the entries are released.
    pub release: DigestRelease,
    /// How many entries a `count` digest releases at.
    pub count: Option<u32>,
    /// Text put between entries in the released digest (a newline when absent).
    pub separator: Option<String>,
    /// A `schedule` digest's release times: a crontab line, as a schedule trigger's.
    pub schedule: Option<String>,
    /// The IANA time zone `schedule` is read in (UTC when absent).
    pub timezone: Option<String>,
}

/// A named reference table a decision can read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// Name a decision input reads the table by.
    pub name: String,
    /// Human description.
    pub description: Option<String>,
    /// File holding the rows (CSV/JSON), relative to the `.claw` file.
    pub source: Option<String>,
    /// Column whose value identifies a row for lookups.
    pub key: Option<String>,
    /// Rows written in the `.claw` file itself (instead of, or besides, `source`).
    pub rows: Vec<IndexMap<String, Value>>,
}

/// The data layer: what the runtime keeps, and what decisions may read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Data {
    /// The event log and how long it is kept.
    pub events: EventStore,
    /// Named key-value stores that outlive a run.
    pub state: Vec<StateStore>,
    /// Read-only tables decisions look values up in.
    pub tables: Vec<Table>,
    /// Durable batches of entries, released on a count or by hand.
    pub digests: Vec<Digest>,
}

/// One alert: a condition over SLOs and metrics, and where it is sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Condition over SLO and metric names.
    pub on: String,
    /// Destination URI; `None` is a lint.
    pub route: Option<String>,
    /// Human description.
    pub description: Option<String>,
}

/// The observability layer: objectives, alerts and who answers them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observability {
    /// Objectives by name, in written order.
    pub slo: IndexMap<String, String>,
    /// Alerts, in written order.
    pub alerts: Vec<Alert>,
    /// Owning team or person.
    pub owner: Option<String>,
}

impl Default for Data {
    fn default() -> Self {
        Data {
            events: EventStore {
                store: "event-log".into(),
                retention: "30d".into(),
            },
            state: Vec::new(),
            tables: Vec::new(),
            digests: Vec::new(),
        }
    }
}

impl System {
    /// A system with empty layers, for importers to fill.
    pub fn new(name: impl Into<String>) -> Self {
        System {
            system: name.into(),
            version: "1.0.0".into(),
            description: None,
            provenance: None,
            triggers: Vec::new(),
            decisions: Vec::new(),
            execution: Vec::new(),
            data: Data::default(),
            observability: Observability {
                slo: IndexMap::new(),
                alerts: Vec::new(),
                owner: None,
            },
        }
    }
}
