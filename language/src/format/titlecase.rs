//! Title case by John Gruber's rules, which Zapier's "Titlecase" follows (through the Python
//! `titlecase` package): small words (a, an, and, of, the, to, vs …) stay lower case except
//! first, last and after a colon; words with capitals inside (`iPhone`) or dots (`example.com`)
//! are kept; hyphenated and slashed words are cased part by part; a line written all in
//! capitals is lowered first.

const SMALL: &[&str] = &[
    "a", "an", "and", "as", "at", "but", "by", "en", "for", "if", "in", "of", "on", "or", "the",
    "to", "v", "v.", "via", "vs", "vs.",
];

/// The title-cased text, line by line.
pub(super) fn titlecase(s: &str) -> String {
    s.split('\n').map(line).collect::<Vec<_>>().join("\n")
}

fn line(l: &str) -> String {
    let letters: Vec<char> = l.chars().filter(|c| c.is_alphabetic()).collect();
    let all_caps = !letters.is_empty() && letters.iter().all(|c| c.is_uppercase());
    let words: Vec<&str> = l.split([' ', '\t']).collect();
    let last_word = words.iter().rposition(|w| !w.is_empty());
    let mut out = Vec::with_capacity(words.len());
    let mut sentence_start = true;
    for (i, w) in words.iter().enumerate() {
        if w.is_empty() {
            out.push(String::new());
            continue;
        }
        let edge = sentence_start || Some(i) == last_word;
        out.push(word(w, all_caps, edge));
        sentence_start = w.ends_with([':', ';', '?', '!', '.']) && !is_small(w);
    }
    out.join(" ")
}

fn is_small(w: &str) -> bool {
    let core = w.trim_matches(|c: char| !c.is_alphanumeric() && c != '.');
    SMALL.contains(&core.to_lowercase().as_str())
}

fn word(w: &str, all_caps: bool, edge: bool) -> String {
    if all_caps && is_initials(w) {
        return w.to_string();
    }
    let inner = w.trim_matches(|c: char| !c.is_alphanumeric());
    // example.com, v1.2: a dot between letters keeps the word as written.
    if inner.contains('.') && inner.chars().last().is_some_and(char::is_alphanumeric) {
        return w.to_string();
    }
    // iPhone, McDonald: a capital after the first letter is intentional.
    if !all_caps && inner.chars().skip(1).any(char::is_uppercase) {
        return w.to_string();
    }
    if is_small(w) {
        let lower = w.to_lowercase();
        return if edge { cap_first(&lower) } else { lower };
    }
    for sep in ['/', '-'] {
        if w.contains(sep) && !w.contains("//") {
            return w
                .split(sep)
                .map(|p| word(p, all_caps, true))
                .collect::<Vec<_>>()
                .join(&sep.to_string());
        }
    }
    let w = if all_caps {
        w.to_lowercase()
    } else {
        w.to_string()
    };
    cap_first(&w)
}

/// `U.S.`, `A.B`: initials written with dots.
fn is_initials(w: &str) -> bool {
    let letters = w.chars().filter(|c| c.is_alphabetic()).count();
    letters > 0 && w.contains('.') && w.chars().all(|c| c.is_uppercase() || c == '.')
}

/// The first letter (after any leading punctuation) upper case, the rest as they are.
fn cap_first(w: &str) -> String {
    let mut out = String::with_capacity(w.len());
    let mut done = false;
    for c in w.chars() {
        if !done && c.is_alphabetic() {
            out.extend(c.to_uppercase());
            done = true;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::titlecase;

    /// string.titlecase (Zapier uses the Python `titlecase` package, which implements John
    /// Gruber's title-case rules: daringfireball.net/2008/05/title_case).
    #[test]
    fn gruber_rules() {
        assert_eq!(titlecase("a tale of two cities"), "A Tale of Two Cities");
        assert_eq!(titlecase("the way to go"), "The Way to Go");
        assert_eq!(titlecase("what is it for"), "What Is It For");
        assert_eq!(
            titlecase("my iPhone and example.com"),
            "My iPhone and example.com"
        );
        assert_eq!(titlecase("THE QUICK BROWN FOX"), "The Quick Brown Fox");
        assert_eq!(titlecase("step-by-step guide"), "Step-By-Step Guide");
        assert_eq!(titlecase("review: a look back"), "Review: A Look Back");
        assert_eq!(titlecase("\"quoted words\" here"), "\"Quoted Words\" Here");
        assert_eq!(titlecase(""), "");
    }
}
