//! The crontab line grammar exactly as Debian's cron reads it: environment lines by `load_env`'s
//! state machine, then job lines (`5 fields | @keyword`, the user field in system crontabs, the
//! command). Every bad line becomes a [`LineError`] with its column and source text.

use crate::crontab::codes;
use claw_language::cron::{self, CronErrorKind, Schedule};

/// Which grammar a file uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Syntax {
    /// A user crontab (`crontab -l`): no user field.
    User,
    /// `/etc/crontab`, `/etc/cron.d/*`: a user field after the schedule.
    System,
}

/// One environment assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvLine {
    /// 1-based line.
    pub line: usize,
    /// The name as written in the file.
    pub name: String,
    /// Value (quotes removed, trailing blanks trimmed as Debian does).
    pub value: String,
    /// `NAME=` with nothing after it: cronie's empty value, a syntax error for Debian.
    pub debian_rejects: bool,
    /// Debian trimmed blanks inside quotes that cronie would keep.
    pub trimmed_inside_quotes: bool,
}

/// One job line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobLine {
    /// 1-based line.
    pub line: usize,
    /// The schedule as written, fields joined by single spaces (or the `@keyword`).
    pub schedule_text: String,
    /// Parsed schedule.
    pub schedule: Schedule,
    /// User field (system crontabs).
    pub user: Option<String>,
    /// The command as written (before `%` processing).
    pub command: String,
    /// 1-based column where the command starts.
    pub command_column: usize,
}

/// An entry of a crontab, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// `NAME=value`.
    Env(EnvLine),
    /// A job.
    Job(JobLine),
}

/// A line Debian's cron refuses.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LineError {
    /// File label.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (characters).
    pub column: usize,
    /// Stable code (`claw::cron::bad_field`, `claw::import::cron_bad_user`, …).
    pub code: String,
    /// Debian's message where it has one (`bad minute`), else ours.
    pub message: String,
    /// What was found and what was expected.
    pub explanation: String,
    /// The offending line as written.
    pub source_line: String,
}

impl LineError {
    /// `file:line:col: error[code]: message: explanation`, the line, and a caret.
    pub fn render(&self) -> String {
        let caret_pad: String = self
            .source_line
            .chars()
            .take(self.column.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        format!(
            "{}:{}:{}: error[{}]: {}: {}\n  | {}\n  | {}^",
            self.file,
            self.line,
            self.column,
            self.code,
            self.message,
            self.explanation,
            self.source_line.trim_end_matches(['\r', '\n']),
            caret_pad
        )
    }
}

/// The result of reading one crontab.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// Entries in file order.
    pub entries: Vec<Entry>,
    /// Bad lines.
    pub errors: Vec<LineError>,
    /// The text does not end with a newline (Debian drops such a file, cronie loses the last line).
    pub missing_final_newline: bool,
    /// Number of lines.
    pub lines: usize,
}

/// Debian's command length limit (`MAX_COMMAND` 1000 minus the terminator and newline).
pub const DEBIAN_MAX_COMMAND: usize = 998;

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Debian's `load_env`: `Some((name, value, trimmed_inside_quotes))` when the line is an
/// environment assignment, `None` when it must be read as a job.
pub fn load_env(line: &str) -> Option<(String, String, bool)> {
    #[derive(PartialEq, Clone, Copy)]
    enum S {
        NameI,
        Name,
        Eq1,
        Eq2,
        ValueI,
        Value,
        Fini,
    }
    let s = line.trim_start_matches([' ', '\t']);
    let mut st = S::NameI;
    let mut quote: Option<char> = None;
    let mut name = String::new();
    let mut value = String::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        match st {
            S::NameI | S::ValueI => {
                if c == '\'' || c == '"' {
                    quote = Some(c);
                    chars.next();
                }
                st = if st == S::NameI { S::Name } else { S::Value };
            }
            S::Name | S::Value => {
                if let Some(q) = quote {
                    if c == q {
                        chars.next();
                        st = if st == S::Name { S::Eq1 } else { S::Fini };
                        continue;
                    }
                    if st == S::Name && c == '=' {
                        return None;
                    }
                } else if st == S::Name {
                    if c.is_whitespace() {
                        chars.next();
                        st = S::Eq1;
                        continue;
                    }
                    if c == '=' {
                        st = S::Eq1;
                        continue;
                    }
                }
                if st == S::Name {
                    name.push(c);
                } else {
                    value.push(c);
                }
                chars.next();
            }
            S::Eq1 => {
                if c == '=' {
                    st = S::Eq2;
                    quote = None;
                } else if !c.is_whitespace() {
                    return None;
                }
                chars.next();
            }
            S::Eq2 | S::Fini => {
                if c.is_whitespace() {
                    chars.next();
                } else if st == S::Eq2 {
                    st = S::ValueI;
                } else {
                    return None;
                }
            }
        }
    }
    if !(st == S::Fini || (st == S::Value && quote.is_none())) {
        return None;
    }
    // Debian's strdtb() trims trailing blanks of every value, inside quotes too.
    let trimmed = value.trim_end().to_string();
    let inside = st == S::Fini && trimmed.len() != value.len();
    Some((name, trimmed, inside))
}

