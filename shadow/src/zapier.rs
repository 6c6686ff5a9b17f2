//! Parses Zapier run history (Partner API JSON pages, Zap History CSV) into legacy outcomes.
//!
//! Two inputs (see `docs/formats/zapier-history.md` for what is known and what is
//! inferred): JSON pages shaped like the Partner API's `GET /v2/zap-runs`
//! response (`{links, meta, data: [ZapRun]}`, or a bare array of runs), and a
//! Zap History CSV in the column layout documented there. Unknown fields are
//! ignored; unknown statuses are kept verbatim.

use crate::bind::{Binding, Mapped};
use crate::error::ShadowError;
use crate::model::{Outcome, StepOutcome, parse_time, payload_digest};
use serde_json::{Map, Value};

/// Parsed runs plus notes about what was skipped and why.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Finished runs of the system, one outcome per Zap run that got past its trigger.
    pub outcomes: Vec<Outcome>,
    /// Runs skipped (unfinished, other Zap, no time), one line each.
    pub notes: Vec<String>,
}

/// One run before mapping, whichever file it came from.
#[derive(Debug, Default)]
struct RawRun {
    where_: String,
    id: String,
    zap_id: Option<String>,
    status: String,
    start: Option<String>,
    end: Option<String>,
    data_in: Option<Value>,
    steps: Vec<RawStep>,
}

#[derive(Debug, Default)]
struct RawStep {
    id: Option<String>,
    title: Option<String>,
    app: Option<String>,
    action: Option<String>,
    type_of: Option<String>,
    status: String,
    input: Option<Value>,
}

/// Parses one JSON page.
pub fn parse_json(text: &str, label: &str, bind: &Binding) -> Result<Parsed, ShadowError> {
    let v: Value = serde_json::from_str(text).map_err(|e| ShadowError::json(label, &e))?;
    let runs = match &v {
        Value::Array(a) => a,
        Value::Object(o) => match o.get("data") {
            Some(Value::Array(a)) => a,
            Some(Value::Null) | None if o.contains_key("links") || o.contains_key("meta") => {
                return Ok(Parsed::default());
            }
            _ => {
                return Err(ShadowError::shape(
                    label,
                    0,
                    "expected a zap-runs page `{links, meta, data: [...]}` or an array of runs",
                ));
            }
        },
        _ => {
            return Err(ShadowError::shape(
                label,
                0,
                "expected a JSON object or array of Zap runs",
            ));
        }
    };
    let mut raws = Vec::new();
    for (i, r) in runs.iter().enumerate() {
        let where_ = format!("{label}#data[{i}]");
        let Value::Object(o) = r else {
            return Err(ShadowError::shape(
                label,
                0,
                format!("{where_}: a Zap run must be an object"),
            ));
        };
        let id = text_of(o.get("id")).ok_or_else(|| {
            ShadowError::shape(label, 0, format!("{where_}: a Zap run needs `id`"))
        })?;
        let status = text_of(o.get("status")).unwrap_or_default();
        let steps = match o.get("steps") {
            Some(Value::Array(a)) => a
                .iter()
                .map(|s| match s {
                    Value::Object(so) => raw_step(so),
                    _ => RawStep::default(),
                })
                .collect(),
            _ => Vec::new(),
        };
        raws.push(RawRun {
            where_: format!("{where_} (run {id})"),
            id,
            zap_id: text_of(o.get("zap_id")),
            status,
            start: text_of(o.get("start_time")),
            end: text_of(o.get("end_time")),
            data_in: o.get("data_in").and_then(payload_of),
            steps,
        });
    }
    Ok(convert(raws, bind))
}

/// Parses a Zap History CSV: one row per step (run columns repeated) or per run.
pub fn parse_csv(text: &str, label: &str, bind: &Binding) -> Result<Parsed, ShadowError> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| csv_err(label, &e))?
        .iter()
        .map(|h| h.trim().to_lowercase().replace([' ', '-'], "_"))
        .collect();
    let col = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| headers.iter().position(|h| h == n))
    };
    let c_id = col(&["run_id", "zap_run_id", "id"]).ok_or_else(|| {
        ShadowError::shape(
            label,
            1,
            "the header needs a run id column (`run_id`, `zap_run_id` or `id`)",
        )
    })?;
    let c_zap = col(&["zap_id"]);
    let c_status = col(&["status", "run_status"]);
    let c_start = col(&["start_time", "date", "timestamp", "started_at"]);
    let c_end = col(&["end_time", "ended_at"]);
    let c_in = col(&["data_in", "input", "trigger_data"]);
    let c_sid = col(&["step_id", "node_id"]);
    let c_stitle = col(&["step_title", "step", "step_name"]);
    let c_sapp = col(&["step_app", "app", "selected_api"]);
    let c_saction = col(&["step_action", "action"]);
    let c_stype = col(&["step_type", "type_of"]);
    let c_sstatus = col(&["step_status"]);
    let c_sin = col(&["step_input", "step_data_in", "params"]);
    let mut raws: Vec<RawRun> = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| csv_err(label, &e))?;
        let line = rec.position().map_or(0, |p| p.line());
        let get = |c: Option<usize>| {
            c.and_then(|i| rec.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let Some(id) = get(Some(c_id)) else {
            return Err(ShadowError::shape(label, line as usize, "empty run id"));
        };
        let json_cell = |c: Option<usize>, what: &str| -> Result<Option<Value>, ShadowError> {
            match get(c) {
                None => Ok(None),
                Some(s) => serde_json::from_str::<Value>(&s).map(Some).map_err(|e| {
                    ShadowError::shape(
                        label,
                        line as usize,
                        format!("column `{what}` is not JSON: {e}"),
                    )
                }),
            }
        };
        let data_in = json_cell(c_in, "data_in")?;
        let step_in = json_cell(c_sin, "step_input")?;
        if raws.last().is_none_or(|r| r.id != id) {
            raws.push(RawRun {
                where_: format!("{label}:{line} (run {id})"),
                id: id.clone(),
                zap_id: get(c_zap),
                status: get(c_status).unwrap_or_default(),
                start: get(c_start),
                end: get(c_end),
                data_in: data_in.as_ref().and_then(payload_of),
                steps: Vec::new(),
            });
        }
        let has_step = [c_sid, c_stitle, c_sapp].iter().any(|c| get(*c).is_some());
        if let (true, Some(run)) = (has_step, raws.last_mut()) {
            run.steps.push(RawStep {
                id: get(c_sid),
                title: get(c_stitle),
                app: get(c_sapp),
                action: get(c_saction),
                type_of: get(c_stype),
                status: get(c_sstatus).unwrap_or_default(),
                input: step_in,
            });
        }
    }
    Ok(convert(raws, bind))
}

