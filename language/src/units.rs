//! Small value syntaxes: durations, percentages, SLO objectives, backoff, URIs and names.

use std::time::Duration;

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
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty duration".into());
    }
    let mut total_ms: u128 = 0;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("`{t}` has a number without a unit (ms, s, m, h, d, w)"))?;
        if digits == 0 {
            return Err(format!(
                "`{t}` is not a duration; expected e.g. 30s, 5m, 1h30m, 365d"
            ));
        }
        let num: f64 = rest[..digits]
            .parse()
            .map_err(|_| format!("`{}` is not a number", &rest[..digits]))?;
        let after = &rest[digits..];
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let unit = &after[..unit_len];
        let Some(ms_per) = unit_millis(unit).map(|ms| ms as f64) else {
            return Err(format!(
                "unknown duration unit `{unit}` in `{t}`; use ms, s, m, h, d or w"
            ));
        };
        let ms = num * ms_per;
        if !ms.is_finite() || ms > 1e15 {
            return Err(format!("duration `{t}` is too large"));
        }
        total_ms += ms.round() as u128;
        rest = &after[unit_len..];
    }
    Ok(Duration::from_millis(total_ms as u64))
}

/// Parses `0.5%` into the fraction 0.005.
pub fn parse_percent(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let num = t
        .strip_suffix('%')
        .ok_or_else(|| format!("`{t}` is not a percentage (expected e.g. 0.5%)"))?;
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("`{t}` is not a percentage (expected e.g. 0.5%)"))?;
    if !(0.0..=100.0).contains(&v) {
        return Err(format!("`{t}` is outside 0%..100%"));
    }
    Ok(v / 100.0)
}

/// Comparison in an SLO objective.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
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
    /// Target.
    pub target: Quantity,
}

/// Parses an SLO objective.
pub fn parse_objective(text: &str) -> Result<Objective, String> {
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
        Quantity::Duration(parse_duration(rest).map_err(|_| {
            format!("`{t}` is not an objective; expected a latency (500ms), a ratio (<0.5%) or a number (>= 99.9)")
        })?)
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
pub fn parse_backoff(text: &str) -> Result<Backoff, String> {
    let t = text.trim();
    let expected = "expected `exponential 1s..5m`, `exponential 2s` or `fixed 30s`";
    let (kind, rest) = t
        .split_once(char::is_whitespace)
        .ok_or_else(|| format!("`{t}` is not a backoff; {expected}"))?;
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
                return Err(format!("backoff `{t}`: the maximum is below the base"));
            }
            Ok(Backoff::Exponential { base: a, max: b })
        }
        _ => Err(format!("unknown backoff kind `{kind}`; {expected}")),
    }
}

/// Alert route schemes.
pub const ROUTE_SCHEMES: &[&str] = &["slack", "email", "webhook", "pagerduty", "log"];
/// Dead-letter schemes.
pub const DEAD_LETTER_SCHEMES: &[&str] = &["queue", "log"];

/// Checks a `scheme://target` URI against allowed schemes.
pub fn check_uri(text: &str, schemes: &[&str]) -> Result<(), String> {
    let list = schemes
        .iter()
        .map(|s| format!("{s}://"))
        .collect::<Vec<_>>()
        .join(", ");
    let (scheme, target) = text
        .split_once("://")
        .ok_or_else(|| format!("`{text}` is not a URI; expected one of {list}"))?;
    if !schemes.contains(&scheme) {
        return Err(format!(
            "unknown scheme `{scheme}://`; expected one of {list}"
        ));
    }
    if target.trim().is_empty() || target.chars().any(char::is_whitespace) {
        return Err(format!(
            "`{text}` has an empty or blank target after `{scheme}://`"
        ));
    }
    if scheme == "email" && !target.contains('@') {
        return Err(format!(
            "`{text}`: an email route needs an address (email://ops@example.com)"
        ));
    }
    Ok(())
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
