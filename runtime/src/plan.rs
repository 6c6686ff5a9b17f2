//! A checked system compiled for running: expressions compiled, policies read, units parsed.

use claw_language::expr::{self, Compiled};
use claw_language::model::{Decision, Execution, Logic, RuleDefault, Source, System, Trigger};
use claw_language::units::{self, Backoff};
use indexmap::IndexMap;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod template;

pub use template::{Template, TemplatePiece};

/// Why a system cannot be run.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file that could not be read: the system, a policy or a code file.
        path: String,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// The system has errors; `rendered` holds the diagnostics.
    #[error("{path} is not a valid system:\n{rendered}")]
    Invalid {
        /// The system file that does not check.
        path: String,
        /// Rendered diagnostics.
        rendered: String,
    },
    /// A part of the system this runtime cannot run.
    #[error("{path}: {message}")]
    Unsupported {
        /// The system file holding the part.
        path: String,
        /// What and why.
        message: String,
    },
}

/// A decision's compiled logic.
#[derive(Debug, Clone)]
pub enum DecisionLogic {
    /// Boolean condition.
    When(Compiled),
    /// Rules in order, then the default.
    Rules(
        Vec<(Compiled, IndexMap<String, Value>, Option<String>)>,
        Option<RuleDefault>,
    ),
    /// A `.cel` policy.
    Cel(Compiled),
    /// A `.js` policy source.
    Js(String),
}

/// One decision ready to run.
#[derive(Debug, Clone)]
pub struct DecisionPlan {
    /// The decision's name, as in the system (also its default event).
    pub name: String,
    /// Events consumed (empty: every trigger event).
    pub on: Vec<String>,
    /// Events emitted when continuing.
    pub emits: Vec<String>,
    /// How the decision decides: a condition, rules, or a policy.
    pub logic: DecisionLogic,
}

/// One execution step ready to run.
#[derive(Debug, Clone)]
pub struct StepPlan {
    /// The model.
    pub exec: Execution,
    /// Compiled idempotency expression.
    pub idempotency: Option<Compiled>,
    /// Total attempts (1 + retries).
    pub attempts: u32,
    /// Back-off between attempts.
    pub backoff: Backoff,
    /// Per-attempt timeout.
    pub timeout: Duration,
    /// Fixed delay before the first attempt (a duration), or a template giving a time.
    pub delay: Option<DelayPlan>,
    /// The step's `with:` parameters as templates compiled once at load (compiling CEL
    /// is far costlier than evaluating it, and the parameters are rendered on every run).
    pub params: Template,
    /// Compiled `for_each` expression: the step runs once per item of the list it gives.
    pub for_each: Option<Compiled>,
}

/// A step's delay.
#[derive(Debug, Clone)]
pub enum DelayPlan {
    /// Wait this long after the step becomes runnable.
    For(Duration),
    /// Wait until the RFC 3339 time the template renders to.
    Until(String),
    /// `delay.queue`: wait for this run's turn in the queue its `queue` parameter names
    /// (rendered per run; the step's name without one), each turn `spacing` after the last.
    Queue(Duration),
}

/// A trigger ready to accept payloads.
#[derive(Debug, Clone)]
pub struct TriggerPlan {
    /// The model.
    pub trigger: Trigger,
    /// Compiled idempotency expression.
    pub idempotency: Option<Compiled>,
}

/// A system ready to run.
#[derive(Debug, Clone)]
pub struct LoadedSystem {
    /// The model.
    pub system: System,
    /// File it came from.
    pub path: PathBuf,
    /// Source text (saved in the store for replay).
    pub source: String,
    /// The triggers, in file order, with their idempotency expressions compiled.
    pub triggers: Vec<TriggerPlan>,
    /// Decisions in order.
    pub decisions: Vec<DecisionPlan>,
    /// Steps in order.
    pub steps: Vec<StepPlan>,
    /// Names read as `secrets.NAME` in templates (they render to references).
    pub secret_names: BTreeSet<String>,
    /// Reference tables by name (inline rows).
    pub tables: serde_json::Map<String, Value>,
}

/// The script of a `code.js` or `code.python` step that names a `file:` (relative to the system file, as the
/// Zapier importer writes extracted Code steps) instead of inline `code:`, read once at load
/// so a missing file is an error before any run, and a replay runs the script it loaded.
fn code_file(base: &Path, x: &Execution, with: &Value) -> Result<Option<String>, LoadError> {
    if !matches!(x.action.as_str(), "code.js" | "code.python") || with.get("code").is_some() {
        return Ok(None);
    }
    let Some(file) = with.get("file").and_then(Value::as_str) else {
        return Ok(None);
    };
    let p = base.join(file);
    std::fs::read_to_string(&p)
        .map(Some)
        .map_err(|source| LoadError::Read {
            path: p.display().to_string(),
            source,
        })
}