/// Splits off the next blank-separated token: (token, start byte, rest start byte).
fn next_token(line: &str, from: usize) -> Option<(&str, usize, usize)> {
    let rest = &line[from..];
    let skip = rest.len() - rest.trim_start_matches(is_blank).len();
    let start = from + skip;
    if start >= line.len() {
        return None;
    }
    let tail = &line[start..];
    let len = tail.find(is_blank).unwrap_or(tail.len());
    Some((&line[start..start + len], start, start + len))
}

fn col(line: &str, byte: usize) -> usize {
    line[..byte.min(line.len())].chars().count() + 1
}

/// Whether a user name is one `getpwnam` could know: a POSIX-ish login name.
pub fn plausible_user(u: &str) -> bool {
    let mut c = u.chars();
    matches!(c.next(), Some(ch) if ch.is_ascii_alphabetic() || ch == '_')
        && u.chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '.' | '$'))
        && u.len() <= 32
}

/// Reads a crontab. `file` labels errors.
pub fn parse(text: &str, syntax: Syntax, file: &str) -> Parsed {
    let mut out = Parsed {
        missing_final_newline: !text.is_empty() && !text.ends_with('\n'),
        ..Parsed::default()
    };
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        out.lines = i + 1;
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        let lead = line.trim_start_matches(is_blank);
        // A line of blanks (a lone CR counts: Debian's skip_comments treats it as blank space).
        if lead.trim().is_empty() || lead.starts_with('#') {
            continue;
        }
        let n = i + 1;
        if let Some((name, value, inside)) = load_env(line) {
            out.entries.push(Entry::Env(EnvLine {
                line: n,
                name,
                value,
                debian_rejects: false,
                trimmed_inside_quotes: inside,
            }));
            continue;
        }
        // `NAME=` (unquoted, empty): cronie's empty value; Debian reads a job and fails.
        if let Some(name) = lead.trim_end().strip_suffix('=')
            && !name.is_empty()
            && !name.contains(|c: char| c.is_whitespace() || c == '=')
        {
            out.entries.push(Entry::Env(EnvLine {
                line: n,
                name: name.to_string(),
                value: String::new(),
                debian_rejects: true,
                trimmed_inside_quotes: false,
            }));
            continue;
        }
        match job(line, n, syntax, file) {
            Ok(j) => out.entries.push(Entry::Job(j)),
            Err(e) => out.errors.push(*e),
        }
    }
    out
}

/// Reads one job line left to right in the order cron does: schedule, user (system
/// crontabs), command.
fn job(line: &str, n: usize, syntax: Syntax, file: &str) -> Result<JobLine, Box<LineError>> {
    let at = JobReader { line, n, file };
    let (schedule_text, schedule, pos) = at.schedule()?;
    let (user, pos) = match syntax {
        Syntax::User => (None, pos),
        Syntax::System => {
            let (u, end) = at.user(pos)?;
            (Some(u), end)
        }
    };
    let (cstart, command) = at.command(pos)?;
    Ok(JobLine {
        line: n,
        schedule_text,
        schedule,
        user,
        command: command.to_string(),
        command_column: col(line, cstart),
    })
}

