//! `number.phone`: Formatter by Zapier's "Format Phone Number" (`number.phone`), for the North
//! American Numbering Plan (country code 1: the United States, Canada and the Caribbean).
//!
//! Zapier formats with Google's libphonenumber for every country. That metadata is a large,
//! changing database; this function covers the plan Zapier's own format examples are written
//! in, and gives any other number back unchanged except for E.164 of a number already written
//! with its `+` country code. Zapier too gives back the input when it cannot read a number.

use super::{Out, each, text_arg};
use serde_json::Value;

/// Zapier's format choices, by their key (`"0"`…) or name, with the output for
/// +1 555 800 1212.
const FORMATS: &[(&str, &str, &str)] = &[
    ("0", "e164", "+15558001212"),
    ("1", "international", "+1 555-800-1212"),
    ("2", "national", "(555) 800-1212"),
    ("3", "rfc3966", "tel:+1-555-800-1212"),
    ("4", "", "+1 (555) 800-1212"),
    ("5", "", "555-800-1212"),
    ("6", "", "555 800 1212"),
    ("7", "", "555.800.1212"),
    ("8", "", "5558001212"),
];

/// The index into [`FORMATS`] a format option names; the first (E.164) when empty.
fn style(format: &str) -> Option<usize> {
    let f = format.trim().to_ascii_lowercase();
    if f.is_empty() {
        return Some(0);
    }
    FORMATS.iter().position(|(key, name, example)| {
        f == *key || (!name.is_empty() && f == *name) || f == *example
    })
}

/// `number.phone(value[, format[, region]])`: the number written in the format; `region`
/// (ISO country code, `US` when empty) is where a number without `+` is from.
pub(super) fn phone(args: &[Value]) -> Out {
    let format = text_arg(args, 1);
    let region = text_arg(args, 2).trim().to_ascii_uppercase();
    let Some(style) = style(&format) else {
        return Err(super::FormatError::new(format!(
            "`{format}` is not a phone format: give 0 to 8 or e164, international, national, rfc3966"
        )));
    };
    each(&args[0], &|s| Ok(Value::String(one(s, style, &region))))
}

fn one(s: &str, style: usize, region: &str) -> String {
    let trimmed = s.trim();
    // An extension or letters make it something this subset does not rewrite.
    if trimmed.is_empty()
        || !trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().\u{a0}".contains(c))
    {
        return s.to_string();
    }
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    let international = trimmed.starts_with('+');
    let nanp_region = matches!(region, "" | "US" | "CA");
    let national = match (international, digits.len()) {
        (true, 11) if digits.starts_with('1') => &digits[1..],
        (false, 11) if digits.starts_with('1') && nanp_region => &digits[1..],
        (false, 10) if nanp_region => &digits[..],
        (true, 8..=15) if style == 0 => return format!("+{digits}"),
        _ => return s.to_string(),
    };
    // NANP area and exchange codes never start with 0 or 1.
    if national.starts_with(['0', '1']) || national[3..].starts_with(['0', '1']) {
        return s.to_string();
    }
    let (a, b, c) = (&national[..3], &national[3..6], &national[6..]);
    match style {
        0 => format!("+1{national}"),
        1 => format!("+1 {a}-{b}-{c}"),
        2 => format!("({a}) {b}-{c}"),
        3 => format!("tel:+1-{a}-{b}-{c}"),
        4 => format!("+1 ({a}) {b}-{c}"),
        5 => format!("{a}-{b}-{c}"),
        6 => format!("{a} {b} {c}"),
        7 => format!("{a}.{b}.{c}"),
        _ => national.to_string(),
    }
}

#[cfg(test)]
mod tests {
    //! Zapier's "Format Phone Number" (Numbers transforms,
    //! Zapier help center, "Format phone numbers";
    //! github.com/zapier/transformer `transformer/transforms/number/phone.py`): the format
    //! choices are written as examples for +1 555 800 1212; an unreadable number comes back
    //! as it was.
    use super::FORMATS;
    use crate::format::testing::{error, eval};
    use serde_json::json;

    #[test]
    fn every_format_of_one_number() {
        for (key, _, example) in FORMATS {
            assert_eq!(
                eval(&format!("number.phone('(555) 800 1212', '{key}')")),
                json!(example),
                "format {key}"
            );
        }
        assert_eq!(
            eval("number.phone('+1 555.800.1212', 'national')"),
            json!("(555) 800-1212")
        );
        assert_eq!(
            eval("number.phone('15558001212', 'e164', 'CA')"),
            json!("+15558001212")
        );
    }

    #[test]
    fn numbers_it_does_not_read_come_back() {
        assert_eq!(eval("number.phone('555-1212', '2')"), json!("555-1212"));
        assert_eq!(eval("number.phone('call me', '2')"), json!("call me"));
        assert_eq!(
            eval("number.phone('020 7946 0958', '2', 'GB')"),
            json!("020 7946 0958")
        );
        assert_eq!(
            eval("number.phone('+44 20 7946 0958', '0')"),
            json!("+442079460958")
        );
        assert_eq!(
            eval("number.phone(['5558001212'], '5')"),
            json!(["555-800-1212"])
        );
        assert!(error("number.phone('5558001212', 'fancy')").contains("not a phone format"));
    }
}
