//! `/etc/anacrontab` (Debian anacron 2.3): `VAR=VALUE` lines and `period delay job-id command`
//! jobs, with `\` line continuation.

use super::lines::LineError;
use crate::crontab::codes;

/// How often an anacron job runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Period {
    /// Every N days.
    Days(u32),
    /// `@monthly`: once per calendar month.
    Monthly,
    /// `@yearly` (accepted by the code, undocumented in bookworm's man page).
    Yearly,
}

/// One anacron job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnacronJob {
    /// 1-based line where it starts.
    pub line: usize,
    /// How often anacron runs the job (days, or @monthly/@weekly...).
    pub period: Period,
    /// Delay in minutes after anacron starts.
    pub delay_minutes: u32,
    /// Job identifier (also its timestamp file name).
    pub id: String,
    /// Command (continuations joined).
    pub command: String,
}

/// An anacrontab entry in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnacronEntry {
    /// `VAR=VALUE` (line, name, value).
    Env(usize, String, String),
    /// A job.
    Job(AnacronJob),
}

/// Parsed anacrontab.
#[derive(Debug, Clone, Default)]
pub struct AnacronTab {
    /// The job lines read, in file order.
    pub entries: Vec<AnacronEntry>,
    /// Bad lines.
    pub errors: Vec<LineError>,
}

/// Whether a text has the shape of an anacrontab (every job line is `period delay id command`
/// with a period that a crontab minute field would not accept as a day-of-month).
pub fn looks_like(text: &str) -> bool {
    let mut jobs = 0;
    let joined = text.replace("\\\n", "");
    for l in joined.lines() {
        let t = l.trim();
        if t.is_empty() || t.starts_with('#') || super::lines::load_env(l).is_some() {
            continue;
        }
        let toks: Vec<&str> = t.split_whitespace().collect();
        if toks.len() < 4 {
            return false;
        }
        let period_ok = matches!(toks[0], "@monthly" | "@yearly") || toks[0].parse::<u32>().is_ok();
        let delay_ok = toks[1].parse::<u32>().is_ok();
        // In a crontab the third word is a day-of-month; anacron ids are names such as cron.daily.
        let id_is_name = toks[2].chars().any(|c| c.is_ascii_alphabetic())
            && claw_language::cron::parse_field(
                claw_language::cron::FieldKind::DayOfMonth,
                toks[2],
            )
            .is_err();
        if !(period_ok && delay_ok && id_is_name) {
            return false;
        }
        jobs += 1;
    }
    jobs > 0
}

/// Reads an anacrontab.
pub fn parse(text: &str, file: &str) -> AnacronTab {
    let mut out = AnacronTab::default();
    for line in logical_lines(text) {
        match entry(&line, file) {
            Ok(Some(e)) => out.entries.push(e),
            Ok(None) => {}
            Err(e) => out.errors.push(*e),
        }
    }
    out
}

/// One logical line: physical lines joined where one ends with a backslash.
struct LogicalLine {
    /// 1-based number of its first physical line.
    n: usize,
    /// The joined text, without the backslashes.
    text: String,
    /// Its first physical line as written (quoted in errors).
    first: String,
}

/// The file's logical lines, in order (an unterminated continuation at the end included).
fn logical_lines(text: &str) -> Vec<LogicalLine> {
    let mut logical = Vec::new();
    let mut pending: Option<LogicalLine> = None;
    for (i, raw) in text.lines().enumerate() {
        let mut line = pending.take().unwrap_or(LogicalLine {
            n: i + 1,
            text: String::new(),
            first: raw.to_string(),
        });
        if let Some(cont) = raw.strip_suffix('\\') {
            line.text.push_str(cont);
            pending = Some(line);
            continue;
        }
        line.text.push_str(raw);
        logical.push(line);
    }
    if let Some(p) = pending {
        logical.push(p);
    }
    logical
}

/// The entry one logical line holds (`None` for a blank line or a comment), or why anacron
/// refuses it.
fn entry(line: &LogicalLine, file: &str) -> Result<Option<AnacronEntry>, Box<LineError>> {
    let (n, first) = (line.n, &line.first);
    let t = line.text.trim();
    if t.is_empty() || t.starts_with('#') {
        return Ok(None);
    }
    let err = |code: &str, message: &str, explanation: String, column: usize| {
        Box::new(LineError {
            file: file.to_string(),
            line: n,
            column,
            code: code.to_string(),
            message: message.to_string(),
            explanation,
            source_line: first.clone(),
        })
    };
    // anacron's env regex: NAME = VALUE (no quotes removed beyond trimming).
    if let Some((name, value)) = t.split_once('=')
        && !name.trim().is_empty()
        && !name.trim().contains(char::is_whitespace)
        && name.trim().parse::<u32>().is_err()
    {
        return Ok(Some(AnacronEntry::Env(
            n,
            name.trim().to_string(),
            value.trim().to_string(),
        )));
    }
    let mut it = t.split_whitespace();
    let (Some(p), Some(d), Some(id)) = (it.next(), it.next(), it.next()) else {
        return Err(err(
            codes::ANACRON_SYNTAX.id,
            "Invalid syntax",
            "expected `period delay job-id command`".into(),
            1,
        ));
    };
    let period = match p {
        "@monthly" => Period::Monthly,
        "@yearly" | "@annually" => Period::Yearly,
        "@daily" => Period::Days(1),
        "@weekly" => Period::Days(7),
        _ => match p.parse::<u32>() {
            Ok(v) if v > 0 => Period::Days(v),
            _ => {
                return Err(err(
                    codes::ANACRON_PERIOD.id,
                    "Invalid syntax",
                    format!("period `{p}` is not a number of days, @monthly or @yearly"),
                    1,
                ));
            }
        },
    };
    let Ok(delay) = d.parse::<u32>() else {
        let c = first.find(d).map_or(1, |b| first[..b].chars().count() + 1);
        return Err(err(
            codes::ANACRON_DELAY.id,
            "Invalid syntax",
            format!("delay `{d}` is not a number of minutes"),
            c,
        ));
    };
    let cmd_start = t.find(id).map(|i| i + id.len()).unwrap_or(t.len());
    let command = t[cmd_start..].trim().to_string();
    if command.is_empty() {
        return Err(err(
            codes::ANACRON_SYNTAX.id,
            "Invalid syntax",
            format!("job `{id}` has no command"),
            first.len() + 1,
        ));
    }
    Ok(Some(AnacronEntry::Job(AnacronJob {
        line: n,
        period,
        delay_minutes: delay,
        id: id.to_string(),
        command,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_debian_default() {
        let t = "SHELL=/bin/sh\n1\t5\tcron.daily\trun-parts --report /etc/cron.daily\n@monthly 15 cron.monthly run-parts \\\n --report /etc/cron.monthly\n";
        assert!(looks_like(t));
        let a = parse(t, "x");
        assert!(a.errors.is_empty());
        assert_eq!(a.entries.len(), 3);
        match &a.entries[2] {
            AnacronEntry::Job(j) => {
                assert_eq!(j.period, Period::Monthly);
                assert_eq!(j.command, "run-parts  --report /etc/cron.monthly");
            }
            other => panic!("{other:?}"),
        }
        assert!(!looks_like("1 5 * * * echo\n"));
    }
}
