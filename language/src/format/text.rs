//! `text.*`: Formatter by Zapier's Text transforms (case, trim, find, replace, split, truncate,
//! counts, default value, URL encoding, HTML stripping, ASCII, plurals).
//!
//! Positions and lengths count characters (Unicode scalar values), as Zapier's Python does,
//! never bytes.

use super::{Out, as_text, each, flag_arg, int_arg, text_arg};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde_json::{Map, Value, json};

/// Python's `str.title()`: the first cased letter of every run of letters upper, the rest
/// lower ("they're" becomes "They'Re", as in Zapier).
pub(super) fn capitalize(args: &[Value]) -> Out {
    each(&args[0], &|s| {
        let mut out = String::with_capacity(s.len());
        let mut in_word = false;
        for c in s.chars() {
            if c.is_alphabetic() {
                if in_word {
                    out.extend(c.to_lowercase());
                } else {
                    out.extend(c.to_uppercase());
                }
                in_word = true;
            } else {
                out.push(c);
                in_word = false;
            }
        }
        Ok(Value::String(out))
    })
}

pub(super) fn titlecase(args: &[Value]) -> Out {
    each(&args[0], &|s| {
        Ok(Value::String(super::titlecase::titlecase(s)))
    })
}

pub(super) fn upper(args: &[Value]) -> Out {
    each(&args[0], &|s| Ok(Value::String(s.to_uppercase())))
}

pub(super) fn lower(args: &[Value]) -> Out {
    each(&args[0], &|s| Ok(Value::String(s.to_lowercase())))
}

pub(super) fn trim(args: &[Value]) -> Out {
    each(&args[0], &|s| Ok(Value::String(s.trim().to_string())))
}

/// The character position of the first `needle` at or after `skip` characters, -1 if absent
/// (or if the text or the needle is empty, as in Zapier).
pub(super) fn find(args: &[Value]) -> Out {
    let needle = text_arg(args, 1);
    let skip = int_arg(args, 2, "the number of characters to skip", 0)?;
    each(&args[0], &|s| {
        if s.is_empty() || needle.is_empty() {
            return Ok(json!(-1));
        }
        let len = s.chars().count() as i64;
        // Python slices: a negative start counts from the end.
        let start = if skip < 0 {
            (len + skip).max(0)
        } else {
            skip.min(len)
        } as usize;
        let byte = s.char_indices().nth(start).map_or(s.len(), |(b, _)| b);
        Ok(match s[byte..].find(&needle) {
            Some(at) => json!(start + s[byte..byte + at].chars().count()),
            None => json!(-1),
        })
    })
}

/// Every `old` replaced by `new`. Zapier returns empty text when `old` is empty.
pub(super) fn replace(args: &[Value]) -> Out {
    let old = text_arg(args, 1);
    let new = text_arg(args, 2);
    each(&args[0], &|s| {
        Ok(Value::String(if s.is_empty() || old.is_empty() {
            String::new()
        } else {
            s.replace(&old, &new)
        }))
    })
}

/// Every match of a regular expression (Rust `regex` syntax) replaced; `$1`, `${name}` in the
/// replacement insert groups.
pub(super) fn replace_regex(args: &[Value]) -> Out {
    let ascii = args.first().is_none_or(super::pattern::all_ascii);
    let re = super::pattern::Pattern::new(&text_arg(args, 1), ascii)?;
    let new = text_arg(args, 2);
    each(&args[0], &|s| {
        Ok(Value::String(re.replace_all(s, new.as_str())))
    })
}

/// The segments of `s` split on `sep`; an empty separator splits on runs of whitespace
/// (Python's `str.split()`).
fn segments(s: &str, sep: &str) -> Vec<String> {
    if sep.is_empty() {
        s.split_whitespace().map(str::to_string).collect()
    } else {
        s.split(sep).map(str::to_string).collect()
    }
}

/// All segments, as a list (Zapier's "All (as Line-items)"); empty text gives "".
pub(super) fn split(args: &[Value]) -> Out {
    let sep = text_arg(args, 1);
    let s = as_text(&args[0]);
    if s.is_empty() {
        return Ok(json!(""));
    }
    Ok(json!(segments(&s, &sep)))
}

