//! The regular expressions users write in Formatter steps (`text.replaceRegex`,
//! `text.extractPattern`), compiled per call.
//!
//! A pattern arrives as an argument, so it is compiled on every call, and the `regex` crate's
//! compile of a Unicode-aware pattern (`\d`, `\w`) costs 40–500 µs. `regex-lite`, from the
//! same project, compiles in about 2 µs but knows only ASCII classes and ASCII case folding.
//! The two give the same matches when both the pattern and every text it runs on are ASCII:
//! Unicode `\d`, `\w`, `\s`, `\b` and `(?i)` then see only ASCII characters, where they agree
//! with the ASCII definitions. So an ASCII pattern over ASCII text uses `regex-lite`, and
//! anything else (non-ASCII text or pattern, or syntax only `regex` has, such as `\p{L}`)
//! uses `regex`, as Python's `re` would on Unicode text.

use super::FormatError;
use serde_json::Value;
use std::ops::Range;

/// A compiled pattern, by whichever engine fits the call.
pub(super) enum Pattern {
    Lite(regex_lite::Regex),
    Full(regex::Regex),
}

/// Where the first match and its groups are, and the groups' names.
pub(super) struct Found {
    /// Group 0 (the whole match), then each group, `None` when it did not take part.
    pub groups: Vec<Option<Range<usize>>>,
    /// `(group index, name)` of every named group.
    pub names: Vec<(usize, String)>,
}

impl Pattern {
    /// `pattern` compiled for texts that are all ASCII (`ascii`) or not.
    pub(super) fn new(pattern: &str, ascii: bool) -> Result<Pattern, FormatError> {
        if ascii
            && pattern.is_ascii()
            && let Ok(re) = regex_lite::Regex::new(pattern)
        {
            return Ok(Pattern::Lite(re));
        }
        regex::Regex::new(pattern).map(Pattern::Full).map_err(|e| {
            FormatError::new(format!(
                "`{pattern}` is not a valid regular expression: {e}"
            ))
        })
    }

    /// Every match replaced by `with` (`$1`, `${name}` insert groups, `$$` is a dollar).
    pub(super) fn replace_all(&self, s: &str, with: &str) -> String {
        match self {
            Pattern::Lite(re) => re.replace_all(s, with).into_owned(),
            Pattern::Full(re) => re.replace_all(s, with).into_owned(),
        }
    }

    /// The first match, if any.
    pub(super) fn first(&self, s: &str) -> Option<Found> {
        match self {
            Pattern::Lite(re) => {
                let caps = re.captures(s)?;
                Some(Found {
                    groups: (0..caps.len())
                        .map(|i| caps.get(i).map(|m| m.range()))
                        .collect(),
                    names: names(re.capture_names()),
                })
            }
            Pattern::Full(re) => {
                let caps = re.captures(s)?;
                Some(Found {
                    groups: (0..caps.len())
                        .map(|i| caps.get(i).map(|m| m.range()))
                        .collect(),
                    names: names(re.capture_names()),
                })
            }
        }
    }
}

fn names<'a>(it: impl Iterator<Item = Option<&'a str>>) -> Vec<(usize, String)> {
    it.enumerate()
        .filter_map(|(i, n)| n.map(|n| (i, n.to_string())))
        .collect()
}

/// Whether every text in `v` (a text, or the items of a list or map) is ASCII.
pub(super) fn all_ascii(v: &Value) -> bool {
    match v {
        Value::String(s) => s.is_ascii(),
        Value::Array(a) => a.iter().all(all_ascii),
        Value::Object(m) => m.values().all(all_ascii),
        // Numbers, booleans and null read as ASCII text.
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::{Pattern, all_ascii};
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn the_engine_follows_the_text() {
        assert!(matches!(Pattern::new(r"\d+", true), Ok(Pattern::Lite(_))));
        assert!(matches!(Pattern::new(r"\d+", false), Ok(Pattern::Full(_))));
        assert!(matches!(
            Pattern::new(r"\p{L}+", true),
            Ok(Pattern::Full(_))
        ));
        assert!(matches!(Pattern::new("é+", true), Ok(Pattern::Full(_))));
        assert!(Pattern::new("(", true).is_err());
        assert!(all_ascii(&json!(["a", {"b": "c"}, 1])));
        assert!(!all_ascii(&json!(["a", "é"])));
    }

    proptest! {
        /// On ASCII text both engines find the same matches and make the same replacements.
        #[test]
        fn both_engines_agree_on_ascii(
            s in "[ -~\t\n]{0,40}",
            p in prop::sample::select(vec![
                r"\d+", r"\w+", r"\s+", r"\bx\w*", r"(?i)ab", r"(\d+)-(\w+)", r"[A-Z][a-z]+",
                r"(?P<n>\d)", r"^.*$", r"a|b|c", r"\W", r"(?i)[k-s]+",
            ])
        ) {
            let lite = Pattern::new(p, true).unwrap();
            let full = Pattern::new(p, false).unwrap();
            prop_assert!(matches!(lite, Pattern::Lite(_)));
            prop_assert_eq!(lite.replace_all(&s, "<$0>"), full.replace_all(&s, "<$0>"));
            let (a, b) = (lite.first(&s), full.first(&s));
            prop_assert_eq!(a.as_ref().map(|f| f.groups.clone()), b.as_ref().map(|f| f.groups.clone()));
            prop_assert_eq!(a.map(|f| f.names), b.map(|f| f.names));
        }
    }
}
