//! The Formatter transforms added after the first slice: Markdown ↔ HTML, phone numbers,
//! spreadsheet formulas, random numbers, date comparison and the line itemizer. Each needs
//! either only a [`spec`] row (the function and its options in argument order) or, where the
//! arguments are not "input, then options", its own translation in [`Mapper::translate_extra`].
//!
//! Their option names are inferred like the rest of the Formatter mapping (no export with
//! Formatter params has been seen): a name the importer does not know keeps the step
//! unported with `formatter_option`, so a wrong guess is reported, never run.

use super::Mapper;
use super::formatter::{Mapped, Refusal, blank, lit, options_of, transform_key};
use crate::findings::Finding;
use crate::zapier::apps::Kind;
use crate::zapier::codes;
use claw_language::{Execution, System};
use serde_json::{Map, Value};

/// The options Import CSV is mapped with; any other with a value keeps it unported.
const CSV_OPTIONS: &[&str] = &["has_header", "delimiter"];

/// The formatter function a transform of this slice maps to, and the options it reads.
pub(super) fn spec(key: &str) -> Option<(&'static str, &'static [&'static str])> {
    Some(match key {
        "string.markdown" => ("text.markdownToHtml", &[]),
        "string.htmlmarkdown" => ("text.htmlToMarkdown", &[]),
        "number.phone" => ("number.phone", &["format_string", "default_region"]),
        "number.spreadsheet_formula" | "number.spreadsheet" => ("number.formula", &[]),
        "number.random_number" | "number.random" => (
            "number.random",
            &["lower_range", "upper_range", "decimal_points"],
        ),
        "date.compare" => (
            "date.compare",
            &["start_date", "end_date", "from_format", "from_timezone"],
        ),
        "util.line_itemizer" => ("util.lineItemize", &["group_name"]),
        _ => return None,
    })
}

impl Mapper<'_> {
    /// The translation of a transform of this slice whose arguments are not "input, then
    /// options in order"; None for the others.
    pub(super) fn translate_extra(
        &mut self,
        at: usize,
        key: &str,
        input: &Value,
        options: &Map<String, Value>,
    ) -> Option<Result<Mapped, Refusal>> {
        let opt = |m: &mut Self, k: &str| {
            options
                .get(k)
                .filter(|v| !v.is_null())
                .map(|v| m.formatter_arg(at, v))
        };
        Some(Ok(match key {
            // Zapier picks anew on every run; here the run id fixes the pick, so a replay of
            // the run gives the same number (`util.pickRandom` does the same).
            "number.random_number" | "number.random" => {
                let lo = opt(self, "lower_range").unwrap_or_else(|| "0".into());
                let hi = opt(self, "upper_range").unwrap_or_else(|| "100".into());
                let dp = opt(self, "decimal_points").unwrap_or_else(|| "0".into());
                let seed = format!("trigger.run_id + ':{}'", self.names[at]);
                Mapped {
                    expr: format!("number.random({seed}, {lo}, {hi}, {dp})"),
                    fields: false,
                }
            }
            "date.compare" => {
                let start = match opt(self, "start_date") {
                    Some(s) => s,
                    None => self.formatter_arg(at, input),
                };
                let end = opt(self, "end_date").unwrap_or_else(|| lit(""));
                let from = opt(self, "from_format").unwrap_or_else(|| lit(""));
                let zone = opt(self, "from_timezone").unwrap_or_else(|| lit(""));
                Mapped {
                    expr: format!("date.compare({start}, {end}, {from}, {zone})"),
                    fields: true,
                }
            }
            "util.line_itemizer" => {
                if !input.is_object() {
                    return Some(Err(Refusal::Option(
                        "the line-item properties (`inputs`) are not a map of property names to values".into(),
                    )));
                }
                let props = self.formatter_arg(at, input);
                let group = opt(self, "group_name").unwrap_or_else(|| lit(""));
                Mapped {
                    expr: format!("util.lineItemize({props}, {group})"),
                    fields: true,
                }
            }
            _ => return None,
        }))
    }
}

impl Mapper<'_> {
    /// Import CSV (`util.import_csv`) as two steps: an `http.get` of the file's URL (the
    /// download, an effect, never inside a formatter function), then a `format.fields` step of
    /// the Zapier step's name parsing the body with `util.parseCsv`, so `{{N__line_items}}`
    /// still reads the rows. None when node `i` is not such a step or has options this mapping
    /// does not read (the ordinary Formatter path then keeps it unported with a finding).
    pub(super) fn import_csv(
        &mut self,
        i: usize,
        parent_out: &str,
        sys: &mut System,
    ) -> Option<String> {
        let n = self.node(i).clone();
        if self.kinds[i] != Kind::Formatter
            || transform_key(&n).as_deref() != Some("util.import_csv")
        {
            return None;
        }
        let params = n.params.clone().unwrap_or_default();
        let options = options_of(&params);
        let unknown = options
            .iter()
            .any(|(k, v)| !CSV_OPTIONS.contains(&k.as_str()) && !blank(v));
        if unknown {
            return None;
        }
        let name = self.names[i].clone();
        let mut download = format!("{name}_download");
        while self.names.contains(&download) || sys.execution.iter().any(|x| x.name == download) {
            download.push('_');
        }
        let url = params.get("inputs").cloned().unwrap_or(Value::Null);
        let url = self.rewrite(&url, i, "http", "url");
        let mut get = Execution::new(&download, parent_out, "http.get");
        get.description = Some(format!("Import CSV `{name}`: download of the file"));
        get.with.insert("url".into(), url);
        let arg = |m: &mut Self, k: &str, default: &str| {
            options
                .get(k)
                .filter(|v| !v.is_null())
                .map(|v| m.formatter_arg(i, v))
                .unwrap_or_else(|| default.to_string())
        };
        let header = arg(self, "has_header", "true");
        let delimiter = arg(self, "delimiter", "''");
        // `?body`: in record-only mode the download is recorded, not made, and has no body; the
        // parse then sees an empty file instead of failing the run.
        let expr = format!(
            "util.parseCsv(steps.{download}.output.?body.orValue(''), {header}, {delimiter})"
        );
        let mut x = Execution::new(&name, get.succeeded_event(), "format.fields");
        x.description = n.step_title().map(str::to_string);
        x.with
            .insert("value".into(), Value::String(format!("{{{{ {expr} }}}}")));
        x.legacy = self.legacy(i);
        x.legacy
            .insert("transform".into(), "util.import_csv".into());
        self.note_once(
            codes::FORMATTER_MAPPED.id,
            Finding::info(
                codes::FORMATTER_MAPPED.id,
                format!("Formatter step `{name}` (util.import_csv) became an `http.get` step `{download}` and a `format.fields` step computing `{expr}`; the transform and its options were read from `params`, a shape inferred from Zapier's Formatter service since no export with Formatter params has been seen"),
                self.origin(Some(i)),
            )
            .at_path(format!("/execution/{name}")),
        );
        let out = x.succeeded_event();
        sys.execution.push(get);
        sys.execution.push(x);
        Some(out)
    }
}