/// One segment by index (0 first, -1 last); "" when there is no such segment.
pub(super) fn segment(args: &[Value]) -> Out {
    let sep = text_arg(args, 1);
    let index = int_arg(args, 2, "the segment index", 0)?;
    each(&args[0], &|s| {
        let segs = segments(s, &sep);
        let n = segs.len() as i64;
        let i = if index < 0 { n + index } else { index };
        Ok(json!(if s.is_empty() || i < 0 || i >= n {
            ""
        } else {
            segs[i as usize].as_str()
        }))
    })
}

/// All segments as separate fields `Item 1`, `Item 2`, … (Zapier's "All (as Separate Fields)").
pub(super) fn split_fields(args: &[Value]) -> Out {
    let sep = text_arg(args, 1);
    let s = as_text(&args[0]);
    let mut m = Map::new();
    if !s.is_empty() {
        for (i, seg) in segments(&s, &sep).into_iter().enumerate() {
            m.insert(format!("Item {}", i + 1), Value::String(seg));
        }
    }
    Ok(Value::Object(m))
}

/// At most `max` characters after skipping `skip` (negative: from the end); with the ellipsis
/// flag, text that was cut ends in "..." within the limit.
pub(super) fn truncate(args: &[Value]) -> Out {
    let max = int_arg(args, 1, "the maximum length", 0)?;
    let skip = int_arg(args, 2, "the number of characters to skip", 0)?;
    let ellipsis = flag_arg(args, 3);
    each(&args[0], &|s| {
        let chars: Vec<char> = s.chars().collect();
        let len = chars.len() as i64;
        if chars.is_empty() || max <= 0 {
            return Ok(json!(""));
        }
        let start = if skip < 0 {
            (len + skip).max(0)
        } else {
            skip.min(len)
        } as usize;
        let end = (start as i64 + max).min(len) as usize;
        let mut out: String = chars[start..end].iter().collect();
        // Only text that was cut gets the ellipsis, which takes the last three characters.
        if ellipsis && len - skip > max {
            let keep = out.chars().count().saturating_sub(3);
            out = out.chars().take(keep).collect::<String>() + "...";
        }
        Ok(Value::String(out))
    })
}

/// Words separated by whitespace.
pub(super) fn word_count(args: &[Value]) -> Out {
    each(&args[0], &|s| Ok(json!(s.split_whitespace().count())))
}

/// Characters; with the flag, only word characters count (Zapier removes every non-word
/// character, punctuation included, under "ignore whitespace").
pub(super) fn length(args: &[Value]) -> Out {
    let ignore = flag_arg(args, 1);
    each(&args[0], &|s| {
        Ok(json!(if ignore {
            s.chars()
                .filter(|c| c.is_alphanumeric() || *c == '_')
                .count()
        } else {
            s.chars().count()
        }))
    })
}

/// The fallback when the value is missing or empty text; a list keeps its items, with empty
/// ones replaced, and an empty list gives a one-item list.
pub(super) fn default_value(args: &[Value]) -> Out {
    let fallback = &args[1];
    let empty = |v: &Value| v.is_null() || v.as_str() == Some("");
    Ok(match &args[0] {
        Value::Array(items) if items.is_empty() => json!([fallback]),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|x| {
                    if empty(x) {
                        fallback.clone()
                    } else {
                        x.clone()
                    }
                })
                .collect(),
        ),
        v if empty(v) => fallback.clone(),
        v => v.clone(),
    })
}

/// Python's `urllib.quote` keeps letters, digits, `_.-~` and `/`; `quote_plus` keeps no `/`
/// and writes spaces as `+`.
const QUOTE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~')
    .remove(b'/');
const QUOTE_PLUS: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~')
    .remove(b' ');

pub(super) fn url_encode(args: &[Value]) -> Out {
    let plus = flag_arg(args, 1);
    each(&args[0], &|s| {
        Ok(Value::String(if plus {
            utf8_percent_encode(s, QUOTE_PLUS)
                .to_string()
                .replace(' ', "+")
        } else {
            utf8_percent_encode(s, QUOTE).to_string()
        }))
    })
}

pub(super) fn url_decode(args: &[Value]) -> Out {
    let plus = flag_arg(args, 1);
    each(&args[0], &|s| {
        let s = if plus {
            s.replace('+', " ")
        } else {
            s.to_string()
        };
        Ok(Value::String(
            percent_decode_str(&s).decode_utf8_lossy().into_owned(),
        ))
    })
}