/// Default per-attempt timeout when a step states none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

fn unsupported(path: &Path, message: String) -> LoadError {
    LoadError::Unsupported {
        path: path.display().to_string(),
        message,
    }
}

fn compile_expr(path: &Path, what: &str, text: &str) -> Result<Compiled, LoadError> {
    expr::compile(text).map_err(|e| unsupported(path, format!("{what}: {e}")))
}

/// A decision compiled: its conditions, or its policy file read (and a `.ts` one stripped
/// to JavaScript). `path` labels errors; `base` resolves the policy file.
fn decision_plan(path: &Path, base: &Path, d: &Decision) -> Result<DecisionPlan, LoadError> {
    let what = format!("decision `{}`", d.name);
    let logic = match &d.logic {
        Logic::When(c) => DecisionLogic::When(compile_expr(path, &what, c)?),
        Logic::Rules { rules, default } => DecisionLogic::Rules(
            rules
                .iter()
                .map(|r| {
                    Ok((
                        compile_expr(path, &what, &r.condition)?,
                        r.then.clone(),
                        r.emit.clone(),
                    ))
                })
                .collect::<Result<_, LoadError>>()?,
            default.clone(),
        ),
        Logic::Policy(file) => policy_logic(path, &what, &base.join(file))?,
    };
    Ok(DecisionPlan {
        name: d.name.clone(),
        on: d.on.clone(),
        emits: if d.emits.is_empty() {
            vec![d.name.clone()]
        } else {
            d.emits.clone()
        },
        logic,
    })
}

/// The logic of a policy file `p` by its extension: `.cel` compiled, `.js` as is, `.ts`
/// stripped to JavaScript; any other extension is unsupported.
fn policy_logic(path: &Path, what: &str, p: &Path) -> Result<DecisionLogic, LoadError> {
    let text = std::fs::read_to_string(p).map_err(|source| LoadError::Read {
        path: p.display().to_string(),
        source,
    })?;
    match p.extension().and_then(|e| e.to_str()) {
        Some("cel") => Ok(DecisionLogic::Cel(compile_expr(path, what, text.trim())?)),
        Some("js") => Ok(DecisionLogic::Js(text)),
        Some("ts") => Ok(DecisionLogic::Js(
            crate::sandbox::typescript_to_js(p, &text)
                .map_err(|m| unsupported(path, format!("{what}: {m}")))?,
        )),
        _ => Err(unsupported(
            path,
            format!("{what}: policy {} must be .cel, .js or .ts", p.display()),
        )),
    }
}

/// An execution step compiled: back-off, timeout and delay parsed (defaults filled in),
/// idempotency and parameters compiled, a `code.js` or `code.python` step's `file:` read.
fn step_plan(path: &Path, base: &Path, x: &Execution) -> Result<StepPlan, LoadError> {
    let what = format!("execution `{}`", x.name);
    let backoff = match &x.backoff {
        Some(b) => {
            units::parse_backoff(b).map_err(|e| unsupported(path, format!("{what}: {e}")))?
        }
        None => Backoff::Exponential {
            base: Duration::from_secs(1),
            max: Duration::from_secs(300),
        },
    };
    let timeout = match &x.timeout {
        Some(t) => {
            units::parse_duration(t).map_err(|e| unsupported(path, format!("{what}: {e}")))?
        }
        None => DEFAULT_TIMEOUT,
    };
    let delay = match &x.delay {
        None if x.action == "delay.queue" => {
            let spacing = x
                .with
                .get("spacing")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    unsupported(
                        path,
                        format!("{what}: `delay.queue` needs `spacing:`, a duration such as `1m`"),
                    )
                })?;
            Some(DelayPlan::Queue(units::parse_duration(spacing).map_err(
                |e| unsupported(path, format!("{what}: spacing: {e}")),
            )?))
        }
        None => None,
        Some(d) if d.contains("{{") => Some(DelayPlan::Until(d.clone())),
        Some(d) => Some(DelayPlan::For(
            units::parse_duration(d).map_err(|e| unsupported(path, format!("{what}: {e}")))?,
        )),
    };
    let idempotency = match &x.idempotency {
        Some(e) => Some(compile_expr(path, &format!("{what} idempotency"), e)?),
        None => None,
    };
    let for_each = match &x.for_each {
        Some(e) => Some(compile_expr(path, &format!("{what} for_each"), e)?),
        None => None,
    };
    let with = serde_json::to_value(&x.with).unwrap_or(Value::Null);
    let mut params = Template::compile(&with);
    if let Some(script) = code_file(base, x, &with)? {
        // The script is code, not a template: `{{` inside it stays as written.
        params = params.with_literal("code", Value::String(script));
    }
    Ok(StepPlan {
        exec: x.clone(),
        idempotency,
        attempts: x.retries.unwrap_or(0).saturating_add(1),
        backoff,
        timeout,
        delay,
        params,
        for_each,
    })
}

