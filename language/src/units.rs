//! Small value syntaxes: durations, percentages, SLO objectives, backoff, URIs and names.

use std::time::Duration;

/// Why a duration, percentage, objective, backoff or URI does not read. The messages are the
/// ones `claw check` shows after the code (`claw::bad_duration` and its neighbours).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    /// A blank duration.
    #[error("empty duration")]
    EmptyDuration,
    /// A number at the end with no unit (`5`, `1h30`).
    #[error("`{0}` has a number without a unit (ms, s, m, h, d, w)")]
    NoUnit(String),
    /// Text where a number should start (`soon`).
    #[error("`{0}` is not a duration; expected e.g. 30s, 5m, 1h30m, 365d")]
    NotADuration(String),
    /// Digits and dots that are not a number (`1.2.3s`).
    #[error("`{0}` is not a number")]
    NotANumber(String),
    /// A unit outside [`DURATION_UNITS`].
    #[error("unknown duration unit `{unit}` in `{text}`; use ms, s, m, h, d or w")]
    UnknownUnit {
        /// The unit as written.
        unit: String,
        /// The whole duration.
        text: String,
    },
    /// A duration beyond what a timer can hold.
    #[error("duration `{0}` is too large")]
    TooLarge(String),
    /// Not `N%`.
    #[error("`{0}` is not a percentage (expected e.g. 0.5%)")]
    NotAPercentage(String),
    /// A percentage below 0 or above 100.
    #[error("`{0}` is outside 0%..100%")]
    PercentOutOfRange(String),
    /// Neither a latency, a ratio nor a number.
    #[error(
        "`{0}` is not an objective; expected a latency (500ms), a ratio (<0.5%) or a number (>= 99.9)"
    )]
    NotAnObjective(String),
    /// No kind and value (`exponential` alone).
    #[error(
        "`{0}` is not a backoff; expected `exponential 1s..5m`, `exponential 2s` or `fixed 30s`"
    )]
    NotABackoff(String),
    /// A kind other than `fixed` or `exponential`.
    #[error(
        "unknown backoff kind `{0}`; expected `exponential 1s..5m`, `exponential 2s` or `fixed 30s`"
    )]
    UnknownBackoffKind(String),
    /// `exponential 5m..1s`.
    #[error("backoff `{0}`: the maximum is below the base")]
    BackoffMaxBelowBase(String),
    /// No `://`.
    #[error("`{text}` is not a URI; expected one of {list}")]
    NotAUri {
        /// The text.
        text: String,
        /// The allowed schemes, written `a://, b://`.
        list: String,
    },
    /// A scheme outside the allowed ones.
    #[error("unknown scheme `{scheme}://`; expected one of {list}")]
    UnknownScheme {
        /// The scheme as written.
        scheme: String,
        /// The allowed schemes, written `a://, b://`.
        list: String,
    },
    /// Nothing (or blanks) after `scheme://`.
    #[error("`{text}` has an empty or blank target after `{scheme}://`")]
    BlankTarget {
        /// The text.
        text: String,
        /// Its scheme.
        scheme: String,
    },
    /// An `email://` route whose target is not one mail address ([`is_email_address`]).
    #[error("`{0}`: an email route needs one mail address, such as email://ops@example.com")]
    EmailWithoutAddress(String),
}

/// Every duration unit with its length in milliseconds: the one table that both `.claw`
/// durations ([`parse_duration`]) and unit literals in alert conditions
/// ([`crate::expr::desugar_units`]) read. A suffix that is a prefix of another (`m` of `ms`,
/// `min`) comes after it, so a scan that tries them in order takes the longest.
pub const DURATION_UNITS: &[(&str, u64)] = &[
    ("ms", 1),
    ("min", 60_000),
    ("s", 1_000),
    ("m", 60_000),
    ("h", 3_600_000),
    ("d", 86_400_000),
    ("w", 604_800_000),
];

/// Milliseconds in one `unit`, if it is a duration unit.
pub fn unit_millis(unit: &str) -> Option<u64> {
    DURATION_UNITS
        .iter()
        .find(|(u, _)| *u == unit)
        .map(|(_, ms)| *ms)
}

/// `n` of `unit` in seconds, or `None` for an unknown unit. Whole-second units multiply and
/// `ms` divides, so the float is the one a literal `n * 60` or `n / 1000` gives.
pub fn unit_seconds(n: f64, unit: &str) -> Option<f64> {
    let ms = unit_millis(unit)?;
    Some(if ms >= 1000 {
        n * (ms / 1000) as f64
    } else {
        n / (1000 / ms) as f64
    })
}

