//! A runbook register (one row per automation or step) to a system: each row becomes a trigger
//! (or a follow-on step of the row above), an optional guard decision and an execution.

use super::detect::RegisterLayout;
use super::headers::Role;
use super::{Ctx, actions, schedule};
use claw_language::{Alert, Decision, Execution, Logic, Provenance, Source, System, Trigger};
use indexmap::IndexMap;
use std::collections::BTreeSet;

/// Finding codes of the register importer.
pub mod code {
    /// A row was not imported.
    pub const ROW_SKIPPED: &str = "claw::import::sheet_row_skipped";
    /// A blank-row separated group heading.
    pub const GROUP: &str = "claw::import::sheet_group";
    /// A merged region was filled.
    pub const MERGED: &str = "claw::import::sheet_merged";
    /// Header row found below row 1.
    pub const HEADER_ROW: &str = "claw::import::sheet_header_row";
    /// A column was not imported.
    pub const COLUMN_IGNORED: &str = "claw::import::sheet_column_ignored";
    /// A free-text action matched no adapter.
    pub const UNPORTED_ACTION: &str = "claw::import::sheet_unported_action";
    /// Which adapter a free-text action became.
    pub const ACTION_MAPPED: &str = "claw::import::sheet_action_mapped";
    /// No owner or escalation: nobody is alerted.
    pub const NO_OWNER: &str = "claw::import::sheet_no_owner";
    /// An owner that names no email address or Slack channel.
    pub const OWNER_NO_ROUTE: &str = "claw::import::sheet_owner_no_route";
    /// No key column: repeated events run twice.
    pub const NO_KEY: &str = "claw::import::sheet_no_key";
    /// A derived idempotency key (scheduled time) was used.
    pub const DERIVED_KEY: &str = "claw::import::sheet_derived_key";
    /// A trigger cell became a webhook or manual trigger.
    pub const TRIGGER: &str = "claw::import::sheet_trigger";
    /// A row without trigger or schedule: manual.
    pub const NO_TRIGGER: &str = "claw::import::sheet_no_trigger";
    /// A row chained after the row above.
    pub const FOLLOW_ON: &str = "claw::import::sheet_follow_on";
    /// A condition that is free text: the step was disabled.
    pub const CONDITION: &str = "claw::import::sheet_condition";
    /// A value in a cell could not be read (retries, SLA, status, time zone).
    pub const BAD_CELL: &str = "claw::import::sheet_bad_cell";
    /// An SLA imported as a timeout.
    pub const SLA: &str = "claw::import::sheet_sla";
    /// A paused row.
    pub const PAUSED: &str = "claw::import::sheet_paused";
    /// A default SLO was added so that alerts have a condition.
    pub const DEFAULT_SLO: &str = "claw::import::sheet_default_slo";
}

struct Row {
    r: usize,
    block_start: bool,
    group: Option<String>,
}

fn unique(used: &mut BTreeSet<String>, base: &str) -> String {
    let mut name = base.to_string();
    let mut n = 2;
    while !used.insert(name.clone()) {
        name = format!("{base}_{n}");
        n += 1;
    }
    name
}

/// Parses an SLA cell such as `30 min`, `2 hours`, `1h30m`, `45s` into a duration the language accepts.
pub fn duration(text: &str) -> Option<String> {
    let t = text.trim().to_lowercase();
    if claw_language::units::parse_duration(&t).is_ok() {
        return Some(t);
    }
    let mut out = String::new();
    let words: Vec<&str> = t.split_whitespace().collect();
    let mut i = 0;
    while i < words.len() {
        let (num, unit) = match words[i].find(|c: char| !c.is_ascii_digit()) {
            Some(0) => return None,
            Some(p) => (&words[i][..p], words[i][p..].to_string()),
            None => (
                words[i],
                words.get(i + 1).map(|s| s.to_string()).unwrap_or_default(),
            ),
        };
        let consumed = if words[i].chars().all(|c| c.is_ascii_digit()) {
            2
        } else {
            1
        };
        let u = match unit.trim_end_matches(['.', ',']) {
            "s" | "sec" | "secs" | "second" | "seconds" => "s",
            "m" | "min" | "mins" | "minute" | "minutes" => "m",
            "h" | "hr" | "hrs" | "hour" | "hours" => "h",
            "d" | "day" | "days" => "d",
            _ => return None,
        };
        out.push_str(num);
        out.push_str(u);
        i += consumed;
        if words.get(i) == Some(&"and") {
            i += 1;
        }
    }
    (!out.is_empty() && claw_language::units::parse_duration(&out).is_ok()).then_some(out)
}

