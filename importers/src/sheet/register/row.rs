//! One register row: its cells read, then a trigger (or a follow-on of the row above), a guard
//! decision when it has a condition, and the execution step its action maps to.

use super::cells::{duration, expression, key_expression, retries};
use super::{Register, Row, unique};
use crate::sheet::codes;
use crate::sheet::headers::Role;
use crate::sheet::{actions, schedule};
use claw_language::{Decision, Execution, Logic, Source, Trigger};
use indexmap::IndexMap;

/// The text cells of a row that decide what it becomes.
struct Cells {
    name: String,
    id: String,
    action: String,
    trigger: String,
    schedule: String,
    app: String,
    target: String,
    /// The cell findings about the whole row point at (action, else name, else the first column).
    row_cell: usize,
}

impl Register<'_, '_> {
    fn text(&mut self, r: usize, role: Role) -> String {
        self.col(role)
            .map(|c| self.cx.clean(r, c))
            .unwrap_or_default()
    }

    /// Maps one row; a row with no action, trigger or schedule is skipped with a warning.
    pub(super) fn row(&mut self, row: &Row) {
        let (g, r) = (self.g, row.r);
        let mut cells = self.cells(r);
        if cells.action.is_empty() && cells.trigger.is_empty() && cells.schedule.is_empty() {
            self.skip(r, cells.row_cell);
            return;
        }
        if cells.action.is_empty() {
            cells.action = if cells.name.is_empty() {
                cells.app.clone()
            } else {
                cells.name.clone()
            };
        }
        let base = self.base_name(r, &cells);
        let exec_name = unique(&mut self.used, &base);
        let enabled = self.status(r);

        // Trigger, or a follow-on step of the row above.
        let from_merge = [Role::Trigger, Role::Schedule]
            .iter()
            .filter_map(|k| self.col(*k))
            .any(|c| g.get(r, c).is_some_and(|x| x.merged_from.is_some()));
        let follow_on = self.prev_exec.is_some()
            && ((cells.trigger.is_empty() && cells.schedule.is_empty() && !row.block_start)
                || from_merge);
        let key_expr = self.key(r);
        let event = if follow_on {
            self.follow_on(r, &cells, from_merge)
        } else {
            let mut t = self.row_trigger(r, &cells, &base, &exec_name, &key_expr);
            if !enabled {
                t.enabled = Some(false);
            }
            t.legacy.insert("row".into(), g.row_number(r).to_string());
            if let Some(gr) = &row.group {
                t.legacy.insert("group".into(), gr.clone());
            }
            let event = t.name.clone();
            self.sys.triggers.push(t);
            event
        };
        let (on, guard_disabled) = self.guard(r, &base, event);
        let mut x = self.execution(r, &cells, exec_name.clone(), on);
        if !follow_on {
            x.idempotency = key_expr;
        }
        if !enabled || guard_disabled {
            x.enabled = Some(false);
        }
        x.legacy.insert("row".into(), g.row_number(r).to_string());
        if let Some(gr) = &row.group {
            x.legacy.insert("group".into(), gr.clone());
        }
        self.sys.execution.push(x);
        self.prev_exec = Some(exec_name);
        if let Some(c) = self.col(Role::Owner) {
            let o = self.cx.clean(r, c);
            if !o.is_empty() {
                self.owners.push((o, r, c));
            }
        }
    }

    /// The text cells of row `r` that decide what it becomes.
    fn cells(&mut self, r: usize) -> Cells {
        Cells {
            name: self.text(r, Role::Name),
            id: self.text(r, Role::Id),
            action: self.text(r, Role::Action),
            trigger: self.text(r, Role::Trigger),
            schedule: self.text(r, Role::Schedule),
            app: self.text(r, Role::System),
            target: self.text(r, Role::Target),
            row_cell: self
                .col(Role::Action)
                .or(self.col(Role::Name))
                .unwrap_or(self.first_col),
        }
    }

