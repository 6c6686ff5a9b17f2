//! `number.currency`: a number as money, with a CLDR-style pattern (`¤#,##0.00`), a currency
//! code and a locale, as Formatter by Zapier's "Format Currency" (which uses Babel).
//!
//! A deliberate subset: the locales Zapier offers but Bengali (India); the currency's own
//! decimal places (JPY none, KWD three); the symbol of a currency from English CLDR data for
//! the common currencies (others are written as their code), with the few locale differences
//! listed in [`symbol`]. The amount is rounded half to even on its decimal digits, never
//! through a binary float.

use super::{FormatError, Out, as_text, text_arg};
use serde_json::Value;

/// Grouping and decimal marks by locale.
fn marks(locale: &str) -> Option<(&'static str, &'static str)> {
    Some(match locale {
        "en_US" | "en_GB" | "es_US" | "zh_CN" | "en" => (",", "."),
        "de_DE" | "es_ES" | "da_DK" => (".", ","),
        "fr_FR" => ("\u{202f}", ","),
        "ru_RU" => ("\u{a0}", ","),
        _ => return None,
    })
}

/// Decimal places of a currency (ISO 4217 / CLDR), 2 unless listed.
fn digits(code: &str) -> usize {
    match code {
        "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "UGX" | "XAF" | "XOF" | "XPF" | "PYG" | "KMF"
        | "GNF" | "RWF" | "BIF" | "DJF" | "VUV" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// The currency's symbol in a locale.
fn symbol(code: &str, locale: &str) -> String {
    let local = match (locale, code) {
        ("en_GB", "USD") | ("es_ES", "USD") => Some("US$"),
        ("fr_FR", "USD") => Some("$US"),
        ("fr_FR", "CAD") => Some("$CA"),
        ("fr_FR", "AUD") => Some("$AU"),
        ("fr_FR", "GBP") => Some("£GB"),
        ("zh_CN", "CNY") => Some("¥"),
        ("zh_CN", "JPY") => Some("JP¥"),
        ("ru_RU", "RUB") => Some("₽"),
        ("da_DK", "DKK") => Some("kr."),
        _ => None,
    };
    let english = match code {
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "JPY" => "¥",
        "CNY" => "CN¥",
        "INR" => "₹",
        "KRW" => "₩",
        "ILS" => "₪",
        "VND" => "₫",
        "CAD" => "CA$",
        "AUD" => "A$",
        "NZD" => "NZ$",
        "HKD" => "HK$",
        "MXN" => "MX$",
        "BRL" => "R$",
        "TWD" => "NT$",
        "PHP" => "₱",
        "XAF" => "FCFA",
        "XOF" => "F\u{202f}CFA",
        "XPF" => "CFPF",
        other => other,
    };
    local.unwrap_or(english).to_string()
}

/// One parsed pattern: text before and after the number, grouping, minimum integer digits.
struct Pattern {
    prefix: String,
    suffix: String,
    grouping: Option<usize>,
    min_int: usize,
}

fn parse_pattern(p: &str) -> Result<Pattern, FormatError> {
    let start = p
        .find(['#', '0'])
        .ok_or_else(|| FormatError::new(format!("currency format `{p}` has no digits (# or 0)")))?;
    let end = p[start..]
        .find(|c: char| !matches!(c, '#' | '0' | ',' | '.'))
        .map_or(p.len(), |e| start + e);
    let number = &p[start..end];
    let int_part = number.split('.').next().unwrap_or("");
    let grouping = int_part.rfind(',').map(|i| int_part.len() - i - 1);
    Ok(Pattern {
        prefix: p[..start].to_string(),
        suffix: p[end..].to_string(),
        grouping: grouping.filter(|g| *g > 0),
        min_int: int_part.chars().filter(|c| *c == '0').count().max(1),
    })
}

/// `¤` the symbol, `¤¤` the ISO code; `¤¤¤` (the currency's name) is not supported.
fn affix(text: &str, code: &str, locale: &str) -> Result<String, FormatError> {
    if text.contains("¤¤¤") {
        return Err(FormatError::new(
            "the currency name (¤¤¤) is not supported; use ¤ (symbol) or ¤¤ (code)",
        ));
    }
    Ok(text.replace("¤¤", code).replace('¤', &symbol(code, locale)))
}

/// The amount's digits rounded half to even to `places` decimals: (negative, whole, fraction).
fn round(amount: &str, places: usize) -> Option<(bool, String, String)> {
    let a = amount.trim();
    let (neg, a) = match a.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, a.strip_prefix('+').unwrap_or(a)),
    };
    let (whole, frac) = a.split_once('.').unwrap_or((a, ""));
    let whole = if whole.is_empty() { "0" } else { whole };
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut digits: Vec<u8> = whole
        .bytes()
        .chain(frac.bytes())
        .map(|b| b - b'0')
        .collect();
    let keep = whole.len() + places;
    digits.resize(digits.len().max(keep), 0);
    let rest = &digits[keep..];
    let last = if keep == 0 { 0 } else { digits[keep - 1] };
    let up = match rest.first() {
        Some(5) if rest[1..].iter().all(|d| *d == 0) => last % 2 == 1,
        Some(d) => *d >= 5,
        None => false,
    };
    digits.truncate(keep);
    if up {
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, 1);
                break;
            }
            i -= 1;
            if digits[i] == 9 {
                digits[i] = 0;
            } else {
                digits[i] += 1;
                break;
            }
        }
    }
    let split = digits.len() - places;
    let text = |d: &[u8]| d.iter().map(|x| char::from(b'0' + x)).collect::<String>();
    let w = text(&digits[..split]).trim_start_matches('0').to_string();
    Some((neg, w, text(&digits[split..])))
}

