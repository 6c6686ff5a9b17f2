//! Alert conditions (`observability.alerts[].on`) as a comparison tree, read from the text
//! after unit literals are desugared (`1%` → `0.01`, `2s` → `2.0`): comparisons of a figure
//! name with a number, joined by `&&`, `||` and parentheses. That is the subset PromQL can
//! say; anything else the CEL checker accepts (`!`, arithmetic, calls) is refused with the
//! reason, and the alert is left out of the rules.

use std::collections::BTreeMap;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

impl Op {
    /// The PromQL spelling (the same as CEL's).
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }

    /// The operator with its sides swapped (`1 < x` is `x > 1`).
    fn flipped(self) -> Op {
        match self {
            Op::Lt => Op::Gt,
            Op::Le => Op::Ge,
            Op::Gt => Op::Lt,
            Op::Ge => Op::Le,
            other => other,
        }
    }

    fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Ge => a >= b,
            Op::Eq => a == b,
            Op::Ne => a != b,
        }
    }
}

/// A condition: a figure compared with a number, or conditions joined.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `figure op number`, with the figure always on the left.
    Cmp {
        /// The figure name.
        figure: String,
        /// The comparison.
        op: Op,
        /// The number compared against (ratios in 0..=1, seconds).
        value: f64,
    },
    /// Every part holds (`&&`).
    All(Vec<Condition>),
    /// Some part holds (`||`).
    Any(Vec<Condition>),
}

