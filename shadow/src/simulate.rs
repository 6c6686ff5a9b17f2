//! Runs the imported system in claw-runtime's record-only mode on legacy inputs and turns
//! each run into a shadow outcome (`Runtime::record_only` / `simulate`).

use crate::bind::Binding;
use crate::error::ShadowError;
use crate::model::{Correlation, Outcome, StepOutcome, payload_digest};
use chrono::{DateTime, Utc};
use claw_runtime::engine::Clock;
use claw_runtime::secrets::Secrets;
use claw_runtime::{LoadedSystem, Mode, Runtime, SqlStore, StartOptions};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// The runtime's clock during a simulation: set to the legacy input's time before each
/// run, so `trigger.received_at` and every time the system reads is the time the legacy
/// saw the input (and the report is the same on every re-run).
#[derive(Debug, Default)]
struct InputClock(AtomicI64);

impl Clock for InputClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.0.load(Ordering::SeqCst)).unwrap_or_default()
    }
}

/// A record-only runtime holding one system.
pub struct Simulator {
    rt: Runtime,
    system: String,
    clock: Arc<InputClock>,
}

impl Simulator {
    /// Loads the system, and the systems it calls from the files beside it, and starts a
    /// private record-only runtime (in-memory store).
    pub async fn new(path: &Path) -> Result<Simulator, ShadowError> {
        let sys = load(path)?;
        let called = called_beside(path, &sys)?;
        Simulator::start_with(sys, called).await
    }

    /// Starts a private record-only runtime (in-memory store) for an already loaded system.
    pub async fn start(sys: LoadedSystem) -> Result<Simulator, ShadowError> {
        Simulator::start_with(sys, Vec::new()).await
    }

    /// [`Simulator::start`] with the systems `sys` calls (`system.call`) loaded beside it: their
    /// runs are recorded in the same runtime, under their own run ids.
    async fn start_with(
        sys: LoadedSystem,
        called: Vec<LoadedSystem>,
    ) -> Result<Simulator, ShadowError> {
        let system = sys.system.system.clone();
        let fail = |e: String| ShadowError::System {
            system: system.clone(),
            message: format!("record-only runtime: {e}"),
        };
        // Same set-up as `Runtime::record_only`, plus the input clock.
        let store = SqlStore::connect("sqlite::memory:")
            .await
            .map_err(|e| fail(e.to_string()))?;
        let clock = Arc::new(InputClock::default());
        let mut b = Runtime::builder(Arc::new(store))
            .mode(Mode::RecordOnly)
            .scratch_store(true)
            .secrets(Secrets::none())
            .clock(clock.clone())
            .system(sys);
        for c in called {
            b = b.system(c);
        }
        let rt = b.build().await.map_err(|e| fail(e.to_string()))?;
        Ok(Simulator { rt, system, clock })
    }

    /// Feeds one payload; the outcome is dated `at` (the legacy input's time) so both sides line up.
    pub async fn run(
        &self,
        bind: &Binding,
        trigger: &str,
        payload: Value,
        at: DateTime<Utc>,
        source: String,
    ) -> Result<Outcome, ShadowError> {
        let tb = bind.event_trigger(Some(trigger));
        let correlation = bind.correlate(tb, &payload);
        let digest = payload_digest(&payload);
        self.clock.0.store(at.timestamp_millis(), Ordering::SeqCst);
        let sim = self
            .rt
            .simulate(&self.system, trigger, payload, StartOptions::default())
            .await
            .map_err(|e| ShadowError::System {
                system: self.system.clone(),
                message: format!("record-only run of {trigger} ({source}): {e}"),
            })?;
        Ok(Outcome {
            // The runtime's run id is random; it stays out of the report so re-runs are identical.
            source: format!("{source} (record-only)"),
            system: self.system.clone(),
            trigger: trigger.to_string(),
            correlation,
            at,
            payload_digest: Some(digest),
            branches: sim
                .decisions
                .iter()
                .filter(|d| d.continued)
                .map(|d| d.name.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            steps: sim
                .calls
                .into_iter()
                .map(|c| StepOutcome {
                    step: c.step,
                    action: c.action,
                    params: c.params,
                    idempotency_key: Some(c.idempotency_key),
                    status: "recorded".into(),
                })
                .collect(),
            status: sim.status,
            payload: None,
        })
    }

    /// Runs the shadow side for every input that carries its trigger payload (legacy runs,
    /// mirrored requests, input files), once per input: the imported system's idempotency
    /// would drop the repeats. Inputs are taken in time order; inputs whose correlation
    /// is in `done` (shadow runs recorded elsewhere, e.g. by `serve`) are not run again.
    pub async fn replay_inputs(
        &self,
        bind: &Binding,
        inputs: &[&Outcome],
        done: &BTreeSet<Correlation>,
    ) -> Result<Vec<Outcome>, ShadowError> {
        let mut seen: BTreeSet<Correlation> = done.clone();
        let mut out = Vec::new();
        let mut inputs = inputs.to_vec();
        inputs.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.source.cmp(&b.source)));
        for o in inputs {
            let Some(p) = &o.payload else { continue };
            if !seen.insert(o.correlation.clone()) {
                continue;
            }
            let trigger = if o.trigger.is_empty() {
                match bind.event_trigger(None) {
                    Some(t) => t.name.clone(),
                    None => continue,
                }
            } else {
                o.trigger.clone()
            };
            out.push(
                self.run(bind, &trigger, p.clone(), o.at, o.source.clone())
                    .await?,
            );
        }
        Ok(out)
    }
}