/// One job line being read, for the pieces of [`job`] and the errors they build.
struct JobReader<'a> {
    line: &'a str,
    /// 1-based line number.
    n: usize,
    /// Labels errors.
    file: &'a str,
}

impl JobReader<'_> {
    /// A [`LineError`] at byte `byte` of the line.
    fn err(&self, byte: usize, code: &str, message: &str, explanation: String) -> Box<LineError> {
        Box::new(LineError {
            file: self.file.to_string(),
            line: self.n,
            column: col(self.line, byte),
            code: code.to_string(),
            message: message.to_string(),
            explanation,
            source_line: self.line.to_string(),
        })
    }

    /// The schedule: an `@keyword` or five fields. Returns its text (fields joined by single
    /// spaces), the parsed schedule and the byte after it.
    fn schedule(&self) -> Result<(String, Schedule, usize), Box<LineError>> {
        let (first, first_start, pos) = next_token(self.line, 0).ok_or_else(|| {
            self.err(
                0,
                CronErrorKind::Empty.code(),
                "bad minute",
                "an empty line".into(),
            )
        })?;
        if !first.starts_with('@') {
            return self.five_fields(first, first_start, pos);
        }
        let s = cron::parse(first).map_err(|e| {
            self.err(
                first_start,
                e.code(),
                e.message(),
                e.explanation().to_string(),
            )
        })?;
        Ok((first.to_string(), s, pos))
    }

    /// The five time fields starting with `first` (at byte `first_start`; the next token
    /// starts at or after `pos`). Returns them as [`JobReader::schedule`] does.
    fn five_fields(
        &self,
        first: &str,
        first_start: usize,
        mut pos: usize,
    ) -> Result<(String, Schedule, usize), Box<LineError>> {
        let mut toks = vec![(first, first_start)];
        for _ in 0..4 {
            match next_token(self.line, pos) {
                Some((t, s, e)) => {
                    toks.push((t, s));
                    pos = e;
                }
                None => break,
            }
        }
        let text = toks.iter().map(|(t, _)| *t).collect::<Vec<_>>().join(" ");
        match cron::parse(&text) {
            Ok(s) => Ok((text, s, pos)),
            Err(e) => {
                // Map the span in the joined text back to the line.
                let mut off = 0;
                let mut byte = self.line.trim_end().len();
                if toks.len() == 5 || e.span().start < text.len() {
                    for (t, start) in &toks {
                        if e.span().start < off + t.len() + 1 {
                            byte = start + e.span().start.saturating_sub(off).min(t.len());
                            break;
                        }
                        off += t.len() + 1;
                    }
                }
                Err(self.err(byte, e.code(), e.message(), e.explanation().to_string()))
            }
        }
    }

    /// The user field of a system crontab line, after the schedule ending at `pos`; returns
    /// it and the byte after it.
    fn user(&self, pos: usize) -> Result<(String, usize), Box<LineError>> {
        let Some((u, ustart, uend)) = next_token(self.line, pos) else {
            return Err(self.err(
                self.line.len(),
                codes::CRON_BAD_USER.id,
                "bad username",
                "expected a user name after the schedule (system crontabs have a user field)"
                    .into(),
            ));
        };
        if !plausible_user(u) {
            return Err(self.err(
                ustart,
                codes::CRON_BAD_USER.id,
                "bad username",
                format!(
                    "`{u}` is not a login name; /etc/crontab and cron.d lines read `schedule user command` (a sixth time field would land here)"
                ),
            ));
        }
        Ok((u.to_string(), uend))
    }

    /// The command: the rest of the line after `pos`, blanks skipped. Returns its start byte
    /// and its text; an error when it is empty, starts with `*` (a sixth time field) or is
    /// longer than Debian accepts.
    fn command(&self, pos: usize) -> Result<(usize, &str), Box<LineError>> {
        let line = self.line;
        let rest = &line[pos..];
        let cstart = pos + (rest.len() - rest.trim_start_matches(is_blank).len());
        let command = &line[cstart..];
        if command.trim().is_empty() {
            return Err(self.err(
                cstart,
                codes::CRON_BAD_COMMAND.id,
                "bad command",
                "the line has a schedule but no command".into(),
            ));
        }
        if command.starts_with('*') {
            return Err(self.err(
                cstart,
                CronErrorKind::TooManyFields.code(),
                "bad command",
                "a sixth time field: crontab has five (minute hour day-of-month month day-of-week), no seconds or year, and a command may not start with `*`".into(),
            ));
        }
        if command.len() > DEBIAN_MAX_COMMAND {
            return Err(self.err(
                cstart,
                codes::CRON_COMMAND_TOO_LONG.id,
                "command too long",
                format!(
                    "{} bytes; Debian's cron accepts at most {DEBIAN_MAX_COMMAND} (cronie 131072)",
                    command.len()
                ),
            ));
        }
        Ok((cstart, command))
    }
}

