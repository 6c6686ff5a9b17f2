//! The `secret://NAME` reference syntax, defined once: importers write references, the validator
//! checks them, and the runtime finds and resolves them in rendered parameters.
//!
//! A name starts with a letter, digit or `_` and goes on with those, `.`, `/` or `-`, so an
//! importer's derived `secret://scope/0123456789ab` and a hand-written `secret://shop_key` are
//! both one reference, and the end of a name inside a longer text (`Bearer secret://tok here`)
//! is unambiguous.

use regex::Regex;
use std::ops::Range;
use std::sync::LazyLock;

/// The scheme every reference starts with.
pub const SCHEME: &str = "secret://";

/// A reference inside a text. Compiled once (a constant, not state): the runtime scans every
/// adapter call's parameters with it.
static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"secret://([A-Za-z0-9_][A-Za-z0-9_./-]*)").expect("constant pattern compiles")
});

/// Why a text is not exactly one `secret://NAME` reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretRefError {
    /// The text does not start with `secret://`.
    #[error("`{0}` is not a secret reference: it does not start with `secret://`")]
    NoScheme(String),
    /// Nothing follows the scheme.
    #[error("`secret://` names no secret")]
    NoName,
    /// The name has characters a name cannot have (or something follows it).
    #[error(
        "`{0}` is not a secret name: use letters, digits, `_`, `.`, `/` or `-`, starting with a letter, digit or `_`"
    )]
    BadName(String),
}

/// One reference found in a text: where it is and the name it refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found<'a> {
    /// Byte range of the whole reference, `secret://` included.
    pub range: Range<usize>,
    /// The secret's name (after `secret://`).
    pub name: &'a str,
}

/// Whether `name` can follow `secret://` and be read back whole.
pub fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-'))
}

/// Writes the reference to a secret named `name` (which should satisfy [`is_name`]).
pub fn format(name: &str) -> String {
    format!("{SCHEME}{name}")
}

/// Reads a text that must be exactly one reference (as `hmac_sha256:` is) and returns its name.
pub fn parse(text: &str) -> Result<&str, SecretRefError> {
    let name = text
        .strip_prefix(SCHEME)
        .ok_or_else(|| SecretRefError::NoScheme(text.to_string()))?;
    if name.is_empty() {
        return Err(SecretRefError::NoName);
    }
    if !is_name(name) {
        return Err(SecretRefError::BadName(name.to_string()));
    }
    Ok(name)
}

/// Every reference inside `text`, in order.
pub fn find(text: &str) -> impl Iterator<Item = Found<'_>> {
    REFERENCE.captures_iter(text).filter_map(|c| {
        let (all, name) = (c.get(0)?, c.get(1)?);
        Some(Found {
            range: all.range(),
            name: name.as_str(),
        })
    })
}

/// `name` spelled with what an environment variable name can hold: ASCII letters and digits
/// upper-cased, every other character `_`. The runtime reads secret `NAME` from
/// `CLAW_SECRET_<this>`, and the crontab importer names the variable a credential moves to with
/// it, so both spell a name the same way.
pub fn env_spelling(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_parse_and_find_agree() {
        for name in ["shop_key", "crontab/0123456789ab", "a.b-c", "9lives"] {
            let r = format(name);
            assert_eq!(parse(&r), Ok(name));
            let text = format!("Bearer {r} tail");
            let found: Vec<_> = find(&text).collect();
            assert_eq!(found.len(), 1);
            assert_eq!(found[0].name, name);
            assert_eq!(found[0].range, 7..7 + r.len());
        }
    }

    #[test]
    fn malformed_references_are_refused() {
        assert_eq!(parse("secret://"), Err(SecretRefError::NoName));
        assert!(matches!(parse("key"), Err(SecretRefError::NoScheme(_))));
        assert!(matches!(
            parse("secret://-x"),
            Err(SecretRefError::BadName(_))
        ));
        assert!(matches!(
            parse("secret://a b"),
            Err(SecretRefError::BadName(_))
        ));
        assert_eq!(find("no secret:// here").count(), 0);
    }

    #[test]
    fn env_spelling_upper_cases_and_replaces_the_rest() {
        assert_eq!(env_spelling("shop_hook-key.v2"), "SHOP_HOOK_KEY_V2");
        assert_eq!(env_spelling("crontab/0a"), "CRONTAB_0A");
        assert_eq!(env_spelling("é1"), "_1");
        assert_eq!(env_spelling(""), "");
    }
}
