//! `text.extract*`: the first email address, URL, number, phone number or regular-expression
//! match in a text, as Formatter by Zapier's Extract transforms give it ("" when there is none).
//!
//! The patterns are ours, written for the `regex` crate (no look-around): they find what
//! Zapier's find in ordinary text; docs/importers/zapier.md lists the edge cases that differ.

use super::pattern::{Pattern, all_ascii};
use super::{Out, each, text_arg};
use regex::Regex;
use serde_json::{Map, Value, json};
use std::sync::LazyLock;

/// Builds one of this module's constant patterns (checked by the tests below).
fn constant(p: &str) -> Regex {
    Regex::new(p).unwrap_or_else(|e| panic!("constant pattern {p}: {e}"))
}

/// Local part (dot-separated atoms, or a quoted string), `@`, then a dotted domain or an IPv4
/// address.
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    constant(
        r#"(?:"[^"\\\r\n]+"|[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)@(?:\[?[0-9]{1,3}(?:\.[0-9]{1,3}){3}\]?|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"#,
    )
});

/// A URL with a scheme, one starting `www.`, or a bare domain followed by a path.
static URL: LazyLock<Regex> = LazyLock::new(|| {
    constant(
        r#"(?i)\b(?:https?://[^\s<>"'`{}\[\]]+|www\.[^\s<>"'`{}\[\]]+|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/[^\s<>"'`{}\[\]]*)"#,
    )
});

static NUMBER: LazyLock<Regex> =
    LazyLock::new(|| constant(r"[+-]?[0-9]+(?:,[0-9]+)*(?:\.[0-9]+)?"));

/// North American numbers: optional +1, area code (parentheses allowed), 3 + 4 digits.
static PHONE_NA: LazyLock<Regex> = LazyLock::new(|| {
    constant(r"(?:\+?1[\s.-]?)?(?:\([0-9]{3}\)|[0-9]{3})[\s.-]?[0-9]{3}[\s.-]?[0-9]{4}")
});

/// The default ("Universal 1"): a North American number with an optional country code of 1
/// to 3 digits and an optional extension.
static PHONE_UNI: LazyLock<Regex> = LazyLock::new(|| {
    constant(
        r"(?:\+?[0-9]{1,3}[\s.-]?)?(?:\([0-9]{3}\)|[0-9]{3})[\s.-]?[0-9]{3}[\s.-]?[0-9]{4}(?:\s*(?:#|x\.?|ext\.?|extension)\s*[0-9]+)?",
    )
});

/// International: digit groups with separators, checked afterwards for 8 to 15 digits.
static PHONE_INTL: LazyLock<Regex> = LazyLock::new(|| {
    constant(r"\+?(?:\([0-9]{1,4}\)|[0-9]{1,4})(?:[\s.-]?(?:\([0-9]{1,4}\)|[0-9]{1,4})){1,7}")
});

pub(super) fn email(args: &[Value]) -> Out {
    each(&args[0], &|s| {
        let m = EMAIL.find(s).map_or("", |m| m.as_str());
        // A sentence's full stop is not part of the address.
        Ok(json!(m.trim_end_matches(['.', '-'])))
    })
}

pub(super) fn url(args: &[Value]) -> Out {
    each(&args[0], &|s| {
        // Addresses first, so `ada@mail.example.com` is not read as a URL (as Zapier does).
        let without = EMAIL.replace_all(s, " ");
        let m = URL.find(&without).map_or("", |m| m.as_str());
        Ok(json!(m.trim_end_matches([
            '.', ',', ';', ':', '!', '?', ')', '\''
        ])))
    })
}

pub(super) fn number(args: &[Value]) -> Out {
    each(&args[0], &|s| {
        Ok(json!(NUMBER.find(s).map_or("", |m| m.as_str())))
    })
}

/// `style`: `uni1` (default), `uni2` or `in` (international), `na` (North America).
pub(super) fn phone(args: &[Value]) -> Out {
    let style = text_arg(args, 1);
    each(&args[0], &|s| {
        let found = match style.as_str() {
            "na" => PHONE_NA.find(s).map(|m| m.as_str()),
            "in" | "uni2" => PHONE_INTL.find_iter(s).map(|m| m.as_str()).find(|m| {
                let digits = m.chars().filter(char::is_ascii_digit).count();
                (8..=15).contains(&digits)
            }),
            _ => PHONE_UNI.find(s).map(|m| m.as_str()),
        };
        Ok(json!(found.unwrap_or("").trim()))
    })
}

