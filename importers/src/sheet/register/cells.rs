//! Reading the cells of a register row that hold values: SLA durations, retry counts,
//! condition expressions and idempotency-key expressions.

/// Parses an SLA cell such as `30 min`, `2 hours`, `1h30m`, `45s` into a duration the language accepts.
pub fn duration(text: &str) -> Option<String> {
    let t = text.trim().to_lowercase();
    if claw_language::units::parse_duration(&t).is_ok() {
        return Some(t);
    }
    let mut out = String::new();
    let words: Vec<&str> = t.split_whitespace().collect();
    let mut i = 0;
    while i < words.len() {
        let (num, unit) = match words[i].find(|c: char| !c.is_ascii_digit()) {
            Some(0) => return None,
            Some(p) => (&words[i][..p], words[i][p..].to_string()),
            None => (
                words[i],
                words.get(i + 1).map(|s| s.to_string()).unwrap_or_default(),
            ),
        };
        let consumed = if words[i].chars().all(|c| c.is_ascii_digit()) {
            2
        } else {
            1
        };
        let u = match unit.trim_end_matches(['.', ',']) {
            "s" | "sec" | "secs" | "second" | "seconds" => "s",
            "m" | "min" | "mins" | "minute" | "minutes" => "m",
            "h" | "hr" | "hrs" | "hour" | "hours" => "h",
            "d" | "day" | "days" => "d",
            _ => return None,
        };
        out.push_str(num);
        out.push_str(u);
        i += consumed;
        if words.get(i) == Some(&"and") {
            i += 1;
        }
    }
    (!out.is_empty() && claw_language::units::parse_duration(&out).is_ok()).then_some(out)
}

pub(super) fn retries(text: &str) -> Option<u32> {
    let t = text.trim().to_lowercase();
    if matches!(t.as_str(), "none" | "no" | "never") {
        return Some(0);
    }
    let digits: String = t.chars().take_while(char::is_ascii_digit).collect();
    let rest = t[digits.len()..].trim();
    if digits.is_empty()
        || !matches!(
            rest,
            "" | "x" | "times" | "time" | "retries" | "retry" | "attempts"
        )
    {
        return None;
    }
    digits.parse().ok().filter(|n| *n <= 100)
}

/// Whether a condition cell is an expression (rather than prose).
pub(super) fn expression(text: &str) -> Option<String> {
    let t = text.trim();
    let operator = ["<", ">", "=", "!", "(", " in ", "&&", "||"]
        .iter()
        .any(|o| t.contains(o));
    let t = t.replace(" = ", " == ").replace("<>", "!=");
    (operator && claw_language::expr::compile(&t).is_ok()).then_some(t)
}

/// A key cell as an expression: a field path (`invoice.id`), words naming a field
/// (`Invoice ID` → `invoice_id`), or an expression building a key (`order.id + ':' + order.status`).
pub(super) fn key_expression(text: &str) -> Option<String> {
    let t = text.trim();
    let path = t.split('.').all(|p| {
        p.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    });
    if path && claw_language::expr::compile(t).is_ok() {
        return Some(t.to_string());
    }
    if t.chars().all(|c| c.is_alphabetic() || c == ' ') {
        let v = crate::sheet::conditions::variable_name(t);
        return claw_language::expr::compile(&v).is_ok().then_some(v);
    }
    (t.contains(['.', '(', '+', '[']) && claw_language::expr::compile(t).is_ok())
        .then(|| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_retries() {
        assert_eq!(duration("30 min").as_deref(), Some("30m"));
        assert_eq!(duration("2 hours").as_deref(), Some("2h"));
        assert_eq!(duration("1h30m").as_deref(), Some("1h30m"));
        assert_eq!(duration("1 hour 30 minutes").as_deref(), Some("1h30m"));
        assert_eq!(duration("by 9am"), None);
        assert_eq!(retries("3"), Some(3));
        assert_eq!(retries("3x"), Some(3));
        assert_eq!(retries("none"), Some(0));
        assert_eq!(retries("lots"), None);
    }

    #[test]
    fn conditions_must_be_expressions() {
        assert_eq!(
            expression("amount > 1000").as_deref(),
            Some("amount > 1000")
        );
        assert_eq!(
            expression("status = 'open'").as_deref(),
            Some("status == 'open'")
        );
        assert_eq!(expression("invoice overdue"), None);
        assert_eq!(expression("overdue"), None);
    }
}