/// Parses `500ms`, `30s`, `5m`, `1h30m`, `365d`, `2w`. Zero is allowed; a bare number is not.
pub fn parse_duration(text: &str) -> Result<Duration, UnitError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(UnitError::EmptyDuration);
    }
    let mut total_ms: u128 = 0;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| UnitError::NoUnit(t.to_string()))?;
        if digits == 0 {
            return Err(UnitError::NotADuration(t.to_string()));
        }
        let num: f64 = rest[..digits]
            .parse()
            .map_err(|_| UnitError::NotANumber(rest[..digits].to_string()))?;
        let after = &rest[digits..];
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let unit = &after[..unit_len];
        let Some(ms_per) = unit_millis(unit).map(|ms| ms as f64) else {
            return Err(UnitError::UnknownUnit {
                unit: unit.to_string(),
                text: t.to_string(),
            });
        };
        let ms = num * ms_per;
        if !ms.is_finite() || ms > 1e15 {
            return Err(UnitError::TooLarge(t.to_string()));
        }
        total_ms += ms.round() as u128;
        rest = &after[unit_len..];
    }
    Ok(Duration::from_millis(total_ms as u64))
}

/// Parses `0.5%` into the fraction 0.005.
pub fn parse_percent(text: &str) -> Result<f64, UnitError> {
    let t = text.trim();
    let num = t
        .strip_suffix('%')
        .ok_or_else(|| UnitError::NotAPercentage(t.to_string()))?;
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| UnitError::NotAPercentage(t.to_string()))?;
    if !(0.0..=100.0).contains(&v) {
        return Err(UnitError::PercentOutOfRange(t.to_string()));
    }
    Ok(v / 100.0)
}

/// Comparison in an SLO objective.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    /// `<`: strictly below the target.
    Lt,
    /// `<=`: at most the target (the default).
    Le,
    /// `>`: strictly above the target.
    Gt,
    /// `>=`: at least the target.
    Ge,
}

/// The measured quantity of an objective.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Quantity {
    /// A latency.
    Duration(Duration),
    /// A ratio in 0..=1.
    Ratio(f64),
    /// A plain number.
    Number(f64),
}

/// A parsed SLO objective such as `500ms` (meaning "at most") or `<0.5%`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Objective {
    /// Comparison (default `<=`).
    pub cmp: Cmp,
    /// The value compared against.
    pub target: Quantity,
}

/// Parses an SLO objective.
pub fn parse_objective(text: &str) -> Result<Objective, UnitError> {
    let t = text.trim();
    let (cmp, rest) = if let Some(r) = t.strip_prefix("<=") {
        (Cmp::Le, r)
    } else if let Some(r) = t.strip_prefix(">=") {
        (Cmp::Ge, r)
    } else if let Some(r) = t.strip_prefix('<') {
        (Cmp::Lt, r)
    } else if let Some(r) = t.strip_prefix('>') {
        (Cmp::Gt, r)
    } else {
        (Cmp::Le, t)
    };
    let rest = rest.trim();
    let target = if rest.ends_with('%') {
        Quantity::Ratio(parse_percent(rest)?)
    } else if let Ok(n) = rest.parse::<f64>() {
        Quantity::Number(n)
    } else {
        Quantity::Duration(
            parse_duration(rest).map_err(|_| UnitError::NotAnObjective(t.to_string()))?,
        )
    };
    Ok(Objective { cmp, target })
}

/// Backoff between retries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Backoff {
    /// Same wait every time.
    Fixed(Duration),
    /// Doubling from `base` up to `max`, with jitter.
    Exponential {
        /// First wait.
        base: Duration,
        /// Largest wait.
        max: Duration,
    },
}

/// Parses `exponential 1s..5m`, `exponential 2s`, `fixed 30s`.
pub fn parse_backoff(text: &str) -> Result<Backoff, UnitError> {
    let t = text.trim();
    let (kind, rest) = t
        .split_once(char::is_whitespace)
        .ok_or_else(|| UnitError::NotABackoff(t.to_string()))?;
    let rest = rest.trim();
    match kind {
        "fixed" => Ok(Backoff::Fixed(parse_duration(rest)?)),
        "exponential" => {
            let (a, b) = match rest.split_once("..") {
                Some((a, b)) => (parse_duration(a)?, parse_duration(b)?),
                None => {
                    let a = parse_duration(rest)?;
                    (a, Duration::from_secs(300).max(a))
                }
            };
            if b < a {
                return Err(UnitError::BackoffMaxBelowBase(t.to_string()));
            }
            Ok(Backoff::Exponential { base: a, max: b })
        }
        _ => Err(UnitError::UnknownBackoffKind(kind.to_string())),
    }
}

/// Alert route schemes.
pub const ROUTE_SCHEMES: &[&str] = &["slack", "email", "webhook", "pagerduty", "log"];
/// Dead-letter schemes.
pub const DEAD_LETTER_SCHEMES: &[&str] = &["queue", "log"];