/// Whether the text reads as a system crontab: every job line has a plausible user name after
/// its schedule, followed by a command, and at least one of them is a well-known account.
/// Returns the guess and the reason.
pub fn detect_syntax(text: &str) -> (Syntax, &'static str) {
    const KNOWN: &[&str] = &[
        "root", "daemon", "nobody", "www-data", "postgres", "mysql", "backup", "mail", "news",
        "man", "sys", "bin", "operator", "munin", "logcheck", "nagios", "zabbix", "smmsp", "list",
        "proxy",
    ];
    let mut jobs = 0;
    let mut users_ok = 0;
    let mut known = 0;
    for line in text.lines() {
        let lead = line.trim_start_matches(is_blank);
        if lead.trim().is_empty() || lead.starts_with('#') || load_env(line).is_some() {
            continue;
        }
        let n = if lead.starts_with('@') { 1 } else { 5 };
        let toks: Vec<&str> = lead.split([' ', '\t']).filter(|t| !t.is_empty()).collect();
        jobs += 1;
        if toks.len() > n + 1 && plausible_user(toks[n]) {
            users_ok += 1;
            if KNOWN.contains(&toks[n]) {
                known += 1;
            }
        }
    }
    if jobs > 0 && users_ok == jobs && known > 0 {
        (
            Syntax::System,
            "every job line has a user name after its schedule",
        )
    } else {
        (Syntax::User, "job lines have no user field")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_lines_follow_load_env() {
        assert_eq!(
            load_env("PATH=/a:/b"),
            Some(("PATH".into(), "/a:/b".into(), false))
        );
        assert_eq!(
            load_env("  X = \"a b\"  "),
            Some(("X".into(), "a b".into(), false))
        );
        assert_eq!(
            load_env("MAILTO=\"\""),
            Some(("MAILTO".into(), "".into(), false))
        );
        assert_eq!(load_env("X=\"a  \""), Some(("X".into(), "a".into(), true)));
        assert_eq!(load_env("'A B'=c"), Some(("A B".into(), "c".into(), false)));
        assert_eq!(load_env("MAILTO="), None);
        assert_eq!(load_env("X=\"a\" b"), None);
        assert_eq!(load_env("0 * * * * a=b"), None);
        assert_eq!(
            load_env("V=a #b\r"),
            Some(("V".into(), "a #b".into(), false))
        );
    }

    #[test]
    fn job_errors_are_located() {
        let p = parse("61 * * * * echo\n", Syntax::User, "t");
        assert_eq!((p.errors[0].line, p.errors[0].column), (1, 1));
        assert_eq!(p.errors[0].message, "bad minute");
        let p = parse("0 0 * * * * echo\n", Syntax::User, "t");
        assert_eq!(
            (p.errors[0].column, p.errors[0].message.as_str()),
            (11, "bad command")
        );
        let p = parse("0 0 * 13 * echo\n", Syntax::User, "t");
        assert_eq!(p.errors[0].column, 7);
        let p = parse("0 0 * * * * echo\n", Syntax::System, "t");
        assert_eq!(p.errors[0].message, "bad username");
        let p = parse("MAILTO=\n0 1 * * * x", Syntax::User, "t");
        assert!(p.missing_final_newline);
        assert!(matches!(&p.entries[0], Entry::Env(e) if e.debian_rejects));
    }

    #[test]
    fn detects_system_syntax() {
        assert_eq!(
            detect_syntax("17 * * * * root cd / && run-parts /etc/cron.hourly\n").0,
            Syntax::System
        );
        assert_eq!(detect_syntax("17 * * * * echo hi\n").0, Syntax::User);
    }
}
