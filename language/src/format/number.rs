//! `number.format`, `number.math` and `number.random`: Formatter by Zapier's Numbers
//! transforms (currency is in `currency`).

use super::{FormatError, Out, as_text, each, int_arg, text_arg};
use serde_json::{Value, json};

/// Regroups the digits of a number written with `input_mark` as its decimal mark, in one of
/// Zapier's four output styles: `0` 1,234.5 · `1` 1.234,5 · `2` 1 234.5 · `3` 1 234,5. No
/// rounding or padding; text with no whole part is returned unchanged.
pub(super) fn format(args: &[Value]) -> Out {
    let mark = text_arg(args, 1);
    let style = text_arg(args, 2);
    let (group, decimal) = match style.trim() {
        "0" => (",", "."),
        "1" => (".", ","),
        "2" => (" ", "."),
        "3" => (" ", ","),
        other => {
            return Err(FormatError::new(format!(
                "number format `{other}` is not one of 0 (1,234.5), 1 (1.234,5), 2 (1 234.5), 3 (1 234,5)"
            )));
        }
    };
    if mark.is_empty() {
        return Err(FormatError::new("the input decimal mark is empty"));
    }
    each(&args[0], &|s| {
        let (whole, frac) = match s.rsplit_once(mark.as_str()) {
            Some((w, f)) => (w, f),
            None => (s, ""),
        };
        let kept: String = whole
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '-')
            .collect();
        let Ok(n) = kept.parse::<i128>() else {
            return Ok(Value::String(s.to_string()));
        };
        let digits = n.unsigned_abs().to_string();
        let mut grouped = String::new();
        for (i, d) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push_str(group);
            }
            grouped.push(d);
        }
        let sign = if n < 0 { "-" } else { "" };
        Ok(Value::String(if frac.is_empty() {
            format!("{sign}{grouped}")
        } else {
            format!("{sign}{grouped}{decimal}{frac}")
        }))
    })
}

/// A number from a value the way Zapier reads one (`float()`), 0 when it is not a number.
pub(super) fn parse_number(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap_or(0.0),
        other => as_text(other)
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .unwrap_or(0.0),
    }
}

/// A whole result as an integer, as Zapier gives it; any other as a float.
pub(super) fn number_value(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        json!(f as i64)
    } else {
        json!(f)
    }
}

/// `add`, `sub`, `mul`, `div` fold the list left to right; `neg` negates each item.
pub(super) fn math(args: &[Value]) -> Out {
    let op = text_arg(args, 0);
    let items: Vec<f64> = match &args[1] {
        Value::Array(a) => a.iter().map(parse_number).collect(),
        Value::Null => Vec::new(),
        one => vec![parse_number(one)],
    };
    if op == "neg" {
        return Ok(Value::Array(
            items.into_iter().map(|f| number_value(-f)).collect(),
        ));
    }
    let f: fn(f64, f64) -> Result<f64, FormatError> = match op.as_str() {
        "add" => |a, b| Ok(a + b),
        "sub" => |a, b| Ok(a - b),
        "mul" => |a, b| Ok(a * b),
        "div" => |a, b| {
            if b == 0.0 {
                Err(FormatError::new("division by zero"))
            } else {
                Ok(a / b)
            }
        },
        other => {
            return Err(FormatError::new(format!(
                "math operation `{other}` is not one of add, sub, mul, div, neg"
            )));
        }
    };
    let Some((first, rest)) = items.split_first() else {
        return Ok(json!(0));
    };
    let mut acc = *first;
    for b in rest {
        acc = f(acc, *b)?;
    }
    // Division always gives a float in Zapier ("div" divides as floats).
    Ok(if op == "div" {
        json!(acc)
    } else {
        number_value(acc)
    })
}

