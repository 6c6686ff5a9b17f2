//! `claw-bench formatter`: the cost of each formatter function (`text.*`, `number.*`, `date.*`,
//! `util.*`) evaluated in the expression engine, per call, against the cost of a trivial
//! expression in the same engine; the target is < 5 µs per call.
//!
//! Each expression is compiled once and evaluated `--iterations` times over the same scope, as
//! a step's `value` template is in a run (compiled with the plan, evaluated per run). The
//! baseline is `x + ""` (variable binding, one string operation, the JSON round trip), so the
//! column "over baseline" is what the function itself adds.

use claw_language::expr;
use claw_language::format::FUNCTIONS;
use serde_json::{Value, json};
use std::time::Instant;

/// The target per call, from issue 13 ("Formatter functions cost < 5 µs each").
const TARGET_NS: f64 = 5_000.0;

/// How many evaluations and which functions.
#[derive(clap::Args)]
pub struct Args {
    /// Evaluations of each expression.
    #[arg(long, default_value_t = 20_000)]
    iterations: u32,
    /// Only functions whose name contains this text.
    #[arg(long)]
    only: Option<String>,
}

/// A typical call of each function, over [`scope`]: inputs the size of a real field (a name,
/// a short HTML body, an order's line items).
const CALLS: &[(&str, &str)] = &[
    ("text.capitalize", "text.capitalize(name)"),
    ("text.titlecase", "text.titlecase(title)"),
    ("text.upper", "text.upper(name)"),
    ("text.lower", "text.lower(name)"),
    ("text.trim", "text.trim(padded)"),
    ("text.find", "text.find(title, 'of')"),
    ("text.replace", "text.replace(title, 'two', '2')"),
    (
        "text.replaceRegex",
        "text.replaceRegex(phone, '[^0-9]', '')",
    ),
    ("text.split", "text.split(csv_line, ',')"),
    ("text.segment", "text.segment(csv_line, ',', -1)"),
    ("text.splitFields", "text.splitFields(csv_line, ',')"),
    ("text.truncate", "text.truncate(title, 10, 0, true)"),
    ("text.wordCount", "text.wordCount(title)"),
    ("text.length", "text.length(title)"),
    ("text.default", "text.default(empty, 'n/a')"),
    ("text.urlEncode", "text.urlEncode(title)"),
    ("text.urlDecode", "text.urlDecode('a%20tale%2Fof')"),
    ("text.stripHtml", "text.stripHtml(html)"),
    ("text.toAscii", "text.toAscii('Crème Brûlée')"),
    ("text.pluralize", "text.pluralize('box')"),
    ("text.extractEmail", "text.extractEmail(note)"),
    ("text.extractUrl", "text.extractUrl(note)"),
    ("text.extractNumber", "text.extractNumber(note)"),
    ("text.extractPhone", "text.extractPhone(note)"),
    (
        "text.extractPattern",
        "text.extractPattern(note, '(\\\\d+)')",
    ),
    ("text.markdownToHtml", "text.markdownToHtml(markdown)"),
    ("text.htmlToMarkdown", "text.htmlToMarkdown(html)"),
    ("number.format", "number.format('1234567.891', '.', '0')"),
    (
        "number.currency",
        "number.currency('1234.5', 'EUR', 'de_DE')",
    ),
    ("number.math", "number.math('add', [1, 2.5, '3'])"),
    ("number.random", "number.random('run-1', 1, 100)"),
    ("number.phone", "number.phone(phone, 'national')"),
    (
        "number.formula",
        "number.formula('=ROUND(SUM(1.5, 2, 3) * 1.2, 2)')",
    ),
    (
        "date.format",
        "date.format(when, 'MMMM Do YYYY h:mm A', 'Europe/Paris')",
    ),
    (
        "date.add",
        "date.add(when, '+1 month -2 days', 'YYYY-MM-DD')",
    ),
    ("date.compare", "date.compare(when, '2024-04-01T00:00:00Z')"),
    (
        "util.lookup",
        "util.lookup('Gold', {'Gold': 'VIP', 'Silver': 'Member'}, 'Guest')",
    ),
    ("util.pick", "util.pick(items, 'last')"),
    ("util.pickRandom", "util.pickRandom(items, 'run-1')"),
    ("util.lineItemsToText", "util.lineItemsToText(items, '; ')"),
    ("util.lineItemsToFields", "util.lineItemsToFields(items)"),
    ("util.textToLineItems", "util.textToLineItems(csv_line)"),
    ("util.appendLineItem", "util.appendLineItem(items, 'd')"),
    (
        "util.lineItemize",
        "util.lineItemize({'sku': csv_line, 'qty': '1,2,3'})",
    ),
    ("util.parseCsv", "util.parseCsv(csv_file)"),
];