    /// Warns that row `r` (no action, trigger or schedule) is skipped, listing its cells.
    fn skip(&mut self, r: usize, row_cell: usize) {
        let g = self.g;
        let shown: Vec<String> = (0..g.width())
            .filter(|c| !g.text(r, *c).is_empty())
            .map(|c| g.addr(r, c))
            .collect();
        self.cx.warn(
            codes::SHEET_ROW_SKIPPED.id,
            format!(
                "row {} has no action, trigger or schedule; skipped (cells: {})",
                g.row_number(r),
                shown.join(", ")
            ),
            r,
            row_cell,
        );
    }

    /// The trigger a row that starts a chain declares: its schedule, else its trigger cell,
    /// else a manual trigger (with a warning).
    fn row_trigger(
        &mut self,
        r: usize,
        cells: &Cells,
        base: &str,
        exec_name: &str,
        key_expr: &Option<String>,
    ) -> Trigger {
        if !cells.schedule.is_empty() {
            return self.schedule_trigger(r, cells, base, exec_name, key_expr);
        }
        if !cells.trigger.is_empty() {
            return self.trigger_cell(r, cells, base, key_expr);
        }
        let t = Trigger::new(
            unique(&mut self.used, &format!("{base}_manual")),
            Source::Manual,
        );
        self.cx.warn(
            codes::SHEET_NO_TRIGGER.id,
            format!(
                "row {} has neither trigger nor schedule: imported as a manual trigger",
                self.g.row_number(r)
            ),
            r,
            cells.row_cell,
        );
        t
    }

    /// The slug the row's items are named after: its name, id or action, else its row number.
    fn base_name(&self, r: usize, cells: &Cells) -> String {
        let base_text = [&cells.name, &cells.id, &cells.action]
            .into_iter()
            .find(|s| !s.is_empty())
            .cloned()
            .unwrap_or_else(|| format!("row {}", self.g.row_number(r)));
        let row_label = format!("row {}", self.g.row_number(r));
        let mut base = crate::names::slug_or(&base_text, &row_label);
        base.truncate(48);
        while base.ends_with('_') {
            base.pop();
        }
        if base.starts_with("s_") {
            base = format!("row_{}", self.g.row_number(r));
        }
        base
    }

    /// Whether the row's status cell leaves it enabled (an unreadable status counts as active).
    fn status(&mut self, r: usize) -> bool {
        let g = self.g;
        let Some(c) = self.col(Role::Status) else {
            return true;
        };
        let s = g.text(r, c).to_lowercase();
        match s.trim() {
            "" | "active" | "on" | "yes" | "y" | "true" | "enabled" | "live" | "running" | "1" => {
                true
            }
            "paused" | "inactive" | "off" | "no" | "n" | "false" | "disabled" | "stopped"
            | "retired" | "0" | "suspended" | "draft" => {
                self.cx.info(
                    codes::SHEET_PAUSED.id,
                    format!(
                        "row {} is `{}`: imported with `enabled: false`",
                        g.row_number(r),
                        g.text(r, c)
                    ),
                    r,
                    c,
                );
                false
            }
            other => {
                self.cx.warn(
                    codes::SHEET_BAD_CELL.id,
                    format!("status `{other}` is neither active nor paused; imported as active"),
                    r,
                    c,
                );
                true
            }
        }
    }

    /// The row's key cell as an idempotency-key expression (a warning when it is not one).
    fn key(&mut self, r: usize) -> Option<String> {
        let key = self
            .col(Role::Key)
            .map(|c| (c, self.g.text(r, c)))
            .filter(|(_, t)| !t.is_empty());
        let key_expr = key.as_ref().and_then(|(_, t)| key_expression(t));
        if let (Some((c, t)), None) = (&key, &key_expr) {
            self.cx.warn(
                codes::SHEET_BAD_CELL.id,
                format!("key `{t}` is not an expression or field name; no idempotency key"),
                r,
                *c,
            );
        }
        key_expr
    }

    /// A row that runs after the row above: the event it waits for.
    fn follow_on(&mut self, r: usize, cells: &Cells, from_merge: bool) -> String {
        let prev = self.prev_exec.clone().unwrap_or_default();
        let c = self
            .col(Role::Trigger)
            .or(self.col(Role::Schedule))
            .unwrap_or(cells.row_cell);
        let why = if from_merge {
            "its trigger cell is merged with the row above"
        } else {
            "it has no trigger or schedule and follows without a blank row"
        };
        self.cx.info(
            codes::SHEET_FOLLOW_ON.id,
            format!(
                "row {} runs after `{prev}` succeeds: {why}",
                self.g.row_number(r)
            ),
            r,
            c,
        );
        format!("{prev}.succeeded")
    }

