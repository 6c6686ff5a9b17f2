//! Where a credential sits in a cron command line, and how the command reads it from an
//! environment variable instead: the finding half of the crontab importer's secret handling
//! (the `secret://` references themselves come from `crate::secrets`).

use std::ops::Range;

/// A secret found in a command line: the byte range of its value and a name hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretSpot {
    /// Byte range of the value as written (quotes included when the whole word is quoted).
    pub range: Range<usize>,
    /// The value the shell would see (quotes removed).
    pub value: String,
    /// A name for the environment variable (`PGPASSWORD`, `TOKEN`, …).
    pub hint: String,
    /// Whether the value sits in an assignment or `--opt=` form (keep the `NAME=` part).
    pub assignment: bool,
}

/// A shell word: byte range and the literal text the shell would see, or `None` when it holds
/// an expansion (`$`, back-quote) that makes the literal unknown.
fn words(cmd: &str) -> Vec<(Range<usize>, Option<String>)> {
    let b = cmd.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        while i < b.len()
            && matches!(
                b[i],
                b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>'
            )
        {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let start = i;
        let mut lit = String::new();
        let mut known = true;
        let mut quote: Option<u8> = None;
        while i < b.len() {
            let c = b[i];
            match quote {
                Some(b'\'') => {
                    if c == b'\'' {
                        quote = None;
                    } else {
                        lit.push(c as char);
                    }
                }
                Some(q) => {
                    if c == q {
                        quote = None;
                    } else if c == b'\\' && i + 1 < b.len() {
                        i += 1;
                        lit.push(b[i] as char);
                    } else {
                        if c == b'$' || c == b'`' {
                            known = false;
                        }
                        lit.push(c as char);
                    }
                }
                None => {
                    if matches!(
                        c,
                        b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>'
                    ) {
                        break;
                    }
                    match c {
                        b'\'' | b'"' => quote = Some(c),
                        b'\\' if i + 1 < b.len() => {
                            i += 1;
                            lit.push(b[i] as char);
                        }
                        b'$' | b'`' | b'*' | b'?' | b'[' => {
                            known = false;
                            lit.push(c as char);
                        }
                        _ => lit.push(c as char),
                    }
                }
            }
            i += 1;
        }
        // Non-ASCII bytes were pushed one by one above; rebuild the literal from the source when
        // the word is plain, so multi-byte text stays intact.
        let lit = if cmd.is_char_boundary(start)
            && cmd.is_char_boundary(i)
            && !cmd[start..i].contains(['\'', '"', '\\'])
        {
            cmd[start..i].to_string()
        } else if cmd[start..i.min(cmd.len())].is_ascii() {
            lit
        } else {
            known = false;
            lit
        };
        out.push((start..i, known.then_some(lit)));
    }
    out
}

/// Finds literal secrets in a command line: `NAME=value` with a secret-like name, `--password=x`
/// / `--token x`, credentials in URLs and known token shapes. Values built from expansions
/// (`$PASS`) are references already and are left alone.
pub fn find_secrets(cmd: &str) -> Vec<SecretSpot> {
    use crate::secrets::{is_credential, is_secret_name, looks_like_secret};
    let ws = words(cmd);
    let mut out: Vec<SecretSpot> = Vec::new();
    let mut prev_flag: Option<String> = None;
    for (range, lit) in ws {
        let raw = &cmd[range.clone()];
        let flag_before = prev_flag.take();
        let Some(lit) = lit else { continue };
        // NAME=value / --name=value, where the raw text before `=` is plain.
        if let Some(eq) = raw.find('=') {
            let name = &raw[..eq];
            let plain = !name.contains(['\'', '"', '\\']);
            let bare = name.trim_start_matches('-');
            let value_raw = &raw[eq + 1..];
            if plain && !bare.is_empty() && !value_raw.is_empty() && !value_raw.contains(['$', '`'])
            {
                let value = lit[lit.find('=').map_or(0, |i| i + 1)..].to_string();
                if is_credential(bare, &value) {
                    out.push(SecretSpot {
                        range: range.start + eq + 1..range.end,
                        value,
                        hint: env_hint(bare),
                        assignment: true,
                    });
                    continue;
                }
            }
        }
        if let Some(flag) = flag_before
            && !lit.starts_with('-')
            && !lit.is_empty()
        {
            out.push(SecretSpot {
                range,
                value: lit,
                hint: env_hint(&flag),
                assignment: false,
            });
            continue;
        }
        if raw.starts_with("--")
            && !raw.contains('=')
            && is_secret_name(raw.trim_start_matches('-'))
        {
            prev_flag = Some(raw.trim_start_matches('-').to_string());
            continue;
        }
        if looks_like_secret(&lit)
            || lit.split_whitespace().any(looks_like_secret)
            || bearer_in(&lit)
        {
            let hint = if crate::secrets::url_has_credentials(&lit) {
                "URL"
            } else {
                "TOKEN"
            };
            out.push(SecretSpot {
                range,
                value: lit,
                hint: hint.into(),
                assignment: false,
            });
        }
    }
    out
}

