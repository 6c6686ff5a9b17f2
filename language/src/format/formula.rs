//! `number.formula`: Formatter by Zapier's "Spreadsheet-Style Formula"
//! (`number.spreadsheet_formula`), a documented subset of spreadsheet formulas.
//!
//! The grammar, lowest precedence first (as in spreadsheets, unary minus binds tighter than
//! `^`, so `-2^2` is 4): comparisons `= <> < > <= >=`, concatenation `&`, `+ -`, `* /`, `^`,
//! unary `- +`, a postfix `%`, then numbers, `"text"` (`""` is a quote), `TRUE`, `FALSE`,
//! `NAME(args…)` and parentheses. A leading `=` is allowed. The functions are in
//! [`super::formula_fns`]. There are no cell references: Zapier fills fields into the text.

use super::formula_fns::{Val, call};
use super::{FormatError, Out, as_text};
use serde_json::Value;

/// A parsed formula.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
    Num(f64),
    Text(String),
    Bool(bool),
    Neg(Box<Expr>),
    Percent(Box<Expr>),
    Binary(Op, Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>),
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Concat,
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

/// Nesting deeper than this is refused rather than risking the stack.
const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    depth: usize,
}

/// Parses a formula.
pub(super) fn parse(src: &str) -> Result<Expr, FormatError> {
    let body = src.trim();
    let body = body.strip_prefix('=').unwrap_or(body);
    let mut p = Parser {
        src: body,
        pos: 0,
        depth: 0,
    };
    let e = p.comparison()?;
    p.skip_ws();
    if p.pos < p.src.len() {
        return Err(p.error("an operator or the end of the formula"));
    }
    Ok(e)
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    fn skip_ws(&mut self) {
        let r = self.rest();
        self.pos += r.len() - r.trim_start().len();
    }

    fn error(&self, wanted: &str) -> FormatError {
        let at = self.rest().chars().take(12).collect::<String>();
        FormatError::new(format!(
            "the formula `{}` has {} where {wanted} should be",
            self.src,
            if at.is_empty() {
                "nothing".to_string()
            } else {
                format!("`{at}`")
            }
        ))
    }

    /// Consumes the first of `ops` that starts the rest.
    fn eat(&mut self, ops: &[(&str, Op)]) -> Option<Op> {
        self.skip_ws();
        let (tok, op) = ops.iter().find(|(t, _)| self.rest().starts_with(t))?;
        self.pos += tok.len();
        Some(*op)
    }

    fn nested(&mut self) -> Result<(), FormatError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FormatError::new("the formula nests too deeply"));
        }
        Ok(())
    }

    fn level(
        &mut self,
        ops: &[(&str, Op)],
        next: fn(&mut Self) -> Result<Expr, FormatError>,
    ) -> Result<Expr, FormatError> {
        let mut left = next(self)?;
        while let Some(op) = self.eat(ops) {
            let right = next(self)?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn comparison(&mut self) -> Result<Expr, FormatError> {
        // Two-character operators first, so `<=` is not read as `<` then `=`.
        const OPS: &[(&str, Op)] = &[
            ("<>", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("=", Op::Eq),
            ("<", Op::Lt),
            (">", Op::Gt),
        ];
        self.level(OPS, Self::concat)
    }

    fn concat(&mut self) -> Result<Expr, FormatError> {
        self.level(&[("&", Op::Concat)], Self::additive)
    }

    fn additive(&mut self) -> Result<Expr, FormatError> {
        self.level(&[("+", Op::Add), ("-", Op::Sub)], Self::term)
    }

    fn term(&mut self) -> Result<Expr, FormatError> {
        self.level(&[("*", Op::Mul), ("/", Op::Div)], Self::power)
    }

    fn power(&mut self) -> Result<Expr, FormatError> {
        self.level(&[("^", Op::Pow)], Self::unary)
    }

    fn unary(&mut self) -> Result<Expr, FormatError> {
        self.skip_ws();
        if let Some(sign) = self
            .rest()
            .chars()
            .next()
            .filter(|c| *c == '-' || *c == '+')
        {
            self.pos += 1;
            self.nested()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(if sign == '-' {
                Expr::Neg(Box::new(inner))
            } else {
                inner
            });
        }
        let mut e = self.primary()?;
        loop {
            self.skip_ws();
            if !self.rest().starts_with('%') {
                return Ok(e);
            }
            self.pos += 1;
            e = Expr::Percent(Box::new(e));
        }
    }

    fn primary(&mut self) -> Result<Expr, FormatError> {
        self.skip_ws();
        let Some(c) = self.rest().chars().next() else {
            return Err(self.error("a value"));
        };
        if c == '(' {
            self.pos += 1;
            self.nested()?;
            let e = self.comparison()?;
            self.depth -= 1;
            self.expect(')')?;
            return Ok(e);
        }
        if c == '"' {
            return self.text();
        }
        if c.is_ascii_digit() || c == '.' {
            return self.number();
        }
        if c.is_ascii_alphabetic() {
            let len = self
                .rest()
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
                .unwrap_or(self.rest().len());
            let name = self.rest()[..len].to_ascii_uppercase();
            self.pos += len;
            self.skip_ws();
            if self.rest().starts_with('(') {
                self.pos += 1;
                return self.args(name);
            }
            return match name.as_str() {
                "TRUE" => Ok(Expr::Bool(true)),
                "FALSE" => Ok(Expr::Bool(false)),
                _ => Err(FormatError::new(format!(
                    "`{name}` in the formula is not a value (there are no cell references: map the field into the formula)"
                ))),
            };
        }
        Err(self.error("a value"))
    }

    fn expect(&mut self, c: char) -> Result<(), FormatError> {
        self.skip_ws();
        if self.rest().starts_with(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(&format!("`{c}`")))
        }
    }

    fn args(&mut self, name: String) -> Result<Expr, FormatError> {
        self.nested()?;
        let mut args = Vec::new();
        self.skip_ws();
        if self.rest().starts_with(')') {
            self.pos += 1;
        } else {
            loop {
                args.push(self.comparison()?);
                self.skip_ws();
                match self.rest().chars().next() {
                    Some(',') => self.pos += 1,
                    Some(')') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.error("`,` or `)`")),
                }
            }
        }
        self.depth -= 1;
        Ok(Expr::Call(name, args))
    }

    fn text(&mut self) -> Result<Expr, FormatError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(i) = self.rest().find('"') else {
                return Err(FormatError::new(format!(
                    "the formula `{}` has a text with no closing quote",
                    self.src
                )));
            };
            out.push_str(&self.rest()[..i]);
            self.pos += i + 1;
            if self.rest().starts_with('"') {
                out.push('"');
                self.pos += 1;
            } else {
                return Ok(Expr::Text(out));
            }
        }
    }

    fn number(&mut self) -> Result<Expr, FormatError> {
        let r = self.rest();
        let mut len = r
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(r.len());
        // An exponent: `1e3`, `2.5E-2`.
        let tail = &r[len..];
        if tail.starts_with(['e', 'E']) {
            let sign = usize::from(tail[1..].starts_with(['+', '-']));
            let digits = tail[1 + sign..]
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(tail.len() - 1 - sign);
            if digits > 0 {
                len += 1 + sign + digits;
            }
        }
        let text = &r[..len];
        let n = text
            .parse::<f64>()
            .map_err(|_| FormatError::new(format!("`{text}` in the formula is not a number")))?;
        self.pos += len;
        Ok(Expr::Num(n))
    }
}

