//! A checked system compiled for running: expressions compiled, policies read, units parsed.

use claw_language::expr::{self, Compiled, ExprError};
use claw_language::model::{Execution, Logic, RuleDefault, Source, System, Trigger};
use claw_language::units::{self, Backoff};
use indexmap::IndexMap;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why a system cannot be run.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// File.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The system has errors; `rendered` holds the diagnostics.
    #[error("{path} is not a valid system:\n{rendered}")]
    Invalid {
        /// File.
        path: String,
        /// Rendered diagnostics.
        rendered: String,
    },
    /// A part of the system this runtime cannot run.
    #[error("{path}: {message}")]
    Unsupported {
        /// File.
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
    /// Name.
    pub name: String,
    /// Events consumed (empty: every trigger event).
    pub on: Vec<String>,
    /// Events emitted when continuing.
    pub emits: Vec<String>,
    /// Logic.
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
}

/// A JSON value whose strings are templates, compiled once; rendering gives the same
/// result as [`claw_language::expr::render_value`] on the source value.
#[derive(Debug, Clone)]
pub enum Template {
    /// Holds no `{{` anywhere: rendered as is.
    Literal(Value),
    /// A string with holes (or a template error, reported when rendered, as before).
    Text(Result<Vec<TemplatePiece>, ExprError>),
    /// An array of templates.
    Array(Vec<Template>),
    /// An object of templates, in source order.
    Object(Vec<(String, Template)>),
}

/// A piece of a compiled template string.
#[derive(Debug, Clone)]
pub enum TemplatePiece {
    /// Literal text.
    Text(String),
    /// A hole's compiled expression (or why it does not compile).
    Hole(Result<Compiled, ExprError>),
}

impl Template {
    /// Compiles every string inside `v` as a template.
    pub fn compile(v: &Value) -> Template {
        if !has_hole(v) {
            return Template::Literal(v.clone());
        }
        match v {
            Value::String(s) => Template::Text(expr::template_pieces(s).map(|pieces| {
                pieces
                    .into_iter()
                    .map(|p| match p {
                        expr::Piece::Text(t) => TemplatePiece::Text(t),
                        expr::Piece::Hole(e, _) => TemplatePiece::Hole(expr::compile(&e)),
                    })
                    .collect()
            })),
            Value::Array(a) => Template::Array(a.iter().map(Template::compile).collect()),
            Value::Object(m) => Template::Object(
                m.iter()
                    .map(|(k, x)| (k.clone(), Template::compile(x)))
                    .collect(),
            ),
            other => Template::Literal(other.clone()),
        }
    }

    /// Adds (or replaces) `key` in an object template as a literal that is never rendered.
    /// Other shapes are returned unchanged.
    fn with_literal(self, key: &str, value: Value) -> Template {
        match self {
            Template::Literal(Value::Object(mut m)) => {
                m.insert(key.to_string(), value);
                Template::Literal(Value::Object(m))
            }
            Template::Object(mut fields) => {
                fields.retain(|(k, _)| k != key);
                fields.push((key.to_string(), Template::Literal(value)));
                Template::Object(fields)
            }
            other => other,
        }
    }

    /// Renders against `scope`. A string that is exactly one hole keeps the value's type.
    pub fn render(&self, scope: &Value) -> Result<Value, ExprError> {
        Ok(match self {
            Template::Literal(v) => v.clone(),
            Template::Text(pieces) => {
                let pieces = pieces.as_ref().map_err(Clone::clone)?;
                if let [TemplatePiece::Hole(c)] = pieces.as_slice() {
                    return c.as_ref().map_err(Clone::clone)?.eval(scope);
                }
                let mut out = String::new();
                for p in pieces {
                    match p {
                        TemplatePiece::Text(t) => out.push_str(t),
                        TemplatePiece::Hole(c) => {
                            match c.as_ref().map_err(Clone::clone)?.eval(scope)? {
                                Value::String(s) => out.push_str(&s),
                                Value::Null => {}
                                other => out.push_str(&other.to_string()),
                            }
                        }
                    }
                }
                Value::String(out)
            }
            Template::Array(a) => Value::Array(
                a.iter()
                    .map(|t| t.render(scope))
                    .collect::<Result<_, _>>()?,
            ),
            Template::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, t)| Ok((k.clone(), t.render(scope)?)))
                    .collect::<Result<_, ExprError>>()?,
            ),
        })
    }
}

/// Whether any string inside `v` contains `{{` (a hole or an escaped `\{{`).
fn has_hole(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains("{{"),
        Value::Array(a) => a.iter().any(has_hole),
        Value::Object(m) => m.values().any(has_hole),
        _ => false,
    }
}