fn bearer_in(lit: &str) -> bool {
    lit.find("Bearer ")
        .is_some_and(|i| lit[i + 7..].trim().len() >= 16)
}

fn env_hint(name: &str) -> String {
    let s = claw_language::secret::env_spelling(name);
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        format!("S_{s}")
    } else {
        s
    }
}

/// Quote state at byte `at` of a command: `None` outside quotes, `Some(b'\'')`, `Some(b'"')`.
fn quote_state(cmd: &str, at: usize) -> Option<u8> {
    let b = cmd.as_bytes();
    let mut q: Option<u8> = None;
    let mut i = 0;
    while i < at.min(b.len()) {
        let c = b[i];
        match q {
            Some(b'\'') if c == b'\'' => q = None,
            Some(b'"') if c == b'\\' => i += 1,
            Some(b'"') if c == b'"' => q = None,
            None if c == b'\\' => i += 1,
            None if c == b'\'' || c == b'"' => q = Some(c),
            _ => {}
        }
        i += 1;
    }
    q
}

/// Replaces each secret's value in the command by a reference to environment variable `var`,
/// quoted so the shell sees exactly the old value: `"${VAR}"` outside quotes, `${VAR}` inside
/// double quotes, `'"${VAR}"'` inside single quotes. Spots must not overlap.
pub fn replace_secrets(cmd: &str, spots: &[(Range<usize>, String)]) -> String {
    let mut out = String::new();
    let mut last = 0;
    let mut sorted: Vec<&(Range<usize>, String)> = spots.iter().collect();
    sorted.sort_by_key(|(r, _)| r.start);
    for (range, var) in sorted {
        if range.start < last {
            continue;
        }
        out.push_str(&cmd[last..range.start]);
        let raw = &cmd[range.clone()];
        // A value that is wholly one quoted string is replaced with its quotes.
        let whole_quoted = raw.len() >= 2
            && ((raw.starts_with('\'')
                && raw.ends_with('\'')
                && !raw[1..raw.len() - 1].contains('\''))
                || (raw.starts_with('"')
                    && raw.ends_with('"')
                    && !raw[1..raw.len() - 1].contains(['"', '\\'])));
        let state = if whole_quoted {
            None
        } else {
            quote_state(cmd, range.start)
        };
        match (whole_quoted, state) {
            (true, _) | (false, None) if !raw.contains(['\'', '"', '\\']) || whole_quoted => {
                out.push_str(&format!("\"${{{var}}}\""))
            }
            (_, Some(b'"')) => out.push_str(&format!("${{{var}}}")),
            (_, Some(_)) => out.push_str(&format!("'\"${{{var}}}\"'")),
            // A word mixing quote styles: re-quote the whole word.
            _ => out.push_str(&format!("\"${{{var}}}\"")),
        }
        last = range.end;
    }
    out.push_str(&cmd[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_become_env_references() {
        let cmd =
            "PGPASSWORD=hunter2 pg_dump -h db 'https://bob:s3cret@x.example/y' --token abcdef";
        let spots = find_secrets(cmd);
        assert_eq!(spots.len(), 3, "{spots:?}");
        let reps: Vec<_> = spots
            .iter()
            .enumerate()
            .map(|(i, s)| (s.range.clone(), format!("V{i}")))
            .collect();
        let out = replace_secrets(cmd, &reps);
        assert_eq!(
            out,
            r#"PGPASSWORD="${V0}" pg_dump -h db "${V1}" --token "${V2}""#
        );
        assert!(find_secrets("PGPASSWORD=$PW pg_dump").is_empty());
    }
}