/// A deterministic pseudo-random number between `min` and `max` (inclusive) derived from
/// `seed` alone, with `decimals` decimal places (default 0). Pass the run id (plus the step
/// name) as the seed: the same run gives the same number on every replay.
pub(super) fn random(args: &[Value]) -> Out {
    let seed = text_arg(args, 0);
    let (lo, hi) = (parse_number(&args[1]), parse_number(&args[2]));
    let decimals = int_arg(args, 3, "the number of decimal places", 0)?;
    if !(0..=10).contains(&decimals) {
        return Err(FormatError::new("decimal places must be between 0 and 10"));
    }
    if lo > hi {
        return Err(FormatError::new(format!(
            "the lower bound {lo} is above the upper bound {hi}"
        )));
    }
    let unit = (mix(&seed) >> 11) as f64 / (1u64 << 53) as f64;
    let scale = 10f64.powi(decimals as i32);
    let steps = ((hi - lo) * scale).floor();
    let value = lo + (unit * (steps + 1.0)).floor().min(steps) / scale;
    Ok(if decimals == 0 {
        number_value(value)
    } else {
        json!((value * scale).round() / scale)
    })
}

/// A 64-bit mix of the seed's bytes (FNV-1a, then SplitMix64's finaliser): stable across
/// platforms and releases, which a std hasher does not promise.
pub(super) fn mix(seed: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

#[cfg(test)]
mod tests {
    //! Zapier's Numbers transforms (github.com/zapier/transformer,
    //! `transformer/transforms/number/*.py`).
    use crate::format::testing::{error, eval};
    use serde_json::json;

    /// number.formatting: "Format a number to a new style. Does not perform any rounding or
    /// padding of the number"; input decimal mark `.` or `,`; output styles 0–3.
    #[test]
    fn format() {
        assert_eq!(
            eval("number.format('1234567.891', '.', '0')"),
            json!("1,234,567.891")
        );
        assert_eq!(
            eval("number.format('1234567.891', '.', '1')"),
            json!("1.234.567,891")
        );
        assert_eq!(
            eval("number.format('1.234.567,5', ',', '2')"),
            json!("1 234 567.5")
        );
        assert_eq!(
            eval("number.format('-1234,5', ',', '3')"),
            json!("-1 234,5")
        );
        assert_eq!(eval("number.format(1234, '.', '0')"), json!("1,234"));
        assert_eq!(eval("number.format('n/a', '.', '0')"), json!("n/a"));
        assert!(error("number.format('1', '.', '9')").contains("not one of"));
    }

    /// number.math: add, sub, mul, div fold the inputs; neg negates each; non-numbers count
    /// as 0; whole results are integers; division is float division.
    #[test]
    fn math() {
        assert_eq!(eval("number.math('add', ['1', '2.5', 3])"), json!(6.5));
        assert_eq!(eval("number.math('sub', ['10', '4'])"), json!(6));
        assert_eq!(eval("number.math('mul', ['2', 'x'])"), json!(0));
        assert_eq!(eval("number.math('div', ['9', '2'])"), json!(4.5));
        assert_eq!(eval("number.math('div', ['8', '2'])"), json!(4.0));
        assert_eq!(eval("number.math('neg', ['1', '-2'])"), json!([-1, 2]));
        assert!(error("number.math('div', ['1', '0'])").contains("division by zero"));
        assert!(error("number.math('pow', ['1'])").contains("not one of"));
    }

    /// Zapier's random number is random; ours is the same for the same seed (replay safety),
    /// within the bounds, and varies with the seed.
    #[test]
    fn random_is_seeded() {
        let a = eval("number.random('run-1:step', 1, 6)");
        assert_eq!(a, eval("number.random('run-1:step', 1, 6)"));
        let all: Vec<i64> = (0..200)
            .map(|i| {
                eval(&format!("number.random('run-{i}', 1, 6)"))
                    .as_i64()
                    .unwrap()
            })
            .collect();
        assert!(all.iter().all(|v| (1..=6).contains(v)));
        assert!((1..=6).all(|v| all.contains(&v)), "{all:?}");
        let f = eval("number.random('x', 0, 1, 2)").as_f64().unwrap();
        assert!((0.0..=1.0).contains(&f));
        assert!(error("number.random('x', 5, 1)").contains("above"));
    }
}
