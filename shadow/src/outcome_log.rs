//! The generic outcome log: JSON Lines, one step, branch or run marker per line
//! (schema in `docs/formats/outcome-log.md`). Used for anything without a
//! dedicated parser (spreadsheet routines, in-house scripts) and as the file
//! form of the record-only runtime's output.

use crate::error::ShadowError;
use crate::model::{Correlation, Outcome, StepOutcome, key_text, parse_time, payload_digest};
use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;

/// One line of the log.
#[derive(Debug, Deserialize)]
struct Line {
    run: String,
    #[serde(default)]
    system: Option<String>,
    trigger: String,
    at: String,
    #[serde(default)]
    key: Option<Value>,
    #[serde(default)]
    payload: Option<Value>,
    #[serde(default)]
    payload_digest: Option<String>,
    #[serde(default)]
    fire_time: bool,
    #[serde(default)]
    step: Option<String>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    params: Option<Value>,
    #[serde(default)]
    idempotency_key: Option<String>,
    #[serde(default)]
    decision: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

/// Parses an outcome log. `label` names the file in errors and `source` fields.
/// Lines are grouped by `run`; blank lines and lines starting with `#` are skipped;
/// unknown fields are ignored.
pub fn parse(text: &str, label: &str, default_system: &str) -> Result<Vec<Outcome>, ShadowError> {
    let mut runs: IndexMap<String, Outcome> = IndexMap::new();
    for (i, raw) in text.lines().enumerate() {
        let lineno = i + 1;
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let l = read_line(t, label, lineno)?;
        let at = parse_time(&l.at).ok_or_else(|| {
            ShadowError::shape(
                label,
                lineno,
                format!("`at`: `{}` is not an RFC 3339 time", l.at),
            )
        })?;
        let digest = l
            .payload_digest
            .clone()
            .or_else(|| l.payload.as_ref().map(payload_digest));
        let correlation = match (&l.key, &digest, l.fire_time) {
            (Some(k), _, _) if !k.is_null() => Correlation::Key(key_text(k)),
            (_, _, true) => Correlation::FireTime,
            (_, Some(d), _) => Correlation::Payload(d.clone()),
            _ => {
                return Err(ShadowError::shape(
                    label,
                    lineno,
                    "no correlation: give `key`, `payload`/`payload_digest`, or `fire_time: true`",
                ));
            }
        };
        let run = runs.entry(l.run.clone()).or_insert_with(|| Outcome {
            source: format!("{label}:{lineno}"),
            system: l
                .system
                .clone()
                .unwrap_or_else(|| default_system.to_string()),
            trigger: l.trigger.clone(),
            correlation: correlation.clone(),
            at,
            payload_digest: digest.clone(),
            branches: Vec::new(),
            steps: Vec::new(),
            status: String::new(),
            payload: l.payload.clone(),
        });
        if run.correlation != correlation || run.trigger != l.trigger {
            return Err(ShadowError::shape(
                label,
                lineno,
                format!(
                    "run `{}` changes its trigger or correlation from line {}",
                    l.run, run.source
                ),
            ));
        }
        add_to_run(run, l, at, label, lineno)?;
    }
    let mut out: Vec<Outcome> = runs.into_values().collect();
    for o in &mut out {
        o.branches.sort();
    }
    Ok(out)
}

/// One line as JSON of the outcome-log shape; `lineno` (1-based) locates errors.
fn read_line(t: &str, label: &str, lineno: usize) -> Result<Line, ShadowError> {
    let v: Value = serde_json::from_str(t).map_err(|e| ShadowError::BadJson {
        file: label.to_string(),
        line: lineno,
        column: e.column(),
        message: e.to_string(),
    })?;
    serde_json::from_value(v).map_err(|e| {
        ShadowError::shape(
            label,
            lineno,
            format!("expected an outcome-log line with `run`, `trigger` and `at`: {e}"),
        )
    })
}

/// Adds one line (at time `at`) to its run: the earliest time, a branch, a step, or the run's
/// final status.
fn add_to_run(
    run: &mut Outcome,
    l: Line,
    at: chrono::DateTime<chrono::Utc>,
    label: &str,
    lineno: usize,
) -> Result<(), ShadowError> {
    if at < run.at {
        run.at = at;
    }
    if let Some(d) = l.decision
        && !run.branches.contains(&d)
    {
        run.branches.push(d);
    }
    match (l.step, l.action) {
        (Some(step), Some(action)) => run.steps.push(StepOutcome {
            step,
            action,
            params: l.params.unwrap_or(Value::Null),
            idempotency_key: l.idempotency_key,
            status: l.status.unwrap_or_default(),
        }),
        (Some(_), None) => {
            return Err(ShadowError::shape(
                label,
                lineno,
                "a step line needs `action`",
            ));
        }
        _ => {
            if let Some(s) = l.status {
                run.status = s;
            }
        }
    }
    Ok(())
}

/// Writes outcomes back as an outcome log (one run marker, then branches, then steps).
pub fn write(outcomes: &[Outcome]) -> String {
    let mut s = String::new();
    for (n, o) in outcomes.iter().enumerate() {
        let run = format!("{}-{n}", o.system);
        let mut base = serde_json::Map::new();
        base.insert("run".into(), run.into());
        base.insert("system".into(), o.system.clone().into());
        base.insert("trigger".into(), o.trigger.clone().into());
        base.insert("at".into(), o.at.to_rfc3339().into());
        match &o.correlation {
            Correlation::Key(k) => {
                base.insert("key".into(), k.clone().into());
            }
            Correlation::Payload(d) => {
                base.insert("payload_digest".into(), d.clone().into());
            }
            Correlation::FireTime => {
                base.insert("fire_time".into(), true.into());
            }
        }
        if let (Some(d), false) = (
            &o.payload_digest,
            matches!(o.correlation, Correlation::Payload(_)),
        ) {
            base.insert("payload_digest".into(), d.clone().into());
        }
        let mut marker = base.clone();
        marker.insert("status".into(), o.status.clone().into());
        s.push_str(&Value::Object(marker).to_string());
        s.push('\n');
        for b in &o.branches {
            let mut m = base.clone();
            m.insert("decision".into(), b.clone().into());
            s.push_str(&Value::Object(m).to_string());
            s.push('\n');
        }
        for st in &o.steps {
            let mut m = base.clone();
            m.insert("step".into(), st.step.clone().into());
            m.insert("action".into(), st.action.clone().into());
            m.insert("params".into(), st.params.clone());
            if let Some(k) = &st.idempotency_key {
                m.insert("idempotency_key".into(), k.clone().into());
            }
            m.insert("status".into(), st.status.clone().into());
            s.push_str(&Value::Object(m).to_string());
            s.push('\n');
        }
    }
    s
}
