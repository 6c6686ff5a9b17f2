//! Formatter functions: the CEL extension library (`text.*`, `number.*`, `date.*`, `util.*`)
//! that gives every `.claw` expression what Formatter by Zapier's transforms do.
//!
//! Registered once, in the language's CEL environment ([`crate::expr`]), so they work wherever
//! an expression does: template holes, conditions, keys. Every function is pure: no clock (a
//! date is parsed from its input, never "now"), no randomness (`number.random` and
//! `util.pickRandom` take their seed as an argument), no I/O. [`FUNCTIONS`] is the one list of
//! names and arities; the expression compiler checks calls against it and
//! `language/tests/docs.rs` checks docs/language.md documents each one.
//!
//! Inputs are read as Zapier reads them: a value that is not text is used as its text
//! (`null` is empty), and a list or map given where one text is expected is transformed item by
//! item, as Zapier does with line items.

mod currency;
mod date;
mod date_compare;
mod date_tokens;
mod extract;
mod formula;
mod formula_fns;
mod items;
mod markup;
mod number;
mod pattern;
mod phone;
mod plural;
mod text;
mod titlecase;
mod util;

use cel::common::types::DYN_TYPE;
use cel::common::value::{CowVal, Val};
use cel::{ExecutionError, Value as CelValue};
use serde_json::Value;

/// A formatter function refused its input (a date it cannot parse, a bad pattern).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FormatError(pub String);

impl FormatError {
    pub(crate) fn new(m: impl Into<String>) -> Self {
        FormatError(m.into())
    }
}

/// What a formatter function gives back.
pub type Out = Result<Value, FormatError>;

/// One function of the library: its qualified name, the argument counts it accepts, and the
/// Zapier transform it mirrors (`string.titlecase`), empty for our own additions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Function {
    /// Qualified name, e.g. `text.titlecase`.
    pub name: &'static str,
    /// Accepted argument counts.
    pub arities: &'static [usize],
    /// The Formatter by Zapier transform key it mirrors, or "" for a function of ours.
    pub zapier: &'static str,
}

/// The namespaces the library defines.
pub const NAMESPACES: &[&str] = &["text", "number", "date", "util"];

/// Declares the library: the [`FUNCTIONS`] table and the registration of one CEL overload per
/// accepted argument count, each calling the Rust implementation through [`bridge`].
macro_rules! library {
    ($( $name:literal [$($n:literal),+] $zapier:literal => $imp:path; )*) => {
        /// Every function of the library, in documentation order.
        pub const FUNCTIONS: &[Function] = &[
            $( Function { name: $name, arities: &[$($n),+], zapier: $zapier }, )*
        ];

        /// Registers every function of the library in `env`.
        pub fn register(env: &mut cel::Env) -> Result<(), cel::DeclarationError> {
            $( {
                fn call<'b, 'v>(
                    args: Vec<CowVal<'b, 'v>>,
                ) -> Result<CowVal<'b, 'v>, ExecutionError> {
                    bridge($name, &args, $imp)
                }
                for n in [$($n),+] {
                    env.add_overload($name, &format!("{}/{n}", $name), (0..n).map(|_| DYN_TYPE).collect(), call)?;
                }
            } )*
            Ok(())
        }
    };
}

