//! Names and texts taken from legacy titles: transliterated to ASCII before slugging (so
//! `Ünïcödé Zap` keeps its letters), with a fallback when nothing is left, and free text cleaned
//! of bidirectional control characters (which can make a description read differently from
//! what it holds).

use claw_language::System;
use claw_language::units::slug;

/// Unicode bidirectional formatting characters: embeddings, overrides, isolates and marks.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// `text` without bidirectional control characters.
pub fn strip_bidi(text: &str) -> String {
    text.chars().filter(|c| !is_bidi_control(*c)).collect()
}

/// The identifier for a legacy title: transliterated to ASCII (`Ünïcödé` → `unicode`, `東京` →
/// `dong_jing`), then slugged; `None` when no letter or digit is left (a title of symbols only).
pub fn slug_of(title: &str) -> Option<String> {
    // Letters and digits are transliterated; symbols and emoji (`™`, `🚀`) separate words, as
    // ASCII punctuation does, rather than becoming words of their own (`tm`, `rocket`).
    let ascii: String = title
        .chars()
        .map(|c| {
            if c.is_ascii() {
                c.to_string()
            } else if c.is_alphanumeric() {
                deunicode::deunicode_char(c).unwrap_or(" ").to_string()
            } else {
                " ".to_string()
            }
        })
        .collect();
    if !ascii.chars().any(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    Some(slug(&ascii))
}

/// [`slug_of`] the title, or of `fallback` (the legacy id, say) when nothing is left of it.
pub fn slug_or(title: &str, fallback: &str) -> String {
    slug_of(title).unwrap_or_else(|| slug(fallback))
}

/// Removes bidirectional control characters from every description of a system, and from the
/// `legacy` texts (step titles) kept beside triggers, decisions and steps.
pub fn clean_descriptions(sys: &mut System) {
    let mut texts: Vec<&mut String> = Vec::new();
    texts.extend(sys.description.as_mut());
    for t in &mut sys.triggers {
        texts.extend(t.description.as_mut());
        texts.extend(t.legacy.values_mut());
    }
    for d in &mut sys.decisions {
        texts.extend(d.description.as_mut());
        texts.extend(d.legacy.values_mut());
    }
    for x in &mut sys.execution {
        texts.extend(x.description.as_mut());
        texts.extend(x.legacy.values_mut());
    }
    texts.extend(
        sys.data
            .state
            .iter_mut()
            .filter_map(|s| s.description.as_mut()),
    );
    texts.extend(
        sys.data
            .tables
            .iter_mut()
            .filter_map(|t| t.description.as_mut()),
    );
    texts.extend(
        sys.observability
            .alerts
            .iter_mut()
            .filter_map(|a| a.description.as_mut()),
    );
    for s in texts {
        if s.chars().any(is_bidi_control) {
            *s = strip_bidi(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_keep_their_letters() {
        assert_eq!(slug_of("Ünïcödé Zap").as_deref(), Some("unicode_zap"));
        assert_eq!(slug_of("Größe prüfen").as_deref(), Some("grosse_prufen"));
        assert_eq!(
            slug_of("\u{202E}evil\u{202C} name").as_deref(),
            Some("evil_name")
        );
        assert_eq!(slug_or("→ ← ↑", "12345"), slug("12345"));
        assert_eq!(slug_or("", "zap 7"), "zap_7");
    }

    #[test]
    fn bidi_controls_are_removed() {
        assert_eq!(
            strip_bidi("pay \u{202E}1337\u{202C} now\u{2066}!\u{2069}"),
            "pay 1337 now!"
        );
    }
}
