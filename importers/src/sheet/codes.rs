//! Diagnostic codes of the spreadsheet importer: findings and errors (documented in
//! docs/diagnostics.md, importer section, and docs/importers/sheet.md).

claw_language::diagnostic_codes! {
    /// The extension names no spreadsheet format the importer reads.
    SHEET_FORMAT = "claw::import::sheet_format", Error,
        "The extension names no spreadsheet format the importer reads.",
        "save the sheet as .xlsx, .xls, .ods, .csv or .tsv";
    /// Not a readable workbook, or CSV/TSV with NUL bytes or invalid UTF-8 (located as file:line:column).
    BAD_SHEET = "claw::import::bad_sheet", Error,
        "Not a readable workbook, or CSV/TSV with NUL bytes or invalid UTF-8 (located as file:line:column).",
        "save or download the file again (CSV/TSV as UTF-8)";
    /// The CSV reader failed on a malformed line.
    BAD_CSV = "claw::import::bad_csv", Error,
        "The CSV reader failed on a malformed line.",
        "fix the reported line, or export the CSV again";
    /// `--sheet NAME` names no worksheet; the worksheets present are listed.
    NO_SUCH_SHEET = "claw::import::no_such_sheet", Error,
        "`--sheet NAME` names no worksheet; the worksheets present are listed.",
        "pass one of the listed worksheet names";
    /// No worksheet looks like a runbook register or a decision table; the headers found and every accepted header are listed.
    SHEET_NO_CONVENTION = "claw::import::sheet_no_convention", Error,
        "No worksheet looks like a runbook register or a decision table; the headers found and every accepted header are listed.",
        "rename the headers to ones the importer accepts (docs/importers/sheet.md)";
    /// A worksheet was left out: empty, following no convention, or with no usable row.
    SHEET_SKIPPED = "claw::import::sheet_skipped", Warning,
        "A worksheet was left out: empty, following no convention, or with no usable row.",
        "nothing to do if the worksheet holds no automation; otherwise fix its headers";
    /// A credential in a cell was replaced by a `secret://` reference.
    SHEET_SECRET = "claw::import::sheet_secret", Warning,
        "A credential in a cell was replaced by a `secret://` reference.",
        "store the value in the secrets file or environment under that name; never keep it in the sheet";
    /// Which column got which role in a runbook register.
    SHEET_COLUMNS = "claw::import::sheet_columns", Info,
        "Which column got which role in a runbook register.",
        "rename a header if a column got the wrong role";
    /// The header row was found below row 1 (rows above it are titles or notes).
    SHEET_HEADER_ROW = "claw::import::sheet_header_row", Info,
        "The header row was found below row 1 (rows above it are titles or notes).",
        "nothing to do; check the header row is the right one";
    /// A column was not imported: its header matches no role (or repeats one), or it has values but no header.
    SHEET_COLUMN_IGNORED = "claw::import::sheet_column_ignored", Warning,
        "A column was not imported: its header matches no role (or repeats one), or it has values but no header.",
        "rename the header to one of the synonyms in docs/importers/sheet.md to import it";
    /// A merged region was filled with the value of its top-left cell.
    SHEET_MERGED = "claw::import::sheet_merged", Info,
        "A merged region was filled with the value of its top-left cell.",
        "nothing to do; unmerge the cells if each row should have its own value";
    /// A row holding only one text cell is read as a group heading for the rows below.
    SHEET_GROUP = "claw::import::sheet_group", Info,
        "A row holding only one text cell is read as a group heading for the rows below.",
        "nothing to do; the group is kept in `legacy.group`";
    /// A row was not imported: blank, without action, trigger or schedule, or (in a decision table) without outcome or with conditions that do not compile.
    SHEET_ROW_SKIPPED = "claw::import::sheet_row_skipped", Warning,
        "A row was not imported: blank, without action, trigger or schedule, or (in a decision table) without outcome or with conditions that do not compile.",
        "fill in the row's action, trigger or outcome, or delete it";
    /// A row without its own trigger (or with its trigger cell merged with the row above) runs after the row above succeeds.
    SHEET_FOLLOW_ON = "claw::import::sheet_follow_on", Info,
        "A row without its own trigger (or with its trigger cell merged with the row above) runs after the row above succeeds.",
        "leave a blank row between rows that run independently";
    /// No key column: event-triggered rows get no idempotency key, so a repeated delivery runs twice.
    SHEET_NO_KEY = "claw::import::sheet_no_key", Warning,
        "No key column: event-triggered rows get no idempotency key, so a repeated delivery runs twice.",
        "add a `Key` column naming the payload field that identifies an event, e.g. `invoice.id`";
    /// A schedule trigger is keyed by its scheduled time (`trigger.scheduled_at`).
    SHEET_DERIVED_KEY = "claw::import::sheet_derived_key", Info,
        "A schedule trigger is keyed by its scheduled time (`trigger.scheduled_at`).",
        "make the action safe to run twice, or give a key";
    /// A trigger cell became a webhook (the source system must POST the event), or a schedule with no crontab form became a manual trigger.
    SHEET_TRIGGER = "claw::import::sheet_trigger", Warning,
        "A trigger cell became a webhook (the source system must POST the event), or a schedule with no crontab form became a manual trigger.",
        "have the source system POST to the webhook, or write the schedule as crontab";
    /// A row has neither trigger nor schedule: imported as a manual trigger.
    SHEET_NO_TRIGGER = "claw::import::sheet_no_trigger", Warning,
        "A row has neither trigger nor schedule: imported as a manual trigger.",
        "fill in the Trigger or Schedule cell";
    /// A condition cell in prose, not an expression: the step is imported disabled so that it never runs unguarded.
    SHEET_CONDITION = "claw::import::sheet_condition", Warning,
        "A condition cell in prose, not an expression: the step is imported disabled so that it never runs unguarded.",
        "write the condition as an expression (e.g. `amount > 1000`) and re-import, or add a `when:` decision by hand";
    /// Which adapter a free-text action became, and why.
    SHEET_ACTION_MAPPED = "claw::import::sheet_action_mapped", Info,
        "Which adapter a free-text action became, and why.",
        "check the adapter and its inputs";
    /// A free-text action matched no adapter and is imported as `unported.*`.
    SHEET_UNPORTED_ACTION = "claw::import::sheet_unported_action", Warning,
        "A free-text action matched no adapter and is imported as `unported.*`.",
        "replace it with a real adapter (email.send, slack.post, http.post, shell.run, ...) before cutover";
    /// An SLA cell became the step's timeout.
    SHEET_SLA = "claw::import::sheet_sla", Info,
        "An SLA cell became the step's timeout.",
        "check the timeout is what the step may take";
    /// A value in a cell could not be read: retries, SLA, status, key or time zone.
    SHEET_BAD_CELL = "claw::import::sheet_bad_cell", Warning,
        "A value in a cell could not be read: retries, SLA, status, key or time zone.",
        "write the cell as the docs describe (a number, a duration, an IANA zone)";
    /// A paused row is imported with `enabled: false`.
    SHEET_PAUSED = "claw::import::sheet_paused", Info,
        "A paused row is imported with `enabled: false`.",
        "enable the step when it should run";
    /// No owner or escalation: the system has no owner and its alerts no route.
    SHEET_NO_OWNER = "claw::import::sheet_no_owner", Warning,
        "No owner or escalation: the system has no owner and its alerts no route.",
        "add an `Owner` or `Escalation` column with an email address or a #slack-channel";
    /// An owner names no email address or #channel, so it gives no alert route.
    SHEET_OWNER_NO_ROUTE = "claw::import::sheet_owner_no_route", Warning,
        "An owner names no email address or #channel, so it gives no alert route.",
        "write the owner as an email address or a #channel";
    /// The register states no objective: `error_rate < 1%` was assumed so the escalation routes have an alert.
    SHEET_DEFAULT_SLO = "claw::import::sheet_default_slo", Info,
        "The register states no objective: `error_rate < 1%` was assumed so the escalation routes have an alert.",
        "set the objective the business needs in `observability.slo`";
    /// A schedule translation and the assumption it needed (no time given, a bare time read as daily).
    SHEET_SCHEDULE_ASSUMED = "claw::import::sheet_schedule_assumed", Info,
        "A schedule translation and the assumption it needed (no time given, a bare time read as daily).",
        "check the crontab expression; write it in the cell to be exact";
    /// A schedule can be read more than one way: words ignored, a day guessed, a time-zone abbreviation.
    SHEET_SCHEDULE_AMBIGUOUS = "claw::import::sheet_schedule_ambiguous", Warning,
        "A schedule can be read more than one way: words ignored, a day guessed, a time-zone abbreviation.",
        "write the schedule as a crontab expression, and the zone in a Timezone column";
    /// Crontab cannot express the schedule; no schedule was generated.
    SHEET_SCHEDULE_UNSUPPORTED = "claw::import::sheet_schedule_unsupported", Warning,
        "Crontab cannot express the schedule; no schedule was generated.",
        "run the job more often with a guard, or trigger it by hand";
    /// The crontab step does not divide the hour or day, so the last gap is shorter.
    SHEET_SCHEDULE_APPROXIMATE = "claw::import::sheet_schedule_approximate", Warning,
        "The crontab step does not divide the hour or day, so the last gap is shorter.",
        "check the shorter gap is acceptable, or choose a step that divides 60 or 24";
    /// How a decision table's condition and outcome columns were told apart (a warning when inferred).
    SHEET_TABLE_SPLIT = "claw::import::sheet_table_split", Warning,
        "How a decision table's condition and outcome columns were told apart (a warning when inferred).",
        "prefix headers with `if`/`then` (or add a Conditions/Outcomes row above them) to state the split";
    /// How the table's hit policy was honoured: first-hit as in .claw, or a policy with no equivalent.
    SHEET_HIT_POLICY = "claw::import::sheet_hit_policy", Warning,
        "How the table's hit policy was honoured: first-hit as in .claw, or a policy with no equivalent.",
        "reorder the rules, or split the table, if more than one outcome must apply";
    /// A catch-all row became the table's `default`, or there is none and the run stops when no rule holds.
    SHEET_NO_DEFAULT = "claw::import::sheet_no_default", Info,
        "A catch-all row became the table's `default`, or there is none and the run stops when no rule holds.",
        "add a catch-all row of `*` if every input needs an outcome";
    /// A rule after the catch-all can never apply and is not imported.
    SHEET_RULE_SHADOWED = "claw::import::sheet_rule_shadowed", Warning,
        "A rule after the catch-all can never apply and is not imported.",
        "move the rule above the catch-all row";
    /// A decision table only decides: the outcome is logged by a `record_outcome` step (`log.info`).
    SHEET_OUTCOME_LOGGED = "claw::import::sheet_outcome_logged", Info,
        "A decision table only decides: the outcome is logged by a `record_outcome` step (`log.info`).",
        "add the step that acts on `decisions.<name>.output`";
}