/// A step's delay.
#[derive(Debug, Clone)]
pub enum DelayPlan {
    /// Wait this long after the step becomes runnable.
    For(Duration),
    /// Wait until the RFC 3339 time the template renders to.
    Until(String),
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
    /// Triggers.
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

/// The script of a `code.js` step that names a `file:` (relative to the system file, as the
/// Zapier importer writes extracted Code steps) instead of inline `code:`, read once at load
/// so a missing file is an error before any run, and a replay runs the script it loaded.
fn code_file(base: &Path, x: &Execution, with: &Value) -> Result<Option<String>, LoadError> {
    if x.action != "code.js" || with.get("code").is_some() {
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

fn compile(path: &Path, what: &str, text: &str) -> Result<Compiled, LoadError> {
    expr::compile(text).map_err(|e| unsupported(path, format!("{what}: {e}")))
}

impl LoadedSystem {
    /// Reads, checks and compiles a `.claw` file. Invalid systems are refused with their
    /// diagnostics.
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
                Some(e) => Some(compile(
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
        let mut decisions = Vec::new();
        for d in &system.decisions {
            let what = format!("decision `{}`", d.name);
            let logic = match &d.logic {
                Logic::When(c) => DecisionLogic::When(compile(path, &what, c)?),
                Logic::Rules { rules, default } => DecisionLogic::Rules(
                    rules
                        .iter()
                        .map(|r| {
                            Ok((
                                compile(path, &what, &r.condition)?,
                                r.then.clone(),
                                r.emit.clone(),
                            ))
                        })
                        .collect::<Result<_, LoadError>>()?,
                    default.clone(),
                ),
                Logic::Policy(file) => {
                    let p = base.join(file);
                    let text = std::fs::read_to_string(&p).map_err(|source| LoadError::Read {
                        path: p.display().to_string(),
                        source,
                    })?;
                    match p.extension().and_then(|e| e.to_str()) {
                        Some("cel") => DecisionLogic::Cel(compile(path, &what, text.trim())?),
                        Some("js") => DecisionLogic::Js(text),
                        Some("ts") => DecisionLogic::Js(
                            crate::sandbox::typescript_to_js(&p, &text)
                                .map_err(|m| unsupported(path, format!("{what}: {m}")))?,
                        ),
                        _ => {
                            return Err(unsupported(
                                path,
                                format!("{what}: policy {} must be .cel, .js or .ts", p.display()),
                            ));
                        }
                    }
                }
            };
            decisions.push(DecisionPlan {
                name: d.name.clone(),
                on: d.on.clone(),
                emits: if d.emits.is_empty() {
                    vec![d.name.clone()]
                } else {
                    d.emits.clone()
                },
                logic,
            });
        }
        let mut steps = Vec::new();
        let mut secret_names = BTreeSet::new();
        for x in &system.execution {
            let what = format!("execution `{}`", x.name);
            let text = serde_json::to_string(&x.with).unwrap_or_default();
            secret_names.extend(crate::secrets::referenced_names(&text));
            let backoff = match &x.backoff {
                Some(b) => units::parse_backoff(b)
                    .map_err(|e| unsupported(path, format!("{what}: {e}")))?,
                None => Backoff::Exponential {
                    base: Duration::from_secs(1),
                    max: Duration::from_secs(300),
                },
            };
            let timeout = match &x.timeout {
                Some(t) => units::parse_duration(t)
                    .map_err(|e| unsupported(path, format!("{what}: {e}")))?,
                None => DEFAULT_TIMEOUT,
            };
            let delay = match &x.delay {
                None => None,
                Some(d) if d.contains("{{") => Some(DelayPlan::Until(d.clone())),
                Some(d) => Some(DelayPlan::For(
                    units::parse_duration(d)
                        .map_err(|e| unsupported(path, format!("{what}: {e}")))?,
                )),
            };
            let idempotency = match &x.idempotency {
                Some(e) => Some(compile(path, &format!("{what} idempotency"), e)?),
                None => None,
            };
            let with = serde_json::to_value(&x.with).unwrap_or(Value::Null);
            let mut params = Template::compile(&with);
            if let Some(script) = code_file(base, x, &with)? {
                // The script is code, not a template: `{{` inside it stays as written.
                params = params.with_literal("code", Value::String(script));
            }
            steps.push(StepPlan {
                exec: x.clone(),
                idempotency,
                attempts: x.retries.unwrap_or(0).saturating_add(1),
                backoff,
                timeout,
                delay,
                params,
            });
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