/// `number.currency(amount, code[, locale[, pattern]])`; defaults `en_US` and `¤#,##0.00`.
/// An amount that is not a number is returned unchanged, as Zapier does.
pub(super) fn format(args: &[Value]) -> Out {
    let code = text_arg(args, 1).trim().to_ascii_uppercase();
    let locale = match text_arg(args, 2).trim().replace('-', "_") {
        l if l.is_empty() => "en_US".to_string(),
        l => l,
    };
    let pattern = match text_arg(args, 3) {
        p if p.trim().is_empty() => "¤#,##0.00".to_string(),
        p => p,
    };
    let (group, decimal) = marks(&locale).ok_or_else(|| {
        FormatError::new(format!(
            "currency locale `{locale}` is not supported (en_US, en_GB, es_US, es_ES, de_DE, fr_FR, zh_CN, ru_RU, da_DK)"
        ))
    })?;
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(FormatError::new(format!(
            "`{code}` is not a three-letter currency code"
        )));
    }
    let p = parse_pattern(&pattern)?;
    let raw = as_text(&args[0]);
    let Some((neg, whole, frac)) = round(&raw, digits(&code)) else {
        return Ok(args[0].clone());
    };
    let whole = format!("{whole:0>width$}", width = p.min_int);
    let mut grouped = String::new();
    for (i, d) in whole.chars().enumerate() {
        if let Some(g) = p.grouping
            && i > 0
            && (whole.len() - i) % g == 0
        {
            grouped.push_str(group);
        }
        grouped.push(d);
    }
    let number = if frac.is_empty() {
        grouped
    } else {
        format!("{grouped}{decimal}{frac}")
    };
    let is_zero = number.chars().all(|c| !c.is_ascii_digit() || c == '0');
    let sign = if neg && !is_zero { "-" } else { "" };
    Ok(Value::String(format!(
        "{sign}{}{number}{}",
        affix(&p.prefix, &code, &locale)?,
        affix(&p.suffix, &code, &locale)?
    )))
}

#[cfg(test)]
mod tests {
    //! number.currency (github.com/zapier/transformer, `transformer/transforms/number/currency.py`:
    //! "Format a number as a currency", Babel number patterns per
    //! unicode.org/reports/tr35/tr35-numbers.html#Number_Format_Patterns).
    use crate::format::testing::{error, eval};
    use serde_json::json;

    #[test]
    fn patterns_and_locales() {
        assert_eq!(eval("number.currency('1234.5', 'USD')"), json!("$1,234.50"));
        assert_eq!(
            eval("number.currency(1234.5, 'usd', 'en_US', '¤#,##0.00 ¤¤')"),
            json!("$1,234.50 USD")
        );
        assert_eq!(
            eval("number.currency('1234.5', 'EUR', 'de_DE', '#,##0.00 ¤')"),
            json!("1.234,50 €")
        );
        assert_eq!(
            eval("number.currency('1234.5', 'EUR', 'fr-FR', '#,##0.00 ¤')"),
            json!("1\u{202f}234,50 €")
        );
        assert_eq!(eval("number.currency('1234.5', 'JPY')"), json!("¥1,234"));
        assert_eq!(eval("number.currency('1234.6', 'JPY')"), json!("¥1,235"));
        assert_eq!(
            eval("number.currency('-0.125', 'USD', 'en_US', '¤###0.00')"),
            json!("-$0.12")
        );
        assert_eq!(
            eval("number.currency('2.675', 'USD', 'en_US', '#,##0.00')"),
            json!("2.68")
        );
        assert_eq!(
            eval("number.currency('999.999', 'GBP')"),
            json!("£1,000.00")
        );
        assert_eq!(eval("number.currency('12', 'CHF')"), json!("CHF12.00"));
    }

    /// Zapier returns the input unchanged when it is not a number.
    #[test]
    fn not_a_number() {
        assert_eq!(eval("number.currency('n/a', 'USD')"), json!("n/a"));
        assert!(error("number.currency('1', 'USD', 'bn_IN')").contains("not supported"));
        assert!(error("number.currency('1', 'USD', 'en_US', '¤¤¤ #')").contains("not supported"));
    }
}
