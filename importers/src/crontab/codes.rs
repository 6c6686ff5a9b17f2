//! Diagnostic codes of the crontab importer: findings, line errors and errors (documented in
//! docs/diagnostics.md, importer section, and docs/importers/crontab.md).

claw_language::diagnostic_codes! {
    /// A crontab file or folder could not be read (exit 2, nothing written).
    UNREADABLE = "claw::import::unreadable", Error,
        "A crontab file or folder could not be read (exit 2, nothing written).",
        "check the path and its permissions (run as a user who can read it)";
    /// A crontab input is binary, not text; the first bad byte is located.
    NOT_TEXT = "claw::import::not_text", Error,
        "A crontab input is binary, not text; the first bad byte is located.",
        "pass the crontab text (`crontab -l > file`), not a binary";
    /// The input has no jobs at all, only comments, blank and environment lines.
    EMPTY = "claw::import::empty", Error,
        "The input has no jobs at all, only comments, blank and environment lines.",
        "nothing to import; pass a crontab with jobs";
    /// A bad line was skipped under `--skip-bad-lines`, as cronie does; Debian would ignore the whole file.
    CRON_BAD_LINE = "claw::import::cron_bad_line", Warning,
        "A bad line was skipped under `--skip-bad-lines`, as cronie does; Debian would ignore the whole file.",
        "fix the line; the finding names its code";
    /// A system crontab line has no user name after the schedule.
    CRON_BAD_USER = "claw::import::cron_bad_user", Error,
        "A system crontab line has no user name after the schedule.",
        "add the user column to system crontab lines, or import the file as a user crontab";
    /// A line has a schedule but no command.
    CRON_BAD_COMMAND = "claw::import::cron_bad_command", Error,
        "A line has a schedule but no command.",
        "add the command, or delete the line";
    /// A command longer than Debian's cron accepts (it refuses the line).
    CRON_COMMAND_TOO_LONG = "claw::import::cron_command_too_long", Error,
        "A command longer than Debian's cron accepts (it refuses the line).",
        "move the command into a script and call the script";
    /// An anacrontab line is not `period delay job-id command`.
    ANACRON_SYNTAX = "claw::import::anacron_syntax", Error,
        "An anacrontab line is not `period delay job-id command`.",
        "write the line as `period delay job-id command`";
    /// An anacrontab period is not a number of days, `@monthly` or `@yearly`.
    ANACRON_PERIOD = "claw::import::anacron_period", Error,
        "An anacrontab period is not a number of days, `@monthly` or `@yearly`.",
        "use a number of days, @monthly or @yearly";
    /// An anacrontab delay is not a number of minutes.
    ANACRON_DELAY = "claw::import::anacron_delay", Error,
        "An anacrontab delay is not a number of minutes.",
        "write the delay as a whole number of minutes";
    /// The file's location does not say whether it is a user or system crontab; the syntax was detected.
    CRON_SYNTAX_DETECTED = "claw::import::cron_syntax_detected", Info,
        "The file's location does not say whether it is a user or system crontab; the syntax was detected.",
        "pass `--crontab-format user` or `--crontab-format system` to override";
    /// Debian's cron ignores cron.d files whose names have characters other than letters, digits, `_` and `-`; cronie reads them. Imported as cronie would run it.
    CRON_D_NAME_IGNORED = "claw::import::cron_d_name_ignored", Warning,
        "Debian's cron ignores cron.d files whose names have characters other than letters, digits, `_` and `-`; cronie reads them. Imported as cronie would run it.",
        "rename the file (e.g. drop the dot) if Debian's cron should run it, or delete it if it is a leftover";
    /// The file does not end with a newline: Debian's cron ignores the whole file and cronie drops the last line; imported in full.
    CRON_NO_FINAL_NEWLINE = "claw::import::cron_no_final_newline", Warning,
        "The file does not end with a newline: Debian's cron ignores the whole file and cronie drops the last line; imported in full.",
        "add a newline at the end of the file";
    /// `\\` in a command: Debian's cron turns it into `\` before the shell sees it, cronie keeps both; imported as Debian runs it.
    CRON_BACKSLASH = "claw::import::cron_backslash", Info,
        "`\\\\` in a command: Debian's cron turns it into `\\` before the shell sees it, cronie keeps both; imported as Debian runs it.",
        "check the command does what it should with a single backslash";
    /// The first unescaped `%` of a command is inside `$(…)`, `$((…))`, backticks or quotes: cron cuts the command there, so the command it ran was broken.
    CRON_PERCENT_SPLIT = "claw::import::cron_percent_split", Warning,
        "The first unescaped `%` of a command is inside `$(…)`, `$((…))`, backticks or quotes: cron cuts the command there, so the command it ran was broken.",
        "write `\\%` for a literal `%` in a crontab command";
    /// A crontab among other inputs has no jobs (only comments, blank and environment lines); nothing is imported from it. Alone, it is the `empty` error.
    CRON_NO_JOBS = "claw::import::cron_no_jobs", Warning,
        "A crontab among other inputs has no jobs (only comments, blank and environment lines); nothing is imported from it. Alone, it is the `empty` error.",
        "remove the file, or uncomment the jobs it should run";
    /// A line ends with a carriage return (CRLF file): cron keeps it, so the shell sees `\r` as part of the last word.
    CRON_CR = "claw::import::cron_cr", Warning,
        "A line ends with a carriage return (CRLF file): cron keeps it, so the shell sees `\\r` as part of the last word.",
        "convert the file to LF line endings";
    /// `NAME=` with nothing after it: cronie sets it empty, but Debian's cron reads the line as a job and ignores the whole file; imported as empty.
    CRON_EMPTY_ENV = "claw::import::cron_empty_env", Warning,
        "`NAME=` with nothing after it: cronie sets it empty, but Debian's cron reads the line as a job and ignores the whole file; imported as empty.",
        "write `NAME=\"\"` so both daemons read an empty value";
    /// Debian strips the blanks at the end of a quoted environment value (cronie keeps them); imported as Debian reads it.
    CRON_QUOTED_BLANKS = "claw::import::cron_quoted_blanks", Info,
        "Debian strips the blanks at the end of a quoted environment value (cronie keeps them); imported as Debian reads it.",
        "check the value does not need its trailing blanks";
    /// `CRON_TZ`: cronie schedules the following jobs in that zone, Debian's cron ignores it; imported as the triggers' time zone (or dropped if not an IANA name).
    CRON_TZ = "claw::import::cron_tz", Warning,
        "`CRON_TZ`: cronie schedules the following jobs in that zone, Debian's cron ignores it; imported as the triggers' time zone (or dropped if not an IANA name).",
        "check which daemon ran the jobs and set `timezone:` to the zone they really ran in";
    /// `RANDOM_DELAY`: cronie delays each following job by a random number of minutes, Debian ignores it; not imported as a delay.
    CRON_RANDOM_DELAY = "claw::import::cron_random_delay", Warning,
        "`RANDOM_DELAY`: cronie delays each following job by a random number of minutes, Debian ignores it; not imported as a delay.",
        "add a `delay:` on the step if the spread matters";
    /// An anacrontab setting only cronie's anacron has (Debian's anacron 2.3 does not); kept as an environment variable only.
    ANACRON_CRONIE_ONLY = "claw::import::anacron_cronie_only", Warning,
        "An anacrontab setting only cronie's anacron has (Debian's anacron 2.3 does not); kept as an environment variable only.",
        "set the equivalent by hand (a delay or a schedule window) if it matters";
    /// `MAILTO` or `MAILFROM` holds `$VAR`: cronie expands it, Debian's cron does not; imported literally.
    CRON_MAIL_EXPANSION = "claw::import::cron_mail_expansion", Info,
        "`MAILTO` or `MAILFROM` holds `$VAR`: cronie expands it, Debian's cron does not; imported literally.",
        "write the address itself in the alert route";
    /// `MAILTO=""`: cron mailed the job's output to nobody, so failures went unnoticed; no alert route imported.
    CRON_MAILTO_EMPTY = "claw::import::cron_mailto_empty", Warning,
        "`MAILTO=\"\"`: cron mailed the job's output to nobody, so failures went unnoticed; no alert route imported.",
        "add an alert route under observability.alerts";
    /// A word of MAILTO's value is not a recipient (`MAILTO=root HOME=/`: cron takes the whole rest of the line); no route is imported for it.
    CRON_MAILTO_BROKEN = "claw::import::cron_mailto_broken", Warning,
        "A word of MAILTO's value is not a recipient (`MAILTO=root HOME=/`: cron takes the whole rest of the line); no route is imported for it.",
        "set MAILTO to one or more addresses separated by commas, on a line of its own";
    /// MAILTO is not set: cron mailed the crontab's owner, who is not known here; no alert route imported.
    CRON_MAIL_OWNER = "claw::import::cron_mail_owner", Info,
        "MAILTO is not set: cron mailed the crontab's owner, who is not known here; no alert route imported.",
        "pass --user NAME, or set MAILTO in the crontab";
    /// A credential in the environment, command line or stdin became a `secret://` reference; the value is not written.
    CRON_SECRET = "claw::import::cron_secret", Warning,
        "A credential in the environment, command line or stdin became a `secret://` reference; the value is not written.",
        "provide the secret to the runtime, and remove it from the crontab";
    /// `SHELL` is not /bin/sh: the command is wrapped in `SHELL -c` because `shell.run` uses sh.
    CRON_SHELL = "claw::import::cron_shell", Info,
        "`SHELL` is not /bin/sh: the command is wrapped in `SHELL -c` because `shell.run` uses sh.",
        "check the wrapped command, or rewrite it for sh";
    /// A guard (`test -x ... &&`, `if ...; then`) became a check step and a decision.
    CRON_GUARD = "claw::import::cron_guard", Info,
        "A guard (`test -x ... &&`, `if ...; then`) became a check step and a decision.",
        "nothing to do; the command runs only when cron's shell would have run it";
    /// A job or script that only runs where systemd is not running (a fallback for a packaged timer) is imported disabled.
    CRON_SYSTEMD_FALLBACK = "claw::import::cron_systemd_fallback", Warning,
        "A job or script that only runs where systemd is not running (a fallback for a packaged timer) is imported disabled.",
        "enable the trigger only on hosts without systemd";
    /// A `run-parts` line runs every script of a folder, one after another in name order.
    CRON_RUN_PARTS = "claw::import::cron_run_parts", Info,
        "A `run-parts` line runs every script of a folder, one after another in name order.",
        "nothing to do; each script is its own step";
    /// A run-parts folder run by both /etc/crontab and anacron: its scripts are imported under the anacron job; the other job keeps its run-parts command.
    RUN_PARTS_ELSEWHERE = "claw::import::run_parts_elsewhere", Info,
        "A run-parts folder run by both /etc/crontab and anacron: its scripts are imported under the anacron job; the other job keeps its run-parts command.",
        "nothing to do; delete the job that no longer runs on the host";
    /// A run-parts command does more than run the folder, so it is kept as one shell command instead of one step per script.
    RUN_PARTS_KEPT = "claw::import::run_parts_kept", Warning,
        "A run-parts command does more than run the folder, so it is kept as one shell command instead of one step per script.",
        "split it by hand if the scripts should be separate steps";
    /// A script run-parts would skip (a name with dots, or not executable) is not imported.
    RUN_PARTS_SKIPPED = "claw::import::run_parts_skipped", Warning,
        "A script run-parts would skip (a name with dots, or not executable) is not imported.",
        "rename it or chmod +x it if it should run";
    /// No /etc/crontab or /etc/anacrontab among the inputs says when a run-parts folder runs; Debian's default schedule was assumed.
    CRON_DEFAULT_SCHEDULE = "claw::import::cron_default_schedule", Warning,
        "No /etc/crontab or /etc/anacrontab among the inputs says when a run-parts folder runs; Debian's default schedule was assumed.",
        "pass /etc/crontab (and /etc/anacrontab) too, or set the schedule by hand";
    /// An anacron job runs whenever it has not run for its period, some minutes after anacron starts; imported as a schedule with that delay and catch-up.
    ANACRON_SCHEDULE = "claw::import::anacron_schedule", Info,
        "An anacron job runs whenever it has not run for its period, some minutes after anacron starts; imported as a schedule with that delay and catch-up.",
        "check the schedule and the `catch_up:` setting";
    /// A schedule that never fires (a reversed range or an impossible date); imported as written.
    CRON_NEVER_FIRES = "claw::import::cron_never_fires", Warning,
        "A schedule that never fires (a reversed range or an impossible date); imported as written.",
        "fix the schedule, or delete the job";
    /// `@reboot`: cron ran this once when the host booted; imported as a manual trigger.
    CRON_REBOOT = "claw::import::cron_reboot", Warning,
        "`@reboot`: cron ran this once when the host booted; imported as a manual trigger.",
        "fire it from the host's start-up, e.g. a systemd unit running `claw fire`";
    /// The trigger's idempotency key is the scheduled time, so one fire time never starts twice; the command may still not be safe to re-run.
    CRON_RERUN_UNSAFE = "claw::import::cron_rerun_unsafe", Info,
        "The trigger's idempotency key is the scheduled time, so one fire time never starts twice; the command may still not be safe to re-run.",
        "make the command safe to re-run, or leave `retries` off";
    /// stdout and stderr are thrown away (`>/dev/null 2>&1`): nobody could see what the job did.
    CRON_OUTPUT_DISCARDED = "claw::import::cron_output_discarded", Warning,
        "stdout and stderr are thrown away (`>/dev/null 2>&1`): nobody could see what the job did.",
        "drop the redirection: the runtime keeps the output in its events";
    /// No lock (flock, run-one, a lock file): cron starts the next run even if the previous one is still going.
    CRON_NO_LOCK = "claw::import::cron_no_lock", Warning,
        "No lock (flock, run-one, a lock file): cron starts the next run even if the previous one is still going.",
        "wrap the command in `flock -n /run/<job>.lock`, or make it safe to overlap";
    /// cron ran these jobs as a user; each step records it as `user`, but `shell.run` runs as the runtime's user.
    CRON_RUN_AS = "claw::import::cron_run_as", Info,
        "cron ran these jobs as a user; each step records it as `user`, but `shell.run` runs as the runtime's user.",
        "run the runtime as that user, or use sudo in the command";
    /// Jobs of one system can start in the same minute.
    CRON_COLLISION = "claw::import::cron_collision", Warning,
        "Jobs of one system can start in the same minute.",
        "stagger the schedules if the jobs compete for the same resource";
    /// The collision analysis stopped after 2,000,000 candidate pairs.
    CRON_COLLISION_CAPPED = "claw::import::cron_collision_capped", Info,
        "The collision analysis stopped after 2,000,000 candidate pairs.",
        "split the crontab, or group by user or command to check the rest";
}
