//! The values and functions of `number.formula` (the subset of spreadsheet functions it
//! documents in docs/language.md): math, logic and text, with spreadsheet coercions (text that
//! reads as a number is a number, TRUE is 1; a number is text as written, `1.5`, `2`).

use super::FormatError;
use super::formula::{Expr, eval};
use super::number::number_value;
use serde_json::{Value, json};
use std::cmp::Ordering;

/// A formula value.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Val {
    Num(f64),
    Text(String),
    Bool(bool),
}

impl Val {
    /// The value as a number; text that is not one is `#VALUE!`.
    pub(super) fn num(&self) -> Result<f64, FormatError> {
        match self {
            Val::Num(n) => Ok(*n),
            Val::Bool(b) => Ok(f64::from(u8::from(*b))),
            Val::Text(s) if s.trim().is_empty() => Ok(0.0),
            Val::Text(s) => s
                .trim()
                .parse::<f64>()
                .map_err(|_| FormatError::new(format!("#VALUE!: `{s}` is not a number"))),
        }
    }

    /// The value as text: numbers without a trailing `.0`, booleans as TRUE and FALSE.
    pub(super) fn text(&self) -> String {
        match self {
            Val::Num(n) => match number_value(*n) {
                Value::Number(x) => x.to_string(),
                other => other.to_string(),
            },
            Val::Text(s) => s.clone(),
            Val::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        }
    }

    /// The value as a condition: a number is true unless 0; text TRUE/FALSE, else `#VALUE!`.
    fn truth(&self) -> Result<bool, FormatError> {
        match self {
            Val::Bool(b) => Ok(*b),
            Val::Num(n) => Ok(*n != 0.0),
            Val::Text(s) => match s.trim().to_ascii_uppercase().as_str() {
                "TRUE" => Ok(true),
                "FALSE" => Ok(false),
                _ => Err(FormatError::new(format!(
                    "#VALUE!: `{s}` is not TRUE or FALSE"
                ))),
            },
        }
    }

    /// Spreadsheet ordering: numbers before text before booleans; text without case.
    pub(super) fn compare(&self, other: &Val) -> Ordering {
        let rank = |v: &Val| match v {
            Val::Num(_) => 0,
            Val::Text(_) => 1,
            Val::Bool(_) => 2,
        };
        match (self, other) {
            (Val::Num(a), Val::Num(b)) => a.partial_cmp(b).unwrap_or(Ordering::Equal),
            (Val::Text(a), Val::Text(b)) => a.to_lowercase().cmp(&b.to_lowercase()),
            (Val::Bool(a), Val::Bool(b)) => a.cmp(b),
            _ => rank(self).cmp(&rank(other)),
        }
    }

    /// The value as JSON: whole numbers as integers.
    pub(super) fn json(&self) -> Value {
        match self {
            Val::Num(n) => number_value(*n),
            Val::Text(s) => json!(s),
            Val::Bool(b) => json!(b),
        }
    }
}

/// The functions, for the error that names an unknown one.
pub(super) const NAMES: &[&str] = &[
    "SUM",
    "AVERAGE",
    "MIN",
    "MAX",
    "COUNT",
    "ROUND",
    "ROUNDUP",
    "ROUNDDOWN",
    "INT",
    "MOD",
    "ABS",
    "POWER",
    "SQRT",
    "IF",
    "AND",
    "OR",
    "NOT",
    "CONCATENATE",
    "LEN",
    "UPPER",
    "LOWER",
    "TRIM",
    "LEFT",
    "RIGHT",
    "MID",
];

fn arity(name: &str, args: &[Expr], least: usize, most: usize) -> Result<(), FormatError> {
    if (least..=most).contains(&args.len()) {
        Ok(())
    } else {
        Err(FormatError::new(format!(
            "{name} takes {} arguments, not {}",
            if least == most {
                least.to_string()
            } else if most == usize::MAX {
                format!("at least {least}")
            } else {
                format!("{least} to {most}")
            },
            args.len()
        )))
    }
}

fn values(args: &[Expr]) -> Result<Vec<Val>, FormatError> {
    args.iter().map(eval).collect()
}

fn numbers(args: &[Expr]) -> Result<Vec<f64>, FormatError> {
    values(args)?.iter().map(Val::num).collect()
}

/// `x` rounded to `digits` places (negative: to tens, hundreds…) by `how`.
fn round_with(args: &[Expr], how: fn(f64) -> f64) -> Result<Val, FormatError> {
    let n = numbers(args)?;
    let digits = n.get(1).copied().unwrap_or(0.0).trunc() as i32;
    let scale = 10f64.powi(digits);
    // Rounding the scaled value first removes binary noise (2.675 * 100 = 267.49999…).
    let scaled = (n[0] * scale * 1e9).round() / 1e9;
    Ok(Val::Num(how(scaled) / scale))
}

/// Rounds half away from zero, as spreadsheets do.
fn half_away(x: f64) -> f64 {
    x.round()
}

fn away(x: f64) -> f64 {
    if x < 0.0 { x.floor() } else { x.ceil() }
}

/// Characters `from` (0-based) for `len` of a text.
fn chars(s: &str, from: usize, len: usize) -> String {
    s.chars().skip(from).take(len).collect()
}