/// The first match of a regular expression: `_matched`, `_start` and `_end` (character
/// positions), each group by number (`"0"` is the whole match when there are no groups) and
/// by name.
pub(super) fn pattern_match(s: &str, re: &Pattern) -> Value {
    let mut out = Map::new();
    out.insert("_matched".into(), json!(false));
    let Some(found) = re.first(s) else {
        return Value::Object(out);
    };
    let whole = found.groups.first().cloned().flatten().unwrap_or(0..0);
    let chars = |b: usize| s[..b].chars().count();
    let text = |g: &Option<std::ops::Range<usize>>| g.clone().map_or(Value::Null, |r| json!(&s[r]));
    out.insert("_matched".into(), json!(true));
    out.insert("_start".into(), json!(chars(whole.start)));
    out.insert("_end".into(), json!(chars(whole.end)));
    if found.groups.len() == 1 {
        out.insert("0".into(), json!(&s[whole]));
    }
    for (i, g) in found.groups.iter().enumerate().skip(1) {
        out.insert((i - 1).to_string(), text(g));
    }
    for (i, name) in &found.names {
        out.insert(name.clone(), found.groups.get(*i).map_or(Value::Null, text));
    }
    Value::Object(out)
}

pub(super) fn pattern(args: &[Value]) -> Out {
    let ascii = args.first().is_none_or(all_ascii);
    let re = Pattern::new(&text_arg(args, 1), ascii)?;
    each(&args[0], &|s| Ok(pattern_match(s, &re)))
}

#[cfg(test)]
mod tests {
    //! Zapier's Extract transforms (github.com/zapier/transformer,
    //! `transformer/transforms/string/*_extract.py`): "Finds the first … only".
    use crate::format::testing::eval;
    use serde_json::json;

    /// string.email_extract: "Find and copy an email address out of a text field".
    #[test]
    fn email() {
        assert_eq!(
            eval("text.extractEmail('Write to Ada.L+x@mail.example.com. Thanks')"),
            json!("Ada.L+x@mail.example.com")
        );
        assert_eq!(eval("text.extractEmail('no address')"), json!(""));
    }

    /// string.url_extract: "Find and copy a web URL out of a text field"; addresses are
    /// removed first so a mail domain is not a URL.
    #[test]
    fn url() {
        assert_eq!(
            eval("text.extractUrl('See https://example.com/a?b=1, or ada@test.example.com.')"),
            json!("https://example.com/a?b=1")
        );
        assert_eq!(
            eval("text.extractUrl('visit www.example.org.')"),
            json!("www.example.org")
        );
        assert_eq!(
            eval("text.extractUrl('mail ada@test.example.com')"),
            json!("")
        );
    }

    /// string.number_extract: "Find and copy a number in text" (sign, thousands commas, decimals).
    #[test]
    fn number() {
        assert_eq!(
            eval("text.extractNumber('Total: -1,234.50 EUR')"),
            json!("-1,234.50")
        );
        assert_eq!(eval("text.extractNumber('none')"), json!(""));
    }

    /// string.phone_extract: default "Universal 1" (NANP and some international), `na`, `in`.
    #[test]
    fn phone() {
        assert_eq!(
            eval("text.extractPhone('Call (555) 123-4567 ext. 89 today')"),
            json!("(555) 123-4567 ext. 89")
        );
        assert_eq!(
            eval("text.extractPhone('tel +1 555.123.4567', 'na')"),
            json!("+1 555.123.4567")
        );
        assert_eq!(
            eval("text.extractPhone('ring +44 20 7946 0958 now', 'in')"),
            json!("+44 20 7946 0958")
        );
        assert_eq!(eval("text.extractPhone('no number')"), json!(""));
    }

    /// string.re_extract: "Find the first match for a regular expression … Returns all matched
    /// groups with start and end position."
    #[test]
    fn pattern() {
        assert_eq!(
            eval("text.extractPattern('Order #123 by Ada', '#(\\\\d+) by (?P<who>\\\\w+)')"),
            json!({"_matched": true, "_start": 6, "_end": 17, "0": "123", "1": "Ada", "who": "Ada"})
        );
        assert_eq!(
            eval("text.extractPattern('abc', 'b')"),
            json!({"_matched": true, "_start": 1, "_end": 2, "0": "b"})
        );
        assert_eq!(
            eval("text.extractPattern('abc', 'z')"),
            json!({"_matched": false})
        );
    }
}