/// The variables every call reads.
fn scope() -> Value {
    json!({
        "x": "hello world",
        "name": "ada LOVELACE",
        "title": "a tale of two cities",
        "padded": "  spaced out  ",
        "empty": "",
        "phone": "(555) 800-1212",
        "csv_line": "apple,banana,cherry",
        "csv_file": "sku,qty\nA1,2\nB2,3\nC3,1\n",
        "html": "<h2>Order</h2><p>Thanks, <strong>Ada</strong>! See <a href=\"https://x.test\">your order</a>.</p>",
        "markdown": "## Order\n\nThanks, **Ada**! See [your order](https://x.test).",
        "note": "Call 555-800-1212 or mail ada@x.test about order 42, https://x.test/o/42",
        "when": "2024-03-05T14:30:00Z",
        "items": ["a", "b", "c"],
    })
}

/// Nanoseconds per evaluation of `source` over `scope`.
fn time(source: &str, scope: &Value, iterations: u32) -> anyhow::Result<f64> {
    let compiled =
        expr::compile(source).map_err(|e| anyhow::anyhow!("`{source}`: {}", e.message))?;
    // One evaluation first: it must succeed, and warms caches (regexes compiled once).
    compiled
        .eval(scope)
        .map_err(|e| anyhow::anyhow!("`{source}`: {}", e.message))?;
    let t0 = Instant::now();
    for _ in 0..iterations {
        std::hint::black_box(compiled.eval(std::hint::black_box(scope)).ok());
    }
    Ok(t0.elapsed().as_nanos() as f64 / f64::from(iterations.max(1)))
}

/// Runs the benchmark and prints one line per function.
pub fn run(a: Args) -> anyhow::Result<()> {
    if let Some(f) = FUNCTIONS
        .iter()
        .find(|f| !CALLS.iter().any(|(n, _)| *n == f.name))
    {
        anyhow::bail!("no benchmark call for `{}`: add one to CALLS", f.name);
    }
    if cfg!(debug_assertions) {
        println!("warning: a debug build; its figures are not figures (build with --release)");
    }
    let scope = scope();
    let bare = time("x", &scope, a.iterations)?;
    let base = time("x + \"\"", &scope, a.iterations)?;
    println!("baseline `x`: {bare:.0} ns/call; `x + \"\"`: {base:.0} ns/call");
    println!(
        "{:<24} {:>10} {:>14}  target < 5 µs",
        "function", "ns/call", "over baseline"
    );
    println!("(the verdict is on the column over baseline)");
    let mut over = 0;
    for (name, source) in CALLS {
        if a.only.as_deref().is_some_and(|o| !name.contains(o)) {
            continue;
        }
        let ns = time(source, &scope, a.iterations)?;
        // The target is the function's own cost: binding the scope is the engine's, paid
        // once per evaluation whatever the expression.
        let ok = ns - base < TARGET_NS;
        over += usize::from(!ok);
        println!(
            "{name:<24} {ns:>10.0} {:>14.0}  {}",
            ns - base,
            if ok { "ok" } else { "OVER" }
        );
    }
    println!("{over} function(s) over the 5 µs target");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every function of the library has a call here, and every call evaluates.
    #[test]
    fn every_function_has_a_working_call() {
        for f in FUNCTIONS {
            let (_, source) = CALLS
                .iter()
                .find(|(n, _)| *n == f.name)
                .unwrap_or_else(|| panic!("no call for {}", f.name));
            assert!(time(source, &scope(), 1).is_ok(), "{source}");
        }
    }
}
