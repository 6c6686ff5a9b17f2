//! The Formatter transforms added after the first slice: Markdown ↔ HTML, phone numbers,
//! spreadsheet formulas, random numbers, date comparison and the line itemizer. Each needs
//! either only a [`spec`] row (the function and its options in argument order) or, where the
//! arguments are not "input, then options", its own translation in [`Mapper::translate_extra`].
//!
//! Their option names are inferred like the rest of the Formatter mapping (no export with
//! Formatter params has been seen): a name the importer does not know keeps the step
//! unported with `formatter_option`, so a wrong guess is reported, never run.

use super::Mapper;
use super::formatter::{Mapped, Refusal, lit};
use serde_json::{Map, Value};

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
