//! Header recognition: column roles of a runbook register, matched case- and
//! punctuation-insensitively against a table of synonyms.
//!
//! To accept another spelling, add it to [`SYNONYMS`] (normalised: lower case, words separated
//! by one space) and to the table in docs/importers/sheet.md.

/// What a register column means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Automation name.
    Name,
    /// Row identifier (names the generated items).
    Id,
    /// Idempotency / dedupe key expression.
    Key,
    /// Event that starts the automation.
    Trigger,
    /// When it runs (free text or crontab).
    Schedule,
    /// Guard that must hold.
    Condition,
    /// What it does.
    Action,
    /// App or tool doing it.
    System,
    /// Recipient, channel or URL.
    Target,
    /// Who answers for it.
    Owner,
    /// Retries after the first attempt.
    Retries,
    /// SLA / deadline → timeout.
    Sla,
    /// active / paused.
    Status,
    /// Free text.
    Notes,
    /// IANA time zone of the schedule.
    Timezone,
}

impl Role {
    /// Name used in findings and docs.
    pub fn label(self) -> &'static str {
        match self {
            Role::Name => "name",
            Role::Id => "id",
            Role::Key => "key",
            Role::Trigger => "trigger",
            Role::Schedule => "schedule",
            Role::Condition => "condition",
            Role::Action => "action",
            Role::System => "system",
            Role::Target => "target",
            Role::Owner => "owner",
            Role::Retries => "retries",
            Role::Sla => "sla",
            Role::Status => "status",
            Role::Notes => "notes",
            Role::Timezone => "timezone",
        }
    }
}

/// Accepted header spellings per role (normalised). A header matches a synonym when the whole
/// header, or one of its parts, equals it after normalisation; parts are separated by brackets,
/// slashes, bars, colons and commas (`Schedule (UTC)` → `schedule`, `utc`; `Owner / Escalation`
/// → `owner`, `escalation`). A synonym is never matched as the start of a longer part:
/// `On-hand Qty` is one part, `on hand qty`, and not the trigger synonym `on`.
pub const SYNONYMS: &[(Role, &[&str])] = &[
    (
        Role::Name,
        &[
            "name",
            "automation",
            "automation name",
            "job",
            "job name",
            "task",
            "task name",
            "title",
            "workflow",
            "process",
            "runbook",
            "rule name",
        ],
    ),
    (
        Role::Id,
        &[
            "id",
            "ref",
            "reference",
            "no",
            "nr",
            "number",
            "job id",
            "automation id",
            "row id",
            "step id",
        ],
    ),
    (
        Role::Key,
        &[
            "key",
            "idempotency",
            "idempotency key",
            "dedupe",
            "dedupe key",
            "dedup key",
            "deduplication key",
            "unique key",
            "unique by",
        ],
    ),
    (
        Role::Trigger,
        &[
            "trigger",
            "when",
            "event",
            "on",
            "trigger event",
            "starts when",
            "triggered by",
            "start",
        ],
    ),
    (
        Role::Schedule,
        &[
            "schedule",
            "frequency",
            "time",
            "cron",
            "runs",
            "run at",
            "run time",
            "when to run",
            "cadence",
            "interval",
            "timing",
            "recurrence",
        ],
    ),
    (
        Role::Condition,
        &[
            "condition",
            "conditions",
            "if",
            "only if",
            "filter",
            "criteria",
            "guard",
        ],
    ),
    (
        Role::Action,
        &[
            "action",
            "actions",
            "then",
            "do",
            "step",
            "what",
            "command",
            "activity",
            "what to do",
        ],
    ),
    (
        Role::System,
        &[
            "system",
            "app",
            "application",
            "tool",
            "service",
            "platform",
            "integration",
        ],
    ),
    (
        Role::Target,
        &[
            "target",
            "recipient",
            "recipients",
            "channel",
            "to",
            "destination",
            "notify",
            "send to",
            "url",
            "endpoint",
        ],
    ),
    (
        Role::Owner,
        &[
            "owner",
            "escalation",
            "escalate to",
            "escalation contact",
            "responsible",
            "contact",
            "on call",
            "oncall",
            "team",
            "assignee",
        ],
    ),
    (
        Role::Retries,
        &["retries", "retry", "attempts", "max retries", "retry count"],
    ),
    (
        Role::Sla,
        &[
            "sla",
            "deadline",
            "timeout",
            "due",
            "max duration",
            "time limit",
        ],
    ),
    (Role::Status, &["status", "state", "enabled", "active"]),
    (
        Role::Notes,
        &[
            "notes",
            "note",
            "comments",
            "comment",
            "remarks",
            "description",
            "details",
        ],
    ),
    (Role::Timezone, &["timezone", "time zone", "tz"]),
];

/// Lower case, punctuation to spaces, one space between words.
pub fn normalise(s: &str) -> String {
    let mapped: String = s
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    mapped.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The role a header names, if any.
pub fn role_of(header: &str) -> Option<Role> {
    if header.trim() == "#" {
        return Some(Role::Id);
    }
    let n = normalise(header);
    if n.is_empty() {
        return None;
    }
    let parts: Vec<String> = std::iter::once(n)
        .chain(
            header
                .split(['(', ')', '[', ']', '/', '|', ':', ','])
                .map(normalise)
                .filter(|p| !p.is_empty()),
        )
        .collect();
    // The whole header first, then its parts in order: `Owner / Escalation` is an owner column.
    parts.iter().find_map(|p| exact_role(p))
}

fn exact_role(n: &str) -> Option<Role> {
    SYNONYMS
        .iter()
        .find(|(_, words)| words.contains(&n))
        .map(|(role, _)| *role)
}

/// Every accepted spelling, for the "matches no convention" error.
pub fn accepted_text() -> String {
    let mut s = String::from(
        "accepted: a runbook register needs a header row with an action, trigger or schedule column plus one more known column:",
    );
    for (role, words) in SYNONYMS {
        s.push_str(&format!("\n  {}: {}", role.label(), words.join(", ")));
    }
    s.push_str("\nor a decision table: headers prefixed `if`/`then` (or `when`/`then`), a hit-policy cell (U, F, UNIQUE, FIRST, ...), a `Conditions`/`Outcomes` row above the headers, or condition cells such as `<= 30`, `10-20`, `[10..20]`, `a, b`, `*` left of plain outcome columns");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_ignores_case_and_punctuation() {
        assert_eq!(role_of("TRIGGER"), Some(Role::Trigger));
        assert_eq!(role_of("Schedule (UTC)"), Some(Role::Schedule));
        assert_eq!(role_of("Owner / Escalation"), Some(Role::Owner));
        assert_eq!(role_of("Time zone"), Some(Role::Timezone));
        assert_eq!(role_of("Timeout"), Some(Role::Sla));
        assert_eq!(role_of("On call"), Some(Role::Owner));
        assert_eq!(role_of("#"), Some(Role::Id));
        assert_eq!(role_of("total"), None);
        assert_eq!(role_of("Send to"), Some(Role::Target));
        assert_eq!(role_of(""), None);
    }

    #[test]
    fn synonyms_never_match_the_start_of_longer_words() {
        assert_eq!(role_of("On-hand Qty"), None);
        assert_eq!(role_of("On hand"), None);
        assert_eq!(role_of("Notify list owner"), None);
        assert_eq!(role_of("Time of delivery"), None);
        assert_eq!(role_of("Due (date)"), Some(Role::Sla));
        assert_eq!(role_of("Trigger event"), Some(Role::Trigger));
        assert_eq!(role_of("on"), Some(Role::Trigger));
        assert_eq!(role_of("Action: what to do"), Some(Role::Action));
    }
}
