//! What the comparison needs from the imported `.claw` system: how to key a
//! payload (the trigger's idempotency expression), which legacy step maps to
//! which `.claw` step or decision, and the schedules.

use crate::model::{Correlation, key_text, payload_digest};
use claw_language::expr::{Compiled, compile};
use claw_language::model::{Source, System};
use claw_language::units::slug;
use serde_json::Value;

/// One trigger as the shadow sees it.
#[derive(Debug)]
pub struct TriggerBinding {
    /// Trigger name, as in the `.claw` system.
    pub name: String,
    /// Compiled idempotency expression, when the trigger has one that compiles.
    pub key: Option<Compiled>,
    /// Crontab schedule and zone, for `schedule` triggers.
    pub schedule: Option<(String, Option<String>)>,
    /// Commands of the `shell.run` steps started by this trigger (to recognise cron lines).
    pub commands: Vec<String>,
}

/// A `.claw` step or decision a legacy step can map to.
#[derive(Debug)]
struct Target {
    name: String,
    action: Option<String>,
    /// Lower-cased legacy facts and the slugged description, matched against legacy step ids/titles.
    aliases: Vec<String>,
}

/// The parts of a system shadow mode uses.
#[derive(Debug)]
pub struct Binding {
    /// System name, written into every outcome the parsers make.
    pub system: String,
    /// Only runs of this legacy id (the live Zap id) are read; `None`: all runs.
    /// Not taken from `provenance.legacy_id`, which holds the export-local Zap id.
    pub legacy_id: Option<String>,
    /// Triggers in declaration order.
    pub triggers: Vec<TriggerBinding>,
    steps: Vec<Target>,
    decisions: Vec<Target>,
}

/// What a legacy step turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Mapped {
    /// A `.claw` execution step (name, action).
    Step(String, String),
    /// A `.claw` decision.
    Decision(String),
}

impl Binding {
    /// Builds the binding. Idempotency expressions that do not compile are ignored
    /// (the payload digest is used instead); `claw check` reports them.
    pub fn new(sys: &System) -> Binding {
        let triggers = sys
            .triggers
            .iter()
            .map(|t| TriggerBinding {
                name: t.name.clone(),
                key: t.idempotency.as_deref().and_then(|e| compile(e).ok()),
                schedule: (t.source == Source::Schedule)
                    .then(|| t.schedule.clone().map(|s| (s, t.timezone.clone())))
                    .flatten(),
                commands: sys
                    .execution
                    .iter()
                    .filter(|e| e.on.iter().any(|o| o == &t.name) && e.action == "shell.run")
                    .filter_map(|e| e.with.get("command").and_then(Value::as_str))
                    .map(|c| c.trim().to_string())
                    .collect(),
            })
            .collect();
        let aliases =
            |name: &str, desc: &Option<String>, legacy: &indexmap::IndexMap<String, String>| {
                let mut a: Vec<String> = legacy.values().map(|v| v.trim().to_lowercase()).collect();
                a.extend(legacy.values().map(|v| slug(v)));
                if let Some(d) = desc {
                    a.push(slug(d));
                }
                a.push(name.to_string());
                a
            };
        Binding {
            system: sys.system.clone(),
            legacy_id: None,
            triggers,
            steps: sys
                .execution
                .iter()
                .map(|e| Target {
                    name: e.name.clone(),
                    action: Some(e.action.clone()),
                    aliases: aliases(&e.name, &e.description, &e.legacy),
                })
                .collect(),
            decisions: sys
                .decisions
                .iter()
                .map(|d| Target {
                    name: d.name.clone(),
                    action: None,
                    aliases: aliases(&d.name, &d.description, &d.legacy),
                })
                .collect(),
        }
    }

    /// The trigger runs of an event source belong to: the named one, else the only
    /// non-schedule trigger.
    pub fn event_trigger(&self, name: Option<&str>) -> Option<&TriggerBinding> {
        if let Some(n) = name {
            return self.triggers.iter().find(|t| t.name == n);
        }
        let mut it = self.triggers.iter().filter(|t| t.schedule.is_none());
        match (it.next(), it.next()) {
            (Some(t), None) => Some(t),
            _ => None,
        }
    }

    /// Correlation for a payload: the idempotency key when the trigger has one and it
    /// evaluates on the payload, else the payload digest.
    pub fn correlate(&self, trigger: Option<&TriggerBinding>, payload: &Value) -> Correlation {
        if let Some(c) = trigger.and_then(|t| t.key.as_ref()) {
            // Same scope as the runtime gives the expression: the payload's fields and `payload`.
            let mut scope = match payload {
                Value::Object(m) => m.clone(),
                _ => serde_json::Map::new(),
            };
            scope.insert("payload".into(), payload.clone());
            if let Ok(v) = c.eval(&Value::Object(scope))
                && !v.is_null()
            {
                return Correlation::Key(key_text(&v));
            }
        }
        Correlation::Payload(payload_digest(payload))
    }

    /// Maps a legacy step (by any of its identifiers: node id, title) onto the system.
    pub fn map_step(&self, idents: &[&str]) -> Option<Mapped> {
        let wanted: Vec<String> = idents
            .iter()
            .filter(|s| !s.trim().is_empty())
            .flat_map(|s| [s.trim().to_lowercase(), slug(s)])
            .collect();
        let hit = |t: &Target| t.aliases.iter().any(|a| wanted.contains(a));
        if let Some(t) = self.steps.iter().find(|t| hit(t)) {
            return Some(Mapped::Step(
                t.name.clone(),
                t.action.clone().unwrap_or_default(),
            ));
        }
        self.decisions
            .iter()
            .find(|t| hit(t))
            .map(|t| Mapped::Decision(t.name.clone()))
    }

    /// The schedule trigger whose `shell.run` command is `command`, or named `job`.
    pub fn cron_trigger(
        &self,
        job: Option<&str>,
        command: Option<&str>,
    ) -> Option<&TriggerBinding> {
        if let Some(j) = job
            && let Some(t) = self.triggers.iter().find(|t| t.name == j)
        {
            return Some(t);
        }
        let cmd = command?.trim();
        self.triggers
            .iter()
            .find(|t| t.schedule.is_some() && t.commands.iter().any(|c| c == cmd))
    }
}

/// Hex SHA-256 of the system's canonical `.claw` text: identifies the version of the system a
/// shadow outcome was recorded against (layout and comments do not count).
pub fn system_digest(sys: &System) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(
        claw_language::write::to_claw(sys).as_bytes(),
    ))
}