/// Checks a `scheme://target` URI against allowed schemes.
pub fn check_uri(text: &str, schemes: &[&str]) -> Result<(), UnitError> {
    let list = schemes
        .iter()
        .map(|s| format!("{s}://"))
        .collect::<Vec<_>>()
        .join(", ");
    let (scheme, target) = text.split_once("://").ok_or_else(|| UnitError::NotAUri {
        text: text.to_string(),
        list: list.clone(),
    })?;
    if !schemes.contains(&scheme) {
        return Err(UnitError::UnknownScheme {
            scheme: scheme.to_string(),
            list,
        });
    }
    if target.trim().is_empty() || target.chars().any(char::is_whitespace) {
        return Err(UnitError::BlankTarget {
            text: text.to_string(),
            scheme: scheme.to_string(),
        });
    }
    if scheme == "email" && !is_email_address(target) {
        return Err(UnitError::EmailWithoutAddress(text.to_string()));
    }
    Ok(())
}

/// Whether `s` is one mail address: `local@domain`, with exactly one `@`; the local part of
/// letters, digits and `.`, `_`, `%`, `+`, `-` (no leading, trailing or doubled dot); the domain
/// of dot-separated labels of letters, digits and inner `-` (`localhost` included). Stricter
/// than RFC 5322 on purpose: `a@x.orgb@y.org` or `rootHOME=/@localhost` are glued values,
/// not addresses.
pub fn is_email_address(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-'));
    let domain_ok = !domain.is_empty()
        && domain.len() <= 253
        && domain.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

/// Whether a string is a valid item or system name: starts with a letter, then letters,
/// digits, `_` or `-`.
pub fn is_name(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(ch) if ch.is_ascii_alphabetic())
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
        && s.len() <= 128
}

/// Turns a free-text title into a name: lower-case ASCII, `_` separated, deterministic.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    let mut pending_sep = false;
    for ch in title.chars().flat_map(char::to_lowercase) {
        if ch.is_ascii_alphanumeric() {
            if pending_sep && !out.is_empty() {
                out.push('_');
            }
            pending_sep = false;
            out.push(ch);
        } else {
            pending_sep = true;
        }
    }
    out.truncate(60);
    while out.ends_with('_') {
        out.pop();
    }
    if out.is_empty() || !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert_str(0, "s_");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_typed_and_keep_their_messages() {
        assert_eq!(parse_duration("5"), Err(UnitError::NoUnit("5".into())));
        assert!(matches!(
            parse_duration("3 parsecs"),
            Err(UnitError::UnknownUnit { .. })
        ));
        assert_eq!(
            parse_backoff("exponential 5m..1s").map_err(|e| e.to_string()),
            Err("backoff `exponential 5m..1s`: the maximum is below the base".into())
        );
        assert!(matches!(
            check_uri("email://ops", ROUTE_SCHEMES),
            Err(UnitError::EmailWithoutAddress(_))
        ));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(
            parse_duration("365d").unwrap(),
            Duration::from_secs(365 * 86400)
        );
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn objectives() {
        assert_eq!(
            parse_objective("<0.5%").unwrap(),
            Objective {
                cmp: Cmp::Lt,
                target: Quantity::Ratio(0.005)
            }
        );
        assert!(matches!(
            parse_objective("500ms").unwrap().target,
            Quantity::Duration(_)
        ));
        assert!(parse_objective("fast").is_err());
    }

    #[test]
    fn backoffs() {
        assert!(matches!(
            parse_backoff("exponential 1s..5m"),
            Ok(Backoff::Exponential { .. })
        ));
        assert!(parse_backoff("exponential 5m..1s").is_err());
        assert!(parse_backoff("linear 1s").is_err());
    }

    #[test]
    fn uris() {
        assert!(check_uri("slack://ops-oncall", ROUTE_SCHEMES).is_ok());
        assert!(check_uri("sms://123", ROUTE_SCHEMES).is_err());
        assert!(check_uri("email://nobody", ROUTE_SCHEMES).is_err());
        assert!(check_uri("email://ops@example.com", ROUTE_SCHEMES).is_ok());
        assert!(check_uri("email://root@localhost", ROUTE_SCHEMES).is_ok());
        assert!(check_uri("email://a@x.orgb@y.org", ROUTE_SCHEMES).is_err());
        assert!(check_uri("email://rootHOME=/@localhost", ROUTE_SCHEMES).is_err());
        assert!(check_uri("email://a@x.org,b@y.org", ROUTE_SCHEMES).is_err());
        assert!(check_uri("email://@example.com", ROUTE_SCHEMES).is_err());
        assert!(check_uri("email://ops@-bad.example", ROUTE_SCHEMES).is_err());
        assert!(check_uri("queue://", DEAD_LETTER_SCHEMES).is_err());
    }

    #[test]
    fn slugs_are_deterministic_identifiers() {
        assert_eq!(
            slug("Find Existing Contact Records"),
            "find_existing_contact_records"
        );
        assert_eq!(slug("  Path A!! "), "path_a");
        assert_eq!(slug("123 go"), "s_123_go");
        assert_eq!(slug("???"), "s_");
        assert!(is_name(&slug("Ünïcode title")));
    }
}
