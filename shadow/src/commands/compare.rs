//! `claw shadow compare` as one call: gather the legacy runs, build the shadow side
//! (outcome logs, mirrored requests, replays, schedule fire times), compare, report, and
//! record the verdicts.

use crate::bind::{Binding, system_digest};
use crate::compare::{Options, compare};
use crate::correlate::Tolerances;
use crate::error::{ShadowError, read_text};
use crate::model::Outcome;
use crate::report::Report;
use crate::simulate::{Simulator, parse_inputs};
use crate::store::Store;
use crate::{cron_log, mirrored_runs, outcome_log, zapier};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Where the legacy runs come from; at least one source must be given.
#[derive(Debug, Clone, Default)]
pub struct LegacySources {
    /// Zapier run-history JSON pages.
    pub zapier_json: Vec<PathBuf>,
    /// Zap History CSV files.
    pub zapier_csv: Vec<PathBuf>,
    /// Cron syslog or journal excerpts.
    pub cron_log: Vec<PathBuf>,
    /// Generic outcome logs (JSON Lines).
    pub outcome_log: Vec<PathBuf>,
    /// Take the `claw shadow wrap` records of the store.
    pub wrap_records: bool,
    /// Only Zapier runs of this live Zap id.
    pub zap_id: Option<String>,
    /// Year of RFC 3164 syslog timestamps, which carry none.
    pub syslog_year: Option<i32>,
    /// Zone of syslog timestamps without an offset.
    pub syslog_zone: Tz,
}

impl LegacySources {
    fn is_empty(&self) -> bool {
        self.zapier_json.is_empty()
            && self.zapier_csv.is_empty()
            && self.cron_log.is_empty()
            && self.outcome_log.is_empty()
            && !self.wrap_records
    }
}

/// Everything `claw shadow compare` was asked.
#[derive(Debug, Clone)]
pub struct CompareRequest {
    /// The imported `.claw` system.
    pub system: PathBuf,
    /// The legacy side.
    pub legacy: LegacySources,
    /// Shadow outcome logs recorded elsewhere.
    pub shadow_logs: Vec<PathBuf>,
    /// More trigger inputs to replay (JSON Lines `{"at", "trigger", "payload"}`).
    pub inputs: Vec<PathBuf>,
    /// Take the requests `serve` mirrored into the store.
    pub mirrored: bool,
    /// Inclusive time window: the schedule's fire times in it are shadow runs, and legacy
    /// runs outside it are left out.
    pub window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// How far apart runs may be and still pair.
    pub tolerances: Tolerances,
    /// Declared noise globs.
    pub ignore: Vec<String>,
    /// Minimum parity in percent.
    pub gate: Option<f64>,
    /// The shadow store: verdicts are added to it; wrap records and mirrored requests come from it.
    pub store: Option<PathBuf>,
}

/// Runs the whole comparison and returns its report.
pub fn run(req: &CompareRequest) -> Result<Report, ShadowError> {
    let sys = super::valid_system(&req.system)?;
    if req.legacy.is_empty() {
        return Err(ShadowError::Usage(
            "no legacy input: give --zapier-json, --zapier-csv, --cron-log, --outcome-log or --wrap-records".into(),
        ));
    }
    if req.mirrored && req.store.is_none() {
        return Err(ShadowError::Usage("--mirrored needs --store PATH".into()));
    }
    if req.legacy.wrap_records && req.store.is_none() {
        return Err(ShadowError::Usage(
            "--wrap-records needs --store PATH".into(),
        ));
    }
    let mut bind = Binding::new(&sys);
    bind.legacy_id = req.legacy.zap_id.clone();
    let rt = crate::runtime()?;
    rt.block_on(async {
        let store = match &req.store {
            Some(p) => Some(Store::open(p).await?),
            None => None,
        };
        let result = compare_with(req, &sys, &bind, store.as_ref()).await;
        if let Some(s) = store {
            s.close().await;
        }
        result
    })
}