/// Evaluates a parsed formula.
pub(super) fn eval(e: &Expr) -> Result<Val, FormatError> {
    Ok(match e {
        Expr::Num(n) => Val::Num(*n),
        Expr::Text(s) => Val::Text(s.clone()),
        Expr::Bool(b) => Val::Bool(*b),
        Expr::Neg(x) => Val::Num(-eval(x)?.num()?),
        Expr::Percent(x) => Val::Num(eval(x)?.num()? / 100.0),
        Expr::Call(name, args) => call(name, args)?,
        Expr::Binary(op, a, b) => binary(*op, eval(a)?, eval(b)?)?,
    })
}

fn binary(op: Op, a: Val, b: Val) -> Result<Val, FormatError> {
    let number = |n: f64| {
        if n.is_finite() {
            Ok(Val::Num(n))
        } else {
            Err(FormatError::new("#NUM!: the result is not a finite number"))
        }
    };
    match op {
        Op::Add => number(a.num()? + b.num()?),
        Op::Sub => number(a.num()? - b.num()?),
        Op::Mul => number(a.num()? * b.num()?),
        Op::Div => {
            let d = b.num()?;
            if d == 0.0 {
                return Err(FormatError::new("#DIV/0!: division by zero"));
            }
            number(a.num()? / d)
        }
        Op::Pow => number(a.num()?.powf(b.num()?)),
        Op::Concat => Ok(Val::Text(a.text() + &b.text())),
        _ => {
            let ord = a.compare(&b);
            Ok(Val::Bool(match op {
                Op::Eq => ord.is_eq(),
                Op::Ne => !ord.is_eq(),
                Op::Lt => ord.is_lt(),
                Op::Gt => ord.is_gt(),
                Op::Le => ord.is_le(),
                _ => ord.is_ge(),
            }))
        }
    }
}

/// `number.formula(text)`: the formula's value, a number, text or boolean.
pub(super) fn formula(args: &[Value]) -> Out {
    let src = as_text(&args[0]);
    match eval(&parse(&src)?)? {
        // A function (POWER, ROUND of a huge value) can overflow where an operator is checked.
        Val::Num(n) if !n.is_finite() => {
            Err(FormatError::new("#NUM!: the result is not a finite number"))
        }
        v => Ok(v.json()),
    }
}

#[cfg(test)]
#[path = "formula_tests.rs"]
mod tests;