library! {
    "text.capitalize" [1] "string.capitalize" => text::capitalize;
    "text.titlecase" [1] "string.titlecase" => text::titlecase;
    "text.upper" [1] "string.upper_case" => text::upper;
    "text.lower" [1] "string.lower_case" => text::lower;
    "text.trim" [1] "string.trim_space" => text::trim;
    "text.find" [2, 3] "string.find" => text::find;
    "text.replace" [3] "string.replace" => text::replace;
    "text.replaceRegex" [3] "" => text::replace_regex;
    "text.split" [2] "string.split" => text::split;
    "text.segment" [3] "string.split" => text::segment;
    "text.splitFields" [2] "string.split" => text::split_fields;
    "text.truncate" [2, 3, 4] "string.truncate" => text::truncate;
    "text.wordCount" [1] "string.word_count" => text::word_count;
    "text.length" [1, 2] "string.length" => text::length;
    "text.default" [2] "string.default_value" => text::default_value;
    "text.urlEncode" [1, 2] "string.url_encode" => text::url_encode;
    "text.urlDecode" [1, 2] "string.url_decode" => text::url_decode;
    "text.stripHtml" [1] "string.strip_html" => text::strip_html;
    "text.toAscii" [1] "string.encode_ascii" => text::to_ascii;
    "text.pluralize" [1] "string.pluralize" => text::pluralize;
    "text.extractEmail" [1] "string.email_extract" => extract::email;
    "text.extractUrl" [1] "string.url_extract" => extract::url;
    "text.extractNumber" [1] "string.number_extract" => extract::number;
    "text.extractPhone" [1, 2] "string.phone_extract" => extract::phone;
    "text.extractPattern" [2] "string.re_extract" => extract::pattern;
    "text.markdownToHtml" [1] "string.markdown" => markup::markdown_to_html;
    "text.htmlToMarkdown" [1] "string.htmlmarkdown" => markup::html_to_markdown;
    "number.format" [3] "number.formatting" => number::format;
    "number.currency" [2, 3, 4] "number.currency" => currency::format;
    "number.math" [2] "number.math" => number::math;
    "number.random" [3, 4] "number.random_number" => number::random;
    "number.phone" [1, 2, 3] "number.phone" => phone::phone;
    "number.formula" [1] "number.spreadsheet_formula" => formula::formula;
    "date.format" [2, 3, 4, 5] "date.formatting" => date::format;
    "date.add" [3, 4] "date.manipulate" => date::add;
    "date.compare" [2, 3, 4] "date.compare" => date_compare::compare;
    "util.lookup" [2, 3] "util.lookup" => util::lookup;
    "util.pick" [2, 3] "util.choose" => util::pick;
    "util.pickRandom" [2, 3] "util.choose" => util::pick_random;
    "util.lineItemsToText" [1, 2] "util.lineitem_to_string" => util::to_text;
    "util.lineItemsToFields" [1, 2] "util.lineitem_to_string_v2" => util::to_fields;
    "util.textToLineItems" [1, 2] "util.string_to_lineitem" => util::from_text;
    "util.appendLineItem" [2] "util.append" => util::append;
    "util.lineItemize" [1, 2] "util.line_itemizer" => items::line_itemize;
    "util.parseCsv" [1, 2, 3] "util.import_csv" => items::parse_csv;
}