impl Condition {
    /// Figure names the condition reads, in order of first appearance.
    pub fn figures(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect(&self, out: &mut Vec<String>) {
        match self {
            Condition::Cmp { figure, .. } => {
                if !out.contains(figure) {
                    out.push(figure.clone());
                }
            }
            Condition::All(v) | Condition::Any(v) => v.iter().for_each(|c| c.collect(out)),
        }
    }

    /// The PromQL of the condition, `query` giving each figure's instant vector (labelled
    /// by `system`, so parts join `on(system)`).
    pub fn promql(&self, query: &dyn Fn(&str) -> String) -> String {
        match self {
            Condition::Cmp { figure, op, value } => {
                format!("{} {} {}", query(figure), op.as_str(), number(*value))
            }
            Condition::All(v) => join(v, " and on(system) ", query),
            Condition::Any(v) => join(v, " or on(system) ", query),
        }
    }

    /// Whether the condition holds on figures as Prometheus would see them: a figure with
    /// no value (no data) makes its comparison hold for nothing, as an empty vector does.
    pub fn holds(&self, figures: &BTreeMap<String, Option<f64>>) -> bool {
        match self {
            Condition::Cmp { figure, op, value } => figures
                .get(figure)
                .copied()
                .flatten()
                .is_some_and(|x| op.holds(x, *value)),
            Condition::All(v) => v.iter().all(|c| c.holds(figures)),
            Condition::Any(v) => v.iter().any(|c| c.holds(figures)),
        }
    }
}

fn join(parts: &[Condition], sep: &str, query: &dyn Fn(&str) -> String) -> String {
    parts
        .iter()
        .map(|c| match c {
            Condition::Cmp { .. } => c.promql(query),
            _ => format!("({})", c.promql(query)),
        })
        .collect::<Vec<_>>()
        .join(sep)
}

/// A number as PromQL reads it: at most nine decimals, no trailing zeros, so `0.1 / 100`
/// is written `0.001` and not its binary neighbour.
pub fn number(x: f64) -> String {
    let s = format!("{x:.9}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" {
        "0".into()
    } else {
        s.to_string()
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Num(f64),
    Op(Op),
    And,
    Or,
    Open,
    Close,
}

fn tokens(text: &str) -> Result<Vec<Tok>, String> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i] as char;
        let two = text.get(i..i + 2).unwrap_or("");
        let (tok, len) = match (c, two) {
            (c, _) if c.is_whitespace() => {
                i += 1;
                continue;
            }
            (_, "&&") => (Tok::And, 2),
            (_, "||") => (Tok::Or, 2),
            (_, "<=") => (Tok::Op(Op::Le), 2),
            (_, ">=") => (Tok::Op(Op::Ge), 2),
            (_, "==") => (Tok::Op(Op::Eq), 2),
            (_, "!=") => (Tok::Op(Op::Ne), 2),
            ('<', _) => (Tok::Op(Op::Lt), 1),
            ('>', _) => (Tok::Op(Op::Gt), 1),
            ('(', _) => (Tok::Open, 1),
            (')', _) => (Tok::Close, 1),
            (c, _) if c.is_ascii_alphabetic() || c == '_' => {
                let n = text[i..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(text.len() - i);
                (Tok::Ident(text[i..i + n].to_string()), n)
            }
            (c, _) if c.is_ascii_digit() || c == '.' => {
                let n = text[i..]
                    .find(|c: char| {
                        !(c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
                    })
                    .unwrap_or(text.len() - i);
                let v = text[i..i + n]
                    .parse()
                    .map_err(|_| format!("`{}` is not a number", &text[i..i + n]))?;
                (Tok::Num(v), n)
            }
            (c, _) => {
                return Err(format!(
                    "`{c}` has no PromQL counterpart here (only comparisons of a figure with a number, joined by && and ||)"
                ));
            }
        };
        out.push(tok);
        i += len;
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn joined(
        &mut self,
        sep: &Tok,
        part: fn(&mut Parser) -> Result<Condition, String>,
    ) -> Result<Condition, String> {
        let mut parts = vec![part(self)?];
        while self.peek() == Some(sep) {
            self.at += 1;
            parts.push(part(self)?);
        }
        Ok(match (parts.len(), sep) {
            (1, _) => parts.remove(0),
            (_, Tok::And) => Condition::All(parts),
            _ => Condition::Any(parts),
        })
    }

    fn any(&mut self) -> Result<Condition, String> {
        self.joined(&Tok::Or, Parser::all)
    }

    fn all(&mut self) -> Result<Condition, String> {
        self.joined(&Tok::And, Parser::atom)
    }

    fn atom(&mut self) -> Result<Condition, String> {
        if self.peek() == Some(&Tok::Open) {
            self.at += 1;
            let c = self.any()?;
            return match self.next() {
                Some(Tok::Close) => Ok(c),
                _ => Err("unbalanced parentheses".into()),
            };
        }
        let (left, op, right) = (self.next(), self.next(), self.next());
        match (left, op, right) {
            (Some(Tok::Ident(f)), Some(Tok::Op(op)), Some(Tok::Num(value))) => Ok(Condition::Cmp {
                figure: f,
                op,
                value,
            }),
            (Some(Tok::Num(value)), Some(Tok::Op(op)), Some(Tok::Ident(f))) => Ok(Condition::Cmp {
                figure: f,
                op: op.flipped(),
                value,
            }),
            _ => Err("only comparisons of one figure with a number (e.g. `error_rate > 1%`), joined by && and ||, become PromQL".into()),
        }
    }
}

/// Reads a desugared alert condition; the error says what PromQL cannot express.
pub fn parse(desugared: &str) -> Result<Condition, String> {
    let mut p = Parser {
        toks: tokens(desugared)?,
        at: 0,
    };
    let c = p.any()?;
    if p.at < p.toks.len() {
        return Err(
            "only comparisons of one figure with a number, joined by && and ||, become PromQL"
                .into(),
        );
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use claw_language::expr::desugar_units;

    fn q(name: &str) -> String {
        format!("F{{n=\"{name}\"}}")
    }

    #[test]
    fn conditions_become_promql() {
        let c = parse(&desugar_units(
            "notify_latency_p99 > 2s || error_rate > 0.5%",
        ))
        .unwrap();
        assert_eq!(c.figures(), vec!["notify_latency_p99", "error_rate"]);
        assert_eq!(
            c.promql(&q),
            "F{n=\"notify_latency_p99\"} > 2 or on(system) F{n=\"error_rate\"} > 0.005"
        );
        let c = parse(&desugar_units(
            "1% <= error_rate && (runs < 10 || x_p95 >= 800ms)",
        ))
        .unwrap();
        assert_eq!(
            c.promql(&q),
            "F{n=\"error_rate\"} >= 0.01 and on(system) (F{n=\"runs\"} < 10 or on(system) F{n=\"x_p95\"} >= 0.8)"
        );
        let figs: BTreeMap<String, Option<f64>> = [
            ("error_rate".to_string(), Some(0.02)),
            ("runs".into(), None),
            ("x_p95".into(), Some(1.0)),
        ]
        .into_iter()
        .collect();
        assert!(c.holds(&figs));
    }

    #[test]
    fn what_promql_cannot_say_is_refused() {
        for text in [
            "!(error_rate > 0.01)",
            "error_rate * 2 > 0.01",
            "error_rate > runs",
            "size(x) > 1",
            "(a > 1",
        ] {
            assert!(parse(text).is_err(), "{text}");
        }
        assert_eq!(number(0.1 / 100.0), "0.001");
        assert_eq!(number(14.4), "14.4");
        assert_eq!(number(10.0), "10");
    }
}
