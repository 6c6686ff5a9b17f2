//! Reads the text of one crontab field (`1-5,*/15`, `mon-fri`) into the bitset of the values it
//! allows, with Debian's error messages for what it refuses.

use super::error::{CronError, CronErrorKind};
use super::field::{DOW_NAMES, Field, FieldKind, LONG_DOW_NAMES, LONG_MONTH_NAMES, MONTH_NAMES};

pub(super) fn normalise(kind: FieldKind, bits: u64) -> u64 {
    if kind == FieldKind::DayOfWeek && bits & 0x81 != 0 {
        bits | 0x81
    } else {
        bits
    }
}

/// Why one field failed, before it is placed inside an expression.
struct Problem {
    kind: CronErrorKind,
    explanation: String,
    /// False for our deliberate deviations, where Debian accepts the text.
    debian_rejects: bool,
}

impl Problem {
    fn rejected(kind: CronErrorKind, explanation: impl Into<String>) -> Self {
        Self {
            kind,
            explanation: explanation.into(),
            debian_rejects: true,
        }
    }
}

/// Parses a field whose text starts at byte `offset` of the expression.
pub(crate) fn parse_field(kind: FieldKind, text: &str, offset: usize) -> Result<Field, CronError> {
    let span = offset..offset + text.len();
    match parse_list(kind, text) {
        Ok(bits) => Ok(Field {
            kind,
            raw: text.to_owned(),
            star: text.starts_with('*'),
            bits: normalise(kind, bits),
            span,
        }),
        Err(p) => {
            let debian = p.debian_rejects.then(|| kind.debian_error());
            let fallback = format!("trailing characters in {}", kind.name());
            let explanation = format!("`{}`: {}", text.escape_debug(), p.explanation);
            Err(CronError::new(
                p.kind,
                Some(kind),
                debian,
                fallback,
                explanation,
                span,
            ))
        }
    }
}

/// `list = item {"," item}`; mirrors Debian's `get_list`.
fn parse_list(kind: FieldKind, text: &str) -> Result<u64, Problem> {
    let b = text.as_bytes();
    if b.is_empty() {
        return Err(Problem::rejected(
            CronErrorKind::BadField,
            "the field is empty",
        ));
    }
    let mut pos = 0;
    let mut bits = 0u64;
    loop {
        pos = parse_item(kind, b, pos, &mut bits)?;
        match b.get(pos) {
            None => return Ok(bits),
            Some(b',') => pos += 1,
            Some(_) => return Err(trailing_garbage(kind, text, pos)),
        }
    }
}

/// The deviation: Debian's `get_list` ends the list at any character that
/// is not `,` and skips the rest of the word, so the text after `pos` would
/// be silently ignored.
fn trailing_garbage(kind: FieldKind, text: &str, pos: usize) -> Problem {
    let kept = text.get(..pos).unwrap_or(text);
    let rest = text.get(pos..).unwrap_or("");
    let mut explanation = format!(
        "unexpected `{}` after `{}`; Debian cron silently ignores it and reads the field as `{}`, \
         OpenClaw rejects it so the schedule cannot mean something other than intended",
        rest.escape_debug(),
        kept.escape_debug(),
        kept.escape_debug()
    );
    if kind == FieldKind::DayOfWeek && rest.starts_with('#') {
        explanation.push_str(" (`#` for \"n-th weekday of the month\" is not crontab syntax)");
    } else if rest.starts_with('-') && kept.ends_with('*') {
        explanation.push_str(" (a range cannot start with `*`; write `A-B`)");
    } else if rest.starts_with('/') {
        explanation.push_str(" (only one step is allowed)");
    }
    Problem {
        kind: CronErrorKind::TrailingGarbage,
        explanation,
        debian_rejects: false,
    }
}