/// The function of that qualified name.
pub fn function(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// Calls a Rust implementation with the CEL arguments as JSON, and turns its answer (or its
/// refusal, named after the function) back into a CEL value.
fn bridge<'b, 'v>(
    name: &str,
    args: &[CowVal<'b, 'v>],
    imp: fn(&[Value]) -> Out,
) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let json = args
        .iter()
        .map(|a| {
            let v = CelValue::try_from(a.as_ref())?;
            v.json()
                .map_err(|e| ExecutionError::function_error(name, e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let out = imp(&json).map_err(|e| ExecutionError::function_error(name, e.0))?;
    Ok(CowVal::from(to_val(&out)))
}

/// A JSON value as a CEL value, directly: going through `cel::to_value` and then the boxed
/// form built every map twice, which was most of the cost of a function returning line items.
/// Numbers keep the types serde gives them there (non-negative integers `uint`, negative ones
/// `int`, the rest `double`), so expressions see the same values either way.
fn to_val(v: &Value) -> Box<dyn Val> {
    use cel::common::types::{
        CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString, CelUInt,
    };
    match v {
        Value::Null => Box::new(CelNull),
        Value::Bool(b) => Box::new(CelBool::from(*b)),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Box::new(CelUInt::from(u)),
            (None, Some(i)) => Box::new(CelInt::from(i)),
            _ => Box::new(CelDouble::from(n.as_f64().unwrap_or(f64::NAN))),
        },
        Value::String(s) => Box::new(CelString::from(s.clone())),
        Value::Array(items) => {
            Box::new(CelList::from(items.iter().map(to_val).collect::<Vec<_>>()))
        }
        Value::Object(m) => Box::new(CelMap::from(
            m.iter()
                .map(|(k, v)| (CelMapKey::from(k.clone()), to_val(v)))
                .collect::<std::collections::HashMap<_, _>>(),
        )),
    }
}

/// The text Zapier would see for a value: strings as they are, `null` as nothing, numbers and
/// booleans as written in JSON, lists and maps as JSON.
pub(crate) fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Zapier's `transform_many`: a list or map input is transformed item by item (keeping its
/// shape); anything else is transformed as one text.
pub(crate) fn each(v: &Value, f: &dyn Fn(&str) -> Out) -> Out {
    match v {
        Value::Array(items) => Ok(Value::Array(
            items
                .iter()
                .map(|x| f(&as_text(x)))
                .collect::<Result<_, _>>()?,
        )),
        Value::Object(m) => Ok(Value::Object(
            m.iter()
                .map(|(k, x)| Ok((k.clone(), f(&as_text(x))?)))
                .collect::<Result<_, FormatError>>()?,
        )),
        other => f(&as_text(other)),
    }
}

/// Argument `i` as text, or "" when absent.
pub(crate) fn text_arg(args: &[Value], i: usize) -> String {
    args.get(i).map(as_text).unwrap_or_default()
}

/// Argument `i` as a boolean the way Zapier's checkboxes arrive: `true`, or text such as
/// "true", "yes", "1"; absent is false.
pub(crate) fn flag_arg(args: &[Value], i: usize) -> bool {
    match args.get(i) {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => matches!(
            s.trim().to_ascii_lowercase().as_str(),
            "true" | "yes" | "1" | "on"
        ),
        _ => false,
    }
}

/// Argument `i` as a whole number (text such as "12" included); `default` when absent or
/// empty, an error when it is something else.
pub(crate) fn int_arg(
    args: &[Value],
    i: usize,
    what: &str,
    default: i64,
) -> Result<i64, FormatError> {
    match args.get(i) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .ok_or_else(|| FormatError::new(format!("{what} must be a whole number, not {n}"))),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(default),
        Some(Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .map_err(|_| FormatError::new(format!("{what} must be a whole number, not `{s}`"))),
        Some(other) => Err(FormatError::new(format!(
            "{what} must be a whole number, not {other}"
        ))),
    }
}

/// Zapier's special character groups in find, replace, split and separator fields:
/// `[:space:]`, `[:tab:]`, `[:newline:]`, `[:return:]` and their one-letter forms.
pub fn expand_special(s: &str) -> String {
    if !s.contains("[:") {
        return s.to_string();
    }
    const GROUPS: &[(&str, &str)] = &[
        ("[:space:]", " "),
        ("[:s:]", " "),
        ("[:tab:]", "\t"),
        ("[:t:]", "\t"),
        ("[:newline:]", "\n"),
        ("[:n:]", "\n"),
        ("[:return:]", "\r"),
        ("[:r:]", "\r"),
    ];
    GROUPS
        .iter()
        .fold(s.to_string(), |acc, (k, v)| acc.replace(k, v))
}

#[cfg(test)]
pub(crate) mod testing {
    //! Evaluates expressions through the real CEL environment, as templates do.
    use serde_json::{Value, json};

    /// Evaluates `expr` with an empty scope.
    pub fn eval(expr: &str) -> Value {
        eval_in(expr, &json!({}))
    }

    /// Evaluates `expr` over `scope`.
    pub fn eval_in(expr: &str, scope: &Value) -> Value {
        match crate::expr::compile(expr).and_then(|c| c.eval(scope)) {
            Ok(v) => v,
            Err(e) => panic!("`{expr}`: {}", e.message),
        }
    }

    /// `s` as a CEL string literal (JSON's escapes are CEL's).
    pub fn quote(s: &str) -> String {
        Value::String(s.to_string()).to_string()
    }

    /// The error evaluating `expr` gives.
    pub fn error(expr: &str) -> String {
        match crate::expr::compile(expr).and_then(|c| c.eval(&json!({}))) {
            Ok(v) => panic!("`{expr}` gave {v}, expected an error"),
            Err(e) => e.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::eval;
    use super::*;
    use serde_json::json;

    /// The direct conversion gives the values the serde route (`cel::to_value`) gave.
    #[test]
    fn json_becomes_the_same_cel_values_as_through_serde() {
        let v = json!({"n": 3, "neg": -2, "f": 1.5, "s": "x", "b": true, "z": null,
            "items": [{"sku": "A", "qty": 2}, [1, "two"]], "": {}});
        let direct = CelValue::try_from(&*to_val(&v)).unwrap();
        let serde = cel::to_value(&v).unwrap();
        assert_eq!(direct, serde);
    }

    #[test]
    fn every_function_is_callable_with_each_arity() {
        let mut env = cel::Env::stdlib();
        register(&mut env).unwrap();
        for f in FUNCTIONS {
            assert!(
                f.name
                    .split_once('.')
                    .is_some_and(|(ns, _)| NAMESPACES.contains(&ns))
            );
            assert!(!f.arities.is_empty(), "{}", f.name);
        }
    }

    /// Zapier's special character groups (documented in the help text of every find, replace
    /// and split field: https://zapier.com/help/create/format/modify-text-formats-in-zaps).
    #[test]
    fn special_groups() {
        assert_eq!(expand_special("a[:space:]b[:n:]c[:tab:]"), "a b\nc\t");
        assert_eq!(expand_special("plain"), "plain");
    }

    /// A list input is transformed item by item, as Zapier does with line items.
    #[test]
    fn lists_are_mapped() {
        assert_eq!(eval("text.upper(['a', 'b'])"), json!(["A", "B"]));
        assert_eq!(eval("text.upper(null)"), json!(""));
        assert_eq!(eval("text.upper(12)"), json!("12"));
    }

    /// A variable named like a namespace keeps working: the qualified function wins only for
    /// the names the library defines.
    #[test]
    fn namespaces_do_not_hide_variables() {
        let v = super::testing::eval_in(
            "text.startsWith('he') && text.upper(text) == 'HELLO'",
            &json!({"text": "hello"}),
        );
        assert_eq!(v, json!(true));
    }
}
