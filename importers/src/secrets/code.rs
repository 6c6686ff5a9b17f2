//! Credentials written in code bodies (Zapier Code steps, JavaScript or Python): each string
//! literal that holds one is replaced by a read of a step input that the runtime fills from a
//! `secret://` reference, so the code still runs and the value is never written.
//!
//! The scan is lexical, not a parser: it knows comments, the string literal forms of both
//! languages and the name a literal is assigned to (`password = "…"`, `'api_key': '…'`), and
//! decides with the same detector as params ([`super::is_credential`]).

use super::{is_credential, looks_like_secret, reference};

/// The language of a code body: decides comments, literal forms and how an input is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// JavaScript: `//` and `/* */` comments, `'`, `"` and `` ` `` strings, reads `inputData.x`.
    JavaScript,
    /// Python: `#` comments, prefixed and triple-quoted strings, reads `input_data['x']`.
    Python,
}

/// One credential found in a code body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSecret {
    /// 1-based line of the literal (or comment word) in the original code.
    pub line: usize,
    /// The `secret://` reference the value is stored under.
    pub reference: String,
    /// The step input the rewritten code reads it from (`None` for a word in a comment, which is
    /// replaced by the reference text).
    pub input: Option<String>,
}

/// The input key a credential is passed under: derived from its reference, so the same value
/// gives the same key in every import.
fn input_key(reference: &str) -> String {
    let hash = reference.rsplit('/').next().unwrap_or(reference);
    format!("secret_{hash}")
}

/// Rewrites `code` with every literal credential read from an input; returns the new code and
/// what was replaced, in order. `scope` names the references (`secret://<scope>/…`).
pub fn redact(code: &str, lang: Lang, scope: &str) -> (String, Vec<CodeSecret>) {
    let mut out = String::with_capacity(code.len());
    let mut found = Vec::new();
    let b = code.as_bytes();
    let mut i = 0;
    let mut copied = 0;
    let line_at = |at: usize| code[..at].matches('\n').count() + 1;
    while i < b.len() {
        let c = b[i];
        let comment_start = match lang {
            Lang::JavaScript => c == b'/' && matches!(b.get(i + 1), Some(b'/') | Some(b'*')),
            Lang::Python => c == b'#',
        };
        if comment_start {
            let end = if lang == Lang::JavaScript && b.get(i + 1) == Some(&b'*') {
                code[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2)
            } else {
                code[i..].find('\n').map_or(b.len(), |e| i + e)
            };
            out.push_str(&code[copied..i]);
            out.push_str(&redact_comment(
                &code[i..end],
                line_at(i),
                scope,
                &mut found,
            ));
            copied = end;
            i = end;
            continue;
        }
        let Some((open, prefix)) = literal_start(code, i, lang) else {
            i += code[i..].chars().next().map_or(1, char::len_utf8);
            continue;
        };
        let body_start = i + prefix.len() + open.len();
        let Some(body_len) = literal_len(&code[body_start..], open) else {
            // Not a literal after all (a quote in a regex literal, say): go on after the quote.
            i = body_start;
            continue;
        };
        let body = &code[body_start..body_start + body_len];
        let end = body_start + body_len + open.len();
        let interpolated = match lang {
            Lang::JavaScript => open == "`" && body.contains("${"),
            Lang::Python => prefix.to_ascii_lowercase().contains('f') && body.contains('{'),
        };
        let bytes_literal = lang == Lang::Python && prefix.to_ascii_lowercase().contains('b');
        let name = assigned_name(&code[..i]);
        if !interpolated && !bytes_literal && !body.contains('\n') && is_credential(&name, body) {
            let r = reference(scope, body);
            let key = input_key(&r);
            let read = match lang {
                Lang::JavaScript => format!("inputData.{key}"),
                Lang::Python => format!("input_data['{key}']"),
            };
            out.push_str(&code[copied..i]);
            out.push_str(&read);
            copied = end;
            found.push(CodeSecret {
                line: line_at(i),
                reference: r,
                input: Some(key),
            });
        }
        i = end;
    }
    out.push_str(&code[copied..]);
    (out, found)
}