/// Loads a system for the record-only runtime.
pub fn load(path: &Path) -> Result<LoadedSystem, ShadowError> {
    LoadedSystem::load(path).map_err(|e| ShadowError::System {
        system: path.display().to_string(),
        message: e.to_string(),
    })
}

/// The systems `sys` calls, directly or through the systems it calls, loaded from
/// `<dir>/<name>.claw` beside `path` (where the importer writes them). One without such a file
/// is left out: its calls fail in the simulation, which the report shows.
fn called_beside(path: &Path, sys: &LoadedSystem) -> Result<Vec<LoadedSystem>, ShadowError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let callees = |s: &LoadedSystem| -> Vec<String> {
        s.system
            .execution
            .iter()
            .filter(|x| x.action == claw_language::validate::call::CALL_ACTION)
            .filter_map(claw_language::validate::call::callee)
            .map(str::to_string)
            .collect()
    };
    let mut seen: BTreeSet<String> = BTreeSet::from([sys.system.system.clone()]);
    let mut todo = callees(sys);
    let mut out = Vec::new();
    while let Some(name) = todo.pop() {
        let file = dir.join(format!("{name}.claw"));
        if !seen.insert(name) || !file.is_file() {
            continue;
        }
        let s = load(&file)?;
        todo.extend(callees(&s));
        out.push(s);
    }
    Ok(out)
}

/// Reads trigger inputs, JSON Lines of `{"at": RFC 3339, "trigger": name?, "payload": {...}}`
/// (the shape `claw backfill` takes, plus the time), as payload-only outcomes to replay.
pub fn parse_inputs(text: &str, label: &str, bind: &Binding) -> Result<Vec<Outcome>, ShadowError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let v: Value = serde_json::from_str(t).map_err(|e| ShadowError::BadJson {
            file: label.to_string(),
            line: i + 1,
            column: e.column(),
            message: e.to_string(),
        })?;
        let at = v
            .get("at")
            .and_then(Value::as_str)
            .and_then(crate::model::parse_time)
            .ok_or_else(|| ShadowError::shape(label, i + 1, "`at` must be an RFC 3339 time"))?;
        let payload = v
            .get("payload")
            .cloned()
            .ok_or_else(|| ShadowError::shape(label, i + 1, "`payload` is missing"))?;
        let name = v.get("trigger").and_then(Value::as_str);
        let tb = bind.event_trigger(name).ok_or_else(|| {
            ShadowError::shape(
                label,
                i + 1,
                "`trigger` is missing or not a trigger of the system (needed when it has several)",
            )
        })?;
        out.push(input(
            bind,
            tb.name.clone(),
            payload,
            at,
            format!("{label}:{}", i + 1),
        ));
    }
    Ok(out)
}

/// A payload-only outcome (an input to replay, not a run).
pub fn input(
    bind: &Binding,
    trigger: String,
    payload: Value,
    at: DateTime<Utc>,
    source: String,
) -> Outcome {
    let tb = bind.event_trigger(Some(&trigger));
    Outcome {
        source,
        system: bind.system.clone(),
        correlation: bind.correlate(tb, &payload),
        trigger,
        at,
        payload_digest: Some(payload_digest(&payload)),
        branches: Vec::new(),
        steps: Vec::new(),
        status: "input".into(),
        payload: Some(payload),
    }
}
