//! Step parameters as templates compiled once at load: every `{{ }}` hole's CEL compiled, so a
//! run only evaluates them.

use claw_language::expr::{self, Compiled, ExprError};
use serde_json::Value;

/// A JSON value whose strings are templates, compiled once; rendering gives the same
/// result as [`claw_language::expr::render_value`] on the source value.
#[derive(Debug, Clone)]
pub enum Template {
    /// Holds no `{{` anywhere: rendered as is.
    Literal(Value),
    /// A string with holes (or a template error, reported when rendered, as before).
    Text(Result<Vec<TemplatePiece>, ExprError>),
    /// An array of templates.
    Array(Vec<Template>),
    /// An object of templates, in source order.
    Object(Vec<(String, Template)>),
}

/// A piece of a compiled template string.
#[derive(Debug, Clone)]
pub enum TemplatePiece {
    /// Literal text.
    Text(String),
    /// A hole's compiled expression (or why it does not compile).
    Hole(Result<Compiled, ExprError>),
}

impl Template {
    /// Compiles every string inside `v` as a template.
    pub fn compile(v: &Value) -> Template {
        if !has_hole(v) {
            return Template::Literal(v.clone());
        }
        match v {
            Value::String(s) => Template::Text(expr::template_pieces(s).map(|pieces| {
                pieces
                    .into_iter()
                    .map(|p| match p {
                        expr::Piece::Text(t) => TemplatePiece::Text(t),
                        expr::Piece::Hole(e, _) => TemplatePiece::Hole(expr::compile(&e)),
                    })
                    .collect()
            })),
            Value::Array(a) => Template::Array(a.iter().map(Template::compile).collect()),
            Value::Object(m) => Template::Object(
                m.iter()
                    .map(|(k, x)| (k.clone(), Template::compile(x)))
                    .collect(),
            ),
            other => Template::Literal(other.clone()),
        }
    }

    /// Adds (or replaces) `key` in an object template as a literal that is never rendered.
    /// Other shapes are returned unchanged.
    pub(super) fn with_literal(self, key: &str, value: Value) -> Template {
        match self {
            Template::Literal(Value::Object(mut m)) => {
                m.insert(key.to_string(), value);
                Template::Literal(Value::Object(m))
            }
            Template::Object(mut fields) => {
                fields.retain(|(k, _)| k != key);
                fields.push((key.to_string(), Template::Literal(value)));
                Template::Object(fields)
            }
            other => other,
        }
    }

    /// Renders against `scope`. A string that is exactly one hole keeps the value's type.
    pub fn render(&self, scope: &Value) -> Result<Value, ExprError> {
        Ok(match self {
            Template::Literal(v) => v.clone(),
            Template::Text(pieces) => {
                let pieces = pieces.as_ref().map_err(Clone::clone)?;
                if let [TemplatePiece::Hole(c)] = pieces.as_slice() {
                    return c.as_ref().map_err(Clone::clone)?.eval(scope);
                }
                let mut out = String::new();
                for p in pieces {
                    match p {
                        TemplatePiece::Text(t) => out.push_str(t),
                        TemplatePiece::Hole(c) => {
                            match c.as_ref().map_err(Clone::clone)?.eval(scope)? {
                                Value::String(s) => out.push_str(&s),
                                Value::Null => {}
                                other => out.push_str(&other.to_string()),
                            }
                        }
                    }
                }
                Value::String(out)
            }
            Template::Array(a) => Value::Array(
                a.iter()
                    .map(|t| t.render(scope))
                    .collect::<Result<_, _>>()?,
            ),
            Template::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, t)| Ok((k.clone(), t.render(scope)?)))
                    .collect::<Result<_, ExprError>>()?,
            ),
        })
    }
}

/// Whether any string inside `v` contains `{{` (a hole or an escaped `\{{`).
fn has_hole(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains("{{"),
        Value::Array(a) => a.iter().any(has_hole),
        Value::Object(m) => m.values().any(has_hole),
        _ => false,
    }
}