fn count(n: f64, what: &str) -> Result<usize, FormatError> {
    if n < 0.0 {
        return Err(FormatError::new(format!("#VALUE!: {what} is negative")));
    }
    Ok(n.trunc() as usize)
}

/// Calls function `name` (upper case) with its unevaluated arguments (IF evaluates only the
/// branch it takes).
// Long on purpose: one match arm per spreadsheet function reads as the function table.
pub(super) fn call(name: &str, args: &[Expr]) -> Result<Val, FormatError> {
    let many = |least| arity(name, args, least, usize::MAX);
    Ok(match name {
        "SUM" => {
            many(1)?;
            Val::Num(numbers(args)?.iter().sum())
        }
        "AVERAGE" => {
            many(1)?;
            let n = numbers(args)?;
            Val::Num(n.iter().sum::<f64>() / n.len() as f64)
        }
        "MIN" | "MAX" => {
            many(1)?;
            let n = numbers(args)?;
            let pick = if name == "MIN" { f64::min } else { f64::max };
            Val::Num(n.iter().copied().reduce(pick).unwrap_or(0.0))
        }
        "COUNT" => Val::Num(
            values(args)?
                .iter()
                .filter(|v| matches!(v, Val::Num(_)))
                .count() as f64,
        ),
        "ROUND" | "ROUNDUP" | "ROUNDDOWN" => {
            arity(name, args, 1, 2)?;
            let how: fn(f64) -> f64 = match name {
                "ROUND" => half_away,
                "ROUNDUP" => away,
                _ => f64::trunc,
            };
            round_with(args, how)?
        }
        "INT" => {
            arity(name, args, 1, 1)?;
            Val::Num(numbers(args)?[0].floor())
        }
        "MOD" => {
            arity(name, args, 2, 2)?;
            let n = numbers(args)?;
            if n[1] == 0.0 {
                return Err(FormatError::new("#DIV/0!: MOD by zero"));
            }
            // The result takes the divisor's sign, as in spreadsheets.
            Val::Num(n[0] - n[1] * (n[0] / n[1]).floor())
        }
        "ABS" => {
            arity(name, args, 1, 1)?;
            Val::Num(numbers(args)?[0].abs())
        }
        "POWER" => {
            arity(name, args, 2, 2)?;
            let n = numbers(args)?;
            Val::Num(n[0].powf(n[1]))
        }
        "SQRT" => {
            arity(name, args, 1, 1)?;
            let n = numbers(args)?[0];
            if n < 0.0 {
                return Err(FormatError::new("#NUM!: SQRT of a negative number"));
            }
            Val::Num(n.sqrt())
        }
        "IF" => {
            arity(name, args, 2, 3)?;
            if eval(&args[0])?.truth()? {
                eval(&args[1])?
            } else {
                args.get(2)
                    .map(eval)
                    .transpose()?
                    .unwrap_or(Val::Bool(false))
            }
        }
        "AND" | "OR" => {
            many(1)?;
            let t = values(args)?
                .iter()
                .map(Val::truth)
                .collect::<Result<Vec<_>, _>>()?;
            Val::Bool(if name == "AND" {
                t.iter().all(|b| *b)
            } else {
                t.iter().any(|b| *b)
            })
        }
        "NOT" => {
            arity(name, args, 1, 1)?;
            Val::Bool(!eval(&args[0])?.truth()?)
        }
        "CONCATENATE" => {
            many(1)?;
            Val::Text(values(args)?.iter().map(Val::text).collect())
        }
        "LEN" | "UPPER" | "LOWER" | "TRIM" => {
            arity(name, args, 1, 1)?;
            let s = eval(&args[0])?.text();
            match name {
                "LEN" => Val::Num(s.chars().count() as f64),
                "UPPER" => Val::Text(s.to_uppercase()),
                "LOWER" => Val::Text(s.to_lowercase()),
                // Spreadsheet TRIM also folds inner runs of spaces into one.
                _ => Val::Text(s.split_whitespace().collect::<Vec<_>>().join(" ")),
            }
        }
        "LEFT" | "RIGHT" => {
            arity(name, args, 1, 2)?;
            let s = eval(&args[0])?.text();
            let n = match args.get(1) {
                Some(a) => count(eval(a)?.num()?, "the number of characters")?,
                None => 1,
            };
            let len = s.chars().count();
            Val::Text(if name == "LEFT" {
                chars(&s, 0, n)
            } else {
                chars(&s, len.saturating_sub(n), n)
            })
        }
        "MID" => {
            arity(name, args, 3, 3)?;
            let s = eval(&args[0])?.text();
            let start = eval(&args[1])?.num()?;
            if start < 1.0 {
                return Err(FormatError::new("#VALUE!: MID starts at 1"));
            }
            let n = count(eval(&args[2])?.num()?, "the number of characters")?;
            Val::Text(chars(&s, start as usize - 1, n))
        }
        other => {
            return Err(FormatError::new(format!(
                "#NAME?: `{other}` is not a function formulas have here (they are {})",
                NAMES.join(", ")
            )));
        }
    })
}