/// `item = "*" ["/" step] | value ["-" value ["/" step]]`; mirrors Debian's
/// `get_range`, including where it fails.
fn parse_item(kind: FieldKind, b: &[u8], mut pos: usize, bits: &mut u64) -> Result<usize, Problem> {
    let (lo, hi) = (u64::from(kind.min()), u64::from(kind.max()));
    let first;
    let last;
    if b.get(pos) == Some(&b'*') {
        pos += 1;
        first = lo;
        last = hi;
    } else {
        let (n1, p) = value(kind, b, pos)?;
        pos = p;
        match b.get(pos) {
            Some(b'-') => {
                let (n2, p) = value(kind, b, pos + 1)?;
                pos = p;
                first = n1;
                last = n2;
            }
            Some(b'/') => {
                return Err(Problem::rejected(
                    CronErrorKind::BadStep,
                    format!(
                        "a step must follow a range or `*` (write `{n1}-{hi}/S` or `*/S`); \
                         `N/S` is Quartz syntax, not crontab"
                    ),
                ));
            }
            _ => {
                check_range(kind, n1)?;
                *bits |= 1u64 << n1;
                return Ok(pos);
            }
        }
    }
    let mut step = 1u64;
    if b.get(pos) == Some(&b'/') {
        let (s, p) = step_value(b, pos + 1)?;
        pos = p;
        step = s;
    }
    // Debian checks both ends even when the range is reversed.
    check_range(kind, first)?;
    check_range(kind, last)?;
    // A reversed range leaves the set untouched: Debian accepts it and the
    // job never runs, so that is what we do too.
    let mut v = first;
    while v <= last {
        *bits |= 1u64 << v;
        v = v.saturating_add(step);
    }
    Ok(pos)
}

fn check_range(kind: FieldKind, v: u64) -> Result<(), Problem> {
    if v < u64::from(kind.min()) || v > u64::from(kind.max()) {
        let extra = if kind == FieldKind::DayOfWeek {
            " (0 and 7 are both Sunday)"
        } else {
            ""
        };
        return Err(Problem::rejected(
            CronErrorKind::OutOfRange,
            format!(
                "{v} is out of range; {} must be {}-{}{extra}",
                kind.name(),
                kind.min(),
                kind.max()
            ),
        ));
    }
    Ok(())
}

/// Collects the run of ASCII letters and digits at `pos`, as Debian's
/// `get_number` does with `isalnum` in the C locale.
fn word(b: &[u8], pos: usize) -> (&[u8], usize) {
    let rest = b.get(pos..).unwrap_or(&[]);
    let len = rest
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    (&rest[..len], pos + len)
}

/// Decimal value, saturating (anything that large is out of range anyway).
fn decimal(digits: &[u8]) -> u64 {
    digits.iter().fold(0u64, |acc, d| {
        acc.saturating_mul(10)
            .saturating_add(u64::from(d.saturating_sub(b'0')))
    })
}

/// A number or (in month/day-of-week) a 3-letter name.
fn value(kind: FieldKind, b: &[u8], pos: usize) -> Result<(u64, usize), Problem> {
    let (w, end) = word(b, pos);
    if w.is_empty() {
        return Err(missing_value(b, pos));
    }
    if w.iter().all(u8::is_ascii_digit) {
        return Ok((decimal(w), end));
    }
    let text = String::from_utf8_lossy(w);
    if let Some(v) = kind.lookup_name(&text) {
        return Ok((u64::from(v), end));
    }
    Err(bad_word(kind, &text))
}

/// The step after `/`: digits only, at least 1.
fn step_value(b: &[u8], pos: usize) -> Result<(u64, usize), Problem> {
    let (w, end) = word(b, pos);
    if w.is_empty() {
        return Err(Problem::rejected(
            CronErrorKind::BadStep,
            "expected a step number after `/`",
        ));
    }
    if !w.iter().all(u8::is_ascii_digit) {
        return Err(Problem::rejected(
            CronErrorKind::BadStep,
            format!(
                "the step `{}` must be a plain number",
                String::from_utf8_lossy(w)
            ),
        ));
    }
    let s = decimal(w);
    if s == 0 {
        return Err(Problem::rejected(
            CronErrorKind::BadStep,
            "the step must be at least 1 (`*/0` never advances)",
        ));
    }
    // Debian keeps the step in a C int; anything that does not fit would
    // overflow there, so it is not something Debian reliably accepts.
    if s > i32::MAX as u64 {
        return Err(Problem::rejected(
            CronErrorKind::BadStep,
            "the step is too large",
        ));
    }
    Ok((s, end))
}