fn csv_err(label: &str, e: &csv::Error) -> ShadowError {
    ShadowError::BadCsv {
        file: label.to_string(),
        line: e.position().map_or(0, |p| p.line()),
        message: e.to_string(),
    }
}

fn raw_step(o: &Map<String, Value>) -> RawStep {
    let first = |keys: &[&str]| keys.iter().find_map(|k| text_of(o.get(*k)));
    RawStep {
        id: first(&["id", "node_id", "step_id"]),
        title: first(&["title", "step_title", "stepTitle", "name"]),
        app: first(&["app", "selected_api"]),
        action: first(&["action"]),
        type_of: first(&["type_of", "type"]),
        status: first(&["status"]).unwrap_or_default(),
        input: ["input", "params", "data_in", "inputs"]
            .iter()
            .find_map(|k| o.get(*k).and_then(payload_of)),
    }
}

fn text_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `data_in` is typed `any` by the Partner API and the example holds `""`: a string that
/// holds JSON is parsed, an empty one means "no payload".
fn payload_of(v: &Value) -> Option<Value> {
    match v {
        Value::Null => None,
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => Some(serde_json::from_str(s).unwrap_or_else(|_| v.clone())),
        other => Some(other.clone()),
    }
}

/// Statuses that mean the run is not finished yet; they are left out of the comparison.
const UNFINISHED: [&str; 6] = [
    "waiting",
    "playing",
    "holding",
    "delayed",
    "scheduled",
    "running",
];

fn passes(status: &str) -> bool {
    matches!(
        status.to_ascii_lowercase().as_str(),
        "success" | "successful" | "passed" | "continue" | ""
    )
}

fn convert(raws: Vec<RawRun>, bind: &Binding) -> Parsed {
    let mut out = Parsed::default();
    let trigger = bind.event_trigger(None);
    for r in raws {
        if let (Some(want), Some(got)) = (&bind.legacy_id, &r.zap_id)
            && want != got
        {
            out.notes.push(format!(
                "{}: skipped, belongs to Zap {got}, not {want}",
                r.where_
            ));
            continue;
        }
        let status = r.status.to_ascii_lowercase();
        if UNFINISHED.contains(&status.as_str()) {
            out.notes.push(format!(
                "{}: skipped, status `{}` (not finished)",
                r.where_, r.status
            ));
            continue;
        }
        let Some(at) = r.start.as_deref().or(r.end.as_deref()).and_then(parse_time) else {
            out.notes.push(format!(
                "{}: skipped, no readable start_time/end_time",
                r.where_
            ));
            continue;
        };
        let payload = r.data_in.clone().unwrap_or(Value::Null);
        let correlation = bind.correlate(trigger, &payload);
        let mut o = Outcome {
            source: r.where_.clone(),
            system: bind.system.clone(),
            trigger: trigger.map(|t| t.name.clone()).unwrap_or_default(),
            correlation,
            at,
            payload_digest: r.data_in.as_ref().map(payload_digest),
            branches: Vec::new(),
            steps: Vec::new(),
            status,
            payload: r.data_in.clone(),
        };
        for (n, s) in r.steps.iter().enumerate() {
            let idents: Vec<&str> = [s.id.as_deref(), s.title.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            match bind.map_step(&idents) {
                Some(Mapped::Decision(d)) => {
                    if passes(&s.status) {
                        o.branches.push(d);
                    }
                }
                Some(Mapped::Step(name, action)) => o.steps.push(StepOutcome {
                    step: name,
                    action,
                    params: s.input.clone().unwrap_or(Value::Null),
                    idempotency_key: None,
                    status: s.status.clone(),
                }),
                None => {
                    let is_trigger =
                        s.type_of.as_deref() == Some("read") || (n == 0 && s.type_of.is_none());
                    let is_filter = s.type_of.as_deref() == Some("filter")
                        || s.app.as_deref().is_some_and(|a| a.starts_with("FilterAPI"));
                    if is_trigger || is_filter && !passes(&s.status) {
                        continue;
                    }
                    // Kept under a legacy name so the report shows a step the import has no equivalent for.
                    let name = s
                        .title
                        .as_deref()
                        .map(claw_language::units::slug)
                        .filter(|x| !x.is_empty())
                        .unwrap_or_else(|| format!("legacy_step_{}", n + 1));
                    o.steps.push(StepOutcome {
                        step: name,
                        action: format!(
                            "{}.{}",
                            s.app.as_deref().unwrap_or("unknown"),
                            s.action.as_deref().unwrap_or("unknown")
                        ),
                        params: s.input.clone().unwrap_or(Value::Null),
                        idempotency_key: None,
                        status: s.status.clone(),
                    });
                }
            }
        }
        o.branches.sort();
        o.branches.dedup();
        out.outcomes.push(o);
    }
    out
}
