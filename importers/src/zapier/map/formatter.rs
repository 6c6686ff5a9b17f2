//! Formatter by Zapier steps → pure `format.value` / `format.fields` steps whose `value` calls a
//! formatter function (`text.*`, `number.*`, `date.*`, `util.*`, docs/language.md).
//!
//! The transform is read from `params.transform` (`string.titlecase`, or `titlecase` with the
//! category in the action key `string`), or from an action key that is the whole transform
//! (`string.replace`); its input from `params.inputs`; its options from `params.options` or, as
//! Zapier's Formatter service receives them, from the other params. Every option of a mapped
//! transform is translated; an unknown transform, an unknown option with a value, or a value
//! the function cannot take keeps the step as `unported.*` with a finding, never a guess.

use super::Mapper;
use crate::findings::Finding;
use crate::zapier::codes;
use crate::zapier::model::Node;
use crate::zapier::refs::{self as syntax, Piece, cel_string, is_ident};
use claw_language::Execution;
use claw_language::format::expand_special;
use serde_json::{Map, Value};

/// Params that are not options of the transform.
const NOT_OPTIONS: &[&str] = &[
    "transform",
    "inputs",
    "options",
    "category",
    "authentication_id",
    "transform_help",
];

/// Zapier meta fields that mean the time the Zap ran: the run's own time here.
const NOW_FIELDS: &[&str] = &[
    "zap_meta_human_now",
    "zap_meta_utc_iso",
    "zap_meta_timestamp",
    "zap_meta_now",
];

/// Why a Formatter step stays unported.
pub(super) enum Refusal {
    /// The transform has no mapping.
    Transform(String),
    /// An option is unknown, or its value cannot be translated.
    Option(String),
}

/// A transform's translation: the expression, and whether it gives several fields.
pub(super) struct Mapped {
    pub(super) expr: String,
    pub(super) fields: bool,
}

/// The transform key (`category.name`) a Formatter node names, if any.
pub(super) fn transform_key(n: &Node) -> Option<String> {
    let category = |c: &str| match c.to_ascii_lowercase().as_str() {
        "text" | "string" => "string".to_string(),
        "numbers" | "number" => "number".to_string(),
        "date" | "datetime" | "date_time" => "date".to_string(),
        "utilities" | "utils" | "util" => "util".to_string(),
        other => other.to_string(),
    };
    let join = |c: &str, t: &str| format!("{}.{}", category(c), t.trim().to_ascii_lowercase());
    let action = n.action().trim();
    match n.param("transform").and_then(Value::as_str).map(str::trim) {
        Some(t) if t.contains('.') => t.split_once('.').map(|(c, t)| join(c, t)),
        Some(t) if !t.is_empty() => {
            let cat = action.split('.').next().unwrap_or(action);
            Some(join(cat, t))
        }
        _ => action.split_once('.').map(|(c, t)| join(c, t)),
    }
}