/// Nothing where a number was expected: an empty list item, a dangling `-`,
/// or a character Debian never accepts in a number (`?`, `#`, ...).
fn missing_value(b: &[u8], pos: usize) -> Problem {
    match b.get(pos) {
        None => Problem::rejected(
            CronErrorKind::BadField,
            "expected a number here, but the field ends (a dangling `-` or `,`?)",
        ),
        Some(b',') => Problem::rejected(
            CronErrorKind::BadField,
            "empty list item (two commas, or a leading comma)",
        ),
        Some(b'?') => Problem::rejected(
            CronErrorKind::UnsupportedSyntax,
            "`?` is Quartz syntax; crontab has no \"no specific value\": use `*`",
        ),
        Some(b'#') => Problem::rejected(
            CronErrorKind::UnsupportedSyntax,
            "`#` (n-th weekday) is not crontab syntax",
        ),
        Some(_) => {
            // `pos` may sit inside a multi-byte character; show the rest of
            // the text lossily rather than risk slicing a str mid-character.
            let rest = String::from_utf8_lossy(b.get(pos..).unwrap_or(&[])).into_owned();
            let ch = rest.chars().next().unwrap_or('?');
            Problem::rejected(
                CronErrorKind::BadField,
                format!(
                    "unexpected `{}` where a number was expected",
                    ch.escape_debug()
                ),
            )
        }
    }
}

/// A word that is neither all digits nor a valid name here.
fn bad_word(kind: FieldKind, word: &str) -> Problem {
    let lower = word.to_ascii_lowercase();
    let digits_then = lower.trim_start_matches(|c: char| c.is_ascii_digit());
    if matches!(lower.as_str(), "l" | "w" | "lw" | "h")
        || matches!(digits_then, "l" | "w" | "lw") && digits_then.len() < lower.len()
    {
        return Problem::rejected(
            CronErrorKind::UnsupportedSyntax,
            format!(
                "`{word}` uses `L`/`W`/`H`, which are Quartz/Jenkins extensions that crontab does \
                 not support"
            ),
        );
    }
    let names = kind.names();
    if names.is_empty() {
        let is_name = MONTH_NAMES
            .iter()
            .chain(DOW_NAMES.iter())
            .any(|n| n.eq_ignore_ascii_case(word));
        if is_name {
            return Problem::rejected(
                CronErrorKind::BadField,
                format!(
                    "`{word}` is a name, but names are only allowed in the month and day-of-week \
                     fields; {} takes numbers {}-{}",
                    kind.name(),
                    kind.min(),
                    kind.max()
                ),
            );
        }
        return Problem::rejected(
            CronErrorKind::BadField,
            format!(
                "`{word}` is not a number; {} takes numbers {}-{}",
                kind.name(),
                kind.min(),
                kind.max()
            ),
        );
    }
    let long: &[&str] = if kind == FieldKind::Month {
        &LONG_MONTH_NAMES
    } else {
        &LONG_DOW_NAMES
    };
    if let Some(i) = long.iter().position(|n| n.eq_ignore_ascii_case(word)) {
        let short = names.get(i).copied().unwrap_or("");
        return Problem::rejected(
            CronErrorKind::BadField,
            format!("names are exactly 3 letters: write `{short}`, not `{word}`"),
        );
    }
    Problem::rejected(
        CronErrorKind::BadField,
        format!(
            "`{word}` is neither a number {}-{} nor a 3-letter name ({})",
            kind.min(),
            kind.max(),
            names.join(", ")
        ),
    )
}