/// The text of an HTML fragment: tags, comments and the content of `script` and `style`
/// removed, character references decoded.
pub(super) fn strip_html(args: &[Value]) -> Out {
    each(&args[0], &|s| Ok(Value::String(html_text(s))))
}

fn html_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let lower = s.to_ascii_lowercase();
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        if rest.starts_with("<!--") {
            i += rest.find("-->").map_or(rest.len(), |e| e + 3);
        } else if rest.starts_with('<') && tag_starts(rest) {
            let end = rest.find('>').map_or(rest.len(), |e| e + 1);
            let name = tag_name(&rest[1..end]);
            i += end;
            if name == "script" || name == "style" {
                let close = format!("</{name}");
                i = lower[i..].find(&close).map_or(s.len(), |e| {
                    let after = i + e;
                    after + s[after..].find('>').map_or(s.len() - after, |g| g + 1)
                });
            }
        } else {
            let next = rest[1..].find('<').map_or(rest.len(), |e| e + 1);
            out.push_str(&rest[..next]);
            i += next;
        }
    }
    html_escape::decode_html_entities(&out).into_owned()
}

/// Whether `<…` opens a tag (a letter, `/` or `!` follows), not a lone less-than sign.
fn tag_starts(s: &str) -> bool {
    s[1..]
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!')
}

