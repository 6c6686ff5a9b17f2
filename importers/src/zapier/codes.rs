//! Diagnostic codes of the Zapier importer: findings and errors (documented in
//! docs/diagnostics.md, importer section, and docs/importers/zapier.md).

claw_language::diagnostic_codes! {
    /// An export file is not valid JSON; the location is given as file:line:column.
    BAD_JSON = "claw::import::bad_json", Error,
        "An export file is not valid JSON; the location is given as file:line:column.",
        "export the Zaps again, or repair the JSON at the reported line";
    /// The JSON is valid but not a Zapier export (no `zaps` list, or a field of the wrong type).
    BAD_SHAPE = "claw::import::bad_shape", Error,
        "The JSON is valid but not a Zapier export (no `zaps` list, or a field of the wrong type).",
        "pass the Zapfile.json from a Zapier export, not another JSON file";
    /// A ZIP archive holds no Zapfile.json.
    NO_ZAPFILE = "claw::import::no_zapfile", Error,
        "A ZIP archive holds no Zapfile.json.",
        "pass the ZIP that Zapier's \"Export Zaps\" produced, or the Zapfile.json in it";
    /// A file named .zip is not a readable ZIP archive.
    BAD_ZIP = "claw::import::bad_zip", Error,
        "A file named .zip is not a readable ZIP archive.",
        "download the export again";
    /// A folder holds no Zapier export (no *.json or *.zip file).
    EMPTY_INPUT = "claw::import::empty_input", Error,
        "A folder holds no Zapier export (no *.json or *.zip file).",
        "point the importer at the export file or folder that holds the Zaps";
    /// Two nodes of one Zap have the same id.
    DUPLICATE_ID = "claw::import::duplicate_id", Error,
        "Two nodes of one Zap have the same id.",
        "export the Zap again; the export is corrupt";
    /// The same Zap id appears twice in the input.
    DUPLICATE_ZAP = "claw::import::duplicate_zap", Error,
        "The same Zap id appears twice in the input.",
        "import each Zap once: remove the duplicate file";
    /// A node names a parent that is not in the Zap.
    DANGLING_PARENT = "claw::import::dangling_parent", Error,
        "A node names a parent that is not in the Zap.",
        "export the Zap again; the export is incomplete";
    /// A Zap's parent links form a cycle, so there is no tree to import.
    CYCLE = "claw::import::cycle", Error,
        "A Zap's parent links form a cycle, so there is no tree to import.",
        "export the Zap again; the export is corrupt";
    /// A Zap has no root node (no node without a parent) or more than one.
    BAD_ROOT = "claw::import::bad_root", Error,
        "A Zap has no root node (no node without a parent) or more than one.",
        "export the Zap again, or keep one trigger";
    /// The Zap is paused (its trigger has `paused: true`): the trigger is imported with `enabled: false`.
    PAUSED_ZAP = "claw::import::paused_zap", Warning,
        "The Zap is paused (its trigger has `paused: true`): the trigger is imported with `enabled: false`.",
        "enable the trigger when the system is meant to replace the Zap";
    /// Non-trigger steps carry `paused: true`, as they do in every known export, even of running Zaps; the flag is read as meaningless.
    PAUSED_FLAGS_IGNORED = "claw::import::paused_flags_ignored", Info,
        "Non-trigger steps carry `paused: true`, as they do in every known export, even of running Zaps; the flag is read as meaningless.",
        "disable a step with `enabled: false` if it really must not run";
    /// A polling trigger: runs start up to the polling interval late and deduplication depends on the idempotency key.
    POLLING_TRIGGER = "claw::import::polling_trigger", Warning,
        "A polling trigger: runs start up to the polling interval late and deduplication depends on the idempotency key.",
        "if the app offers an instant (webhook) trigger, use `source: webhook` instead";
    /// The polling interval was read from `polling_interval_override` as minutes, or the Free plan's 15 minutes was assumed.
    POLLING_INTERVAL_ASSUMED = "claw::import::polling_interval_assumed", Info,
        "The polling interval was read from `polling_interval_override` as minutes, or the Free plan's 15 minutes was assumed.",
        "set `every:` on the trigger to the interval the Zap really polled at";
    /// The time zone of a schedule is missing or not an IANA name: the schedule runs in UTC until `timezone:` is set.
    TIMEZONE_ASSUMED = "claw::import::timezone_assumed", Warning,
        "The time zone of a schedule is missing or not an IANA name: the schedule runs in UTC until `timezone:` is set.",
        "add `timezone: <IANA name>` to the trigger";
    /// A Schedule by Zapier trigger could not be translated to crontab; it is imported as a manual trigger.
    SCHEDULE_UNPORTED = "claw::import::schedule_unported", Warning,
        "A Schedule by Zapier trigger could not be translated to crontab; it is imported as a manual trigger.",
        "write the crontab expression by hand: `source: schedule`, `schedule: \"m h dom mon dow\"`";
    /// A Sub-Zap start is imported as a `source: call` trigger.
    SUBZAP_TRIGGER = "claw::import::subzap_trigger", Info,
        "A Sub-Zap start is imported as a `source: call` trigger that another system's `system.call` step starts.",
        "run the Sub-Zap's system together with its callers: `claw run caller.claw sub-zap.claw`";
    /// A Call a Sub-Zap step names a Sub-Zap that is not in the import, or none at all.
    SUBZAP_UNLINKED = "claw::import::subzap_unlinked", Warning,
        "A Call a Sub-Zap step names a Sub-Zap that is not in this import (or names none the importer reads): its `system.call` names a system no file holds.",
        "import the Sub-Zap together with its callers (one export, or one folder), or set `with: system:` to the called system's name";
    /// A Call a Sub-Zap step was read by inferred param names.
    SUBZAP_CALL_INFERRED = "claw::import::subzap_call_inferred", Info,
        "No export with a Call a Sub-Zap step has been seen: the step's params are read by inferred names.",
        "check the `system.call` step's `system` and `inputs` against the Zap";
    /// A step with no runtime equivalent is kept as `unported.*`, with the reason.
    UNPORTED_STEP = "claw::import::unported_step", Warning,
        "A step with no runtime equivalent is kept as `unported.*`, with the reason.",
        "replace the `unported.*` action with a real adapter or a code step before cutover";
    /// A Formatter by Zapier step was mapped to a pure `format.*` step calling a formatter function (said once per Zap, with the shape the params were read in).
    FORMATTER_MAPPED = "claw::import::formatter_mapped", Info,
        "A Formatter by Zapier step was mapped to a pure `format.*` step calling a formatter function.",
        "compare the step's output with the Zap's task history; docs/importers/zapier.md lists the known differences";
    /// A Formatter by Zapier transform with no equivalent (or none yet), or one the export does not name: the step is kept as `unported.*`.
    FORMATTER_UNSUPPORTED = "claw::import::formatter_unsupported", Warning,
        "A Formatter by Zapier transform with no equivalent, or one the export does not name: the step is kept as `unported.*`.",
        "write the value with the formatter functions (`text.*`, `number.*`, `date.*`, `util.*`) in a `format.value` step";
    /// A Formatter by Zapier option the importer does not read, or a value of it that cannot be translated: the step is kept as `unported.*` rather than run without it.
    FORMATTER_OPTION = "claw::import::formatter_option", Warning,
        "A Formatter by Zapier option the importer does not read, or a value of it that cannot be translated: the step is kept as `unported.*`.",
        "write the value with the formatter functions in a `format.value` step, taking the option into account";
    /// A Looping by Zapier step became a `loop.items` step, and the steps after it `for_each` steps (said once per Zap).
    LOOP_MAPPED = "claw::import::loop_mapped", Info,
        "A Looping by Zapier step became a `loop.items` step, and the steps after it run once per item (`for_each`).",
        "compare the per-item calls with the Zap's task history; docs/importers/zapier.md lists the known differences";
    /// A filter or path after a Looping step: it decides once per run, not once per item.
    LOOP_DECISION = "claw::import::loop_decision", Warning,
        "A filter or path after a Looping step decides once per run, not once per item, and cannot read the loop's item.",
        "move the condition into the steps' `for_each` expression (e.g. `steps.loop.output.items.filter(i, i.loop_iteration <= 10)`)";
    /// A Filter after a Looping step decides per item: its condition filters the items of the steps below it (`for_each`), as Zapier stops only that iteration.
    LOOP_FILTER = "claw::import::loop_filter", Info,
        "A Filter after a Looping step decides per item: its condition filters the items of the steps below it (`for_each`).",
        "check the `for_each` expressions of the steps after the loop against the filter's criteria";
    /// A Webhooks by Zapier option the `http` adapter does not send (a file upload, an XML payload, a JSON body on a GET): the step runs without it.
    WEBHOOK_OPTION = "claw::import::webhook_option", Warning,
        "A Webhooks by Zapier option the `http` adapter does not send (a file upload, an XML payload, a JSON body on a GET): the step runs without it.",
        "check the receiving end, or write the request in a `code.js` step";
    /// A Storage by Zapier step was mapped to a `state.*` step on a `data.state` store named from a hash of its storage secret (a warning when some of its params were not translated).
    STORAGE_MAPPED = "claw::import::storage_mapped", Info,
        "A Storage by Zapier step was mapped to a `state.*` step on a `data.state` store named from a hash of its storage secret.",
        "check the step's `with:` against the Zap (no export with Storage params has been seen); steps that shared a Zapier store share the `zapier_storage_*` store";
    /// An Email by Zapier step was mapped to `email.send` through the user's SMTP server (a warning when an attachment, forced line breaks or an unknown param was not carried over).
    EMAIL_MAPPED = "claw::import::email_mapped", Info,
        "An Email by Zapier step was mapped to `email.send` through the user's SMTP server.",
        "set the secrets smtp_url (smtp:// or smtps:// URL) and smtp_from (the sender address); Zapier sent from its own zapiermail.com server";
    /// An Email by Zapier trigger (mail to a zapiermail.com address) was imported as a webhook trigger.
    INBOUND_EMAIL = "claw::import::inbound_email", Warning,
        "An Email by Zapier trigger (mail to a zapiermail.com address) was imported as a webhook trigger.",
        "route the mailbox through an inbound-mail service that POSTs each message as JSON to the trigger's webhook";
    /// A Lookup Table by Zapier step was mapped to a `data.tables` table of its rows and a pure `format.value` step reading it.
    LOOKUP_TABLE_MAPPED = "claw::import::lookup_table_mapped", Info,
        "A Lookup Table by Zapier step was mapped to a `data.tables` table of its rows and a pure `format.value` step reading it.",
        "check the table's rows and the step's key against the Zap (no export with a Lookup Table step has been seen)";
    /// A Zapier Tables step was mapped to a `table.*` step on a `data.state` store; the table's records are not in the export.
    TABLE_ROWS_MISSING = "claw::import::table_rows_missing", Warning,
        "A Zapier Tables step was mapped to a `table.*` step on a `data.state` store; the table's records are not in the export.",
        "export the table from Zapier as CSV, rename its header to the field ids (f1, f2, …) and load it with `claw table load SYSTEM TABLE rows.csv`";
    /// A Digest by Zapier step was mapped to a `digest.*` step on a `data.digests` digest named from its title (a warning when some of its params were not translated).
    DIGEST_MAPPED = "claw::import::digest_mapped", Info,
        "A Digest by Zapier step was mapped to a `digest.append` or `digest.release` step on a `data.digests` digest named from its title.",
        "check the step's `with:` and the digest's `release:` against the Zap (no export with Digest params has been seen)";
    /// A Digest by Zapier step's release could not be read (an unknown frequency, a threshold without a count, a daily/weekly/monthly release without a readable time): the digest is released by hand.
    DIGEST_SCHEDULE = "claw::import::digest_schedule", Warning,
        "A Digest by Zapier step's release could not be read (an unknown frequency, a threshold without a count, a daily, weekly or monthly release without a readable time); the digest was declared `release: manual`.",
        "set the digest's `release:` by hand: `count` with `count: N`, or `schedule` with `schedule: <crontab line>` (and `timezone:`)";
    /// A Code by Zapier step in Python uses what the runtime's Python sandbox does not offer.
    PYTHON_CODE = "claw::import::python_code", Warning,
        "A Code by Zapier step in Python (imported as `code.python`) uses what the runtime's Python sandbox does not offer: a module outside its standard-library subset (e.g. `requests`) or `StoreClient`; the step fails when it reaches it.",
        "rewrite that part with the standard-library subset (docs/runtime.md, `code.python`); move an HTTP call to an `http.*` step before the code";
    /// A filter operator nobody has documented: the criterion fails closed (`false`).
    UNKNOWN_OPERATOR = "claw::import::unknown_operator", Warning,
        "A filter operator nobody has documented: the criterion fails closed (`false`).",
        "write the condition by hand in `when:`";
    /// A filter operator key not seen in real exports is read by its name.
    OPERATOR_ASSUMED = "claw::import::operator_assumed", Info,
        "A filter operator key not seen in real exports is read by its name.",
        "check the translated `when:` condition against the Zap";
    /// `iexact` is read as a case-insensitive exact match (once per Zap).
    IEXACT_CASE = "claw::import::iexact_case", Info,
        "`iexact` is read as a case-insensitive exact match (once per Zap).",
        "if Zapier matched case-sensitively, replace the regex match by `==`";
    /// A case-insensitive operator compares with a mapped value, which is done case-sensitively.
    CASE_SENSITIVE_COMPARE = "claw::import::case_sensitive_compare", Info,
        "A case-insensitive operator compares with a mapped value, which is done case-sensitively.",
        "lower-case both sides in the `when:` condition if case must not matter";
    /// A filter literal its operator cannot use: the criterion fails closed (`false`).
    BAD_FILTER_VALUE = "claw::import::bad_filter_value", Warning,
        "A filter literal its operator cannot use: the criterion fails closed (`false`).",
        "fix the value in the `when:` condition, or write the condition by hand";
    /// A filter criterion with no field and no operator: it fails closed (`false`).
    EMPTY_FILTER = "claw::import::empty_filter", Warning,
        "A filter criterion with no field and no operator: it fails closed (`false`).",
        "remove the empty criterion from the `when:` condition, or fill it in";
    /// A reference to a step that is not in the export or does not run before: kept as literal text (params) or `false` (filters).
    DANGLING_REFERENCE = "claw::import::dangling_reference", Warning,
        "A reference to a step that is not in the export or does not run before: kept as literal text (params) or `false` (filters).",
        "map the value to a field of a step that runs before this one";
    /// A formula's live step id was matched to a step of the export by evidence (its title or the fields it produces).
    FORMULA_REFERENCE_INFERRED = "claw::import::formula_reference_inferred", Info,
        "A formula's live step id was matched to a step of the export by evidence (its title or the fields it produces).",
        "live step ids are not renumbered on export; check that this is the step meant";
    /// A Zapier formula with functions or arithmetic has no translation and is kept as literal text.
    FORMULA_UNPORTED = "claw::import::formula_unported", Warning,
        "A Zapier formula with functions or arithmetic has no translation and is kept as literal text.",
        "rewrite it as a CEL template hole, e.g. `{{ steps.x.output.field }}`";
    /// A credential in a step's params or code was replaced by a `secret://` reference.
    HARDCODED_SECRET = "claw::import::hardcoded_secret", Warning,
        "A credential in a step's params or code was replaced by a `secret://` reference.",
        "store the value under the `secret://` name in the secrets file or environment, and rotate it";
    /// Steps use Zapier connections; each connection id is kept only as a `secret://` reference in `legacy.auth`.
    CONNECTIONS = "claw::import::connections", Info,
        "Steps use Zapier connections; each connection id is kept only as a `secret://` reference in `legacy.auth`.",
        "provide the credentials for these adapters through the secrets file or environment";
    /// Candidate idempotency keys for the trigger: trigger fields read downstream whose names look like ids.
    IDEMPOTENCY_CANDIDATES = "claw::import::idempotency_candidates", Info,
        "Candidate idempotency keys for the trigger: trigger fields read downstream whose names look like ids.",
        "add `idempotency: <field>` to the trigger if it identifies one delivery";
    /// Zapier has no SLOs or alert routes: a default SLO `error_rate: <1%` and an alert without a route were added.
    DEFAULT_OBSERVABILITY = "claw::import::default_observability", Info,
        "Zapier has no SLOs or alert routes: a default SLO `error_rate: <1%` and an alert without a route were added.",
        "set the alert's `route:` and an `owner:`, and adjust the objective to what the business needs";
    /// Zapier keeps task history per plan; the event log was given the default store and retention.
    DEFAULT_RETENTION = "claw::import::default_retention", Info,
        "Zapier keeps task history per plan; the event log was given the default store and retention.",
        "set `data.events.retention` to what the team must keep";
    /// A Fallback path runs only when no custom path's rules hold; its condition is the negation of theirs.
    FALLBACK_PATH = "claw::import::fallback_path", Info,
        "A Fallback path runs only when no custom path's rules hold; its condition is the negation of theirs.",
        "check the fallback decision's `when:` covers exactly what the custom paths leave out";
    /// A Delay Until uses a Zapier date expression; the runtime expects the template to give an RFC 3339 time.
    DELAY_UNTIL_FORMAT = "claw::import::delay_until_format", Warning,
        "A Delay Until uses a Zapier date expression; the runtime expects the template to give an RFC 3339 time.",
        "map an ISO date field and do the offset in CEL, e.g. `{{ timestamp(start.dateTime) - duration('1h') }}`";
    /// A Delay After Queue: Zapier also serialised runs sharing a queue; only the wait is imported.
    DELAY_QUEUE = "claw::import::delay_queue", Info,
        "A Delay After Queue becomes `delay.queue`: runs sharing its queue are released one at a time, each `spacing` after the previous release (the first after `spacing` too).",
        "check the spacing and, for a queue shared with other Zaps, that they name the same queue";
    /// Several steps follow one step outside a Paths branch; they are imported as parallel steps on the same event.
    PARALLEL_STEPS = "claw::import::parallel_steps", Info,
        "Several steps follow one step outside a Paths branch; they are imported as parallel steps on the same event.",
        "chain them with `on:` if one must run after the other";
    /// The trigger node's `type_of` is not `read`; it is imported as the trigger anyway.
    ROOT_NOT_READ = "claw::import::root_not_read", Warning,
        "The trigger node's `type_of` is not `read`; it is imported as the trigger anyway.",
        "check that the imported trigger is the Zap's real trigger";
    /// Nodes carry a `root_id` other than the trigger; the tree was built from `parent_id` alone.
    ROOT_ID_MISMATCH = "claw::import::root_id_mismatch", Warning,
        "Nodes carry a `root_id` other than the trigger; the tree was built from `parent_id` alone.",
        "check the imported steps' order against the Zap";
    /// The Zap carries a `status` field no documented export has; only the trigger's `paused` flag decides whether it is on.
    ZAP_STATUS = "claw::import::zap_status", Info,
        "The Zap carries a `status` field no documented export has; only the trigger's `paused` flag decides whether it is on.",
        "set `enabled:` on the trigger if the Zap was off";
    /// A file of an account export that holds no Zap definitions was skipped.
    SKIPPED_FILE = "claw::import::skipped_file", Info,
        "A file of an account export that holds no Zap definitions was skipped.",
        "nothing to do; pass Zapfile.json alone to silence it";
    /// Two Zaps' titles give the same system name, so the Zap id was appended to the later one.
    RENAMED_SYSTEM = "claw::import::renamed_system", Info,
        "Two Zaps' titles give the same system name, so the Zap id was appended to the later one.",
        "rename one of the systems (and its file) to something telling";
    /// The Zap has no action step; a `log.info` step records each run that passes the trigger and filters.
    NO_ACTIONS = "claw::import::no_actions", Warning,
        "The Zap has no action step; a `log.info` step records each run that passes the trigger and filters.",
        "add the step that should act on these runs, or retire the Zap";
}
