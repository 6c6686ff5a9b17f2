//! Reads a whole schedule expression: splits it into fields or one `@keyword`, and reports
//! missing, extra and unknown parts with the span of the offending token.

use std::ops::Range;

use super::error::{CronError, CronErrorKind};
use super::field::{Field, FieldKind};
use super::field_parse::parse_field;
use super::schedule::*;

fn tokens(expr: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in expr.char_indices() {
        let blank = c == ' ' || c == '\t';
        match (blank, start) {
            (true, Some(s)) => {
                out.push((s, &expr[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &expr[s..]));
    }
    out
}

fn span_of(tok: (usize, &str)) -> Range<usize> {
    tok.0..tok.0 + tok.1.len()
}

pub(super) fn parse_schedule(expr: &str) -> Result<Schedule, CronError> {
    let toks = tokens(expr);
    let Some(&first) = toks.first() else {
        return Err(CronError::new(
            CronErrorKind::Empty,
            None,
            None,
            "empty schedule",
            "expected five fields (minute hour day-of-month month day-of-week) or an @keyword",
            0..expr.len(),
        ));
    };
    if first.1.starts_with('@') {
        return parse_keyword(expr, &toks, first);
    }
    // Parse the fields that are present first, left to right, so the first
    // error reported is the one Debian would report.
    let mut parsed = Vec::with_capacity(5);
    for (kind, tok) in FieldKind::ALL.into_iter().zip(toks.iter()) {
        parsed.push(parse_field(kind, tok.1, tok.0)?);
    }
    if toks.len() < 5 {
        let missing = FieldKind::ALL.get(toks.len()).copied();
        let names: Vec<_> = FieldKind::ALL
            .get(toks.len()..)
            .unwrap_or(&[])
            .iter()
            .map(|k| k.name())
            .collect();
        return Err(CronError::new(
            CronErrorKind::MissingFields,
            missing,
            missing.map(FieldKind::debian_error),
            "missing fields",
            format!(
                "expected 5 fields (minute hour day-of-month month day-of-week), found {}; \
                 missing: {}",
                toks.len(),
                names.join(", ")
            ),
            expr.len()..expr.len(),
        ));
    }
    if let (Some(&sixth), Some(&last)) = (toks.get(5), toks.last()) {
        // Debian would take the sixth word as the command (or the user
        // name, in /etc/crontab), and refuses a command starting with `*`
        // ("bad command"), the usual sign of a seconds field.
        let debian = sixth.1.starts_with('*').then_some("bad command");
        return Err(CronError::new(
            CronErrorKind::TooManyFields,
            None,
            debian,
            "too many fields",
            format!(
                "a crontab schedule has exactly 5 fields (minute hour day-of-month month \
                 day-of-week), found {}; 6-field (seconds) and 7-field (year) forms are not \
                 crontab syntax; in a crontab line Debian would read `{}` as the user name \
                 (system crontab) or the start of the command",
                toks.len(),
                sixth.1.escape_debug()
            ),
            sixth.0..last.0 + last.1.len(),
        ));
    }
    let mut it = parsed.into_iter();
    let (Some(minute), Some(hour), Some(dom), Some(month), Some(dow)) =
        (it.next(), it.next(), it.next(), it.next(), it.next())
    else {
        // Unreachable: exactly five tokens were parsed above. Report it as a
        // count problem instead of panicking.
        return Err(CronError::new(
            CronErrorKind::MissingFields,
            None,
            None,
            "missing fields",
            "expected 5 fields",
            0..expr.len(),
        ));
    };
    Ok(Schedule {
        raw: expr.to_owned(),
        keyword: None,
        kind: ScheduleKind::Fields(Box::new(Fields {
            minute,
            hour,
            dom,
            month,
            dow,
        })),
    })
}

fn parse_keyword(
    expr: &str,
    toks: &[(usize, &str)],
    first: (usize, &str),
) -> Result<Schedule, CronError> {
    let Some(keyword) = Keyword::from_token(first.1) else {
        let lower = first.1.to_ascii_lowercase();
        let hint = match Keyword::from_token(&lower) {
            Some(k) => format!("; keywords are lower-case only: write `{k}`"),
            None => String::new(),
        };
        let known: Vec<_> = Keyword::ALL.iter().map(|k| k.as_str()).collect();
        return Err(CronError::new(
            CronErrorKind::BadKeyword,
            None,
            Some("bad time specifier"),
            "bad time specifier",
            format!(
                "`{}` is not a crontab keyword; expected one of {}{hint}",
                first.1.escape_debug(),
                known.join(" ")
            ),
            span_of(first),
        ));
    };
    if let (Some(&second), Some(&last)) = (toks.get(1), toks.last()) {
        return Err(CronError::new(
            CronErrorKind::TooManyFields,
            None,
            None,
            "too many fields",
            format!(
                "`{keyword}` replaces all five time fields, so nothing may follow it in a \
                 schedule (in a crontab line Debian would read `{}` as the user or command)",
                second.1.escape_debug()
            ),
            second.0..last.0 + last.1.len(),
        ));
    }
    let span = span_of(first);
    let kind = match keyword.five_field_form() {
        None => ScheduleKind::Reboot,
        Some(form) => {
            let stars = keyword.debian_stars();
            let mut fields = Vec::with_capacity(5);
            for ((kind, text), star) in FieldKind::ALL.into_iter().zip(form.split(' ')).zip(stars) {
                // The equivalent text is our own constant and always valid;
                // parse it for the bits, then apply Debian's flags.
                let bits = parse_field(kind, text, 0)?.bits();
                fields.push(Field::synthetic(kind, text, bits, star, span.clone()));
            }
            let mut it = fields.into_iter();
            let (Some(minute), Some(hour), Some(dom), Some(month), Some(dow)) =
                (it.next(), it.next(), it.next(), it.next(), it.next())
            else {
                return Err(CronError::new(
                    CronErrorKind::BadKeyword,
                    None,
                    Some("bad time specifier"),
                    "bad time specifier",
                    "internal: keyword expansion incomplete",
                    span,
                ));
            };
            ScheduleKind::Fields(Box::new(Fields {
                minute,
                hour,
                dom,
                month,
                dow,
            }))
        }
    };
    Ok(Schedule {
        raw: expr.to_owned(),
        keyword: Some(keyword),
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cron::CronErrorKind;
    use std::ops::Range;

    #[test]
    fn schedule_errors() {
        let cases: [(&str, CronErrorKind, Option<&str>, Range<usize>); 9] = [
            ("", CronErrorKind::Empty, None, 0..0),
            ("   ", CronErrorKind::Empty, None, 0..3),
            (
                "* * * *",
                CronErrorKind::MissingFields,
                Some("bad day-of-week"),
                7..7,
            ),
            (
                "0 0 * * * *",
                CronErrorKind::TooManyFields,
                Some("bad command"),
                10..11,
            ),
            ("0 0 * * * 5", CronErrorKind::TooManyFields, None, 10..11),
            (
                "@DAILY",
                CronErrorKind::BadKeyword,
                Some("bad time specifier"),
                0..6,
            ),
            (
                "@every",
                CronErrorKind::BadKeyword,
                Some("bad time specifier"),
                0..6,
            ),
            ("@daily root", CronErrorKind::TooManyFields, None, 7..11),
            (
                "0 24 * * *",
                CronErrorKind::OutOfRange,
                Some("bad hour"),
                2..4,
            ),
        ];
        for (expr, kind, debian, span) in cases {
            match parse_schedule(expr) {
                Ok(_) => panic!("{expr:?} parsed"),
                Err(e) => {
                    assert_eq!(e.kind(), kind, "{expr:?}: {e}");
                    assert_eq!(e.debian_message(), debian, "{expr:?}: {e}");
                    assert_eq!(e.span(), span, "{expr:?}: {e}");
                }
            }
        }
        // The first bad field wins, as in Debian.
        let e = parse_schedule("60 24").err();
        assert_eq!(e.and_then(|e| e.debian_message()), Some("bad minute"));
    }

    #[test]
    fn error_display_mentions_everything() {
        let e = parse_schedule("0 0 * * 5#2").err();
        let text = e.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("5#2"), "{text}");
        assert!(text.contains("Debian"), "{text}");
    }
}
