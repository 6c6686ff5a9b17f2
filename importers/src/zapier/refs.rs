//! Zapier's two reference syntaxes ("curlies") inside param strings, and their rewriting
//! to `.claw` template holes:
//!
//! * legacy `{{12__field__sub}}`: export-local node id, then the field path joined by `__`;
//! * formula `{{=gives["360598043"]["field"]["sub"]}}`: a *live* step id (not renumbered on
//!   export), quotes single or double.
//!
//! Trigger fields are top-level variables of the CEL scope (`{{ channel.name }}`); when the
//! first key is not a CEL identifier the whole payload is read as `payload["key"]`. Step
//! outputs are `steps.<name>.output.field`, with `["key"]` for keys that are not identifiers.

/// A parsed reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ref {
    /// Node id as written (export-local for legacy, live for formula).
    pub id: String,
    /// Field path.
    pub fields: Vec<String>,
    /// Whether it was the formula form.
    pub formula: bool,
}

/// A piece of a scanned param string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Literal text.
    Text(String),
    /// A reference (with its raw text).
    Ref(Ref, String),
    /// A formula we cannot translate (functions, arithmetic), kept verbatim.
    Opaque(String),
}

/// Splits a string into text, references and opaque curlies.
pub fn scan(s: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start + 2..].find("}}") else {
            break;
        };
        text.push_str(&rest[..start]);
        let raw = &rest[start..start + 2 + len + 2];
        let inner = &rest[start + 2..start + 2 + len];
        let piece = if let Some(f) = inner.strip_prefix('=') {
            match parse_gives(f.trim()) {
                Some(r) => Piece::Ref(r, raw.to_string()),
                None => Piece::Opaque(raw.to_string()),
            }
        } else {
            match parse_legacy(inner.trim()) {
                Some(r) => Piece::Ref(r, raw.to_string()),
                None => Piece::Opaque(raw.to_string()),
            }
        };
        match piece {
            // Curlies that are not references at all (`{{inputData: InputData}}`) are plain text.
            Piece::Opaque(raw) if !raw.starts_with("{{=") => text.push_str(&raw),
            p => {
                if !text.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut text)));
                }
                out.push(p);
            }
        }
        rest = &rest[start + 2 + len + 2..];
    }
    text.push_str(rest);
    if !text.is_empty() {
        out.push(Piece::Text(text));
    }
    out
}

/// A filter key: a bare legacy path (`1__channel__name`) or a curly.
pub fn parse_key(key: &str) -> Option<Piece> {
    let k = key.trim();
    if k.starts_with("{{") {
        let p = scan(k);
        return match p.as_slice() {
            [one @ (Piece::Ref(..) | Piece::Opaque(_))] => Some(one.clone()),
            _ => None,
        };
    }
    parse_legacy(k).map(|r| Piece::Ref(r, key.to_string()))
}

/// `12__field__sub` → id 12, fields [field, sub].
pub fn parse_legacy(s: &str) -> Option<Ref> {
    let (id, path) = s.split_once("__")?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) || path.is_empty() {
        return None;
    }
    Some(Ref {
        id: id.into(),
        fields: path.split("__").map(str::to_string).collect(),
        formula: false,
    })
}

/// `gives["id"]["a"]['b']` (the whole formula, nothing else) → a reference.
pub fn parse_gives(s: &str) -> Option<Ref> {
    let mut rest = s.strip_prefix("gives")?;
    let mut parts = Vec::new();
    while !rest.is_empty() {
        let r = rest.trim_start().strip_prefix('[')?.trim_start();
        let q = r.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let body = &r[1..];
        let mut val = String::new();
        let mut end = None;
        let mut chars = body.char_indices();
        while let Some((i, c)) = chars.next() {
            if c == '\\' {
                if let Some((_, n)) = chars.next() {
                    val.push(n);
                }
            } else if c == q {
                end = Some(i);
                break;
            } else {
                val.push(c);
            }
        }
        let end = end?;
        rest = body[end + 1..].trim_start().strip_prefix(']')?;
        parts.push(val);
        if rest.trim().is_empty() {
            break;
        }
    }
    let mut it = parts.into_iter();
    let id = it.next()?;
    Some(Ref {
        id,
        fields: it.collect(),
        formula: true,
    })
}

/// CEL reserved words: never usable as identifiers.
pub use claw_language::expr::RESERVED_WORDS as CEL_RESERVED;

/// Whether `s` can be written as a bare CEL identifier.
pub fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(ch) if ch.is_ascii_alphabetic() || ch == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
        && !CEL_RESERVED.contains(&s)
}

/// A CEL string literal.
pub fn cel_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Appends `.field` or `["field"]`.
fn select(base: &mut String, field: &str) {
    if is_ident(field) {
        base.push('.');
        base.push_str(field);
    } else {
        base.push('[');
        base.push_str(&cel_string(field));
        base.push(']');
    }
}

/// The CEL expression reading a trigger field path.
pub fn trigger_path(fields: &[String]) -> String {
    let mut out = String::new();
    let mut it = fields.iter();
    match it.next() {
        Some(f) if is_ident(f) && !matches!(f.as_str(), "steps" | "decisions" | "payload") => {
            out.push_str(f)
        }
        Some(f) => {
            out.push_str("payload");
            select(&mut out, f);
        }
        None => out.push_str("payload"),
    }
    for f in it {
        select(&mut out, f);
    }
    out
}

/// The CEL expression reading a step's output field path.
pub fn step_path(step: &str, fields: &[String]) -> String {
    let mut out = String::from("steps");
    select(&mut out, step);
    out.push_str(".output");
    for f in fields {
        select(&mut out, f);
    }
    out
}

/// The CEL expression reading a field of the current loop item (`each.item.<fields>`): what a
/// reference to a Looping step's output becomes in the steps after the loop.
pub fn loop_item_path(fields: &[String]) -> String {
    let mut out = String::from("each.item");
    for f in fields {
        select(&mut out, f);
    }
    out
}

/// Escapes literal text for a `.claw` template (`{{` would start a hole).
pub fn escape_text(s: &str) -> String {
    s.replace("{{", "\\{{")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_both_syntaxes() {
        let p = scan(
            "Hi {{1__user__name}}: {{=gives['36'][\"results[]old\"][\"data\"]}} {{inputData: X}}",
        );
        assert_eq!(p.len(), 5);
        assert_eq!(
            p[1],
            Piece::Ref(
                Ref {
                    id: "1".into(),
                    fields: vec!["user".into(), "name".into()],
                    formula: false
                },
                "{{1__user__name}}".into()
            )
        );
        match &p[3] {
            Piece::Ref(r, _) => {
                assert_eq!(r.fields, vec!["results[]old".to_string(), "data".into()])
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(p.last(), Some(&Piece::Text(" {{inputData: X}}".into())));
        assert!(matches!(
            scan("{{=Text.extract_email(gives['3'][\"e\"])}}")[0],
            Piece::Opaque(_)
        ));
    }

    #[test]
    fn paths() {
        assert_eq!(
            trigger_path(&["channel".into(), "name".into()]),
            "channel.name"
        );
        assert_eq!(trigger_path(&["COL$A".into()]), "payload['COL$A']");
        assert_eq!(
            step_path("find", &["results[]old".into(), "in".into()]),
            "steps.find.output['results[]old']['in']"
        );
    }
}