/// A Formatter step's options: its params other than the transform, the inputs and Zapier's
/// own fields, with those under `params.options` added (Zapier's Formatter service receives
/// them either way).
pub(super) fn options_of(params: &Map<String, Value>) -> Map<String, Value> {
    let mut options: Map<String, Value> = params
        .iter()
        .filter(|(k, _)| !NOT_OPTIONS.contains(&k.as_str()) && !k.starts_with("_zap"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let Some(Value::Object(o)) = params.get("options") {
        options.extend(o.clone());
    }
    options
}

/// An option left empty in Zapier's editor: never a reason to refuse a mapping.
pub(super) fn blank(v: &Value) -> bool {
    v.is_null() || v.as_str().is_some_and(|s| s.trim().is_empty())
}

/// A CEL literal that can sit inside a `{{ }}` hole (a `}}` in the text would close it).
pub(super) fn lit(s: &str) -> String {
    cel_string(s).replace("}}", "}\\u007d")
}

impl Mapper<'_> {
    /// Maps the Formatter step at node `i` into `x`. False when it stays unported (the
    /// finding is noted and `x.action` set); the caller then keeps the params as they are.
    pub(super) fn formatter(&mut self, i: usize, n: &Node, x: &mut Execution) -> bool {
        let name = self.names[i].clone();
        let key = transform_key(n);
        let params = n.params.clone().unwrap_or_default();
        let options = options_of(&params);
        let input = params.get("inputs").cloned().unwrap_or(Value::Null);
        let result = match &key {
            Some(k) => self.translate(i, k, &input, &options),
            None => Err(Refusal::Transform(
                "the export names no transform (no `transform` param, and the action key is not `category.transform`)".into(),
            )),
        };
        let key = key.unwrap_or_else(|| "unknown".into());
        match result {
            Ok(m) => {
                x.action = if m.fields {
                    "format.fields"
                } else {
                    "format.value"
                }
                .into();
                x.with.insert(
                    "value".into(),
                    Value::String(format!("{{{{ {} }}}}", m.expr)),
                );
                self.note_once(
                    codes::FORMATTER_MAPPED.id,
                    Finding::info(
                        codes::FORMATTER_MAPPED.id,
                        format!("Formatter step `{name}` ({key}) became `{}` computing `{}`; the transform and its options were read from `params` (transform key, `inputs`, options flat or under `options`), a shape inferred from Zapier's Formatter service since no export with Formatter params has been seen", x.action, m.expr),
                        self.origin(Some(i)),
                    )
                    .at_path(format!("/execution/{name}")),
                );
                true
            }
            Err(why) => {
                // The name every unported built-in gets: `unported.<app>.<action>`.
                x.action = format!(
                    "unported.{}.{}",
                    crate::zapier::apps::adapter(n.app()),
                    crate::zapier::apps::operation(n.action())
                );
                let (code, msg, help) = match why {
                    Refusal::Transform(w) => (
                        codes::FORMATTER_UNSUPPORTED,
                        format!(
                            "Formatter step `{name}` ({key}) is kept as `{}`: {w}",
                            x.action
                        ),
                        codes::FORMATTER_UNSUPPORTED.fix,
                    ),
                    Refusal::Option(w) => (
                        codes::FORMATTER_OPTION,
                        format!(
                            "Formatter step `{name}` ({key}) is kept as `{}`: {w}",
                            x.action
                        ),
                        codes::FORMATTER_OPTION.fix,
                    ),
                };
                self.note(
                    Finding::warning(code.id, msg, self.origin(Some(i)))
                        .at_path(format!("/execution/{name}"))
                        .with_help(help),
                );
                false
            }
        }
    }

    /// The expression for transform `key` with its input and options.
    fn translate(
        &mut self,
        at: usize,
        key: &str,
        input: &Value,
        options: &Map<String, Value>,
    ) -> Result<Mapped, Refusal> {
        let (function, read) =
            spec(key).ok_or_else(|| Refusal::Transform(unsupported_reason(key)))?;
        for (k, v) in options {
            if !read.contains(&k.as_str()) && !blank(v) {
                return Err(Refusal::Option(format!(
                    "option `{k}` is not one `{key}` has; running without it could give another result"
                )));
            }
        }
        let opt = |k: &str| options.get(k).filter(|v| !v.is_null()).cloned();
        // Separators, find and replace texts take Zapier's `[:space:]`-style groups.
        let special = |k: &str| {
            matches!(
                (key, k),
                ("string.replace", "old" | "new")
                    | ("string.split", "separator")
                    | (_, "separator")
                    | ("string.default_value_v2", "default_value")
            )
        };
        let arg =
            |m: &mut Self, k: &str| -> Option<String> { opt(k).map(|v| m.arg(at, &v, special(k))) };
        if let Some(done) = self.translate_extra(at, key, input, options) {
            return done;
        }
        let i = self.arg(at, input, false);
        let expr = match key {
            "string.split" => return self.split(at, &i, options),
            "string.re_extract" => {
                let p = opt("pattern").unwrap_or(Value::String(String::new()));
                if let Some(text) = p.as_str().filter(|t| !t.contains("{{"))
                    && let Err(e) = regex::Regex::new(text)
                {
                    return Err(Refusal::Option(format!(
                        "the pattern `{text}` (Python syntax) is not one the runtime's regular expressions read: {e}"
                    )));
                }
                let p = self.arg(at, &p, false);
                return Ok(Mapped {
                    expr: format!("text.extractPattern({i}, {p})"),
                    fields: true,
                });
            }
            "number.math" => {
                let op = arg(self, "operation").unwrap_or_else(|| lit(""));
                let list = self.list_arg(at, input);
                format!("number.math({op}, {list})")
            }
            "util.choose" => {
                let list = self.list_arg(at, input);
                let default = arg(self, "default").unwrap_or_else(|| "null".into());
                if opt("operation")
                    .and_then(|v| v.as_str().map(str::to_string))
                    .as_deref()
                    == Some("random")
                {
                    let seed = format!("trigger.run_id + ':{}'", self.names[at]);
                    format!("util.pickRandom({list}, {seed}, {default})")
                } else {
                    let op = arg(self, "operation").unwrap_or_else(|| lit("first"));
                    format!("util.pick({list}, {op}, {default})")
                }
            }
            _ => {
                // Options in the function's order; a missing one before a given one is empty.
                let mut args: Vec<String> = read
                    .iter()
                    .map(|k| arg(self, k).unwrap_or_default())
                    .collect();
                while args.last().is_some_and(String::is_empty) {
                    args.pop();
                }
                let args: Vec<String> = args
                    .into_iter()
                    .map(|a| if a.is_empty() { "null".into() } else { a })
                    .collect();
                let mut all = vec![i];
                all.extend(args);
                // A required option the export leaves out is empty, as in Zapier.
                let least = claw_language::format::function(function)
                    .and_then(|f| f.arities.iter().min().copied())
                    .unwrap_or(1);
                while all.len() < least {
                    all.push("null".into());
                }
                format!("{function}({})", all.join(", "))
            }
        };
        Ok(Mapped {
            expr,
            fields: key == "util.lineitem_to_string_v2",
        })
    }

    /// `string.split`: the segment index decides the function (an index, `all`, `fields`).
    fn split(
        &mut self,
        at: usize,
        input: &str,
        options: &Map<String, Value>,
    ) -> Result<Mapped, Refusal> {
        let sep = options
            .get("separator")
            .map(|v| self.arg(at, v, true))
            .unwrap_or_else(|| lit(""));
        let index = match options.get("index") {
            None | Some(Value::Null) => "0".to_string(),
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) => s.trim().to_string(),
            Some(other) => other.to_string(),
        };
        match index.as_str() {
            "all" => Ok(Mapped {
                expr: format!("text.split({input}, {sep})"),
                fields: false,
            }),
            "fields" => Ok(Mapped {
                expr: format!("text.splitFields({input}, {sep})"),
                fields: true,
            }),
            "" => Ok(Mapped {
                expr: format!("text.segment({input}, {sep}, 0)"),
                fields: false,
            }),
            i if i.parse::<i64>().is_ok() => Ok(Mapped {
                expr: format!("text.segment({input}, {sep}, {i})"),
                fields: false,
            }),
            other => Err(Refusal::Option(format!(
                "the segment index `{other}` is not a number, `all` or `fields`"
            ))),
        }
    }

    /// A param value as a CEL expression, with no `[:space:]`-style groups expanded.
    pub(super) fn formatter_arg(&mut self, at: usize, v: &Value) -> String {
        self.arg(at, v, false)
    }

    /// A list argument (the inputs of math and pick): a JSON list item by item, or one value.
    fn list_arg(&mut self, at: usize, v: &Value) -> String {
        match v {
            Value::Array(_) => self.arg(at, v, false),
            other => format!("[{}]", self.arg(at, other, false)),
        }
    }

    /// A param value as a CEL expression. Text with references becomes the references (a
    /// missing field reads as "", as Zapier renders it) joined to the literal text; `special`
    /// expands Zapier's `[:space:]`-style groups in the literal text.
    fn arg(&mut self, at: usize, v: &Value, special: bool) -> String {
        match v {
            Value::String(s) => self.text_arg(at, s, special),
            Value::Array(a) => {
                let items: Vec<String> = a.iter().map(|x| self.arg(at, x, special)).collect();
                format!("[{}]", items.join(", "))
            }
            Value::Object(m) => {
                let entries: Vec<String> = m
                    .iter()
                    .map(|(k, x)| format!("{}: {}", lit(k), self.arg(at, x, special)))
                    .collect();
                // Spaces inside the braces: `}}` would close the template hole.
                format!("{{ {} }}", entries.join(", "))
            }
            Value::Null => "null".into(),
            other => other.to_string(),
        }
    }

    fn text_arg(&mut self, at: usize, s: &str, special: bool) -> String {
        let literal = |t: &str| {
            lit(&if special {
                expand_special(t)
            } else {
                t.to_string()
            })
        };
        if !s.contains("{{") {
            return literal(s);
        }
        let mut parts: Vec<(String, bool)> = Vec::new();
        for p in syntax::scan(s) {
            match p {
                Piece::Text(t) => {
                    // Zapier's time-of-run fields (`{{zap_meta_human_now}}`): the run's own time.
                    let mut rest = t.as_str();
                    while let Some(start) = rest.find("{{") {
                        let Some(len) = rest[start..].find("}}") else {
                            break;
                        };
                        let end = start + len + 2;
                        if !rest[..start].is_empty() {
                            parts.push((literal(&rest[..start]), false));
                        }
                        if NOW_FIELDS.contains(&rest[start + 2..end - 2].trim()) {
                            parts.push(("trigger.received_at".into(), true));
                        } else {
                            parts.push((literal(&rest[start..end]), false));
                        }
                        rest = &rest[end..];
                    }
                    if !rest.is_empty() {
                        parts.push((literal(rest), false));
                    }
                }
                Piece::Ref(r, raw) => match self.target(at, &r) {
                    Ok(t) => {
                        self.track_root(at, &r);
                        parts.push((optional_read(&t, &r.fields), true));
                    }
                    Err(why) => {
                        self.note(
                            Finding::warning(codes::DANGLING_REFERENCE.id, format!("Formatter input {raw}: {why}; the reference is kept as literal text"), self.origin(Some(at)))
                                .at_path(self.item_path(at))
                                .with_help("map the value to a field of a step that runs before this one"),
                        );
                        parts.push((literal(&raw), false));
                    }
                },
                Piece::Opaque(raw) => {
                    self.note(
                        Finding::warning(codes::FORMULA_UNPORTED.id, format!("Formatter input holds the Zapier formula {raw}, which has no translation; it is kept as literal text"), self.origin(Some(at)))
                            .at_path(self.item_path(at))
                            .with_help("rewrite it as a CEL template hole, e.g. `{{ steps.x.output.field }}`"),
                    );
                    parts.push((literal(&raw), false));
                }
            }
        }
        match parts.as_slice() {
            [] => lit(""),
            [(one, _)] => one.clone(),
            many => many
                .iter()
                .map(|(e, is_ref)| {
                    if *is_ref {
                        format!("string({e})")
                    } else {
                        e.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(" + "),
        }
    }
}

/// A field read that gives "" when the field is absent (`payload.?a.?b.orValue('')`).
fn optional_read(target: &super::refs::Target, fields: &[String]) -> String {
    let mut out = match target {
        super::refs::Target::Trigger => "payload".to_string(),
        super::refs::Target::Step(s) => {
            let mut b = String::from("steps");
            if is_ident(s) {
                b.push('.');
                b.push_str(s);
            } else {
                b.push_str(&format!("[{}]", cel_string(s)));
            }
            b.push_str(".output");
            b
        }
    };
    if fields.is_empty() {
        return out;
    }
    for f in fields {
        if is_ident(f) {
            out.push_str(".?");
            out.push_str(f);
        } else {
            out.push_str(&format!("[?{}]", lit(f)));
        }
    }
    out.push_str(".orValue('')");
    out
}

/// The formatter function a transform maps to, and the options it reads, in argument order.
fn spec(key: &str) -> Option<(&'static str, &'static [&'static str])> {
    Some(match key {
        "string.capitalize" => ("text.capitalize", &[]),
        "string.titlecase" => ("text.titlecase", &[]),
        "string.upper_case" => ("text.upper", &[]),
        "string.lower_case" => ("text.lower", &[]),
        "string.trim_space" => ("text.trim", &[]),
        "string.word_count" => ("text.wordCount", &[]),
        "string.strip_html" => ("text.stripHtml", &[]),
        "string.encode_ascii" => ("text.toAscii", &[]),
        "string.pluralize" => ("text.pluralize", &[]),
        "string.email_extract" => ("text.extractEmail", &[]),
        "string.url_extract" => ("text.extractUrl", &[]),
        "string.number_extract" => ("text.extractNumber", &[]),
        "string.phone_extract" => ("text.extractPhone", &["regex"]),
        "string.re_extract" => ("text.extractPattern", &["pattern"]),
        "string.find" => ("text.find", &["find", "offset"]),
        "string.replace" => ("text.replace", &["old", "new"]),
        "string.truncate" => (
            "text.truncate",
            &["max_length", "offset", "append_ellipsis"],
        ),
        "string.length" => ("text.length", &["ignore_whitespace"]),
        "string.default_value" | "string.default_value_v2" => ("text.default", &["default_value"]),
        "string.url_encode" => ("text.urlEncode", &["use_plus"]),
        "string.url_decode" => ("text.urlDecode", &["use_plus"]),
        "string.split" => ("text.split", &["separator", "index"]),
        "number.formatting" => ("number.format", &["input_decimal_mark", "output_format"]),
        "number.currency" => (
            "number.currency",
            &["currency", "currency_locale", "currency_format"],
        ),
        "number.math" => ("number.math", &["operation"]),
        "date.formatting" => (
            "date.format",
            &["to_format", "to_timezone", "from_format", "from_timezone"],
        ),
        "date.manipulate" => ("date.add", &["expression", "to_format", "from_format"]),
        "util.lookup" => ("util.lookup", &["table", "fallback"]),
        "util.choose" => ("util.pick", &["operation", "default"]),
        "util.lineitem_to_string" => ("util.lineItemsToText", &["separator"]),
        "util.lineitem_to_string_v2" => ("util.lineItemsToFields", &["separator"]),
        "util.string_to_lineitem" => ("util.textToLineItems", &[]),
        "util.append" => ("util.appendLineItem", &["append_text"]),
        _ => return super::formatter_extra::spec(key),
    })
}

/// Why a transform the importer knows of is not mapped (yet), or that it is unknown.
fn unsupported_reason(key: &str) -> String {
    match key {
        "util.import_csv" => "Import CSV is written as an `http.get` step and a `util.parseCsv` step only when its params are `inputs` (the file's URL), `has_header` and `delimiter`; these hold other options".into(),
        "string.superhero" => "the superhero-name transform is a joke with no equivalent".into(),
        other => format!("`{other}` is not a Formatter transform the importer knows"),
    }
}