    /// A schedule cell: a cron trigger (keyed by the key cell or the scheduled time) in the
    /// row's time zone, or a manual trigger when the text has no crontab equivalent.
    fn schedule_trigger(
        &mut self,
        r: usize,
        cells: &Cells,
        base: &str,
        exec_name: &str,
        key_expr: &Option<String>,
    ) -> Trigger {
        let g = self.g;
        let sched = &cells.schedule;
        let c = self.col(Role::Schedule).unwrap_or(cells.row_cell);
        let tr = schedule::translate(sched, &crate::sheet::valid_timezone);
        for n in &tr.notes {
            let f = if n.warning {
                self.cx.warn(n.code, n.message.clone(), r, c)
            } else {
                self.cx.info(n.code, n.message.clone(), r, c)
            };
            f.path = Some(format!("/triggers/{exec_name}"));
        }
        let mut t;
        match tr.cron {
            Some(cron) => {
                t = Trigger::new(
                    unique(&mut self.used, &format!("{base}_schedule")),
                    Source::Schedule,
                );
                if cron != sched.trim() {
                    self.cx.info(
                        codes::SHEET_SCHEDULE_ASSUMED.id,
                        format!("schedule `{sched}` → `{cron}`"),
                        r,
                        c,
                    );
                }
                t.schedule = Some(cron);
                t.timezone = tr.timezone;
                match key_expr {
                    Some(k) => t.idempotency = Some(k.clone()),
                    None => {
                        t.idempotency = Some("trigger.scheduled_at".into());
                        self.cx.info(codes::SHEET_DERIVED_KEY.id, format!("row {}: the schedule trigger is keyed by its scheduled time (`trigger.scheduled_at`); the action itself may not be safe to run twice", g.row_number(r)), r, c);
                    }
                }
            }
            None => {
                t = Trigger::new(
                    unique(&mut self.used, &format!("{base}_manual")),
                    Source::Manual,
                );
                t.description = Some(format!("legacy schedule: {sched}"));
                self.cx.warn(codes::SHEET_TRIGGER.id, format!("row {}: schedule `{sched}` has no crontab equivalent; imported as a manual trigger (it will not run by itself)", g.row_number(r)), r, c);
            }
        }
        if let Some(tc) = self.col(Role::Timezone) {
            let tz = g.text(r, tc);
            if !tz.is_empty() && t.source == Source::Schedule {
                if crate::sheet::valid_timezone(&tz) {
                    t.timezone = Some(tz);
                } else {
                    self.cx.warn(codes::SHEET_BAD_CELL.id, format!("time zone `{tz}` is not an IANA name; the schedule runs in the runtime's zone"), r, tc);
                }
            }
        }
        t
    }