fn retries(text: &str) -> Option<u32> {
    let t = text.trim().to_lowercase();
    if matches!(t.as_str(), "none" | "no" | "never") {
        return Some(0);
    }
    let digits: String = t.chars().take_while(char::is_ascii_digit).collect();
    let rest = t[digits.len()..].trim();
    if digits.is_empty()
        || !matches!(
            rest,
            "" | "x" | "times" | "time" | "retries" | "retry" | "attempts"
        )
    {
        return None;
    }
    digits.parse().ok().filter(|n| *n <= 100)
}

/// Whether a condition cell is an expression (rather than prose).
fn expression(text: &str) -> Option<String> {
    let t = text.trim();
    let operator = ["<", ">", "=", "!", "(", " in ", "&&", "||"]
        .iter()
        .any(|o| t.contains(o));
    let t = t.replace(" = ", " == ").replace("<>", "!=");
    (operator && claw_language::expr::compile(&t).is_ok()).then_some(t)
}

/// A key cell as an expression: a field path (`invoice.id`), words naming a field
/// (`Invoice ID` → `invoice_id`), or an expression building a key (`order.id + ':' + order.status`).
fn key_expression(text: &str) -> Option<String> {
    let t = text.trim();
    let path = t.split('.').all(|p| {
        p.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    });
    if path && claw_language::expr::compile(t).is_ok() {
        return Some(t.to_string());
    }
    if t.chars().all(|c| c.is_alphabetic() || c == ' ') {
        let v = super::conditions::variable_name(t);
        return claw_language::expr::compile(&v).is_ok().then_some(v);
    }
    (t.contains(['.', '(', '+', '[']) && claw_language::expr::compile(t).is_ok())
        .then(|| t.to_string())
}