fn tag_name(inner: &str) -> String {
    inner
        .trim_start_matches('/')
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Every non-ASCII character replaced by its closest ASCII (transliteration: "Crème Brûlée"
/// becomes "Creme Brulee").
pub(super) fn to_ascii(args: &[Value]) -> Out {
    each(&args[0], &|s| Ok(Value::String(deunicode::deunicode(s))))
}

pub(super) fn pluralize(args: &[Value]) -> Out {
    each(&args[0], &|s| Ok(Value::String(super::plural::plural(s))))
}

#[cfg(test)]
mod tests {
    //! Each test names the Formatter by Zapier behaviour it encodes. The reference is Zapier's
    //! own Formatter service, open-sourced as github.com/zapier/transformer
    //! (`transformer/transforms/string/*.py`), and the Formatter help pages it links
    //! (https://zapier.com/help/create/format/modify-text-formats-in-zaps).
    use crate::format::testing::{error, eval};
    use serde_json::json;

    /// string.capitalize: Python `str.title()`, "Capitalize the first character of every word".
    #[test]
    fn capitalize() {
        assert_eq!(eval("text.capitalize('hello WORLD')"), json!("Hello World"));
        assert_eq!(
            eval("text.capitalize(\"they're 3rd\")"),
            json!("They'Re 3Rd")
        );
        assert_eq!(eval("text.capitalize('')"), json!(""));
    }

    /// string.upper_case / lower_case / trim_space.
    #[test]
    fn case_and_trim() {
        assert_eq!(eval("text.upper('straße')"), json!("STRASSE"));
        assert_eq!(eval("text.lower('ÉCOLE')"), json!("école"));
        assert_eq!(eval("text.trim('  a b \\n')"), json!("a b"));
    }

    /// string.find: "Find the first position of a value in the text, -1 if the value is not
    /// found"; "Skip Characters" skips the first N characters.
    #[test]
    fn find() {
        assert_eq!(eval("text.find('hello world', 'o')"), json!(4));
        assert_eq!(eval("text.find('hello world', 'o', 5)"), json!(7));
        assert_eq!(eval("text.find('héllo', 'l')"), json!(2));
        assert_eq!(eval("text.find('hello', 'z')"), json!(-1));
        assert_eq!(eval("text.find('hello', '')"), json!(-1));
    }

    /// string.replace: every instance; an empty Find gives empty text (Zapier's code).
    #[test]
    fn replace() {
        assert_eq!(eval("text.replace('a-b-c', '-', ' ')"), json!("a b c"));
        assert_eq!(eval("text.replace('a-b', '-', '')"), json!("ab"));
        assert_eq!(eval("text.replace('abc', '', 'x')"), json!(""));
        assert_eq!(
            eval("text.replaceRegex('order 12, order 7', 'order (\\\\d+)', '#$1')"),
            json!("#12, #7")
        );
        assert!(
            error("text.replaceRegex('a', '(', 'b')").contains("not a valid regular expression")
        );
    }

    /// string.split: separator (default: whitespace), segment index 0 first, -1 last, -2
    /// second to last, `all` line items, `fields` separate fields `Item 1`…
    #[test]
    fn split() {
        assert_eq!(
            eval("text.split('a,b,,c', ',')"),
            json!(["a", "b", "", "c"])
        );
        assert_eq!(eval("text.split(' a  b ', '')"), json!(["a", "b"]));
        assert_eq!(eval("text.segment('a b c', ' ', -1)"), json!("c"));
        assert_eq!(eval("text.segment('a b c', ' ', -2)"), json!("b"));
        assert_eq!(eval("text.segment('a b c', ' ', 5)"), json!(""));
        assert_eq!(eval("text.segment('Ada Lovelace', '', 0)"), json!("Ada"));
        assert_eq!(
            eval("text.splitFields('x|y', '|')"),
            json!({"Item 1": "x", "Item 2": "y"})
        );
        assert_eq!(eval("text.split('', ',')"), json!(""));
    }

    /// string.truncate: max length, skip characters (negative from the end), and "Append
    /// Ellipsis?" which shortens by three characters and appends "..." only when cut.
    #[test]
    fn truncate() {
        assert_eq!(eval("text.truncate('hello world', 5)"), json!("hello"));
        assert_eq!(eval("text.truncate('hello world', 5, 6)"), json!("world"));
        assert_eq!(
            eval("text.truncate('hello world', 8, 0, true)"),
            json!("hello...")
        );
        assert_eq!(eval("text.truncate('hello', 8, 0, true)"), json!("hello"));
        assert_eq!(eval("text.truncate('hello world', 3, -5)"), json!("wor"));
        assert_eq!(eval("text.truncate('hello', 0)"), json!(""));
    }

    /// string.word_count and string.length ("Ignore Whitespace?" drops every non-word character).
    #[test]
    fn counts() {
        assert_eq!(eval("text.wordCount(' one two\\tthree\\n')"), json!(3));
        assert_eq!(eval("text.wordCount('')"), json!(0));
        assert_eq!(eval("text.length('héllo')"), json!(5));
        assert_eq!(eval("text.length('a b, c', true)"), json!(3));
    }

    /// string.default_value(_v2): "Return a default value if the text is empty"; a line-item
    /// input gives line items back.
    #[test]
    fn default_value() {
        assert_eq!(eval("text.default('', 'n/a')"), json!("n/a"));
        assert_eq!(eval("text.default(null, 'n/a')"), json!("n/a"));
        assert_eq!(eval("text.default('x', 'n/a')"), json!("x"));
        assert_eq!(eval("text.default(['a', ''], 'n/a')"), json!(["a", "n/a"]));
        assert_eq!(eval("text.default([], 'n/a')"), json!(["n/a"]));
    }

    /// string.url_encode / url_decode: Python `quote` (keeps `/`) or, with "use plus",
    /// `quote_plus` (spaces as `+`, `/` encoded).
    #[test]
    fn url() {
        assert_eq!(eval("text.urlEncode('a b/c&d')"), json!("a%20b/c%26d"));
        assert_eq!(
            eval("text.urlEncode('a b/c&d', true)"),
            json!("a+b%2Fc%26d")
        );
        assert_eq!(eval("text.urlEncode('é')"), json!("%C3%A9"));
        assert_eq!(eval("text.urlDecode('a%20b+c')"), json!("a b+c"));
        assert_eq!(eval("text.urlDecode('a%20b+c', true)"), json!("a b c"));
    }

    /// string.strip_html: "Remove every HTML tag to leave just the plain text" (script and
    /// style content go too; entities are decoded, as BeautifulSoup's get_text does).
    #[test]
    fn strip_html() {
        assert_eq!(
            eval("text.stripHtml('<p>Hi <b>Ada</b> &amp; co<script>x()</script></p><!-- c -->')"),
            json!("Hi Ada & co")
        );
        assert_eq!(eval("text.stripHtml('1 < 2')"), json!("1 < 2"));
    }

    /// string.encode_ascii: "Replace all non-ASCII characters" (unidecode transliteration).
    #[test]
    fn ascii() {
        assert_eq!(eval("text.toAscii('Crème Brûlée')"), json!("Creme Brulee"));
    }
}