impl LoadedSystem {
    /// Reads, checks and compiles a `.claw` file; an invalid system is refused with its
    /// rendered diagnostics.
    pub fn load(path: &Path) -> Result<LoadedSystem, LoadError> {
        let (text, checked) =
            claw_language::check::check_file(path).map_err(|source| LoadError::Read {
                path: path.display().to_string(),
                source,
            })?;
        Self::from_checked(path, text, checked)
    }

    /// Checks and compiles source text; `path` labels errors and resolves policy files.
    pub fn from_text(path: &Path, text: &str) -> Result<LoadedSystem, LoadError> {
        let label = path.display().to_string();
        let checked = claw_language::check::check_text(text, Some(&label), path.parent());
        Self::from_checked(path, text.to_string(), checked)
    }

    fn from_checked(
        path: &Path,
        text: String,
        checked: claw_language::check::Checked,
    ) -> Result<LoadedSystem, LoadError> {
        let Some(system) = checked.valid_system().cloned() else {
            let errors: Vec<_> = checked
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .cloned()
                .collect();
            return Err(LoadError::Invalid {
                path: path.display().to_string(),
                rendered: claw_language::diag::render(&errors, &text, false),
            });
        };
        Self::compile(path, text, system)
    }

    /// Compiles a checked system.
    pub fn compile(path: &Path, source: String, system: System) -> Result<LoadedSystem, LoadError> {
        let base = path.parent().unwrap_or(Path::new("."));
        let mut triggers = Vec::new();
        for t in &system.triggers {
            let idempotency = match &t.idempotency {
                Some(e) => Some(compile_expr(
                    path,
                    &format!("trigger `{}` idempotency", t.name),
                    e,
                )?),
                None => None,
            };
            triggers.push(TriggerPlan {
                trigger: t.clone(),
                idempotency,
            });
        }
        let decisions = system
            .decisions
            .iter()
            .map(|d| decision_plan(path, base, d))
            .collect::<Result<_, _>>()?;
        let mut steps = Vec::new();
        let mut secret_names = BTreeSet::new();
        for x in &system.execution {
            let text = serde_json::to_string(&x.with).unwrap_or_default();
            secret_names.extend(crate::secrets::referenced_names(&text));
            steps.push(step_plan(path, base, x)?);
        }
        let mut tables = serde_json::Map::new();
        for t in &system.data.tables {
            let rows = serde_json::to_value(&t.rows).unwrap_or(Value::Array(Vec::new()));
            tables.insert(t.name.clone(), rows);
        }
        Ok(LoadedSystem {
            system,
            path: path.to_path_buf(),
            source,
            triggers,
            decisions,
            steps,
            secret_names,
            tables,
        })
    }

    /// System name.
    pub fn name(&self) -> &str {
        &self.system.system
    }

    /// A trigger by name.
    pub fn trigger(&self, name: &str) -> Option<&TriggerPlan> {
        self.triggers.iter().find(|t| t.trigger.name == name)
    }

    /// The webhook trigger answering `path` (its name, or its `path:` override).
    pub fn webhook(&self, path: &str) -> Option<&TriggerPlan> {
        self.triggers.iter().find(|t| {
            t.trigger.source == Source::Webhook
                && t.trigger.is_enabled()
                && (t.trigger.name == path
                    || t.trigger.path.as_deref().map(|p| p.trim_matches('/')) == Some(path))
        })
    }
}

/// The wait before attempt `attempt + 1` after attempt `attempt` failed (1-based), with
/// full jitter on exponential back-off so a fleet of retries does not stampede.
pub fn backoff_delay(backoff: &Backoff, attempt: u32) -> Duration {
    match backoff {
        Backoff::Fixed(d) => *d,
        Backoff::Exponential { base, max } => {
            let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
            let cap = exp.min(*max);
            // Half fixed, half random: never shorter than half the nominal wait.
            let half = cap / 2;
            half + Duration::from_nanos(fastrand::u64(
                0..=half.as_nanos().min(u64::MAX as u128) as u64,
            ))
        }
    }
}

#[cfg(test)]
mod tests;