/// Builds the system for a register.
pub fn build(cx: &mut Ctx<'_>, layout: &RegisterLayout) -> Result<System, String> {
    let g = cx.grid;
    let h = layout.header_row;
    let col = |role: Role| layout.cols.get(&role).copied();
    let mut sys = System::new(cx.system.clone());
    sys.description = Some(format!(
        "Imported from worksheet `{}` (a runbook register, headers on row {}).",
        g.sheet,
        g.row_number(h)
    ));
    let mut notes = IndexMap::new();
    notes.insert("shape".to_string(), "register".to_string());
    notes.insert("header_row".to_string(), g.row_number(h).to_string());
    sys.provenance = Some(Provenance {
        kind: "sheet".into(),
        file: Some(cx.file.clone()),
        legacy_id: Some(g.sheet.clone()),
        notes,
    });

    let first_col = layout.cols.values().copied().min().unwrap_or(0);
    if h > 0 {
        cx.info(
            code::HEADER_ROW,
            format!(
                "header row found on row {} (rows above it are titles or notes)",
                g.row_number(h)
            ),
            h,
            first_col,
        );
    }
    let roles: Vec<String> = layout
        .cols
        .iter()
        .map(|(role, c)| {
            format!(
                "{} = {} \"{}\"",
                role.label(),
                g.col_name(*c),
                g.text(h, *c)
            )
        })
        .collect();
    cx.info(
        "claw::import::sheet_columns",
        format!("runbook register; columns: {}", roles.join(", ")),
        h,
        first_col,
    );
    for c in &layout.ignored {
        let text = g.text(h, *c);
        cx.info(
            code::COLUMN_IGNORED,
            format!(
                "column {} \"{}\" matches no known header (or repeats one); not imported",
                g.col_name(*c),
                text
            ),
            h,
            *c,
        )
        .help = Some(
            "rename the header to one of the synonyms in docs/importers/sheet.md to import it"
                .into(),
        );
    }
    // Columns without a header but with data are trailing junk or forgotten headers.
    for c in 0..g.width() {
        if g.text(h, c).is_empty() && (h + 1..g.height()).any(|r| !g.text(r, c).is_empty()) {
            cx.warn(
                code::COLUMN_IGNORED,
                format!(
                    "column {} has values but no header; not imported",
                    g.col_name(c)
                ),
                h,
                c,
            );
        }
    }
    for m in &g.merges {
        if m.end.0 > h {
            cx.info(
                code::MERGED,
                format!(
                    "merged cells {}:{} filled with the value of {}",
                    g.addr(m.start.0, m.start.1).split('!').nth(1).unwrap_or(""),
                    g.addr(m.end.0, m.end.1).split('!').nth(1).unwrap_or(""),
                    g.addr(m.start.0, m.start.1)
                ),
                m.start.0,
                m.start.1,
            );
        }
    }
    if col(Role::Key).is_none() {
        cx.warn(code::NO_KEY, "no key column (key, idempotency key, dedupe key): event-triggered rows get no idempotency key, so a repeated delivery runs twice", h, first_col)
            .help = Some("add a `Key` column naming the payload field that identifies an event, e.g. `invoice.id`".into());
    }

    // Rows: blank rows end a block; a lone text cell is a group heading.
    let mut rows = Vec::new();
    let mut block_start = true;
    let mut group: Option<String> = None;
    let mut blank = Vec::new();
    for r in h + 1..g.height() {
        if g.row_is_blank(r) {
            block_start = true;
            group = None;
            blank.push(g.row_number(r));
            continue;
        }
        let filled: Vec<usize> = (0..g.width())
            .filter(|c| {
                !g.text(r, *c).is_empty() && g.get(r, *c).is_some_and(|x| x.merged_from.is_none())
            })
            .collect();
        let known = |c: &usize| layout.cols.values().any(|k| k == c);
        if let [c] = filled.as_slice()
            && Some(*c) != col(Role::Action)
            && (Some(*c) == col(Role::Name)
                || Some(*c) == col(Role::Id)
                || !known(c)
                || *c == first_col)
        {
            let text = g.text(r, *c);
            cx.info(
                code::GROUP,
                format!(
                    "row {} holds only \"{text}\": read as a group heading for the rows below",
                    g.row_number(r)
                ),
                r,
                *c,
            );
            group = Some(text);
            block_start = true;
            continue;
        }
        rows.push(Row {
            r,
            block_start,
            group: group.clone(),
        });
        block_start = false;
    }
    if !blank.is_empty() {
        let list: Vec<String> = blank.iter().map(ToString::to_string).collect();
        cx.info(
            code::ROW_SKIPPED,
            format!(
                "blank rows skipped (they separate groups of steps): {}",
                list.join(", ")
            ),
            h,
            first_col,
        );
    }

    let mut used = BTreeSet::new();
    let mut prev_exec: Option<String> = None;
    let mut owners: Vec<(String, usize, usize)> = Vec::new();
    let mut routes: Vec<String> = Vec::new();
    for row in rows {
        let r = row.r;
        let text =
            |cx: &mut Ctx<'_>, role: Role| col(role).map(|c| cx.clean(r, c)).unwrap_or_default();
        let name = text(cx, Role::Name);
        let id = text(cx, Role::Id);
        let mut action = text(cx, Role::Action);
        let trig = text(cx, Role::Trigger);
        let sched = text(cx, Role::Schedule);
        let app = text(cx, Role::System);
        let target = text(cx, Role::Target);
        let row_cell = col(Role::Action).or(col(Role::Name)).unwrap_or(first_col);
        if action.is_empty() && trig.is_empty() && sched.is_empty() {
            let shown: Vec<String> = (0..g.width())
                .filter(|c| !g.text(r, *c).is_empty())
                .map(|c| g.addr(r, c))
                .collect();
            cx.warn(
                code::ROW_SKIPPED,
                format!(
                    "row {} has no action, trigger or schedule; skipped (cells: {})",
                    g.row_number(r),
                    shown.join(", ")
                ),
                r,
                row_cell,
            );
            continue;
        }
        if action.is_empty() {
            action = if name.is_empty() {
                app.clone()
            } else {
                name.clone()
            };
        }
        let base_text = [&name, &id, &action]
            .into_iter()
            .find(|s| !s.is_empty())
            .cloned()
            .unwrap_or_else(|| format!("row {}", g.row_number(r)));
        let mut base = claw_language::units::slug(&base_text);
        base.truncate(48);
        while base.ends_with('_') {
            base.pop();
        }
        if base.starts_with("s_") {
            base = format!("row_{}", g.row_number(r));
        }
        let exec_name = unique(&mut used, &base);

        // Status.
        let mut enabled = true;
        if let Some(c) = col(Role::Status) {
            let s = g.text(r, c).to_lowercase();
            match s.trim() {
                "" | "active" | "on" | "yes" | "y" | "true" | "enabled" | "live" | "running"
                | "1" => {}
                "paused" | "inactive" | "off" | "no" | "n" | "false" | "disabled" | "stopped"
                | "retired" | "0" | "suspended" | "draft" => {
                    enabled = false;
                    cx.info(
                        code::PAUSED,
                        format!(
                            "row {} is `{}`: imported with `enabled: false`",
                            g.row_number(r),
                            g.text(r, c)
                        ),
                        r,
                        c,
                    );
                }
                other => {
                    cx.warn(
                        code::BAD_CELL,
                        format!(
                            "status `{other}` is neither active nor paused; imported as active"
                        ),
                        r,
                        c,
                    );
                }
            }
        }

        // Trigger, or a follow-on step of the row above.
        let from_merge = [Role::Trigger, Role::Schedule]
            .iter()
            .filter_map(|k| col(*k))
            .any(|c| g.get(r, c).is_some_and(|x| x.merged_from.is_some()));
        let follow_on = prev_exec.is_some()
            && ((trig.is_empty() && sched.is_empty() && !row.block_start) || from_merge);
        let key = col(Role::Key)
            .map(|c| (c, g.text(r, c)))
            .filter(|(_, t)| !t.is_empty());
        let key_expr = key.as_ref().and_then(|(_, t)| key_expression(t));
        if let (Some((c, t)), None) = (&key, &key_expr) {
            cx.warn(
                code::BAD_CELL,
                format!("key `{t}` is not an expression or field name; no idempotency key"),
                r,
                *c,
            );
        }
        let event: String;
        if follow_on {
            let prev = prev_exec.clone().unwrap_or_default();
            let c = col(Role::Trigger)
                .or(col(Role::Schedule))
                .unwrap_or(row_cell);
            let why = if from_merge {
                "its trigger cell is merged with the row above"
            } else {
                "it has no trigger or schedule and follows without a blank row"
            };
            cx.info(
                code::FOLLOW_ON,
                format!(
                    "row {} runs after `{prev}` succeeds: {why}",
                    g.row_number(r)
                ),
                r,
                c,
            );
            event = format!("{prev}.succeeded");
        } else {
            let mut t;
            if !sched.is_empty() {
                let c = col(Role::Schedule).unwrap_or(row_cell);
                let tr = schedule::translate(&sched, &super::valid_timezone);
                for n in &tr.notes {
                    let f = if n.warning {
                        cx.warn(n.code, n.message.clone(), r, c)
                    } else {
                        cx.info(n.code, n.message.clone(), r, c)
                    };
                    f.path = Some(format!("/triggers/{exec_name}"));
                }
                match tr.cron {
                    Some(cron) => {
                        t = Trigger::new(
                            unique(&mut used, &format!("{base}_schedule")),
                            Source::Schedule,
                        );
                        if cron != sched.trim() {
                            cx.info(
                                schedule::ASSUMED,
                                format!("schedule `{sched}` → `{cron}`"),
                                r,
                                c,
                            );
                        }
                        t.schedule = Some(cron);
                        t.timezone = tr.timezone;
                        match &key_expr {
                            Some(k) => t.idempotency = Some(k.clone()),
                            None => {
                                t.idempotency = Some("trigger.scheduled_at".into());
                                cx.info(code::DERIVED_KEY, format!("row {}: the schedule trigger is keyed by its scheduled time (`trigger.scheduled_at`); the action itself may not be safe to run twice", g.row_number(r)), r, c);
                            }
                        }
                    }
                    None => {
                        t = Trigger::new(
                            unique(&mut used, &format!("{base}_manual")),
                            Source::Manual,
                        );
                        t.description = Some(format!("legacy schedule: {sched}"));
                        cx.warn(code::TRIGGER, format!("row {}: schedule `{sched}` has no crontab equivalent; imported as a manual trigger (it will not run by itself)", g.row_number(r)), r, c);
                    }
                }
                if let Some(tc) = col(Role::Timezone) {
                    let tz = g.text(r, tc);
                    if !tz.is_empty() && t.source == Source::Schedule {
                        if super::valid_timezone(&tz) {
                            t.timezone = Some(tz);
                        } else {
                            cx.warn(code::BAD_CELL, format!("time zone `{tz}` is not an IANA name; the schedule runs in the runtime's zone"), r, tc);
                        }
                    }
                }
            } else if !trig.is_empty() {
                let c = col(Role::Trigger).unwrap_or(row_cell);
                let lower = trig.to_lowercase();
                let tr = schedule::translate(&trig, &super::valid_timezone);
                if let (Some(cron), false) = (&tr.cron, tr.notes.iter().any(|n| n.warning)) {
                    t = Trigger::new(
                        unique(&mut used, &format!("{base}_schedule")),
                        Source::Schedule,
                    );
                    t.schedule = Some(cron.clone());
                    t.timezone = tr.timezone.clone();
                    t.idempotency = Some(
                        key_expr
                            .clone()
                            .unwrap_or_else(|| "trigger.scheduled_at".into()),
                    );
                    cx.info(
                        schedule::ASSUMED,
                        format!("trigger `{trig}` reads as a schedule: `{cron}`"),
                        r,
                        c,
                    );
                } else if [
                    "manual",
                    "on demand",
                    "on-demand",
                    "ad hoc",
                    "ad-hoc",
                    "by hand",
                    "button",
                    "on request",
                ]
                .iter()
                .any(|w| lower.contains(w))
                {
                    t = Trigger::new(unique(&mut used, &format!("{base}_manual")), Source::Manual);
                    t.description = Some(trig.clone());
                } else {
                    t = Trigger::new(
                        unique(&mut used, &format!("{base}_webhook")),
                        Source::Webhook,
                    );
                    t.description = Some(trig.clone());
                    t.idempotency = key_expr.clone();
                    cx.info(code::TRIGGER, format!("trigger `{trig}` imported as a webhook: have the source system POST the event to /hooks/{}/{}", sys.system, t.name), r, c);
                }
            } else {
                t = Trigger::new(unique(&mut used, &format!("{base}_manual")), Source::Manual);
                cx.warn(
                    code::NO_TRIGGER,
                    format!(
                        "row {} has neither trigger nor schedule: imported as a manual trigger",
                        g.row_number(r)
                    ),
                    r,
                    row_cell,
                );
            }
            if !enabled {
                t.enabled = Some(false);
            }
            t.legacy.insert("row".into(), g.row_number(r).to_string());
            if let Some(gr) = &row.group {
                t.legacy.insert("group".into(), gr.clone());
            }
            event = t.name.clone();
            sys.triggers.push(t);
        }

        // Guard.
        let mut on = event;
        let mut guard_disabled = false;
        if let Some(cc) = col(Role::Condition) {
            let cond = cx.clean(r, cc);
            if !cond.is_empty() {
                match expression(&cond) {
                    Some(e) => {
                        let dname = unique(&mut used, &format!("{base}_check"));
                        let mut d = Decision {
                            name: dname.clone(),
                            description: Some(format!("Condition from {}", g.addr(r, cc))),
                            on: vec![on.clone()],
                            inputs: Vec::new(),
                            logic: Logic::When(e),
                            emits: Vec::new(),
                            legacy: IndexMap::new(),
                        };
                        d.legacy.insert("row".into(), g.row_number(r).to_string());
                        sys.decisions.push(d);
                        on = dname;
                    }
                    None => {
                        guard_disabled = true;
                        cx.warn(code::CONDITION, format!("condition `{cond}` is prose, not an expression: the step is imported disabled so that it never runs unguarded"), r, cc)
                            .help = Some("write the condition as an expression (e.g. `amount > 1000`) and re-import, or add a `when:` decision by hand".into());
                    }
                }
            }
        }

        // Execution.
        let mapped = actions::map(&action, &app, &target);
        let ac = col(Role::Action).or(col(Role::Name)).unwrap_or(row_cell);
        if mapped.unported {
            cx.warn(code::UNPORTED_ACTION, format!("action `{action}` maps to no adapter: imported as `{}`", mapped.action), r, ac)
                .help = Some("replace it with a real adapter (email.send, slack.post, http.post, shell.run, ...) before cutover".into());
        } else {
            cx.info(
                code::ACTION_MAPPED,
                format!(
                    "action `{action}` → `{}` ({})",
                    mapped.action, mapped.reason
                ),
                r,
                ac,
            );
        }
        let mut x = Execution::new(exec_name.clone(), on, mapped.action);
        x.with = mapped.with;
        x.with.values_mut().for_each(super::escape_literal);
        x.description = col(Role::Notes)
            .map(|c| cx.clean(r, c))
            .filter(|s| !s.is_empty());
        if let Some(c) = col(Role::Retries) {
            let t = g.text(r, c);
            if !t.is_empty() {
                match retries(&t) {
                    Some(n) => x.retries = Some(n),
                    None => {
                        cx.warn(
                            code::BAD_CELL,
                            format!("retries `{t}` is not a number of retries"),
                            r,
                            c,
                        );
                    }
                }
            }
        }
        if let Some(c) = col(Role::Sla) {
            let t = g.text(r, c);
            if !t.is_empty() {
                match duration(&t) {
                    Some(d) => {
                        cx.info(
                            code::SLA,
                            format!("SLA `{t}` imported as the step timeout `{d}`"),
                            r,
                            c,
                        );
                        x.timeout = Some(d);
                    }
                    None => {
                        cx.warn(code::BAD_CELL, format!("SLA/deadline `{t}` is not a duration; not imported (a deadline by clock time needs an alert, added by hand)"), r, c);
                    }
                }
            }
        }
        if !follow_on {
            x.idempotency = key_expr.clone();
        }
        if !enabled || guard_disabled {
            x.enabled = Some(false);
        }
        x.legacy.insert("row".into(), g.row_number(r).to_string());
        if let Some(gr) = &row.group {
            x.legacy.insert("group".into(), gr.clone());
        }
        sys.execution.push(x);
        prev_exec = Some(exec_name);

        if let Some(c) = col(Role::Owner) {
            let o = cx.clean(r, c);
            if !o.is_empty() {
                owners.push((o, r, c));
            }
        }
    }

    if sys.execution.is_empty() {
        return Err(format!(
            "runbook register with headers on row {} has no row with an action, trigger or schedule",
            g.row_number(h)
        ));
    }
    // Owner and alert routes.
    match owners.first() {
        None => {
            let (r, c) = (h, col(Role::Owner).unwrap_or(first_col));
            cx.warn(
                code::NO_OWNER,
                "no owner or escalation given: the system has no owner and its alerts no route",
                r,
                c,
            )
            .help = Some(
                "add an `Owner` or `Escalation` column with an email address or a #slack-channel"
                    .into(),
            );
        }
        Some((first, _, _)) => {
            sys.observability.owner = Some(first.clone());
            let mut seen = BTreeSet::new();
            for (o, r, c) in &owners {
                if !seen.insert(o.clone()) {
                    continue;
                }
                match actions::route_for(o) {
                    Some(route) => {
                        if !routes.contains(&route) {
                            routes.push(route);
                        }
                    }
                    None => {
                        cx.warn(code::OWNER_NO_ROUTE, format!("owner `{o}` names no email address or #channel: no alert route for it"), *r, *c);
                    }
                }
            }
        }
    }
    if !routes.is_empty() {
        sys.observability
            .slo
            .insert("error_rate".into(), "<1%".into());
        for route in &routes {
            sys.observability.alerts.push(Alert {
                on: "error_rate > 1%".into(),
                route: Some(route.clone()),
                description: Some("Escalation from the runbook register".into()),
            });
        }
        cx.info(code::DEFAULT_SLO, "the register states no objective: `error_rate < 1%` was assumed so that the escalation routes have an alert", h, col(Role::Owner).unwrap_or(first_col));
    }
    Ok(sys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_retries() {
        assert_eq!(duration("30 min").as_deref(), Some("30m"));
        assert_eq!(duration("2 hours").as_deref(), Some("2h"));
        assert_eq!(duration("1h30m").as_deref(), Some("1h30m"));
        assert_eq!(duration("1 hour 30 minutes").as_deref(), Some("1h30m"));
        assert_eq!(duration("by 9am"), None);
        assert_eq!(retries("3"), Some(3));
        assert_eq!(retries("3x"), Some(3));
        assert_eq!(retries("none"), Some(0));
        assert_eq!(retries("lots"), None);
    }

    #[test]
    fn conditions_must_be_expressions() {
        assert_eq!(
            expression("amount > 1000").as_deref(),
            Some("amount > 1000")
        );
        assert_eq!(
            expression("status = 'open'").as_deref(),
            Some("status == 'open'")
        );
        assert_eq!(expression("invoice overdue"), None);
        assert_eq!(expression("overdue"), None);
    }
}