async fn compare_with(
    req: &CompareRequest,
    sys: &claw_language::model::System,
    bind: &Binding,
    store: Option<&Store>,
) -> Result<Report, ShadowError> {
    let (mut legacy, mut notes) = read_legacy(&req.legacy, bind, &sys.system)?;
    let mut shadow = Vec::new();
    for p in &req.shadow_logs {
        shadow.extend(outcome_log::parse(&read_text(p)?, &label(p), &sys.system)?);
    }
    let mut extra_inputs = Vec::new();
    for p in &req.inputs {
        extra_inputs.extend(parse_inputs(&read_text(p)?, &label(p), bind)?);
    }
    let mut covered = BTreeSet::new();
    if let (true, Some(s)) = (req.mirrored, store) {
        let side = mirrored_runs::select(s.mirrored(&sys.system).await?, bind, &system_digest(sys));
        covered = side.covered();
        notes.extend(side.notes);
        shadow.extend(side.recorded);
        extra_inputs.extend(side.replay);
    }
    let replay: Vec<&Outcome> = legacy
        .iter()
        .chain(&extra_inputs)
        .filter(|o| o.payload.is_some())
        .collect();
    if !replay.is_empty() {
        let sim = Simulator::new(&req.system).await?;
        shadow.extend(sim.replay_inputs(bind, &replay, &covered).await?);
    }
    let tol = req.tolerances.tolerance;
    // Runs outside the window have nothing to be compared with.
    let in_window = |o: &Outcome| {
        req.window
            .is_none_or(|(f, t)| o.at >= f - tol && o.at <= t + tol)
    };
    if let Some((f, t)) = req.window {
        shadow.extend(cron_log::fire_times(bind, f, t)?);
    }
    legacy.retain(in_window);
    if let (true, Some(s)) = (req.legacy.wrap_records, store) {
        let mut w = s.wrap_outcomes(&sys.system).await?;
        w.retain(in_window);
        legacy.extend(w);
    }
    if shadow.is_empty() && req.window.is_none() && req.shadow_logs.is_empty() {
        return Err(ShadowError::Usage(
            "no shadow input: the legacy runs carry no payload to replay; give --shadow FILE (an outcome log) or --from/--to for a schedule".into(),
        ));
    }
    let opts = Options {
        tolerances: req.tolerances,
        ignore: req.ignore.clone(),
    };
    let cmp = compare(&legacy, &shadow, &opts)?;
    let report = Report::build(&sys.system, &legacy, &shadow, &cmp, notes, req.gate);
    if let Some(s) = store {
        s.add_report(&report).await?;
    }
    Ok(report)
}

/// Reads every legacy source file; wrap records come from the store later.
fn read_legacy(
    src: &LegacySources,
    bind: &Binding,
    system: &str,
) -> Result<(Vec<Outcome>, Vec<String>), ShadowError> {
    let mut legacy = Vec::new();
    let mut notes = Vec::new();
    for p in &src.zapier_json {
        let r = zapier::parse_json(&read_text(p)?, &label(p), bind)?;
        legacy.extend(r.outcomes);
        notes.extend(r.notes);
    }
    for p in &src.zapier_csv {
        let r = zapier::parse_csv(&read_text(p)?, &label(p), bind)?;
        legacy.extend(r.outcomes);
        notes.extend(r.notes);
    }
    for p in &src.cron_log {
        let r = cron_log::parse(
            &read_text(p)?,
            &label(p),
            bind,
            src.syslog_year,
            src.syslog_zone,
        )?;
        legacy.extend(r.outcomes);
        notes.extend(r.notes);
    }
    for p in &src.outcome_log {
        legacy.extend(outcome_log::parse(&read_text(p)?, &label(p), system)?);
    }
    Ok((legacy, notes))
}

fn label(p: &Path) -> String {
    p.display().to_string()
}