/// A comment is text: credential-shaped words in it become the reference text.
fn redact_comment(text: &str, line: usize, scope: &str, found: &mut Vec<CodeSecret>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut line = line;
    for piece in text.split_inclusive(char::is_whitespace) {
        let word = piece.trim_end_matches(char::is_whitespace);
        let trimmed =
            word.trim_matches(|c: char| matches!(c, ',' | ';' | '(' | ')' | '"' | '\'' | '`'));
        if !trimmed.is_empty() && looks_like_secret(trimmed) {
            let r = reference(scope, trimmed);
            out.push_str(&piece.replacen(trimmed, &r, 1));
            found.push(CodeSecret {
                line,
                reference: r,
                input: None,
            });
        } else {
            out.push_str(piece);
        }
        if piece.ends_with('\n') {
            line += 1;
        }
    }
    out
}

/// Whether a string literal starts at `i`: its opening quote and its prefix (Python `r`, `f`,
/// `b`, `rb`, `u`…; empty otherwise).
fn literal_start(code: &str, i: usize, lang: Lang) -> Option<(&'static str, &str)> {
    let rest = &code[i..];
    let mut prefix_len = 0;
    if lang == Lang::Python {
        // A prefix only counts when it is not the end of an identifier (`sir'` is not `r'`).
        let before_ident = code[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        if !before_ident {
            prefix_len = rest
                .chars()
                .take_while(|c| matches!(c, 'r' | 'R' | 'f' | 'F' | 'b' | 'B' | 'u' | 'U'))
                .count()
                .min(2);
        }
    }
    let quoted = &rest[prefix_len..];
    let open = match lang {
        Lang::Python if quoted.starts_with("\"\"\"") => "\"\"\"",
        Lang::Python if quoted.starts_with("'''") => "'''",
        _ if quoted.starts_with('"') => "\"",
        _ if quoted.starts_with('\'') => "'",
        Lang::JavaScript if quoted.starts_with('`') => "`",
        _ => return None,
    };
    if prefix_len > 0 && !matches!(open, "\"" | "'" | "\"\"\"" | "'''") {
        return None;
    }
    Some((open, &rest[..prefix_len]))
}

/// Length of a literal's body up to its closing quote (backslash escapes skipped); `None` when
/// the literal is not closed.
fn literal_len(s: &str, close: &str) -> Option<usize> {
    let mut chars = s.char_indices();
    while let Some((j, c)) = chars.next() {
        if c == '\\' {
            chars.next();
            continue;
        }
        if s[j..].starts_with(close) {
            return Some(j);
        }
        if close.len() == 1 && close != "`" && c == '\n' {
            return None;
        }
    }
    None
}

/// The name a literal is assigned or passed to: the identifier or quoted key before `=` or `:`
/// that precedes it (`password = "…"`, `"api_key": "…"`, `headers.Authorization = '…'`), or
/// an empty name.
fn assigned_name(before: &str) -> String {
    let t = before.trim_end();
    let Some(t) = t.strip_suffix(':').or_else(|| {
        t.strip_suffix('=')
            .filter(|r| !r.ends_with(['=', '!', '<', '>']))
    }) else {
        return String::new();
    };
    let t = t.trim_end();
    let t = t.strip_suffix(']').unwrap_or(t);
    let t = t.strip_suffix(['"', '\'']).unwrap_or(t);
    let name: String = t
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '$'))
        .collect();
    name.chars().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_before_literals() {
        assert_eq!(assigned_name("const password = "), "password");
        assert_eq!(assigned_name("{'api_key': "), "api_key");
        assert_eq!(assigned_name("headers[\"X-Api-Key\"] = "), "X-Api-Key");
        assert_eq!(assigned_name("if (a == "), "");
        assert_eq!(assigned_name("f("), "");
    }

    #[test]
    fn literals_become_input_reads() {
        let (out, found) = redact(
            "// key sk_live_51HxQp2eZvKYlo2C0\nconst password = \"hunter22\";\nconst n = 'max';",
            Lang::JavaScript,
            "code",
        );
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].line, 1);
        assert_eq!(found[0].input, None);
        assert_eq!(found[1].line, 2);
        let key = found[1].input.clone().unwrap_or_default();
        assert!(
            out.contains(&format!("const password = inputData.{key};")),
            "{out}"
        );
        assert!(
            !out.contains("hunter22") && !out.contains("sk_live_51"),
            "{out}"
        );
        assert!(out.ends_with("const n = 'max';"));
    }

    #[test]
    fn python_prefixes_and_f_strings() {
        let (out, found) = redact(
            "token = f\"Bearer {input_data['t']}\"\npassword = r'hunter22'\n",
            Lang::Python,
            "code",
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, 2);
        assert!(
            out.starts_with("token = f\"Bearer {input_data['t']}\""),
            "{out}"
        );
        assert!(out.contains("password = input_data['secret_"), "{out}");
    }
}