    /// A trigger cell: a schedule when it reads as one, manual when it says so, else a webhook
    /// the source system posts the event to.
    fn trigger_cell(
        &mut self,
        r: usize,
        cells: &Cells,
        base: &str,
        key_expr: &Option<String>,
    ) -> Trigger {
        let trig = &cells.trigger;
        let c = self.col(Role::Trigger).unwrap_or(cells.row_cell);
        let lower = trig.to_lowercase();
        let tr = schedule::translate(trig, &crate::sheet::valid_timezone);
        let mut t;
        if let (Some(cron), false) = (&tr.cron, tr.notes.iter().any(|n| n.warning)) {
            t = Trigger::new(
                unique(&mut self.used, &format!("{base}_schedule")),
                Source::Schedule,
            );
            t.schedule = Some(cron.clone());
            t.timezone = tr.timezone.clone();
            t.idempotency = Some(
                key_expr
                    .clone()
                    .unwrap_or_else(|| "trigger.scheduled_at".into()),
            );
            self.cx.info(
                codes::SHEET_SCHEDULE_ASSUMED.id,
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
            t = Trigger::new(
                unique(&mut self.used, &format!("{base}_manual")),
                Source::Manual,
            );
            t.description = Some(trig.clone());
        } else {
            t = Trigger::new(
                unique(&mut self.used, &format!("{base}_webhook")),
                Source::Webhook,
            );
            t.description = Some(trig.clone());
            t.idempotency = key_expr.clone();
            self.cx.info(codes::SHEET_TRIGGER.id, format!("trigger `{trig}` imported as a webhook: have the source system POST the event to /hooks/{}/{}", self.sys.system, t.name), r, c);
        }
        t
    }

    /// The row's condition cell as a decision on `on`; returns the event the step then waits
    /// for, and whether the step must be disabled (a condition in prose).
    fn guard(&mut self, r: usize, base: &str, on: String) -> (String, bool) {
        let Some(cc) = self.col(Role::Condition) else {
            return (on, false);
        };
        let cond = self.cx.clean(r, cc);
        if cond.is_empty() {
            return (on, false);
        }
        match expression(&cond) {
            Some(e) => {
                let dname = unique(&mut self.used, &format!("{base}_check"));
                let mut d = Decision {
                    name: dname.clone(),
                    description: Some(format!("Condition from {}", self.g.addr(r, cc))),
                    on: vec![on],
                    inputs: Vec::new(),
                    logic: Logic::When(e),
                    emits: Vec::new(),
                    legacy: IndexMap::new(),
                };
                d.legacy
                    .insert("row".into(), self.g.row_number(r).to_string());
                self.sys.decisions.push(d);
                (dname, false)
            }
            None => {
                self.cx.warn(codes::SHEET_CONDITION.id, format!("condition `{cond}` is prose, not an expression: the step is imported disabled so that it never runs unguarded"), r, cc)
                    .help = Some("write the condition as an expression (e.g. `amount > 1000`) and re-import, or add a `when:` decision by hand".into());
                (on, true)
            }
        }
    }

    /// The row's step: its action mapped to an adapter, with notes, retries and SLA timeout.
    fn execution(&mut self, r: usize, cells: &Cells, exec_name: String, on: String) -> Execution {
        let g = self.g;
        let action = &cells.action;
        let mapped = actions::map(action, &cells.app, &cells.target);
        let ac = self
            .col(Role::Action)
            .or(self.col(Role::Name))
            .unwrap_or(cells.row_cell);
        if mapped.unported {
            self.cx.warn(codes::SHEET_UNPORTED_ACTION.id, format!("action `{action}` maps to no adapter: imported as `{}`", mapped.action), r, ac)
                .help = Some("replace it with a real adapter (email.send, slack.post, http.post, shell.run, ...) before cutover".into());
        } else {
            self.cx.info(
                codes::SHEET_ACTION_MAPPED.id,
                format!(
                    "action `{action}` → `{}` ({})",
                    mapped.action, mapped.reason
                ),
                r,
                ac,
            );
        }
        let mut x = Execution::new(exec_name, on, mapped.action);
        x.with = mapped.with;
        x.with.values_mut().for_each(crate::sheet::escape_literal);
        x.description = self
            .col(Role::Notes)
            .map(|c| self.cx.clean(r, c))
            .filter(|s| !s.is_empty());
        if let Some(c) = self.col(Role::Retries) {
            let t = g.text(r, c);
            if !t.is_empty() {
                match retries(&t) {
                    Some(n) => x.retries = Some(n),
                    None => {
                        self.cx.warn(
                            codes::SHEET_BAD_CELL.id,
                            format!("retries `{t}` is not a number of retries"),
                            r,
                            c,
                        );
                    }
                }
            }
        }
        if let Some(c) = self.col(Role::Sla) {
            let t = g.text(r, c);
            if !t.is_empty() {
                match duration(&t) {
                    Some(d) => {
                        self.cx.info(
                            codes::SHEET_SLA.id,
                            format!("SLA `{t}` imported as the step timeout `{d}`"),
                            r,
                            c,
                        );
                        x.timeout = Some(d);
                    }
                    None => {
                        self.cx.warn(codes::SHEET_BAD_CELL.id, format!("SLA/deadline `{t}` is not a duration; not imported (a deadline by clock time needs an alert, added by hand)"), r, c);
                    }
                }
            }
        }
        x
    }
}
